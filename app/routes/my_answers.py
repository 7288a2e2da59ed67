""""Meine Antworten" (#17, "Sie und der Saal"): on the phone that answered, its own answers beside the hall's result
for every closed and published question of the event. Read with this device's cookie (or its voting card) only,
never stored or shown anywhere else, never cached by anyone (`no-store`); without published questions a friendly
explanation. The hall's numbers are the public page's, from the one result set."""

import time
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlmodel import Session

from app.config import settings
from app.cookies import DEVICE_COOKIE, read_device_cookie
from app.db import SessionDep, new_session
from app.domain import cards as c_domain
from app.domain import events as e_domain
from app.domain import publication as p_domain
from app.domain import questions as q_domain
from app.domain import votes as v_domain
from app.domain.errors import DomainError, NotFound
from app.i18n import _, current_locale
from app.models import Event
from app.pages import render
from app.reports import charts, page_tables, public
from app.reports import formatting as fmt
from app.reports.resultset import QuestionResult
from app.routes import cards as card_routes
from app.routes import public as public_routes

router = APIRouter()

# Event id → (until when, whether the phone page links "Meine Antworten"): asked at most every few seconds per
# event, so a hall of phones joining at once costs no extra query each. Publishing on this instance forgets the
# answer at once; another instance shows or drops the link within the few seconds.
LINK_TTL_S = 5.0
_link_seen: dict[int, tuple[float, bool]] = {}


def shows_link(event_id: int) -> bool:
    """Whether the phone page links "Meine Antworten": once the event's page is out with a question on it."""
    now = time.monotonic()
    known = _link_seen.get(event_id)
    if known is not None and known[0] > now:
        return known[1]
    with new_session() as session:
        shown = p_domain.has_published_questions(session=session, event_id=event_id)
    if len(_link_seen) > 10_000:
        _link_seen.clear()
    _link_seen[event_id] = (now + LINK_TTL_S, shown)
    return shown


def forget_link(event_id: int) -> None:
    """The event's publication changed: the next phone page asks again."""
    _link_seen.pop(event_id, None)


def forget_all_links() -> None:
    _link_seen.clear()


def _voter(request: Request, session: Session, event: Event) -> str | None:
    """Who this phone voted as at this event: its voting card, else its device; None if it never joined."""
    code = card_routes.code_from_cookie(event.id, request.cookies.get(card_routes.cookie_name(event.id)))
    if code is not None:
        try:
            return c_domain.check_card(session=session, event_id=event.id, raw=code)
        except DomainError:
            pass
    device = read_device_cookie(request.cookies.get(DEVICE_COOKIE))
    if device is None or not device.admitted(event.id):
        return None
    return v_domain.voter_hash(event.id, device.id, settings.secret_key)


def answer_text(kind: str, labels: dict[int, str], stored: Any) -> str:
    """A stored answer in words: "Bus, Rad", "4", "1. Takt, 2. Preise", "Takt: 60, Preise: 40", the text."""
    if stored is None:
        return ""
    if kind == "text":
        return str(stored)
    if kind == "wordcloud":
        return ", ".join(str(t) for t in stored)
    if kind == "scale":
        return ", ".join(str(v) for v in stored)
    if kind == "points":
        return ", ".join(f"{labels.get(int(k), k)}: {fmt.number(v)}" for k, v in dict(stored).items() if v)
    if kind == "ranking":
        return ", ".join(f"{place}. {labels.get(int(i), i)}" for place, i in enumerate(stored, start=1))
    return ", ".join(labels.get(int(i), str(i)) for i in stored)


def _mine(session: Session, question: QuestionResult, voter: str) -> list[tuple[int, str]]:
    """This voter's answer in each round of the question (rounds it did not answer left out)."""
    labels = {o.id: o.label for o in q_domain.options_of(session=session, question_id=question.id)}
    out = []
    for r in question.rounds:
        stored = v_domain.device_choices(session=session, question_id=question.id, device=voter, round=r.round)
        if stored is not None:
            out.append((r.round, answer_text(question.kind, labels, stored)))
    return out


@router.get("/j/{code}/meine-antworten")
def my_answers(request: Request, code: str, session: SessionDep):
    try:
        event = e_domain.get_by_code(session=session, code=code)
    except NotFound as exc:
        return render(request, "start.html", status_code=404, code=code[:20], error=_(exc.message, **exc.params))
    published = p_domain.has_published_questions(session=session, event_id=event.id)
    voter = _voter(request, session, event)
    results, mine, page = None, {}, None
    if published:
        publication = p_domain.publication_for(session=session, event_id=event.id)
        results = public.public_results(session, event, publication)
        if voter is not None:
            mine = {q.id: _mine(session, q, voter) for q in results.questions()}
        page = public_routes.event_url(publication.slug) if publication else None
    response = render(request, "my_answers.html", event=event, results=results, mine=mine, joined=voter is not None, page=page,
                      fmt=fmt, tables=page_tables, charts=charts, locale_code=current_locale.get(), csrf_token="", flashes=[])
    return _private(response)


def _private(response: Response) -> Response:
    """Nothing of this page is kept by a browser cache or a proxy, nor found by a search engine."""
    response.headers["Cache-Control"] = "no-store, private"
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    return response


def link_shown(*, session: Session, event_id: int) -> bool:
    """Whether the phone page offers "Meine Antworten"."""
    return p_domain.has_published_questions(session=session, event_id=event_id)

