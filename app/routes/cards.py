"""Strict mode with printed voting cards: the moderator's card panel and PDF sheet; the phone's card entry and cookie.

A phone holds its card in a signed, HttpOnly cookie per event (`saal_card_<event id>`). The code reaches the
server in the QR code's link (`/j/<code>?karte=…`) or the entry form; the link is answered with a redirect to
the clean URL, so the code does not stay in the address bar. No access log is written (see app/cli.py).
"""

import datetime as dt
from dataclasses import dataclass
from functools import partial
from typing import Annotated

from anyio import from_thread
from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from app import auth, cards_sheet, cookies
from app.config import settings
from app.cookies import is_https
from app.db import SessionDep, new_session
from app.domain import access
from app.domain import cards as c_domain
from app.domain import events as e_domain
from app.domain.errors import DomainError, NotFound
from app.i18n import _, current_locale
from app.models import Event, Question, utcnow
from app.pages import flash, public_base, render
from app.realtime import card_gate
from app.routes.deps import DrivenEvent, Text

router = APIRouter()

COOKIE_PREFIX = "saal_card_"
COOKIE_MAX_AGE = 3 * 24 * 3600  # a conference lasts a day or two; the card is worth nothing after it
TYPED_MAX = 40
COOKIE_SALT = "saalumfrage.card"


class CardRequired(DomainError):
    status = 403


def cookie_name(event_id: int) -> str:
    return f"{COOKIE_PREFIX}{event_id}"


def _cookie_value(event_id: int, code: str) -> str:
    return cookies.sign(f"{event_id}:{code}", salt=COOKIE_SALT)


def code_from_cookie(event_id: int, value: str | None) -> str | None:
    """The card code this phone entered for this event, if its cookie is genuine."""
    raw = cookies.unsign(value, salt=COOKIE_SALT)
    if raw is None:
        return None
    owner, _sep, code = raw.partition(":")
    return code if owner == str(event_id) and c_domain.normalize(code) == code else None


def _check(event_id: int, raw: str | None) -> str:
    with new_session() as session:
        return c_domain.check_card(session=session, event_id=event_id, raw=raw)


def _valid_code(event_id: int, raw: str) -> str:
    """The card code as stored, if it is a valid card of this event; the refusal (a DomainError) otherwise."""
    _check(event_id, raw)
    code = c_domain.normalize(raw)
    assert code is not None  # a card check accepts only well-formed codes
    return code


def _no_store(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


def _with_card(request: Request, response: Response, event: Event, code: str) -> Response:
    response.set_cookie(
        cookie_name(event.id), _cookie_value(event.id, code), max_age=COOKIE_MAX_AGE, httponly=True, samesite="lax",
        secure=is_https(request),
    )
    return _no_store(response)


def entry_page(request: Request, event: Event, *, error: str | None = None, typed: str = "", note: str | None = None,
               status_code: int = 200, held: str | None = None) -> Response:
    """The card entry form (plain HTML, no script needed)."""
    response = render(
        request, "attendee_card.html", status_code=status_code, event=event, error=error, typed=typed[:TYPED_MAX],
        note=note, held=held, code_length=c_domain.CODE_LENGTH,
    )
    return _no_store(response)


def _tail(code: str) -> str:
    """What the phone page shows of the card it votes with: enough to tell two cards apart, not to use one."""
    return "…-" + c_domain.format_code(code).rsplit("-", 1)[1]


@dataclass
class PhoneCard:
    """What the card gate says about a phone page request: vote as `voter`, or show `response` instead."""

    voter: str | None = None
    response: Response | None = None
    tail: str | None = None


def phone_card(request: Request, event: Event, karte: str | None = None, *, voting: bool = False) -> PhoneCard:
    """The card this request votes with (blocking: call from a thread).

    Strict mode: a valid card or the entry form. Otherwise: the card if the phone holds one (so switching
    strict mode off in the middle does not give card holders a second vote), else the device as usual.
    """
    held = code_from_cookie(event.id, request.cookies.get(cookie_name(event.id)))
    if karte is not None:
        return PhoneCard(response=_take_from_link(request, event, karte, held))
    if held:
        try:
            return PhoneCard(voter=_check(event.id, held), tail=_tail(held))
        except DomainError as exc:
            if not event.voting_cards:
                return PhoneCard()
            response = entry_page(request, event, error=_(card_gate.CARD_WITHDRAWN), status_code=exc.status)
            response.delete_cookie(cookie_name(event.id))
            return PhoneCard(response=response)
    if event.voting_cards:
        if voting:
            error = _("Ihre Antwort wurde nicht gezählt: Bitte geben Sie zuerst den Code Ihrer Abstimmkarte ein.")
            return PhoneCard(response=entry_page(request, event, error=error, status_code=403))
        return PhoneCard(response=entry_page(request, event))
    return PhoneCard()


def _take_from_link(request: Request, event: Event, karte: str, held: str | None) -> Response:
    """`/j/<code>?karte=…` from the card's QR code: remember the card, then the clean URL."""
    try:
        code = _valid_code(event.id, karte)
    except DomainError as exc:
        return entry_page(request, event, error=_(exc.message, **exc.params), typed=karte, status_code=exc.status)
    if held and held != code:
        try:
            _check(event.id, held)
        except DomainError:
            pass  # the old card no longer counts: take the new one
        else:
            # A link (from anywhere) must not swap the card this phone votes with behind its back.
            note = _("Auf diesem Handy ist schon eine andere Abstimmkarte eingegeben ({tail}). "
                     "Wenn Sie mit dieser Karte abstimmen möchten, bestätigen Sie bitte.", tail=_tail(held))
            return entry_page(request, event, typed=c_domain.format_code(code), note=note, held=_tail(held))
    return _with_card(request, RedirectResponse(f"/j/{event.join_code}", status_code=303), event, code)


async def socket_voter(event: Event, cookie: str | None) -> str | None:
    """The card a phone socket votes with; None: no card (the device votes). Raises CardRequired in strict mode."""
    code = code_from_cookie(event.id, cookie)
    if code is None:
        if event.voting_cards:
            raise CardRequired("card_required", card_gate.CARD_REQUIRED)
        return None
    try:
        return await run_in_threadpool(_check, event.id, code)
    except DomainError:
        if event.voting_cards:
            raise CardRequired("card_withdrawn", card_gate.CARD_WITHDRAWN) from None
        return None


def _find_event(code: str) -> Event:
    with new_session() as session:
        return e_domain.get_by_code(session=session, code=code)


def _cross_site(request: Request) -> bool:
    """A form posted from another site (or another port of this host): refused, so no page can plant a card."""
    if request.headers.get("sec-fetch-site") == "cross-site":
        return True
    origin = request.headers.get("origin")
    if origin and origin != "null":
        return origin.rstrip("/") != str(request.base_url).rstrip("/") and origin.rstrip("/") != settings.public_url.rstrip("/")
    return False


# ---- the phone ----------------------------------------------------------------------------------


@router.get("/j/{code}/karte")
def card_form(request: Request, code: str):
    """The card entry form, also to switch to another card."""
    try:
        event = _find_event(code)
    except NotFound as exc:
        return render(request, "start.html", status_code=404, code=code[:20], error=_(exc.message, **exc.params))
    held = code_from_cookie(event.id, request.cookies.get(cookie_name(event.id)))
    return entry_page(request, event, held=_tail(held) if held else None)


@router.post("/j/{code}/karte")
def card_submit(request: Request, code: str, karte: Annotated[str, Form()] = ""):
    try:
        event = _find_event(code)
    except NotFound as exc:
        return render(request, "start.html", status_code=404, code=code[:20], error=_(exc.message, **exc.params))
    if _cross_site(request):
        error = _("Bitte geben Sie den Code direkt auf dieser Seite ein.")
        return entry_page(request, event, error=error, status_code=403)
    try:
        card_code = _valid_code(event.id, karte)
    except DomainError as exc:
        return entry_page(request, event, error=_(exc.message, **exc.params), typed=karte, status_code=exc.status)
    return _with_card(request, RedirectResponse(f"/j/{event.join_code}", status_code=303), event, card_code)


# ---- the moderator ------------------------------------------------------------------------------


def local_time(at: dt.datetime) -> str:
    """A time as the server's clock shows it (stored times are UTC), as printed on the cards and shown in the panel."""
    if at.tzinfo is None:
        at = at.replace(tzinfo=dt.UTC)
    return at.astimezone().strftime("%d.%m.%Y %H:%M")


@dataclass
class Panel:
    strict: bool
    batches: list[tuple[c_domain.Batch, str]]  # each batch and when it was made
    total: int
    voted: int | None  # cards that answered the current question round; None without one
    max_per_batch: int = c_domain.CARDS_PER_BATCH_MAX


def panel(*, session: Session, event: Event) -> Panel:
    """What the control page's card section shows."""
    batches = c_domain.batches(session=session, event_id=event.id)
    question = session.get(Question, event.current_question_id) if event.current_question_id else None
    voted = c_domain.cards_voted(session=session, question_id=question.id, round=question.round) if question else None
    return Panel(strict=event.voting_cards, batches=[(b, local_time(b.created_at)) for b in batches],
                 total=sum(b.cards for b in batches), voted=voted)


def sheet_spec(*, event: Event, batch: int, codes: list[str], base: str, made: str) -> dict:
    """What the printed sheet of a batch shows (see app.cards_sheet)."""
    return {
        "locale": current_locale.get(), "title": event.title, "place": event.place or "",
        "date": event.date.strftime("%d.%m.%Y") if event.date else "", "join_url": f"{base}/j/{event.join_code}",
        "batch": batch, "made": made, "cards": [[code, c_domain.format_code(code)] for code in codes],
    }


def _cards_changed(request: Request, event: Event, message: str, withdrawn: list[str] | None = None) -> RedirectResponse:
    """Strict mode or the valid cards changed: every instance re-checks its phones; back to the card panel."""
    from_thread.run(partial(card_gate.cards_changed, request.app.state.hub, event.id, strict=event.voting_cards, withdrawn=withdrawn))
    flash(request, message, "success")
    return RedirectResponse(f"/moderator/events/{event.id}#cards", status_code=303)


@router.post("/moderator/events/{event_id}/cards/strict")
def switch_strict(event: DrivenEvent, request: Request, user: auth.PageUser, session: SessionDep, on: Text = ""):
    """Strict mode on (only printed cards may answer) or off (every phone again)."""
    strict = on == "1"
    c_domain.set_strict(session=session, event=event, on=strict)
    access.record(session=session, event_id=event.id, user=user, action="cards-on" if strict else "cards-off")
    return _cards_changed(request, event, _("Strenger Modus ist an: Nur wer eine Abstimmkarte eingegeben hat, kann abstimmen.") if strict
                          else _("Strenger Modus ist aus: Alle Handys können wieder abstimmen."))


@router.post("/moderator/events/{event_id}/cards")
def generate_cards(event: DrivenEvent, request: Request, user: auth.PageUser, session: SessionDep, count: Text = ""):
    """Make a batch of cards and answer with its PDF: the only place the codes ever exist."""
    n = c_domain.parse_count(count)
    base = public_base(request)
    made = local_time(utcnow())
    batch, pdf = c_domain.generate_cards(
        session=session, event=event, count=n,
        print_sheet=lambda batch, codes: cards_sheet.draw_in_child(sheet_spec(event=event, batch=batch, codes=codes, base=base, made=made)),
    )
    access.record(session=session, event_id=event.id, user=user, action="cards-generate",
                  detail=_("Satz {batch}: {n} Karten", batch=batch, n=n))
    flash(request, _("Satz {batch} mit {n} Karten erzeugt. Die Codes stehen nur in der heruntergeladenen PDF-Datei.", batch=batch, n=n),
          "success")
    filename = f"abstimmkarten-{event.join_code}-satz-{batch}.pdf"
    return Response(pdf, media_type="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store",
    })


@router.post("/moderator/events/{event_id}/cards/withdraw")
def withdraw_cards(event: DrivenEvent, request: Request, user: auth.PageUser, session: SessionDep, batch: Text = ""):
    """Withdraw a batch (a lost or stolen sheet): its cards stop working at once, on every phone."""
    number = c_domain.parse_batch(batch)
    voters = c_domain.withdraw_batch(session=session, event=event, batch=number)
    access.record(session=session, event_id=event.id, user=user, action="cards-withdraw",
                  detail=_("Satz {batch}: {n} Karten", batch=number, n=len(voters)))
    return _cards_changed(request, event, _("Satz {batch} ({n} Karten) ist zurückgezogen: Diese Karten gelten ab sofort nicht mehr.",
                                            batch=number, n=len(voters)), withdrawn=voters)
