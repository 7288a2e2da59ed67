"""Questions and their options: create, edit, move, delete, list in agenda order.

Driving them during the evening is `domain/live.py`; reviewing answers is `domain/review.py`."""

from typing import Any

from sqlmodel import Session, col, delete, func, select

from app.domain.errors import Conflict, Invalid, NotFound
from app.domain.events import _clean, agenda, swap_neighbour
from app.domain.kinds import clean_spec
from app.models import (
    BallotToken,
    Event,
    ManualCount,
    Option,
    Question,
    QuestionKind,
    QuestionStatus,
    ResultArchive,
    Topic,
    Vote,
)


def get_question(*, session: Session, question_id: int, event_id: int | None = None) -> Question:
    question = session.get(Question, question_id)
    if question is None or (event_id is not None and question.event_id != event_id):
        raise NotFound("question_not_found", "Diese Frage gibt es nicht.")
    return question


def options_of(*, session: Session, question_id: int) -> list[Option]:
    return list(session.exec(select(Option).where(Option.question_id == question_id).order_by(col(Option.position), col(Option.id))))


def create_question(
    *,
    session: Session,
    topic: Topic,
    text: str,
    kind: str,
    options: list[str],
    max_choices: int | None = None,
    key: str | None = None,
    segment: bool = False,
    **settings: Any,
) -> Question:
    """Add a question at the end of a topic; `settings` are the other arguments of clean_spec.

    `segment`: a segment question ("Ich bin hier als …", domain.segments), single choice only.
    """
    text = _clean(text, field="Frage", max_len=500)
    fields, labels = clean_spec(kind=kind, options=options, max_choices=max_choices, **settings)
    _check_segment(kind, segment)
    last = session.exec(select(func.max(Question.position)).where(Question.topic_id == topic.id)).one()
    question = Question(event_id=topic.event_id, topic_id=topic.id, text=text, position=(last or 0) + 1, segment=segment, **fields)
    if key:
        question.key = key
    session.add(question)
    session.flush()
    for pos, label in enumerate(labels, start=1):
        session.add(Option(question_id=question.id, label=label, position=pos))
    session.commit()
    return question


def _check_segment(kind: str, segment: bool) -> None:
    if segment and kind != QuestionKind.single:
        raise Invalid("segment_kind", "Eine Gruppenfrage ist eine Einfachauswahl: Jede Person gehört zu einer Gruppe.")


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
    segment: bool | None = None,
    **settings: Any,
) -> Question:
    """Edit a question; what its answers mean stays fixed once anyone has voted, so no vote changes meaning.

    `segment` None keeps whether it is a segment question.
    """
    text = _clean(text, field="Frage", max_len=500)
    fields, labels = clean_spec(kind=kind, options=options, max_choices=max_choices, **settings)
    segment = question.segment if segment is None else segment
    _check_segment(kind, segment)
    if segment and question.status != QuestionStatus.draft:
        raise Conflict("segment_asked", "Diese Frage wurde schon gestellt und kann keine Gruppenfrage mehr werden.")
    fields["segment"] = segment
    current = options_of(session=session, question_id=question.id)
    meaning = ("kind", "scale_min", "scale_max", "segment")
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
    # (#18) its hand counts and tablet ballots go with it
    session.exec(delete(ManualCount).where(col(ManualCount.question_id) == question.id))
    session.exec(delete(BallotToken).where(col(BallotToken.question_id) == question.id))
    session.delete(question)
    session.commit()


def move_question(*, session: Session, question: Question, direction: int) -> None:
    siblings = list(
        session.exec(select(Question).where(Question.topic_id == question.topic_id).order_by(col(Question.position), col(Question.id)))
    )
    swap_neighbour(session=session, items=siblings, item=question, direction=direction)


def ordered_questions(*, session: Session, event_id: int) -> list[Question]:
    return [q for _topic, qs in agenda(session=session, event_id=event_id) for q, _opts in qs]


def driven_questions(*, session: Session, event_id: int) -> list[Question]:
    """The questions the evening goes through in agenda order: every one but the segment questions."""
    return [q for q in ordered_questions(session=session, event_id=event_id) if not q.segment]
