"""Driving the vote from the control page: question actions, next question, projector, head count, and its socket."""

from fastapi import APIRouter, Request, WebSocket
from fastapi.responses import JSONResponse, RedirectResponse
from sqlalchemy.exc import DBAPIError
from starlette.concurrency import run_in_threadpool

from app import auth
from app.db import SessionDep, new_session
from app.domain import access, control, plausibility
from app.i18n import _
from app.models import Event
from app.pages import flash
from app.realtime.connection import ModeratorLogin, socket_unavailable
from app.routes.deps import DrivenEvent, Text, done, event_url, message_of, publish_from_thread, publish_state
from app.routes.params import Id

router = APIRouter()


@router.post("/moderator/events/{event_id}/questions/{question_id}/{action}")
def question_action(
    request: Request,
    event: DrivenEvent,
    question_id: Id,
    action: str,
    user: auth.PageUser,
    session: SessionDep,
    seconds: Text = "",
    mode: Text = "",
    term: Text = "",
    into: Text = "",
    answer_id: Text = "",
    segment: Text = "",
):
    params = {"seconds": seconds[:8], "mode": mode[:20], "term": term[:200], "into": into[:200], "answer_id": answer_id[:12],
              "segment": segment[:12]}
    outcome = control.perform(session=session, user=user, event=event, verb=action, scope="question", question_id=question_id,
                              params=params)
    if "application/json" in request.headers.get("accept", ""):
        # The control page's script (review queue, word-cloud terms): no reload, the socket brings the change.
        publish_from_thread(request, outcome)
        return JSONResponse({"ok": True, "action": action, "message": message_of(outcome), "changed": outcome.changed})
    anchor = "live" if outcome.action.live else ("agenda" if action == "delete" else f"question-{question_id}")
    return done(request, outcome, event_url(event.id, anchor))


@router.post("/moderator/events/{event_id}/next")
def next_question(request: Request, event: DrivenEvent, user: auth.PageUser, session: SessionDep, after: Text = ""):
    """`after`: the question current on the page that sent it (0: none), so a second moderator's "next" at the same
    moment does not skip a question (domain.live.next_question)."""
    outcome = control.perform(session=session, user=user, event=event, verb="next", params={"after": after[:12]})
    return done(request, outcome, event_url(event.id, "live"))


@router.post("/moderator/events/{event_id}/join-screen")
def join_screen(request: Request, event: DrivenEvent, user: auth.PageUser, session: SessionDep):
    return done(request, control.perform(session=session, user=user, event=event, verb="join-screen"), event_url(event.id, "live"))


@router.post("/moderator/events/{event_id}/projector")
def projector_mode(request: Request, event: DrivenEvent, user: auth.PageUser, session: SessionDep, mode: Text = "",
                   topic_id: Text = ""):
    """Switch the projector between the current question, a topic roll-up and the join screen."""
    outcome = control.perform(session=session, user=user, event=event, verb="projector", params={"mode": mode, "topic_id": topic_id})
    return done(request, outcome, event_url(event.id, "live"))


@router.post("/moderator/events/{event_id}/people-in-hall")
def people_in_hall(request: Request, event: DrivenEvent, user: auth.PageUser, session: SessionDep, people: Text = ""):
    """The organisers' head count, to compare with the number of voters (empty: not counted)."""
    count = plausibility.parse_people(people)
    plausibility.set_people_in_hall(session=session, event=event, people=count, user=user)
    publish_state(request, session, event.id)
    flash(request, _("Personen im Saal: {n} gespeichert.", n=count) if count is not None
          else _("Die Zahl der Personen im Saal ist gelöscht."), "success")
    return RedirectResponse(event_url(event.id, "check-title"), status_code=303)


@router.websocket("/ws/moderator/{event_id}")
async def moderator_socket(ws: WebSocket, event_id: Id):
    locale = ws.scope.get("state", {}).get("locale", "de")
    token = auth.session_token(ws)

    def check() -> tuple[ModeratorLogin | None, Event | None, bool]:
        with new_session() as session:
            found = auth.current_login(session=session, token=token)
            event = session.get(Event, event_id)
            if found is None:
                return None, event, False
            user, row = found
            login = ModeratorLogin(user_id=user.id, login_id=row.id, expires_at=row.expires_at.timestamp())
            return login, event, event is not None and access.can_manage(session=session, user=user, event=event)

    try:
        login, event, allowed = await run_in_threadpool(check)
    except DBAPIError:
        await ws.accept()
        await socket_unavailable(ws, locale)
        return
    if not allowed:
        # Closing before accept answers the handshake with 403: no login, no live data, not someone else's event.
        await ws.close(code=4401 if login is None else (4404 if event is None else 4403))
        return
    assert event is not None and login is not None  # refused above otherwise
    await ws.accept()
    # The login goes with the socket: logout, switching off or removal from the event close it on every instance.
    await ws.app.state.hub.serve(ws, role="moderator", event_id=event.id, device=None, locale=locale, login=login)
