"""The attendee's pages: start page, join by code, the phone page with its plain form, the phone socket."""

import asyncio
import time
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.exc import DBAPIError
from starlette.concurrency import run_in_threadpool

from app.config import settings
from app.cookies import DEVICE_COOKIE, DEVICE_MAX_AGE, Device, is_https, new_device, read_device_cookie
from app.db import new_session
from app.domain import answers as a_domain
from app.domain import events as e_domain
from app.domain import segments as seg_domain
from app.domain import votes as v_domain
from app.domain.errors import DomainError, NotFound
from app.domain.snapshot import role_views, snapshot
from app.i18n import N_, _, pick_locale, translate
from app.limits import Rate, budgets
from app.models import ID_MAX, Event
from app.origin import request_allowed
from app.pages import render
from app.realtime import protocol
from app.realtime.asgi import PhoneSocket
from app.realtime.connection import socket_unavailable
from app.routes import cards as card_routes
from app.routes import my_answers

router = APIRouter()
PHONE_SOCKET_PREFIX = "/ws/j/"
# A phone socket without this event's device cookie is refused for good (4401): the page says what to do.
NO_DEVICE = N_("Ihr Gerät wurde nicht erkannt (das Cookie dieser Seite fehlt). Bitte laden Sie die Seite neu. "
               "Hilft das nicht, erlauben Sie Cookies für diese Seite.")


def find_event(code: str) -> Event:
    with new_session() as session:
        return e_domain.get_by_code(session=session, code=code)


@router.get("/")
def start_page(request: Request):
    return render(request, "start.html", code="", error=None)


@router.get("/join")
def join(request: Request, code: str = ""):
    """The start page's form: go to the event, or say the code is unknown and let them type again."""
    try:
        event = find_event(code)
    except NotFound as exc:
        message = _("Bitte geben Sie den Code ein, der im Saal angezeigt wird.") if not code.strip() else _(exc.message, **exc.params)
        return render(request, "start.html", status_code=404 if code.strip() else 400, code=code[:20], error=message)
    return RedirectResponse(f"/j/{event.join_code}", status_code=303)


def voter_of(event: Event, device: Device) -> str:
    """The identity a vote is stored under: per event (domain.votes.voter_hash)."""
    return v_domain.voter_hash(event.id, device.id, settings.secret_key)


def _phone_view(event: Event, device: Device | None, voter: str | None = None) -> dict:
    """`voter`: the voting card's identity, if the phone votes with one (see routes.cards)."""
    with new_session() as session:
        state = role_views(snapshot(session=session, event=event))["attendee"]
        my_vote, my_seq = None, 0
        who = voter or (voter_of(event, device) if device is not None else None)
        if state["question"] is not None and who:
            my_vote, my_seq = v_domain.device_vote(
                session=session,
                question_id=state["question"]["id"],
                device=who,
                round=state["question"]["round"],
            )
    # `now`: the server's clock, as in every socket message, so a countdown is right whatever the phone's clock says.
    # `my_seq`: the number of the stored answer; the form sends my_seq + 1, so a form of an older page is older.
    return {**state, "my_vote": my_vote, "my_seq": my_seq, "now": int(time.time() * 1000)}


def skip_cookie(event_id: int) -> str:
    """The cookie that remembers the segment questions a phone skipped (routes.segment_prompt)."""
    return f"saal_seg_{event_id}"


def prompt_for(request: Request, event_id: int, voter: str | None) -> dict | None:
    """The segment question to ask this phone now, if any (one query per segment question, on page load only)."""
    skipped = seg_domain.skipped_of(request.cookies.get(skip_cookie(event_id)))
    with new_session() as session:
        return seg_domain.prompt(session=session, event_id=event_id, voter=voter, skipped=skipped)


def _with_device(request: Request, response: Response, cookie: str | None) -> Response:
    if cookie:
        response.set_cookie(
            DEVICE_COOKIE, cookie, max_age=DEVICE_MAX_AGE, httponly=True, samesite="lax", secure=is_https(request)
        )
    return response


def _new_devices_rate(event: Event) -> Rate:
    """The configured burst, or more where the moderator entered a bigger hall: everyone in it may arrive at once."""
    hall = round((event.people_in_hall or 0) * 1.2)
    return Rate(burst=max(settings.new_devices_burst, hall), per_s=settings.new_devices_per_s)


async def _admit(event: Event) -> bool:
    """Pace new device ids per event: a burst for a hall filling up, then a steady rate.

    A newcomer waits its turn here (without holding a thread) for at most NEW_DEVICES_MAX_WAIT_S; a script
    that drops its cookie in a loop is slowed to the rate. False: even that wait would not do.
    """
    wait = await run_in_threadpool(
        budgets().take, f"new-device:{event.id}", _new_devices_rate(event), max_wait=settings.new_devices_max_wait_s
    )
    if wait is None:
        return False
    if wait > 0:
        await asyncio.sleep(wait)
    return True


def _crowded(request: Request, event: Event) -> Response:
    response = render(
        request, "error.html", status_code=503, title=_("Einen Moment bitte"),
        message=_("Gerade treten sehr viele gleichzeitig bei – bitte in einigen Sekunden neu laden."),
        retry_url=f"/j/{event.join_code}",
    )
    response.headers["Retry-After"] = str(max(1, round(settings.new_devices_max_wait_s)))
    return response


@router.get("/j/{code}")
async def phone_page(request: Request, code: str, voted: int | None = None, karte: str | None = None, newer: int | None = None):
    try:
        event = await run_in_threadpool(find_event, code)
    except NotFound as exc:
        return render(request, "start.html", status_code=404, code=code[:20], error=_(exc.message, **exc.params))
    # Strict mode: the card entry form, or the card to vote with.
    card = await run_in_threadpool(card_routes.phone_card, request, event, karte)
    if card.response is not None:
        return card.response
    device = read_device_cookie(request.cookies.get(DEVICE_COOKIE))
    cookie = None
    if device is None or not device.admitted(event.id):
        # A new phone here (or one that came with another event's id): its turn, then its id for this event.
        if not await _admit(event):
            return _crowded(request, event)
        device = new_device(event.id) if device is None else device.admit(event.id)
        cookie = device.cookie()
    view = await run_in_threadpool(_phone_view, event, device, card.voter)
    segment = await run_in_threadpool(prompt_for, request, event.id, card.voter or voter_of(event, device))
    just_voted = view["question"] is not None and voted == view["question"]["id"] and view["my_vote"] is not None
    # `newer`: the form came from an older page; the stored (newer) answer stands and is shown, with a note.
    response = render(
        request, "attendee.html", event=event, view=view, error=None, selected=view["my_vote"], just_voted=just_voted,
        kept_newer=just_voted and bool(newer), card_tail=card.tail, segment=segment,
        my_answers=await run_in_threadpool(my_answers.shows_link, event.id),
    )
    return _with_device(request, response, cookie)


@router.post("/j/{code}/vote")
async def phone_form_vote(request: Request, code: str, question_id: Annotated[str, Form()] = "", seq: Annotated[str, Form()] = ""):
    """The vote without JavaScript: the same rules and the same writer as the socket.

    The answer's fields depend on the question's kind (see domain.answers.answer_from_form). `seq` is the
    page's number for a new answer; a form sent again from an older page (the back button) does not replace
    the newer answer: the page then shows that one, with a note.
    """
    try:
        event = await run_in_threadpool(find_event, code)
    except NotFound as exc:
        return render(request, "start.html", status_code=404, code=code[:20], error=_(exc.message, **exc.params))
    card = await run_in_threadpool(card_routes.phone_card, request, event, voting=True)
    if card.response is not None:
        return card.response
    device = read_device_cookie(request.cookies.get(DEVICE_COOKIE))
    if card.voter is None and (device is None or not device.admitted(event.id)):  # a voting card is an identity of its own
        # Cookies blocked or expired, or a post from elsewhere: nothing is stored and no cookie is set (a
        # cross-site post must not replace the phone's id); the page asks for a reload, which admits the phone.
        view = await run_in_threadpool(_phone_view, event, None)
        error: str | None = _("Ihr Gerät wurde noch nicht erkannt (Cookies?). Bitte laden Sie die Seite neu und wählen Sie Ihre Antwort dann noch einmal.")
        return render(
            request, "attendee.html", status_code=400, event=event, view=view, error=error, selected=None, just_voted=False,
            card_tail=card.tail,
        )
    error = None
    selected = places = None
    view = await run_in_threadpool(_phone_view, event, device, card.voter)
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
            newer = await request.app.state.hub.cast_form_vote(
                event_id=event.id,
                device=card.voter or voter_of(event, device),  # type: ignore[arg-type]  # no card: device checked above
                question_id=qid,
                answer=answer,
                seq=seq[:12],
            )
            kept = "&newer=1" if newer is not None else ""
            return RedirectResponse(f"/j/{event.join_code}?voted={qid}{kept}#status", status_code=303)
        except DomainError as exc:
            error = _(exc.message, **exc.params)
    status = 409 if view["phase"] != "open" else 422
    return render(
        request, "attendee.html", status_code=status, event=event, view=view, error=error, selected=selected, just_voted=False,
        places=places, card_tail=card.tail,
    )


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
    device = read_device_cookie(ws.cookie(DEVICE_COOKIE))
    if not request_allowed(ws.headers, scope):
        await ws.refuse(4403)  # a page of another site must not speak with this phone's cookie
        return
    if not await ws.accept():
        return
    event: Event | None = None
    try:
        event = await run_in_threadpool(find_event, code)
        admitted = device is not None and device.admitted(event.id)
        voter = await card_routes.socket_voter(event, ws.cookie(card_routes.cookie_name(event.id))) if admitted else None
    except DomainError as exc:  # no such event; strict mode without a valid card: the page stops retrying and asks for one
        await ws.send_text(protocol.error(exc.code, translate(exc.message, locale, **exc.params)))
        await ws.close(4404 if event is None else 4403)
        return
    except DBAPIError:
        await socket_unavailable(ws, locale)
        return
    if device is None or not admitted:
        await ws.send_text(protocol.error("no_device", translate(NO_DEVICE, locale)))
        await ws.close(4401)
        return
    await hub.serve(ws, role="attendee", event_id=event.id, device=voter or voter_of(event, device), locale=locale)
