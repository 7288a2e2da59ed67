"""Questions and their options: editing, and driving an event (open, close, reveal, next)."""

import datetime as dt
import json
import time
from dataclasses import dataclass
from typing import Any

from sqlalchemy import update
from sqlmodel import Session, col, delete, func, select

from app.domain.errors import Conflict, Invalid, NotFound
from app.domain.kinds import KINDS_WITH_OPTIONS, TIME_LIMIT_MAX, TIME_LIMIT_MIN, clean_spec
from app.domain.kinds.wordcloud import clean_term, term_key
from app.domain.events import _clean, agenda, get_event, get_topic, swap_neighbour
from app.models import (
    Event,
    Moderation,
    Option,
    PhoneResults,
    ProjectorMode,
    Question,
    QuestionKind,
    QuestionStatus,
    ResultArchive,
    Topic,
    Vote,
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
    max_selections: int
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
    def from_public(cls, question: dict, event_id: int) -> "LiveQuestion":
        scale = question.get("scale") or {}
        closes_at = question.get("closes_at")
        return cls(
            id=question["id"],
            event_id=event_id,
            status=question["status"],
            max_selections=question["max_choices"],
            option_ids=frozenset(o["id"] for o in question["options"]),
            kind=question.get("kind", QuestionKind.single),
            round=question.get("round", 1),
            scale_min=scale.get("min", 1),
            scale_max=scale.get("max", 5),
            closes_at=closes_at / 1000 if closes_at else None,
        )


def get_question(*, session: Session, question_id: int, event_id: int | None = None) -> Question:
    question = session.get(Question, question_id)
    if question is None or (event_id is not None and question.event_id != event_id):
        raise NotFound("question_not_found", "Diese Frage gibt es nicht.")
    return question


def options_of(*, session: Session, question_id: int) -> list[Option]:
    return list(session.exec(select(Option).where(Option.question_id == question_id).order_by(Option.position, Option.id)))


def create_question(
    *,
    session: Session,
    topic: Topic,
    text: str,
    kind: str,
    options: list[str],
    max_choices: int | None = None,
    key: str | None = None,
    **settings: Any,
) -> Question:
    """Add a question at the end of a topic; `settings` are the other arguments of clean_spec."""
    text = _clean(text, field="Frage", max_len=500)
    fields, labels = clean_spec(kind=kind, options=options, max_choices=max_choices, **settings)
    last = session.exec(select(func.max(Question.position)).where(Question.topic_id == topic.id)).one()
    question = Question(event_id=topic.event_id, topic_id=topic.id, text=text, position=(last or 0) + 1, **fields)
    if key:
        question.key = key
    session.add(question)
    session.flush()
    for pos, label in enumerate(labels, start=1):
        session.add(Option(question_id=question.id, label=label, position=pos))
    session.commit()
    return question


def has_votes(*, session: Session, question_id: int) -> bool:
    return session.exec(select(Vote.id).where(Vote.question_id == question_id).limit(1)).first() is not None


def update_question(
    *,
    session: Session,
    question: Question,
    text: str,
    kind: str,
    options: list[str],
    max_choices: int | None,
    topic: Topic | None = None,
    **settings: Any,
) -> Question:
    """Edit a question; what its answers mean stays fixed once anyone has voted, so no vote changes meaning."""
    text = _clean(text, field="Frage", max_len=500)
    fields, labels = clean_spec(kind=kind, options=options, max_choices=max_choices, **settings)
    current = options_of(session=session, question_id=question.id)
    meaning = ("kind", "scale_min", "scale_max")
    if [o.label for o in current] != labels or any(fields[f] != getattr(question, f) for f in meaning):
        if has_votes(session=session, question_id=question.id):
            raise Conflict(
                "has_votes",
                "Zu dieser Frage gibt es schon Stimmen. Antwortmöglichkeiten und Fragetyp können nicht mehr geändert werden.",
            )
        if question.status == QuestionStatus.open:
            raise Conflict("question_open", "Die Frage ist gerade geöffnet. Schließen Sie sie vor dem Bearbeiten.")
        # Keep option ids where the label stays, so a re-ordered list keeps its rows.
        by_label = {o.label: o for o in current}
        keep = set()
        for pos, label in enumerate(labels, start=1):
            opt = by_label.get(label) or Option(question_id=question.id, label=label)
            opt.position = pos
            keep.add(label)
            session.add(opt)
        for o in current:
            if o.label not in keep:
                session.delete(o)
    question.text = text
    for name, value in fields.items():
        setattr(question, name, value)
    if topic is not None and topic.id != question.topic_id:
        if topic.event_id != question.event_id:
            raise NotFound("topic_not_found", "Dieses Thema gibt es nicht.")
        last = session.exec(select(func.max(Question.position)).where(Question.topic_id == topic.id)).one()
        question.topic_id = topic.id
        question.position = (last or 0) + 1
    session.add(question)
    session.commit()
    return question


def delete_question(*, session: Session, question: Question) -> None:
    """Delete a question with its options and votes; refused while it is open."""
    if question.status == QuestionStatus.open:
        raise Conflict("question_open", "Eine geöffnete Frage kann nicht gelöscht werden. Schließen Sie sie zuerst.")
    event = session.get(Event, question.event_id)
    if event is not None and event.current_question_id == question.id:
        event.current_question_id = None
        session.add(event)
    session.exec(delete(Vote).where(col(Vote.question_id) == question.id))
    session.exec(delete(ResultArchive).where(col(ResultArchive.question_id) == question.id))
    session.exec(delete(Option).where(col(Option.question_id) == question.id))
    session.delete(question)
    session.commit()


def move_question(*, session: Session, question: Question, direction: int) -> None:
    siblings = list(
        session.exec(select(Question).where(Question.topic_id == question.topic_id).order_by(Question.position, Question.id))
    )
    swap_neighbour(session=session, items=siblings, item=question, direction=direction)


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
    table = Question.__table__
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
        if result.rowcount:
            changed.append(event_id)
    session.commit()
    return changed


def close_question(*, session: Session, question: Question) -> Question:
    """Close voting; the question stays on screen with its final result."""
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
    question.results_shown = shown
    session.add(question)
    session.commit()
    return question


def set_phone_results(*, session: Session, question: Question, mode: object) -> Question:
    if mode not in set(PhoneResults):
        raise Invalid("bad_phone_results", "Unbekannte Einstellung für das Ergebnis auf den Handys.")
    question.phone_results = mode
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
    if mode not in set(ProjectorMode):
        raise Invalid("bad_projector_mode", "Unbekannte Ansicht für den Beamer.")
    if mode == ProjectorMode.topic:
        if topic_id is None:
            raise Invalid("no_topic", "Bitte wählen Sie ein Thema.")
        event.projector_topic_id = get_topic(session=session, topic_id=topic_id, event_id=event.id).id
    event.projector_mode = mode
    session.add(event)
    session.commit()
    return event


def hidden_terms_of(raw: str | None) -> dict[str, list[str]]:
    """The word cloud's review lists (Question.hidden_terms): `hide` (hidden by the moderator), `allow` (flagged,
    shown anyway)."""
    try:
        data = json.loads(raw or "[]")
    except ValueError:
        data = []
    if isinstance(data, list):  # the first form: only hidden terms
        data = {"hide": data, "allow": []}
    return {"hide": list(data.get("hide", [])), "allow": list(data.get("allow", []))}


def set_term_hidden(*, session: Session, question: Question, term: str, hidden: bool) -> Question:
    """Hide a word-cloud term from projector and phones, or show it (also a flagged one)."""
    if question.kind != QuestionKind.wordcloud:
        raise Invalid("not_wordcloud", "Diese Frage ist keine Wortwolke.")
    # Checked before anything is written: a control character (NUL above all, which PostgreSQL cannot store)
    # is no term anyone sees.
    if not all(ch.isprintable() or ch.isspace() for ch in term or ""):
        raise Invalid("bad_term", "Der Begriff enthält unzulässige Zeichen.")
    key = term_key(clean_term(term or ""))
    if not key or len(key) > 60:
        raise Invalid("no_term", "Bitte geben Sie einen Begriff an.")
    lists = hidden_terms_of(question.hidden_terms)
    hide, allow = set(lists["hide"]), set(lists["allow"])
    if hidden:
        hide.add(key)
        allow.discard(key)
    else:
        hide.discard(key)
        allow.add(key)
    question.hidden_terms = json.dumps({"hide": sorted(hide), "allow": sorted(allow)}, ensure_ascii=False)
    session.add(question)
    session.commit()
    return question


def set_moderation(*, session: Session, question: Question, answer_id: int, state: str) -> Vote:
    """Approve an open-text answer for the projector, reject it, or put it back in the queue."""
    if question.kind != QuestionKind.text:
        raise Invalid("not_text", "Diese Frage hat keine offenen Antworten.")
    if state not in set(Moderation):
        raise Invalid("bad_moderation", "Unbekannte Entscheidung.")
    vote = session.get(Vote, answer_id)
    if vote is None or vote.question_id != question.id:
        raise NotFound("answer_not_found", "Diese Antwort gibt es nicht (mehr).")
    vote.moderation = state
    session.add(vote)
    session.commit()
    return vote


def show_on_screen(*, session: Session, question: Question) -> Question:
    """Put a question (e.g. a closed one, to show its result again) on projector and phones without opening it."""
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


def ordered_questions(*, session: Session, event_id: int) -> list[Question]:
    return [q for _topic, qs in agenda(session=session, event_id=event_id) for q, _opts in qs]


def next_question(*, session: Session, event: Event) -> Question | None:
    """Close the current question and open the next in agenda order; at the end, show the join screen."""
    order = ordered_questions(session=session, event_id=event.id)
    ids = [q.id for q in order]
    start = ids.index(event.current_question_id) + 1 if event.current_question_id in ids else 0
    following = [q for q in order[start:] if q.status == QuestionStatus.draft] or order[start:]
    if not following:
        show_join_screen(session=session, event=event)
        return None
    return open_question(session=session, question=following[0])


