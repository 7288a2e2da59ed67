"""The help desk (#18): the moderator's "Hilfe-Tisch" page with its links, the helper's unlock page, the tablet.

The helper's and the tablet's token in the URL is their credential (no login): their pages are not stored, not
indexed and send no referrer. A revoked link answers 403 with a German page at once, on every instance: each
request reads the link from the database; the tablet's open socket is closed through the bus (realtime/desk.py).
"""

import time
from functools import partial
from typing import Annotated

from anyio import from_thread
from fastapi import APIRouter, Form, Request, WebSocket
from fastapi.responses import JSONResponse, RedirectResponse, Response
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from app import auth
from app.config import settings
from app.db import SessionDep, new_session
from app.domain import answers as a_domain
from app.domain import desk as d_domain
from app.domain.errors import DomainError
from app.domain.snapshot import role_views, snapshot
from app.i18n import _, translate
from app.models import ID_MAX, DeskLink, Event
from app.pages import flash, public_base, render
from app.realtime import protocol
from app.realtime.connection import socket_unavailable
from app.routes.deps import DrivenEvent, Text, ViewedEvent
from app.routes.params import Id
from app.routes.projector import qr_svg

router = APIRouter()
NEW_LINK = "desk_new_link"  # the session key that shows a new link's address once


def _private(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Robots-Tag"] = "noindex"
    return response


def _int(raw: str) -> int:
    return int(raw) if raw.isascii() and raw.isdigit() and len(raw) <= 10 and int(raw) <= ID_MAX else 0


def _link_url(request: Request, link: DeskLink, token: str) -> str:
    return f"{public_base(request)}/{'tablet' if link.kind == 'tablet' else 'hilfe'}/{token}"


# ---- the moderator ------------------------------------------------------------------------------


def _desk_page(request: Request, session: Session, event: Event, user, *, error: str | None = None, typed: str = "",
               status_code: int = 200) -> Response:
    new = request.session.pop(NEW_LINK, None) if error is None else None
    rows = d_domain.links(session=session, event_id=event.id)
    if new:
        new["qr"] = qr_svg(new["url"])
    return _private(render(request, "moderator/help_desk.html", status_code=status_code, user=user, event=event, rows=rows,
                           new=new, error=error, typed=typed[:d_domain.LABEL_MAX]))


@router.get("/moderator/events/{event_id}/hilfe-tisch")
def help_desk_page(request: Request, event: ViewedEvent, user: auth.PageUser, session: SessionDep):
    return _desk_page(request, session, event, user)


@router.post("/moderator/events/{event_id}/hilfe-tisch")
def create_desk_link(request: Request, event: DrivenEvent, user: auth.PageUser, session: SessionDep, kind: Text = "", label: Text = ""):
    """A new tablet or helper link; its address is shown once, on the page this redirects to."""
    try:
        link, token = d_domain.create_link(session=session, user=user, event=event, kind=kind, label=label[:200])
    except DomainError as exc:
        return _desk_page(request, session, event, user, error=_(exc.message, **exc.params), typed=label, status_code=exc.status)
    request.session[NEW_LINK] = {"id": link.id, "label": link.label, "kind": link.kind, "url": _link_url(request, link, token)}
    return RedirectResponse(f"/moderator/events/{event.id}/hilfe-tisch#new-link", status_code=303)


@router.post("/moderator/events/{event_id}/hilfe-tisch/{link_id}/zurueckziehen")
def revoke_desk_link(request: Request, event: DrivenEvent, link_id: Id, user: auth.PageUser, session: SessionDep, confirm: Text = ""):
    """Revoke a link at once (confirmed, audited): its pages answer 403, an open tablet socket is closed."""
    try:
        link = d_domain.revoke_link(session=session, user=user, event=event, link_id=link_id, confirmed=confirm == "1")
    except DomainError as exc:
        return _desk_page(request, session, event, user, error=_(exc.message, **exc.params), status_code=exc.status)
    from_thread.run(partial(request.app.state.hub.desk.publish, event_id=event.id, desk_id=link.id, what="revoked"))
    flash(request, _("„{label}“ ist zurückgezogen: Der Link gilt ab sofort nicht mehr.", label=link.label), "success")
    return RedirectResponse(f"/moderator/events/{event.id}/hilfe-tisch", status_code=303)


# ---- the helper ---------------------------------------------------------------------------------


def _helper_view(token: str) -> dict:
    """What the helper's page shows: the open question, the event's tablets and the state of each one's last unlock."""
    with new_session() as session:
        helper = d_domain.find_link(session=session, token=token, kind="helper")
        event = session.get(Event, helper.event_id)
        question = d_domain.open_question(session=session, event_id=helper.event_id)
        tablets = []
        for row in d_domain.links(session=session, event_id=helper.event_id):
            if row.link.kind != "tablet" or row.link.revoked_at is not None:
                continue
            state, ballot = d_domain.last_ballot_state(session=session, desk_id=row.link.id)
            left = max(0, round(d_domain._aware(ballot.expires_at).timestamp() - time.time())) if ballot and state == "waiting" else 0
            tablets.append({"id": row.link.id, "label": row.link.label, "state": state, "left": left, "answers": row.answers})
        return {"helper": helper, "event": event, "question": question.text if question else None, "tablets": tablets}


def _state_text(tablet: dict) -> str:
    if tablet["state"] == "waiting":
        return _("Freigegeben – wartet auf die Antwort (noch {s} Sekunden).", s=tablet["left"])
    if tablet["state"] == "answered":
        return _("Die Antwort wurde gezählt.")
    if tablet["state"] == "expired":
        return _("Die Freigabe ist abgelaufen, ohne Antwort.")
    return _("Noch nicht freigegeben.")


@router.get("/hilfe/{helper_token}")
def helper_page(request: Request, helper_token: str):
    view = _helper_view(helper_token)
    for tablet in view["tablets"]:
        tablet["text"] = _state_text(tablet)
    return _private(render(request, "help_desk_helper.html", view=view, token=helper_token))


@router.get("/hilfe/{helper_token}/stand")
def helper_status(helper_token: str):
    """The helper page's live part as JSON (helper.js asks every few seconds)."""
    view = _helper_view(helper_token)
    tablets = [{"id": t["id"], "state": t["state"], "text": _state_text(t)} for t in view["tablets"]]
    question = view["question"] or _("Gerade ist keine Frage offen.")
    return _private(JSONResponse({"question": question, "tablets": tablets}))


@router.post("/hilfe/{helper_token}/freigeben")
def unlock_tablet(request: Request, helper_token: str, csrf: Text = "", tablet: Text = ""):
    """"Neue Person": a single-use ballot for this tablet and the open question; the tablet is told at once."""
    auth.check_csrf(request, csrf)
    with new_session() as session:
        helper = d_domain.find_link(session=session, token=helper_token, kind="helper")
        try:
            ballot = d_domain.unlock(session=session, helper=helper, tablet_id=_int(tablet))
        except DomainError as exc:
            flash(request, _(exc.message, **exc.params), "error")
            return RedirectResponse(f"/hilfe/{helper_token}", status_code=303)
        label = session.get(DeskLink, ballot.desk_id).label  # type: ignore[union-attr]  # unlock checked the tablet
    from_thread.run(partial(request.app.state.hub.desk.publish, event_id=helper.event_id, desk_id=ballot.desk_id, what="unlock",
                            ballot=ballot.id))
    flash(request, _("{label} ist freigegeben.", label=label), "success")
    return RedirectResponse(f"/hilfe/{helper_token}#tablet-{ballot.desk_id}", status_code=303)


# ---- the tablet ---------------------------------------------------------------------------------


def _tablet_view(token: str) -> dict:
    """The tablet's page: a ballot with a fresh token if one is pending for the open question round, else neutral."""
    with new_session() as session:
        link = d_domain.find_link(session=session, token=token, kind="tablet")
        event = session.get(Event, link.event_id)
        assert event is not None  # a link is deleted with its event
        claimed = d_domain.claim_pending(session=session, desk_id=link.id)
        question = None
        if claimed is not None:
            ballot, ballot_token = claimed
            state = role_views(snapshot(session=session, event=event))["attendee"]
            q = state["question"]
            if state["phase"] == "open" and q is not None and (q["id"], q["round"]) == (ballot.question_id, ballot.round):
                left = max(0.0, d_domain._aware(ballot.expires_at).timestamp() - time.time())
                question = {"q": q, "ballot": ballot.id, "token": ballot_token, "expires_in_ms": int(left * 1000)}
        return {"link": link, "event": event, "ballot": question}


# Refusals after which the ballot is gone: the person is told, then the tablet rests again. After any other
# (nothing chosen, a wrong value) the same ballot is shown again with the message.
FINAL = ("closed", "not_current", "ballot_used", "no_ballot", "link_revoked")


def _tablet_page(request: Request, token: str, *, error: str | None = None, final: bool = False, thanks: bool = False,
                 status_code: int = 200) -> Response:
    view = {**_tablet_link(token), "ballot": None} if thanks or final else _tablet_view(token)
    return _private(render(request, "help_desk_tablet.html", status_code=status_code, view=view, token=token, error=error,
                           thanks=thanks, final=final, warn_s=min(30, int(settings.ballot_ttl_s // 2)), kind=None, mine=None, listy=False, places=None))


def _tablet_link(token: str) -> dict:
    with new_session() as session:
        link = d_domain.find_link(session=session, token=token, kind="tablet")
        return {"link": link, "event": session.get(Event, link.event_id)}


@router.get("/tablet/{tablet_token}")
def tablet_page(request: Request, tablet_token: str, gezaehlt: int | None = None):
    return _tablet_page(request, tablet_token, thanks=gezaehlt == 1)


@router.post("/tablet/{tablet_token}/abstimmen")
async def tablet_form_vote(request: Request, tablet_token: str, csrf: Annotated[str, Form()] = "",
                           ballot: Annotated[str, Form()] = "", question_id: Annotated[str, Form()] = ""):
    """The tablet's vote without JavaScript: the same checks, the same writer, the same single-use ballot."""
    auth.check_csrf(request, csrf)
    link = (await run_in_threadpool(_tablet_link, tablet_token))["link"]
    view = await run_in_threadpool(lambda: role_views(_snapshot_of(link.event_id))["attendee"])
    kind = view["question"]["kind"] if view["question"] else "single"
    try:
        answer = a_domain.answer_from_form(kind, await request.form())
        await request.app.state.hub.desk.cast(event_id=link.event_id, desk_id=link.id, question_id=_int(question_id) or None,
                                              answer=answer, token=ballot)
    except DomainError as exc:
        return _tablet_page(request, tablet_token, error=_(exc.message, **exc.params), final=exc.code in FINAL, status_code=exc.status)
    return RedirectResponse(f"/tablet/{tablet_token}?gezaehlt=1", status_code=303)


def _snapshot_of(event_id: int):
    with new_session() as session:
        event = session.get(Event, event_id)
        assert event is not None
        return snapshot(session=session, event=event)


@router.websocket("/ws/tablet/{tablet_token}")
async def tablet_socket(ws: WebSocket, tablet_token: str):
    """The tablet's socket: `unlock` when a helper frees it, its vote with the ballot, `ack` or the reason why not."""
    locale = ws.scope.get("state", {}).get("locale", "de")
    await ws.accept()
    try:
        link = (await run_in_threadpool(_tablet_link, tablet_token))["link"]
    except DomainError as exc:
        await ws.send_text(protocol.error(exc.code, translate(exc.message, locale)))
        await ws.close(code=4404 if exc.code == "unknown_link" else 4403)
        return
    except DBAPIError:
        await socket_unavailable(ws, locale)
        return
    await ws.app.state.hub.desk.serve(ws, link_id=link.id, event_id=link.event_id, locale=locale)
