"""Series of events: who sees one, its events in date order with their size, renaming, moving an event in or out.

A series is visible to whoever may see at least one of its events (owner, co-moderator), to whoever created
it, and to admins. It may be renamed by its creator, by whoever may drive every one of its events, or by an
admin. Moving an event into a series (or out of it) needs the right to drive the event and to see the series.
"""

import datetime as dt
from dataclasses import dataclass

from sqlmodel import Session, col, func, or_, select

from app.domain.access import Forbidden, can_manage
from app.domain.errors import Invalid, NotFound
from app.domain.events import _clean
from app.domain.parsing import optional_int
from app.models import Event, EventModerator, Question, Series, Template, User, Vote

NO_SERIES = "none"  # the form value of "ohne Reihe"


@dataclass(frozen=True, slots=True)
class SeriesRow:
    """A series on the list page: how many events it holds and the dates they span."""

    series: Series
    events: int
    first_date: dt.date | None
    last_date: dt.date | None


@dataclass(frozen=True, slots=True)
class EventRow:
    """An event on its series' page: how many questions it asked and how many devices answered."""

    event: Event
    questions: int
    voters: int


def _visible_series_ids(user: User):
    """The ids of the series this (non-admin) user may see, as a subquery."""
    shared = select(EventModerator.event_id).where(EventModerator.user_id == user.id)
    through_events = select(Event.series_id).where(col(Event.series_id).is_not(None),
                                                   or_(Event.owner_id == user.id, col(Event.id).in_(shared)))
    return select(Series.id).where(or_(Series.owner_id == user.id, col(Series.id).in_(through_events)))


def visible_series(*, session: Session, user: User) -> list[Series]:
    """The series this user may see (an admin: all), by title."""
    stmt = select(Series).order_by(func.lower(Series.title), col(Series.id))
    if not user.is_admin:
        stmt = stmt.where(col(Series.id).in_(_visible_series_ids(user)))
    return list(session.exec(stmt))


def series_overview(*, session: Session, user: User) -> list[SeriesRow]:
    """The visible series with their number of events and date span: the latest series first, empty ones last."""
    series = visible_series(session=session, user=user)
    stats = {
        sid: (n, first, last)
        for sid, n, first, last in session.exec(
            select(Event.series_id, func.count(col(Event.id)), func.min(Event.date), func.max(Event.date))
            .where(col(Event.series_id).in_([s.id for s in series]))
            .group_by(col(Event.series_id))
        )
    }
    rows = [SeriesRow(s, *stats.get(s.id, (0, None, None))) for s in series]
    return sorted(rows, key=lambda r: (r.last_date is None, -(r.last_date.toordinal() if r.last_date else 0)))


def may_see(*, session: Session, user: User, series: Series) -> bool:
    if user.is_admin or series.owner_id == user.id:
        return True
    return session.exec(_visible_series_ids(user).where(Series.id == series.id)).first() is not None


def series_for(*, session: Session, user: User, series_id: int) -> Series:
    """The series, if this user may see it; 404 if there is none, 403 if it is someone else's."""
    series = session.get(Series, series_id)
    if series is None:
        raise NotFound("series_not_found", "Diese Reihe gibt es nicht.")
    if not may_see(session=session, user=user, series=series):
        raise Forbidden("not_your_series", "Diese Reihe gehört jemand anderem. Bitten Sie deren Moderation, Sie hinzuzufügen.")
    return series


def events_of(*, session: Session, series_id: int) -> list[Event]:
    """The series' events by date, undated last."""
    return list(session.exec(
        select(Event).where(Event.series_id == series_id)
        .order_by(col(Event.date).is_(None), col(Event.date), col(Event.id))
    ))


def may_rename(*, session: Session, user: User, series: Series) -> bool:
    """Its creator, an admin, or whoever may drive every one of its (at least one) events."""
    if user.is_admin or series.owner_id == user.id:
        return True
    events = events_of(session=session, series_id=series.id)
    return bool(events) and all(can_manage(session=session, user=user, event=e) for e in events)


def create_series(*, session: Session, user: User, title: str) -> Series:
    series = Series(title=_clean(title, field="Titel", max_len=200), owner_id=user.id)
    session.add(series)
    session.commit()
    return series


def rename_series(*, session: Session, user: User, series: Series, title: str) -> Series:
    if not may_rename(session=session, user=user, series=series):
        raise Forbidden("rename_not_allowed", "Umbenennen darf nur, wer die Reihe angelegt hat, wer alle ihre Veranstaltungen "
                                              "moderiert, oder ein Admin.")
    series.title = _clean(title, field="Titel", max_len=200)
    session.add(series)
    session.commit()
    return series


def event_rows(*, session: Session, series: Series) -> list[EventRow]:
    """The series' events in date order (undated last) with their number of questions and of voting devices."""
    events = events_of(session=session, series_id=series.id)
    ids = [e.id for e in events]
    questions = dict(session.exec(
        select(Question.event_id, func.count(col(Question.id))).where(col(Question.event_id).in_(ids)).group_by(col(Question.event_id))
    ).all())
    voters = dict(session.exec(
        select(Question.event_id, func.count(func.distinct(Vote.device_hash)))
        .join(Vote, col(Vote.question_id) == Question.id)
        .where(col(Question.event_id).in_(ids)).group_by(col(Question.event_id))
    ).all())
    return [EventRow(e, questions.get(e.id, 0), voters.get(e.id, 0)) for e in events]


def templates_of(*, session: Session, series: Series) -> list[Template]:
    return list(session.exec(select(Template).where(Template.series_id == series.id)
                             .order_by(col(Template.created_at).desc(), col(Template.id).desc())))


def move_event(*, session: Session, user: User, event: Event, series_id: object) -> Series | None:
    """Put the event into a series the user may see, or (NO_SERIES) take it out of its series."""
    raw = str(series_id or "").strip()
    if not raw:
        raise Invalid("no_series", "Bitte wählen Sie eine Reihe oder „ohne Reihe“.")
    target = None
    if raw != NO_SERIES:
        target = series_for(session=session, user=user, series_id=optional_int(raw, field="Reihe") or 0)
    event.series_id = target.id if target else None
    session.add(event)
    session.commit()
    return target


def move_detail(*, session: Session, event: Event) -> str:
    """The audit detail before a move: where the event was."""
    current = session.get(Series, event.series_id) if event.series_id else None
    return current.title if current else "ohne Reihe"
