"""What every moderator route shares: the checked form, the event the user may drive, publishing, the redirect."""

from typing import Annotated

from anyio import from_thread
from fastapi import Depends, Form, Request
from fastapi.responses import RedirectResponse
from sqlmodel import Session

from app import auth
from app.db import SessionDep
from app.domain import access, control
from app.domain.control import Outcome
from app.i18n import _
from app.models import Event
from app.pages import flash
from app.realtime.hub import Hub
from app.routes.params import Id

Text = Annotated[str, Form()]


def checked_form(request: Request, csrf: Text = "") -> None:
    """A POSTed form carries this session's CSRF token, or it is refused (403)."""
    auth.check_csrf(request, csrf)


def _viewed_event(event_id: Id, user: auth.PageUser, session: SessionDep) -> Event:
    """The event, if this moderator may drive it (owner, co-moderator, admin); else 404 or 403."""
    return access.event_for(session=session, user=user, event_id=event_id)


def _driven_event(event_id: Id, user: auth.PageUser, session: SessionDep, _form: Annotated[None, Depends(checked_form)]) -> Event:
    return access.event_for(session=session, user=user, event_id=event_id)


def _api_event(event_id: Id, user: auth.ApiUser, session: SessionDep) -> Event:
    return access.event_for(session=session, user=user, event_id=event_id)


CheckedForm = Annotated[None, Depends(checked_form)]
# A page about the event (GET), a form that changes it (POST: CSRF checked first), the JSON API's event.
ViewedEvent = Annotated[Event, Depends(_viewed_event)]
DrivenEvent = Annotated[Event, Depends(_driven_event)]
ApiEvent = Annotated[Event, Depends(_api_event)]


async def publish(hub: Hub, outcome: Outcome) -> None:
    """After the commit: the event's new state, or one question's new tally, to every instance and its sockets."""
    if outcome.state is not None:
        await hub.state_changed(outcome.event_id, outcome.state)
    elif outcome.tally_of is not None:
        await hub.results_changed(outcome.event_id, outcome.tally_of)


def publish_from_thread(request: Request, outcome: Outcome) -> None:
    """`publish` from a sync route (a worker thread)."""
    from_thread.run(publish, request.app.state.hub, outcome)


def publish_state(request: Request, session: Session, event_id: int) -> None:
    """After a change made outside the action table (the head count): the event's new state to every socket."""
    from_thread.run(request.app.state.hub.state_changed, event_id, control.state_of(session=session, event_id=event_id))


def event_url(event_id: int, anchor: str = "") -> str:
    return f"/moderator/events/{event_id}" + (f"#{anchor}" if anchor else "")


def message_of(outcome: Outcome) -> str:
    return _(outcome.message, **outcome.message_params) if outcome.message else ""


def done(request: Request, outcome: Outcome, url: str) -> RedirectResponse:
    """A form's action went through: publish, say so on the next page, and go there. An action that found its
    result already there (another moderator was quicker) says so as a note."""
    publish_from_thread(request, outcome)
    if message := message_of(outcome):
        flash(request, message, "success" if outcome.changed else "info")
    return RedirectResponse(url, status_code=303)
