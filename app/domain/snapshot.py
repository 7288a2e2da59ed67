"""The current state of an event, built once from the database and shared by every socket and instance."""

import time
from typing import Any

from sqlalchemy import text
from sqlmodel import Session, col, select

from app.domain import counts, plausibility
from app.domain import events as e_domain
from app.domain import questions as q_domain
from app.domain import results as r_domain
from app.domain import segments as s_domain
from app.domain.errors import DomainError
from app.domain.kinds import question_public
from app.domain.live import LiveQuestion
from app.domain.review import term_review
from app.domain.shapes import QuestionPublic, Results, RoleViews, RoundResults, State, TopicItem, TopicView
from app.models import Event, ProjectorMode, Question, QuestionStatus, Topic


def _topic_view(session: Session, event: Event) -> TopicView | None:
    """Every question of the projector's topic with its results: the roll-up at a glance."""
    topic = session.get(Topic, event.projector_topic_id) if event.projector_topic_id else None
    if topic is None or topic.event_id != event.id:
        return None
    items: list[TopicItem] = []
    for row in session.exec(select(Question).where(Question.topic_id == topic.id).order_by(col(Question.position), col(Question.id))):
        question = question_public(session=session, question=row, topic=topic)
        results = None if row.status == QuestionStatus.draft else r_domain.compute(session, question, review=term_review(row))
        items.append({"question": question, "results": results})
    return {"topic": {"id": topic.id or 0, "title": topic.title}, "items": items}


def _clock_ns(session: Session) -> int:
    if session.get_bind().dialect.name == "postgresql":
        return int(session.execute(text("SELECT (extract(epoch FROM clock_timestamp()) * 1000000)::bigint")).scalar_one()) * 1000
    return time.time_ns()


def snapshot(*, session: Session, event: Event) -> State:
    """Phase, current question and its full results, as the moderator sees it.

    `version` orders snapshots: one taken later (after a later commit) never loses to an older one. It is
    read before the data, from the database's clock where there is one, so instances on hosts whose
    clocks disagree still agree on the order.
    `screen` is what the projector shows: the join code, the question, or a topic roll-up.
    """
    version = _clock_ns(session)
    question: QuestionPublic | None = None
    results: Results | None = None
    rounds: list[RoundResults] = []
    row = session.get(Question, event.current_question_id) if event.current_question_id else None
    if row is not None:
        opts = q_domain.options_of(session=session, question_id=row.id)
        question = question_public(session=session, question=row, opts=opts)
        results = r_domain.compute(session, question, review=term_review(row))
        rounds = [
            {"round": r, "results": r_domain.compute(session, question, round=r, review=term_review(row))}
            for r in range(1, row.round)
        ]
    check = plausibility.check(
        voters=results["voters"] if results else 0,
        devices_seen=row.devices_seen if row is not None else None,
        people_in_hall=event.people_in_hall,
    )
    phase = "join" if row is None else ("open" if row.status == QuestionStatus.open else "closed")
    topic_view = _topic_view(session, event) if event.projector_mode == ProjectorMode.topic else None
    breakdown = _breakdown(session, event, row)
    if event.projector_mode == ProjectorMode.join:
        screen = "join"
    elif breakdown is not None:
        screen = "breakdown"
    elif topic_view is not None:
        screen = "topic"
    else:
        screen = "join" if row is None else "question"
    return {
        "type": "state",
        "version": version,
        "event": {"id": event.id, "title": event.title, "place": event.place, "join_code": event.join_code},
        "phase": phase,
        "screen": screen,
        "question": question,
        "results": results,
        "rounds": rounds,
        "topic_view": topic_view,
        "topics": [{"id": t.id, "title": t.title} for t in e_domain.topics(session=session, event_id=event.id)],
        "agenda": e_domain.agenda_digest(session=session, event_id=event.id),
        # Moderator only: voters against devices seen and people in the hall (domain.plausibility).
        "check": check,
        # "hands" or "paper" while the closed current question is being counted (domain.counts), else "".
        "counting": counts.counting_now(event, row.id if row is not None else None),
        "segments": s_domain.segments_public(session=session, event_id=event.id),
        "breakdown": breakdown,
    }


def _breakdown(session: Session, event: Event, row: Question | None) -> dict[str, Any] | None:
    """The current question by the chosen segment question, while the projector is asked to show it."""
    if event.projector_mode != ProjectorMode.breakdown or row is None or not event.projector_segment_id:
        return None
    segment = session.get(Question, event.projector_segment_id)
    if segment is None:
        return None
    try:
        return dict(s_domain.breakdown(session=session, question=row, segment=segment))
    except DomainError:  # e.g. the question was opened again meanwhile: the projector shows the question
        return None


def role_views(state: State) -> RoleViews:
    """What each role may see.

    Projector: numbers only while shown there; earlier rounds only when the moderator compares them.
    Phones: the result as set per question (live, after closing or never); never a topic roll-up.
    Hidden word-cloud terms and unapproved open answers reach only the moderator.
    """
    question = state["question"]
    results = state["results"]
    rounds = state.get("rounds") or []
    topic_view = state.get("topic_view")
    projector_rounds: list[RoundResults] = []
    if question and question.get("compare_rounds"):
        projector_rounds = [{"round": r["round"], "results": r_domain.for_projector(question, r["results"])} for r in rounds]
    projector_topic: TopicView | None = None
    if topic_view is not None:
        projector_topic = {
            **topic_view,
            "items": [
                {"question": i["question"], "results": r_domain.for_projector(i["question"], i["results"])}
                for i in topic_view["items"]
            ],
        }
    return {
        "moderator": state,
        "projector": {
            **state,
            "results": r_domain.for_projector(question, results),
            "rounds": projector_rounds,
            "topic_view": projector_topic,
            "topics": None,
            "agenda": None,
            "check": None,
            "segments": [],
        },
        # Phones are thousands: they get only what they use.
        "attendee": {
            **{k: v for k, v in state.items()
               if k not in ("rounds", "topic_view", "topics", "agenda", "screen", "check", "segments", "breakdown")},
            "results": r_domain.for_phones(question, state["phase"], results),
        },
    }


def segment_lives_of(state: State | dict[str, Any]) -> dict[int, LiveQuestion]:
    """The segment questions as the vote path holds them: always taking answers, one option each."""
    event_id = state["event"]["id"] if state.get("event") else 0
    return {
        s["id"]: LiveQuestion(id=s["id"], event_id=event_id, status=QuestionStatus.open, max_choices=1,
                              option_ids=frozenset(o["id"] for o in s["options"]))
        for s in state.get("segments") or []
    }


def live_of(state: State | dict[str, Any]) -> LiveQuestion | None:
    question = state.get("question")
    return None if question is None else LiveQuestion.from_public(question, state["event"]["id"])
