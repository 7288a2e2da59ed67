"""An event's results as one immutable set: every question by agenda topic, every round, ready to show or write.

Built from the tallies of `domain.results.compute` (the database groups the answers; the kind modules hold the
rules per kind), so the results page, the exports and the report all print the same numbers. The percent base is
decided here, in `_rows`, and nowhere else:

- single, yes/no, scale: share of the people who answered the round (`n`); an abstention ("Enthaltung") is its
  own row, counted in `n`;
- multiple: share of the people who answered (several options each, so the shares add up to more than 100 %);
- ranking: Borda points (last place 0, each place above 1 more) and the average place; no shares;
- points: the average of the points every person gave (of 100, so it reads as a share too) and the sum;
- word cloud: share of the people who answered that named the term; hidden terms are left out and counted;
- open text: the approved answers and how many were not approved; no shares.

A round with fewer than `SMALL_N` answers shows counts only: no percentages, no means.
"""

import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, cast

from sqlmodel import Session, col, select

from app.domain import counts, kinds
from app.domain import results as r_domain
from app.domain.events import agenda
from app.domain.kinds.choice import YESNO_OPTIONS
from app.domain.review import term_review
from app.domain.shapes import QuestionPublic
from app.i18n import N_, translate
from app.models import Event, Question, QuestionStatus, Series, utcnow
from app.reports import formatting as fmt

SMALL_N = 5  # below: counts only, no percentages (nobody can be singled out by a share)
ABSTAIN = YESNO_OPTIONS[-1]  # "Enthaltung"


@dataclass(frozen=True, slots=True)
class Row:
    """One line of a result: an option, a scale value or a term."""

    label: str
    count: float  # people; ranking: Borda points; points: average points
    percent: float | None  # 0–100, unrounded; None: not shown (n < SMALL_N) or not a share (ranking, open text)
    abstention: bool = False
    avg_rank: float | None = None  # ranking: average place (1 = best)
    total: int | None = None  # points: all points given to it
    option_id: int | None = None
    # (#18) this row's count per source, ("phone", 30), ("hands", 12) …, when more than phones counted
    sources: tuple[tuple[str, int], ...] = ()


@dataclass(frozen=True, slots=True)
class Round:
    """One round of a question: who answered, on what base the shares are taken, the rows."""

    round: int
    n: int
    base_msg: str  # msgid with {n}; `base()` says it in words
    rows: tuple[Row, ...] = ()
    mean: float | None = None  # scale
    median: float | None = None  # scale
    texts: tuple[str, ...] = ()  # open text: the approved answers, newest first
    not_approved: int = 0  # open text: answers not approved (pending or rejected)
    hidden_terms: int = 0  # word cloud: terms the moderation hid
    merged_terms: tuple[tuple[str, str], ...] = ()  # word cloud: (term, the term it counts as) as the moderation merged them
    interim_at: dt.datetime | None = None  # still open: "Zwischenstand, Stand 19:42"
    archived: bool = False  # from the archive (the single answers were deleted after the retention period)
    # (#18) who answered, per source: (source, people, estimated), when more than phones counted
    sources: tuple[tuple[str, int, bool], ...] = ()

    @property
    def estimated(self) -> bool:
        return any(estimated for _source, _n, estimated in self.sources)

    def sources_text(self, locale: str = "de") -> str:
        """"Davon Handy 88, Handzeichen 5, Stimmzettel ca. 4 (ca. = geschätzt)."; "" with phones only."""
        if not self.sources:
            return ""
        approx = translate(N_("ca."), locale)
        parts = [f"{translate(counts.SOURCE_LABELS[s], locale)} {approx + ' ' if est else ''}{fmt.number(n)}" for s, n, est in self.sources]
        text = translate(N_("Davon {parts}."), locale, parts=", ".join(parts))
        return text + (" " + translate(N_("(ca. = geschätzt)"), locale) if self.estimated else "")

    @property
    def percents_shown(self) -> bool:
        return self.n >= SMALL_N

    def base(self, locale: str = "de") -> str:
        """The base of the shares in words: "Anteil an 87 Antworten"."""
        message = BASES_1.get(self.base_msg, self.base_msg) if self.n == 1 else self.base_msg
        return translate(message, locale, n=fmt.number(self.n))

    def leading(self) -> Row | None:
        """The answer given most (not an abstention); None without answers or on a tie for first place."""
        rows = [r for r in self.rows if not r.abstention and r.count > 0]
        if not rows:
            return None
        if self.rows and self.rows[0].avg_rank is not None:  # ranking: the rows are in Borda order
            return rows[0] if len(rows) < 2 or rows[0].count != rows[1].count else None
        best = max(r.count for r in rows)
        top = [r for r in rows if r.count == best]
        return top[0] if len(top) == 1 else None


@dataclass(frozen=True, slots=True)
class QuestionResult:
    """A question with its rounds (1 … its current round)."""

    id: int
    key: str
    text: str
    kind: str
    status: str
    topic: str
    options: tuple[str, ...]  # labels in order (none for scale, word cloud, open text)
    rounds: tuple[Round, ...]
    scale: tuple[int, int, str, str] | None = None  # min, max, label at min, label at max
    max_choices: int | None = None

    @property
    def asked(self) -> bool:
        return self.status != QuestionStatus.draft or any(r.n for r in self.rounds)

    @property
    def final(self) -> Round:
        """The last round: the result that counts."""
        return self.rounds[-1]


@dataclass(frozen=True, slots=True)
class TopicResult:
    id: int
    title: str
    questions: tuple[QuestionResult, ...]


@dataclass(frozen=True, slots=True)
class EventResults:
    """Everything an event's results pages, exports and report print."""

    id: int
    title: str
    place: str
    date: dt.date | None
    series_id: int | None
    series_title: str | None
    people_in_hall: int | None
    voting_cards: bool
    topics: tuple[TopicResult, ...]
    made_at: dt.datetime
    left_out: tuple[str, ...] = field(default=())  # question texts the person chose to leave out

    def questions(self) -> Iterator[QuestionResult]:
        for topic in self.topics:
            yield from topic.questions

    @property
    def interim(self) -> bool:
        return any(q.final.interim_at for q in self.questions())


BASES = {
    "single": N_("Anteil an {n} Antworten"),
    "yesno": N_("Anteil an {n} Antworten (Enthaltungen mitgezählt)"),
    "scale": N_("Anteil an {n} Antworten"),
    "multiple": N_("Mehrfachnennung: Prozent der {n} Abstimmenden"),
    "ranking": N_("Borda-Punkte von {n} Abstimmenden (letzter Platz 0 Punkte, jeder Platz darüber 1 mehr)"),
    "points": N_("Durchschnitt der Punkte von {n} Abstimmenden (je 100 Punkte)"),
    "wordcloud": N_("Anteil der {n} Abstimmenden, die den Begriff nannten"),
    "text": N_("{n} freie Antworten"),
}
# The bases above for one answer, where the plural would read wrong ("Anteil an 1 Antworten").
BASES_1 = {
    BASES["single"]: N_("Anteil an 1 Antwort"),
    BASES["yesno"]: N_("Anteil an 1 Antwort (Enthaltungen mitgezählt)"),
    BASES["text"]: N_("1 freie Antwort"),
}
NO_ANSWERS = N_("keine Antworten (n = {n})")


def _share(count: float, n: int) -> float | None:
    return 100.0 * count / n if n >= SMALL_N else None


def _rows(kind: str, question: dict[str, Any], result: dict[str, Any], n: int) -> tuple[Row, ...]:
    """The result's rows in reading order, with their shares (see the module's docstring)."""
    counts = result.get("counts") or {}
    labels = {str(o["id"]): o["label"] for o in question["options"]}
    parts = result.get("sources") or {}

    def by_source(key: str) -> tuple[tuple[str, int], ...]:
        return tuple((source, int((part.get("counts") or {}).get(key, 0))) for source, part in parts.items())

    if kind in ("single", "multiple", "yesno"):
        return tuple(
            Row(label=label, count=counts.get(oid, 0), percent=_share(counts.get(oid, 0), n),
                abstention=kind == "yesno" and label == ABSTAIN, option_id=int(oid), sources=by_source(oid))
            for oid, label in labels.items()
        )
    if kind == "scale":
        return tuple(Row(label=value, count=c, percent=_share(c, n), sources=by_source(value)) for value, c in counts.items())
    if kind == "ranking":
        avg = result.get("avg_rank") or {}
        order = [str(i) for i in result.get("order") or []] or list(labels)
        return tuple(Row(label=labels[oid], count=counts.get(oid, 0), percent=None, avg_rank=avg.get(oid), option_id=int(oid))
                     for oid in order if oid in labels)
    if kind == "points":
        totals = result.get("totals") or {}
        return tuple(
            Row(label=label, count=counts.get(oid, 0), percent=counts.get(oid, 0) if n >= SMALL_N else None,
                total=totals.get(oid, 0), option_id=int(oid))
            for oid, label in labels.items()
        )
    if kind == "wordcloud":
        return tuple(Row(label=t["label"], count=t["n"], percent=_share(t["n"], n)) for t in result.get("terms", []) if not t.get("hidden"))
    return ()


def round_result(kind: str, question: dict[str, Any], result: dict[str, Any], *, interim_at: dt.datetime | None) -> Round:
    """One round of the moderator's full result (domain.results) as rows with their base."""
    n = int(result.get("voters") or 0)
    texts: tuple[str, ...] = ()
    not_approved = hidden = 0
    if kind == "text":
        answers = result.get("answers") or []
        texts = tuple(a["text"] for a in answers if a.get("status", "approved") == "approved")
        counts = result.get("counts") or {}
        not_approved = int(counts.get("pending", 0)) + int(counts.get("rejected", 0))
    merged: tuple[tuple[str, str], ...] = ()
    if kind == "wordcloud":
        hidden = sum(1 for t in result.get("terms", []) if t.get("hidden"))
        merged = tuple((m["from_label"], m["into_label"]) for m in result.get("merges") or [])
    small = n < SMALL_N
    return Round(
        round=int(result.get("round") or 1), n=n, base_msg=BASES[kind] if n else NO_ANSWERS,
        rows=_rows(kind, question, result, n),
        mean=None if small else result.get("mean"), median=None if small else result.get("median"),
        texts=texts, not_approved=max(not_approved, 0), hidden_terms=hidden, merged_terms=merged, interim_at=interim_at,
        archived=bool(result.get("archived")),
        sources=tuple((source, int(part.get("voters") or 0), bool(part.get("estimated")))
                      for source, part in (result.get("sources") or {}).items()),
    )


def question_result(session: Session, question: Question, public: dict[str, Any], *, now: dt.datetime) -> QuestionResult:
    """A question's rounds: each computed by domain.results, the current one stamped if still open."""
    rounds = []
    for number in range(1, question.round + 1):
        result: dict[str, Any] = dict(r_domain.compute(session, cast(QuestionPublic, public), round=number, review=term_review(question)))
        still_open = question.status == QuestionStatus.open and number == question.round
        rounds.append(round_result(question.kind, public, result, interim_at=now if still_open else None))
    scale = public.get("scale")
    return QuestionResult(
        id=question.id, key=question.key, text=question.text, kind=question.kind, status=question.status,
        topic=public["topic"], options=tuple(o["label"] for o in public["options"]), rounds=tuple(rounds),
        scale=(scale["min"], scale["max"], scale["label_min"], scale["label_max"]) if scale else None,
        max_choices=question.max_choices,
    )


def event_results(session: Session, event: Event, *, now: dt.datetime | None = None,
                  leave_out: frozenset[int] = frozenset(), on_question: Callable[[], None] | None = None) -> EventResults:
    """The event's results by agenda topic; questions in `leave_out` are named in `left_out`, not shown.
    `on_question` is called after each question (the progress of a long export)."""
    now = now or utcnow()
    topics, left_out = [], []
    for topic, items in agenda(session=session, event_id=event.id):
        questions = []
        for question, opts in items:
            if question.id in leave_out:
                left_out.append(question.text)
                continue
            public = dict(kinds.question_public(session=session, question=question, opts=opts, topic=topic))
            questions.append(question_result(session, question, public, now=now))
            if on_question is not None:
                on_question()
        topics.append(TopicResult(id=topic.id, title=topic.title, questions=tuple(questions)))
    series = session.get(Series, event.series_id) if event.series_id else None
    return EventResults(
        id=event.id, title=event.title, place=event.place, date=event.date, series_id=event.series_id,
        series_title=series.title if series else None, people_in_hall=event.people_in_hall,
        voting_cards=event.voting_cards, topics=tuple(topics),
        made_at=now, left_out=tuple(left_out),
    )


def question_count(session: Session, event_ids: list[int]) -> int:
    """How many questions the events have (the progress of a long export counts them)."""
    return len(list(session.exec(select(Question.id).where(col(Question.event_id).in_(event_ids)))))
