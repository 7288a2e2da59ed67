"""The current state of an event, built once from the database and shared by every socket and instance."""

import time
from typing import Any

from sqlmodel import Session

from app.domain import questions as q_domain
from app.domain import votes as v_domain
from app.domain.questions import LiveQuestion
from app.models import Event, Question, QuestionStatus


def snapshot(*, session: Session, event: Event) -> dict[str, Any]:
    """Phase, current question and its full results, as the moderator sees it.

    `version` orders snapshots: one taken later (after a later commit) never loses to an older one.
    """
    question = results = None
    row = session.get(Question, event.current_question_id) if event.current_question_id else None
    if row is not None:
        opts = q_domain.options_of(session=session, question_id=row.id)
        question = q_domain.question_public(session=session, question=row, opts=opts)
        results = v_domain.tally(session=session, question_id=row.id, option_ids=[o.id for o in opts])
    phase = "join" if row is None else ("open" if row.status == QuestionStatus.open else "closed")
    return {
        "type": "state",
        "version": time.time_ns(),
        "event": {"id": event.id, "title": event.title, "place": event.place, "join_code": event.join_code},
        "phase": phase,
        "question": question,
        "results": results,
    }


def role_views(state: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """What each role may see: the projector no counts while hidden, phones results only once closed and shown."""
    results = state["results"]
    question = state["question"]
    shown = bool(question and question["results_shown"])
    hidden = None if results is None else {**results, "counts": None}
    return {
        "moderator": state,
        "projector": {**state, "results": results if shown else hidden},
        "attendee": {**state, "results": results if (shown and state["phase"] == "closed") else None},
    }


def live_of(state: dict[str, Any]) -> LiveQuestion | None:
    question = state.get("question")
    return None if question is None else LiveQuestion.from_public(question, state["event"]["id"])
