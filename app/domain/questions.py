"""Questions and their options: editing, and driving an event (open, close, reveal, next)."""

from dataclasses import dataclass

from sqlmodel import Session, col, delete, func, select

from app.domain.errors import Conflict, Invalid, NotFound
from app.domain.events import _clean, agenda, get_event, swap_neighbour
from app.models import Event, Option, Question, QuestionKind, QuestionStatus, Topic, Vote, utcnow

MIN_OPTIONS = 2
MAX_OPTIONS = 10


@dataclass(frozen=True, slots=True)
class LiveQuestion:
    """What the vote path needs to know about the current question, held in memory."""

    id: int
    event_id: int
    status: str
    max_selections: int
    option_ids: frozenset[int]

    @property
    def is_open(self) -> bool:
        return self.status == QuestionStatus.open

    @classmethod
    def from_public(cls, question: dict, event_id: int) -> "LiveQuestion":
        return cls(
            id=question["id"],
            event_id=event_id,
            status=question["status"],
            max_selections=question["max_choices"],
            option_ids=frozenset(o["id"] for o in question["options"]),
        )


def _clean_options(labels: list[str]) -> list[str]:
    cleaned = [" ".join(label.split()) for label in labels]
    cleaned = [label for label in cleaned if label]
    if len(cleaned) < MIN_OPTIONS:
        raise Invalid("too_few_options", "Eine Frage braucht mindestens {min} Antwortmöglichkeiten.", min=MIN_OPTIONS)
    if len(cleaned) > MAX_OPTIONS:
        raise Invalid("too_many_options", "Eine Frage darf höchstens {max} Antwortmöglichkeiten haben.", max=MAX_OPTIONS)
    for label in cleaned:
        if len(label) > 200:
            raise Invalid("option_too_long", "Eine Antwortmöglichkeit darf höchstens 200 Zeichen lang sein.")
    if len({label.casefold() for label in cleaned}) != len(cleaned):
        raise Invalid("duplicate_option", "Jede Antwortmöglichkeit darf nur einmal vorkommen.")
    return cleaned


def _clean_kind(kind: str, max_choices: int | None, n_options: int) -> tuple[str, int | None]:
    if kind not in (QuestionKind.single, QuestionKind.multiple):
        raise Invalid("bad_kind", "Unbekannter Fragetyp.")
    if kind == QuestionKind.single:
        return kind, None
    if max_choices is not None and not 1 <= max_choices <= n_options:
        raise Invalid(
            "bad_max_choices",
            "Die Höchstzahl der Auswahl muss zwischen 1 und {n} liegen.",
            n=n_options,
        )
    return kind, max_choices


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
) -> Question:
    """Add a question with 2–10 options at the end of a topic."""
    text = _clean(text, field="Frage", max_len=500)
    labels = _clean_options(options)
    kind, max_choices = _clean_kind(kind, max_choices, len(labels))
    last = session.exec(select(func.max(Question.position)).where(Question.topic_id == topic.id)).one()
    question = Question(
        event_id=topic.event_id, topic_id=topic.id, text=text, kind=kind, max_choices=max_choices, position=(last or 0) + 1
    )
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
) -> Question:
    """Edit a question; its options stay fixed once anyone has voted, so no vote changes meaning."""
    text = _clean(text, field="Frage", max_len=500)
    labels = _clean_options(options)
    kind, max_choices = _clean_kind(kind, max_choices, len(labels))
    current = options_of(session=session, question_id=question.id)
    if [o.label for o in current] != labels or kind != question.kind:
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
    question.kind = kind
    question.max_choices = max_choices
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
            session.add(other)


def open_question(*, session: Session, question: Question) -> Question:
    """Open a question for voting; any other open question of the event closes (one open at a time)."""
    event = get_event(session=session, event_id=question.event_id)
    if len(options_of(session=session, question_id=question.id)) < MIN_OPTIONS:
        raise Invalid("too_few_options", "Eine Frage braucht mindestens {min} Antwortmöglichkeiten.", min=MIN_OPTIONS)
    _close_open_questions(session, event.id, except_id=question.id)
    question.status = QuestionStatus.open
    question.opened_at = question.opened_at or utcnow()
    question.closed_at = None
    event.current_question_id = question.id
    session.add_all([question, event])
    session.commit()
    return question


def close_question(*, session: Session, question: Question) -> Question:
    """Close voting; the question stays on screen with its final result."""
    if question.status != QuestionStatus.open:
        raise Conflict("not_open", "Die Frage ist nicht geöffnet.")
    question.status = QuestionStatus.closed
    question.closed_at = utcnow()
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


def show_on_screen(*, session: Session, question: Question) -> Question:
    """Put a question (e.g. a closed one, to show its result again) on projector and phones without opening it."""
    event = get_event(session=session, event_id=question.event_id)
    if question.status != QuestionStatus.open:
        _close_open_questions(session, event.id)
    event.current_question_id = question.id
    session.add(event)
    session.commit()
    return question


def show_join_screen(*, session: Session, event: Event) -> Event:
    """Close whatever is open and show the join screen."""
    _close_open_questions(session, event.id)
    event.current_question_id = None
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


def question_public(*, session: Session, question: Question, opts: list[Option] | None = None) -> dict:
    """The question as phones and projector see it; `max_choices` is how many may be chosen."""
    topic = session.get(Topic, question.topic_id)
    limit = 1 if question.kind == QuestionKind.single else None
    opts = options_of(session=session, question_id=question.id) if opts is None else opts
    return {
        "id": question.id,
        "text": question.text,
        "kind": question.kind,
        "max_choices": limit or question.max_choices or len(opts),
        "status": question.status,
        "results_shown": question.results_shown,
        "topic": topic.title if topic else "",
        "options": [{"id": o.id, "label": o.label} for o in opts],
    }


# What a moderator can do to one question, by the name used in URLs and the JSON API.
QUESTION_ACTIONS = {
    "open": lambda session, q: open_question(session=session, question=q),
    "close": lambda session, q: close_question(session=session, question=q),
    "show": lambda session, q: show_on_screen(session=session, question=q),
    "show-results": lambda session, q: set_results_shown(session=session, question=q, shown=True),
    "hide-results": lambda session, q: set_results_shown(session=session, question=q, shown=False),
    "move-up": lambda session, q: move_question(session=session, question=q, direction=-1),
    "move-down": lambda session, q: move_question(session=session, question=q, direction=1),
    "delete": lambda session, q: delete_question(session=session, question=q),
}
