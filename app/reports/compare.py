"""The same question across the events of a series, side by side.

Questions are linked by their `key`, which templates and duplicates carry over; two questions are never matched
by their wording. A question asked at one event only is listed as not comparable. Where the wording or the
options changed between events, the comparison says so and pools nothing: a pooled column ("gepoolt,
ungewichtet": all answers of all events counted together, each event weighted by its number of answers, not by
its population) exists only when every event asked the same kind with the same options.
"""

import datetime as dt
from dataclasses import dataclass

from sqlmodel import Session, col, select

from app.i18n import N_
from app.models import Event, Series
from app.reports.resultset import BASES, NO_ANSWERS, SMALL_N, EventResults, QuestionResult, Round, Row, event_results

POOLED_KINDS = ("single", "multiple", "yesno", "scale", "points", "ranking")


@dataclass(frozen=True, slots=True)
class Column:
    """One event's answer to a linked question: its final round."""

    event_id: int
    title: str
    place: str
    date: dt.date | None
    question_id: int
    text: str
    options: tuple[str, ...]
    result: Round
    rounds: int  # how many rounds the question had there (the column shows the last)


@dataclass(frozen=True, slots=True)
class Comparison:
    key: str
    text: str  # the wording at the first event
    kind: str
    topic: str
    columns: tuple[Column, ...]
    wording_changed: bool
    options_changed: bool  # or the kind
    pooled: Round | None  # None: not pooled (changed, or a kind that does not pool)

    @property
    def comparable(self) -> bool:
        return not (self.wording_changed or self.options_changed)


@dataclass(frozen=True, slots=True)
class NotComparable:
    event: str
    text: str
    reason: str  # msgid


@dataclass(frozen=True, slots=True)
class SeriesComparison:
    series_id: int
    title: str
    events: tuple[EventResults, ...]  # by date, undated last
    comparisons: tuple[Comparison, ...]
    not_comparable: tuple[NotComparable, ...]

    @property
    def single_event(self) -> bool:
        return len(self.events) < 2


ONLY_HERE = N_("nur bei dieser Veranstaltung gestellt (nicht aus der gemeinsamen Vorlage)")


def series_events(session: Session, series_id: int) -> list[Event]:
    """The series' events by date (undated last, then in the order they were made)."""
    return list(session.exec(
        select(Event).where(Event.series_id == series_id).order_by(col(Event.date).is_(None), col(Event.date), col(Event.id))
    ))


def _median(values: list[tuple[int, float]], n: int) -> float:
    """The median of a distribution given as (value, how often), lowest value first."""

    def at(position: int) -> int:
        seen = 0.0
        for value, count in values:
            seen += count
            if seen > position:
                return value
        return values[-1][0]

    return (at((n - 1) // 2) + at(n // 2)) / 2


def _pool(kind: str, rounds: list[Round]) -> Round:
    """All answers of the events counted together (see the module's docstring)."""
    n = sum(r.n for r in rounds)
    first = rounds[0].rows
    rows = []
    for i, row in enumerate(first):
        parts = [r.rows[i] for r in rounds]
        if kind == "points":
            total = sum(p.total or 0 for p in parts)
            avg = total / n if n else 0.0  # exact, as every number of a result set: rounded only when printed
            rows.append(Row(label=row.label, count=avg, percent=avg if n >= SMALL_N else None, total=total, option_id=row.option_id))
        elif kind == "ranking":
            weights = [(p.avg_rank, r.n) for p, r in zip(parts, rounds, strict=True) if p.avg_rank is not None]
            avg_rank = sum(a * w for a, w in weights) / sum(w for _a, w in weights) if weights else None
            rows.append(Row(label=row.label, count=sum(p.count for p in parts), percent=None, avg_rank=avg_rank, option_id=row.option_id))
        else:
            count = sum(p.count for p in parts)
            rows.append(Row(label=row.label, count=count, percent=100.0 * count / n if n >= SMALL_N else None,
                            abstention=row.abstention, option_id=row.option_id))
    if kind == "ranking":
        rows.sort(key=lambda r: -r.count)
    mean = median = None
    if kind == "scale" and n >= SMALL_N:
        values = [(int(r.label), r.count) for r in rows]
        mean = sum(v * c for v, c in values) / n
        median = _median(values, n)
    return Round(round=0, n=n, base_msg=BASES[kind] if n else NO_ANSWERS, rows=tuple(rows), mean=mean, median=median)


def _compare(key: str, found: list[tuple[EventResults, QuestionResult]]) -> Comparison:
    first = found[0][1]
    columns = tuple(
        Column(event_id=e.id, title=e.title, place=e.place, date=e.date, question_id=q.id, text=q.text, options=q.options,
               result=q.final, rounds=len(q.rounds))
        for e, q in found
    )
    wording = len({" ".join(q.text.split()).casefold() for _e, q in found}) > 1
    options = len({(q.kind, q.options, q.scale) for _e, q in found}) > 1
    pooled = None
    if not wording and not options and first.kind in POOLED_KINDS and any(c.result.n for c in columns):
        pooled = _pool(first.kind, [c.result for c in columns])
    return Comparison(key=key, text=first.text, kind=first.kind, topic=first.topic, columns=columns,
                      wording_changed=wording, options_changed=options, pooled=pooled)


def series_comparison(session: Session, series: Series, *, events: list[Event] | None = None, now: dt.datetime | None = None,
                      results: list[EventResults] | None = None) -> SeriesComparison:
    """Every linked question of the series compared, in the agenda order of the event that asked it first."""
    events = series_events(session, series.id) if events is None else events
    if results is None:  # made here unless the caller made them already (an export reads each event once)
        results = [event_results(session, event, now=now) for event in events]
    by_key: dict[str, list[tuple[EventResults, QuestionResult]]] = {}
    for er in results:
        for question in er.questions():
            by_key.setdefault(question.key, []).append((er, question))
    comparisons, lonely = [], []
    for key, found in by_key.items():
        if len(found) > 1:
            comparisons.append(_compare(key, found))
        elif len(results) > 1:
            lonely.append(NotComparable(event=found[0][0].title, text=found[0][1].text, reason=ONLY_HERE))
    return SeriesComparison(series_id=series.id, title=series.title, events=tuple(results), comparisons=tuple(comparisons),
                            not_comparable=tuple(lonely))
