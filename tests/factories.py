"""Plain factory functions for test data."""

import uuid

from sqlmodel import Session

from app import auth
from app.domain import events as e_domain
from app.domain import questions as q_domain
from app.domain import votes as v_domain
from app.models import Event, Question, User

MODERATOR = "moderatorin"
PASSWORD = "richtig-geheim-1"


def make_moderator(session: Session, username: str = MODERATOR, password: str = PASSWORD) -> User:
    return auth.create_user(session=session, username=username, password=password)


def make_event(session: Session, owner: User | None = None, title: str = "Regionalkonferenz Freiberg") -> Event:
    """An event with one topic holding a single- and a multiple-choice question."""
    event = e_domain.create_event(session=session, owner_id=owner.id if owner else None, title=title, place="Freiberg")
    topic = e_domain.add_topic(session=session, event_id=event.id, title="Mobilität")
    q_domain.create_question(
        session=session, topic=topic, text="Wie kommen Sie zur Arbeit?", kind="single", options=["Auto", "Bus", "Rad"]
    )
    q_domain.create_question(
        session=session,
        topic=topic,
        text="Was fehlt im Nahverkehr?",
        kind="multiple",
        options=["Takt", "Abendfahrten", "Preise", "Anschlüsse"],
        max_choices=2,
    )
    return event


def questions_of(session: Session, event: Event) -> list[Question]:
    return q_domain.ordered_questions(session=session, event_id=event.id)


def option_ids(session: Session, question: Question) -> list[int]:
    return [o.id for o in q_domain.options_of(session=session, question_id=question.id)]


def add_votes(session: Session, question: Question, answers: list, round: int = 1, moderation: str = "") -> None:
    """One vote per answer, each from a device of its own, written as the demo data is (no writer, no socket)."""
    rows = [v_domain.VoteRow(question_id=question.id, event_id=question.event_id, device_hash=uuid.uuid4().hex,
                             choices=a, vote_id=uuid.uuid4().hex, round=round, moderation=moderation) for a in answers]
    v_domain.insert_votes_directly(session=session, rows=rows)
