"""Driving an event: open, close, rounds, countdowns, what the projector shows, the next question.

Also `LiveQuestion`, the current question as the vote path holds it in memory.
"""

import datetime as dt
import time
from dataclasses import dataclass

from sqlalchemy import update
from sqlmodel import Session, select

from app.domain.errors import AlreadyDone, Conflict, Invalid
from app.domain.events import get_event, get_topic
from app.domain.kinds import KINDS_WITH_OPTIONS, TIME_LIMIT_MAX, TIME_LIMIT_MIN
from app.domain.questions import driven_questions, options_of
from app.domain.shapes import QuestionPublic
from app.models import (
    Event,
    PhoneResults,
    ProjectorMode,
    Question,
    QuestionKind,
    QuestionStatus,
    table_of,
    utcnow,
)

# A vote tapped just before the countdown ran out may arrive a moment after it: still counted.
TIMER_GRACE_S = 0.5


@dataclass(frozen=True, slots=True)
class LiveQuestion:
    """What the vote path needs to know about the current question, held in memory."""

    id: int
    event_id: int
    status: str
    max_choices: int
    option_ids: frozenset[int]
    kind: str = QuestionKind.single
    round: int = 1
    scale_min: int = 1
    scale_max: int = 5
    closes_at: float | None = None  # epoch seconds

    @property
    def is_open(self) -> bool:
        return self.status == QuestionStatus.open

    def accepting(self, now: float | None = None) -> bool:
        """Open, and its countdown (if any) not yet run out."""
        if not self.is_open:
            return False
        return self.closes_at is None or (now or time.time()) < self.closes_at + TIMER_GRACE_S

    @classmethod
    def from_public(cls, question: "QuestionPublic", event_id: int) -> "LiveQuestion":
        scale = question.get("scale")
        closes_at = question.get("closes_at")
        return cls(
            id=question["id"],
            event_id=event_id,
            status=question["status"],
            max_choices=question["max_choices"],
            option_ids=frozenset(o["id"] for o in question["options"]),
            kind=question.get("kind", QuestionKind.single),
            round=question.get("round", 1),
            scale_min=scale["min"] if scale else 1,
            scale_max=scale["max"] if scale else 5,
            closes_at=closes_at / 1000 if closes_at else None,
        )


def _not_segment(question: Question) -> None:
    """A segment question is asked when a phone joins, never on the agenda (domain.segments)."""
    if question.segment:
        raise Conflict("segment_question", "Eine Gruppenfrage wird nicht aufgerufen: Jedes Handy bekommt sie einmal beim Beitritt.")


def _close_open_questions(session: Session, event_id: int, except_id: int | None = None) -> None:
    for other in session.exec(
        select(Question).where(Question.event_id == event_id, Question.status == QuestionStatus.open)
    ):
        if other.id != except_id:
            other.status = QuestionStatus.closed
            other.closed_at = utcnow()
            other.closes_at = None
            session.add(other)


def open_question(*, session: Session, question: Question) -> Question:
    """Open a question for voting; any other open question of the event closes (one open at a time).

    The projector follows to the question; a prepared time limit starts the countdown.
    """
    _not_segment(question)
    event = get_event(session=session, event_id=question.event_id)
    low = KINDS_WITH_OPTIONS.get(question.kind, (0, 0))[0]
    if len(options_of(session=session, question_id=question.id)) < low:
        raise Invalid("too_few_options", "Eine Frage braucht mindestens {min} Antwortmöglichkeiten.", min=low)
    _close_open_questions(session, event.id, except_id=question.id)
    now = utcnow()
    question.status = QuestionStatus.open
    question.opened_at = question.opened_at or now
    question.closed_at = None
    question.closes_at = now + dt.timedelta(seconds=question.time_limit_s) if question.time_limit_s else None
    event.current_question_id = question.id
    event.projector_mode = ProjectorMode.question
    session.add_all([question, event])
    session.commit()
    return question


def open_voting(*, session: Session, question: Question) -> Question:
    """The moderator's "open": open_question, unless it is open already (another moderator was quicker)."""
    if question.status == QuestionStatus.open:
        raise AlreadyDone("already_open", "Die Abstimmung ist schon geöffnet.")
    return open_question(session=session, question=question)


def new_round(*, session: Session, question: Question) -> Question:
    """Open the question again as a new round: the earlier rounds' votes stay as they were, apart."""
    if question.status == QuestionStatus.open:
        raise Conflict("question_open", "Schließen Sie die Abstimmung, bevor Sie eine neue Runde starten.")
    if question.status == QuestionStatus.draft:
        raise Conflict("not_asked", "Diese Frage wurde noch nicht gestellt. Öffnen Sie sie zuerst.")
    question.round += 1
    question.compare_rounds = False
    question.devices_seen = None  # the plausibility count starts afresh with the round
    session.add(question)
    session.flush()
    return open_question(session=session, question=question)


def set_timer(*, session: Session, question: Question, seconds: int | None) -> Question:
    """Start (or restart) the countdown of an open question; None or 0 stops it."""
    if question.status != QuestionStatus.open:
        raise Conflict("not_open", "Die Frage ist nicht geöffnet.")
    if seconds:
        if not TIME_LIMIT_MIN <= seconds <= TIME_LIMIT_MAX:
            raise Invalid("bad_time_limit", "Das Zeitlimit muss zwischen {min} und {max} Sekunden liegen.", min=TIME_LIMIT_MIN, max=TIME_LIMIT_MAX)
        question.closes_at = utcnow() + dt.timedelta(seconds=seconds)
    else:
        question.closes_at = None
    session.add(question)
    session.commit()
    return question


def close_expired(*, session: Session) -> list[int]:
    """Close every open question whose countdown ran out; return the events that changed.

    Each close is a conditional update, so when several instances try at once only one wins and
    publishes.
    """
    now = utcnow()
    table = table_of(Question)
    due = session.execute(
        select(table.c.id, table.c.event_id).where(table.c.status == QuestionStatus.open, table.c.closes_at <= now)
    ).all()
    changed = []
    for question_id, event_id in due:
        result = session.execute(
            update(table)
            .where(table.c.id == question_id, table.c.status == QuestionStatus.open, table.c.closes_at <= now)
            .values(status=QuestionStatus.closed, closed_at=now, closes_at=None)
        )
        if result.rowcount:  # type: ignore[attr-defined]  # an UPDATE's CursorResult
            changed.append(event_id)
    session.commit()
    return changed


def close_question(*, session: Session, question: Question) -> Question:
    """Close voting; the question stays on screen with its final result."""
    if question.status == QuestionStatus.closed:  # by another moderator or the countdown, a moment earlier
        raise AlreadyDone("already_closed", "Die Abstimmung war schon geschlossen.")
    if question.status != QuestionStatus.open:
        raise Conflict("not_open", "Die Frage ist nicht geöffnet.")
    question.status = QuestionStatus.closed
    question.closed_at = utcnow()
    question.closes_at = None
    event = get_event(session=session, event_id=question.event_id)
    event.current_question_id = question.id
    session.add_all([question, event])
    session.commit()
    return question


def set_results_shown(*, session: Session, question: Question, shown: bool) -> Question:
    """Show or hide the result on the projector (the phones follow per phone_results)."""
    if question.results_shown == shown:
        if shown:
            raise AlreadyDone("already_shown", "Das Ergebnis wird schon angezeigt.")
        raise AlreadyDone("already_hidden", "Das Ergebnis ist schon ausgeblendet.")
    question.results_shown = shown
    session.add(question)
    session.commit()
    return question


def set_phone_results(*, session: Session, question: Question, mode: object) -> Question:
    if mode not in set(PhoneResults):
        raise Invalid("bad_phone_results", "Unbekannte Einstellung für das Ergebnis auf den Handys.")
    question.phone_results = PhoneResults(str(mode))
    session.add(question)
    session.commit()
    return question


def set_compare_rounds(*, session: Session, question: Question, on: bool) -> Question:
    if on and question.round < 2:
        raise Conflict("one_round", "Diese Frage hat erst eine Runde.")
    question.compare_rounds = on
    session.add(question)
    session.commit()
    return question


def set_projector(*, session: Session, event: Event, mode: object, topic_id: int | None = None) -> Event:
    """Switch the projector between the current question, a topic roll-up and the join screen."""
    if mode not in {ProjectorMode.question, ProjectorMode.topic, ProjectorMode.join}:  # breakdown: segments.show_breakdown
        raise Invalid("bad_projector_mode", "Unbekannte Ansicht für den Beamer.")
    if mode == ProjectorMode.topic:
        if topic_id is None:
            raise Invalid("no_topic", "Bitte wählen Sie ein Thema.")
        event.projector_topic_id = get_topic(session=session, topic_id=topic_id, event_id=event.id).id
    event.projector_mode = ProjectorMode(str(mode))
    session.add(event)
    session.commit()
    return event


def show_on_screen(*, session: Session, question: Question) -> Question:
    """Put a question (e.g. a closed one, to show its result again) on projector and phones without opening it."""
    _not_segment(question)
    event = get_event(session=session, event_id=question.event_id)
    if question.status != QuestionStatus.open:
        _close_open_questions(session, event.id)
    event.current_question_id = question.id
    event.projector_mode = ProjectorMode.question
    session.add(event)
    session.commit()
    return question


def show_join_screen(*, session: Session, event: Event) -> Event:
    """Close whatever is open and show the join screen."""
    _close_open_questions(session, event.id)
    event.current_question_id = None
    event.projector_mode = ProjectorMode.question
    session.add(event)
    session.commit()
    return event


def upcoming_question(*, session: Session, event: Event) -> Question | None:
    """The question "Nächste Frage" opens: the next prepared one after the current in agenda order, else the next one."""
    order = driven_questions(session=session, event_id=event.id)
    ids = [q.id for q in order]
    start = ids.index(event.current_question_id) + 1 if event.current_question_id in ids else 0
    following = [q for q in order[start:] if q.status == QuestionStatus.draft] or order[start:]
    return following[0] if following else None


def next_question(*, session: Session, event: Event, after: int | None = None) -> Question | None:
    """Close the current question and open the next in agenda order; at the end, show the join screen.

    `after`: the current question as the caller saw it (0: none). If it is no longer current, someone moved on
    meanwhile (two moderators pressing "next" at once): nothing happens, or a question would be skipped.
    None: not known (a caller that does not say), the next after whatever is current now.
    """
    if after is not None and (event.current_question_id or 0) != after:
        current = session.get(Question, event.current_question_id) if event.current_question_id else None
        if current is not None:
            raise AlreadyDone("already_moved_on", "Inzwischen wurde schon weitergeschaltet: Jetzt ist „{text}“ dran.", text=current.text)
        raise AlreadyDone("already_moved_on", "Inzwischen wurde schon weitergeschaltet: Der Beamer zeigt den Beitrittscode.")
    following = upcoming_question(session=session, event=event)
    if following is None:
        show_join_screen(session=session, event=event)
        return None
    return open_question(session=session, question=following)
