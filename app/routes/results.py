"""Results after the event, for its moderators only (never the projector, never the phones): an event's results
by agenda topic with every round, a series' roll-up and its linked questions, one linked question across the
events. Every number comes from app/reports; these routes only check who asks and render."""

from typing import Any

from fastapi import APIRouter, Request
from sqlmodel import Session

from app import auth
from app.db import SessionDep
from app.domain import access
from app.domain.errors import NotFound
from app.i18n import current_locale
from app.models import User
from app.pages import render
from app.reports import charts, compare, method, page_tables
from app.reports import formatting as fmt
from app.reports.compare import SeriesComparison
from app.reports.resultset import EventResults, event_results
from app.routes.deps import ViewedEvent
from app.routes.params import Id

router = APIRouter()
KEY_MAX = 64  # Question.key is 32 characters; anything longer is no key


def _common(user: User) -> dict[str, Any]:
    """What every results template needs besides its data: the user, the formatters, the table builders."""
    locale = current_locale.get()
    return {"user": user, "fmt": fmt, "tables": page_tables, "charts": charts, "locale_code": locale}


def _series(session: Session, user: User, series_id: int) -> SeriesComparison:
    series, _events = access.series_for_results(session=session, user=user, series_id=series_id)
    return compare.series_comparison(session, series)


def _voters(results: EventResults) -> int:
    """The largest n of any question of the event: how many took part at least (no identity is kept)."""
    return max((r.n for q in results.questions() for r in q.rounds), default=0)


@router.get("/moderator/events/{event_id}/results")
def event_results_page(request: Request, event: ViewedEvent, user: auth.PageUser, session: SessionDep):
    results = event_results(session, event)
    return render(request, "moderator/results.html", event=event, results=results,
                  note=method.method_note([results], current_locale.get()), **_common(user))


@router.get("/moderator/series/{series_id}/results")
def series_results_page(request: Request, series_id: Id, user: auth.PageUser, session: SessionDep):
    comparison = _series(session, user, series_id)
    voters = {e.id: _voters(e) for e in comparison.events}
    return render(request, "moderator/series_results.html", comparison=comparison, voters=voters,
                  note=method.method_note(comparison.events, current_locale.get()), **_common(user))


@router.get("/moderator/series/{series_id}/compare/{key}")
def compare_page(request: Request, series_id: Id, key: str, user: auth.PageUser, session: SessionDep):
    comparison = _series(session, user, series_id)
    found = next((c for c in comparison.comparisons if c.key == key), None) if len(key) <= KEY_MAX else None
    if found is None:
        raise NotFound("comparison_not_found", "Diese Reihe hat keine verknüpfte Frage mit diesem Schlüssel.")
    return render(request, "moderator/compare.html", comparison=comparison, item=found, **_common(user))
