"""The attendee's pages: start page, join by code, the phone page with its plain form, the phone socket."""

import time
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from app.config import settings
from app.db import new_session
from app.domain import answers as a_domain
from app.domain import events as e_domain
from app.domain import votes as v_domain
from app.domain.errors import DomainError, NotFound
from app.domain.snapshot import role_views, snapshot
from app.i18n import pick_locale, translate
from app.models import ID_MAX, Event
from app.realtime import protocol
from app.realtime.asgi import PhoneSocket
from app.web import (
    DEVICE_COOKIE,
    DEVICE_MAX_AGE,
    _,
    is_https,
    new_device_cookie,
    read_device,
    render,
)

router = APIRouter()
PHONE_SOCKET_PREFIX = "/ws/j/"


def _find_event(code: str) -> Event:
    with new_session() as session:
        return e_domain.get_by_code(session=session, code=code)


@router.get("/")
def start_page(request: Request):
    return render(request, "start.html", code="", error=None)


@router.get("/join")
def join(request: Request, code: str = ""):
    """The start page's form: go to the event, or say the code is unknown and let them type again."""
    try:
        event = _find_event(code)
    except NotFound as exc:
        message = _("Bitte geben Sie den Code ein, der im Saal angezeigt wird.") if not code.strip() else _(exc.message, **exc.params)
        return render(request, "start.html", status_code=404 if code.strip() else 400, code=code[:20], error=message)
    return RedirectResponse(f"/j/{event.join_code}", status_code=303)


def _phone_view(event: Event, device: str | None) -> dict:
    with new_session() as session:
        state = role_views(snapshot(session=session, event=event))["attendee"]
        my_vote = None
        if state["question"] is not None and device:
            my_vote = v_domain.device_choices(
                session=session,
                question_id=state["question"]["id"],
                device=v_domain.device_hash(device, settings.secret_key),
                round=state["question"]["round"],
            )
    # `now`: the server's clock, as in every socket message, so a countdown is right whatever the phone's clock says.
    return {**state, "my_vote": my_vote, "now": int(time.time() * 1000)}


def _with_device(request: Request, response: Response, device: str | None, cookie: str | None) -> Response:
    if cookie:
        response.set_cookie(
            DEVICE_COOKIE, cookie, max_age=DEVICE_MAX_AGE, httponly=True, samesite="lax", secure=is_https(request)
        )
    return response


@router.get("/j/{code}")
def phone_page(request: Request, code: str, voted: int | None = None):
    try:
        event = _find_event(code)
    except NotFound as exc:
        return render(request, "start.html", status_code=404, code=code[:20], error=_(exc.message, **exc.params))
    device = read_device(request.cookies.get(DEVICE_COOKIE))
    cookie = None
    if device is None:
        device, cookie = new_device_cookie()
    view = _phone_view(event, device)
    just_voted = view["question"] is not None and voted == view["question"]["id"] and view["my_vote"] is not None
    response = render(
        request, "attendee.html", event=event, view=view, error=None, selected=view["my_vote"], just_voted=just_voted,
        limits=LIMITS,
    )
    return _with_device(request, response, device, cookie)


# What the phone page's inputs allow, the same numbers the server checks.
LIMITS = {"text_max": a_domain.TEXT_MAX, "term_max": a_domain.TERM_MAX, "points_total": a_domain.POINTS_TOTAL}


@router.post("/j/{code}/vote")
async def phone_form_vote(request: Request, code: str, question_id: Annotated[str, Form()] = ""):
    """The vote without JavaScript: the same rules and the same writer as the socket.

    The answer's fields depend on the question's kind (see domain.answers.answer_from_form).
    """
    try:
        event = await run_in_threadpool(_find_event, code)
    except NotFound as exc:
        return render(request, "start.html", status_code=404, code=code[:20], error=_(exc.message, **exc.params))
    device = read_device(request.cookies.get(DEVICE_COOKIE))
    cookie = None
    error = None
    if device is None:
        # Cookies were blocked or expired: nothing is stored, and the page explains why.
        device, cookie = new_device_cookie()
        error = _("Ihr Gerät wurde noch nicht erkannt (Cookies?). Bitte wählen Sie Ihre Antwort noch einmal.")
    selected = places = None
    view = await run_in_threadpool(_phone_view, event, device)
    try:
        qid = int(question_id)
    except ValueError:
        qid = None
    if qid is None or not 1 <= qid <= ID_MAX:
        qid = None
        error = error or _("Die Auswahl ist ungültig.")
    if error is None:
        kind = view["question"]["kind"] if view["question"] and view["question"]["id"] == qid else "single"
        form = await request.form()
        if kind == "ranking":
            # The places as chosen, duplicates included, so the form shows them again after an error.
            places = {name[5:]: str(value) for name, value in form.multi_items() if name.startswith("rank-")}
        try:
            answer = a_domain.answer_from_form(kind, form)
            selected = _as_stored(answer)
            await request.app.state.hub.cast_form_vote(
                event_id=event.id,
                device=v_domain.device_hash(device, settings.secret_key),
                question_id=qid,
                answer=answer,
            )
            return RedirectResponse(f"/j/{event.join_code}?voted={qid}#status", status_code=303)
        except DomainError as exc:
            error = _(exc.message, **exc.params)
    status = 409 if view["phase"] != "open" else 422
    response = render(
        request, "attendee.html", status_code=status, event=event, view=view, error=error, selected=selected, just_voted=False,
        limits=LIMITS, places=places,
    )
    return _with_device(request, response, device, cookie)


def _as_stored(answer: dict):
    """What was typed, in the shape of a stored answer, so the form shows it again after an error."""
    for key in ("choices", "ranking", "terms"):
        if key in answer:
            return answer[key] if isinstance(answer[key], list) else None
    if "value" in answer:
        return [answer["value"]]
    if "points" in answer:
        return answer["points"]
    if "text" in answer:
        return answer["text"][:2000]
    return None


async def phone_socket(scope, receive, send, hub) -> None:
    """`/ws/j/{code}`: the phone's socket, served as bare ASGI (SaalumfrageApp routes it past the middleware)."""
    ws = PhoneSocket(scope, receive, send)
    locale = pick_locale(ws.headers.get("accept-language"), ws.cookie("lang"))
    code = scope["path"][len(PHONE_SOCKET_PREFIX):]
    device = read_device(ws.cookie(DEVICE_COOKIE))
    if not await ws.accept():
        return
    try:
        event = await run_in_threadpool(_find_event, code)
    except NotFound as exc:
        await ws.send_text(protocol.error(exc.code, translate(exc.message, locale, **exc.params)))
        await ws.close(4404)
        return
    if device is None:
        await ws.send_text(protocol.error("no_device", translate("Bitte laden Sie die Seite neu.", locale)))
        await ws.close(4401)
        return
    await hub.serve(ws, role="attendee", event_id=event.id, device=v_domain.device_hash(device, settings.secret_key), locale=locale)
