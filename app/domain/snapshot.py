"""The current state of an event as each role sees it, built from the database."""

from dataclasses import dataclass
from typing import Any

from sqlmodel import Session

from app.domain import questions as q_domain
from app.domain import votes as v_domain
from app.domain.questions import LiveQuestion
from app.models import Event, QuestionStatus

ROLES = ("attendee", "projector", "moderator")


@dataclass(slots=True)
class Snapshot:
    live: LiveQuestion | None
    # One state message per role, shared by every socket of that role.
    state: dict[str, dict[str, Any]]
    results: dict[str, Any] | None
    results_shown: bool


def snapshot(*, session: Session, event: Event) -> Snapshot:
    """Phase, current question and results; phones see results only once voting is over and shown."""
    live = q_domain.live_question(session=session, event=event)
    question = results = None
    results_shown = True
    if live is not None:
        row = q_domain.get_question(session=session, question_id=live.id)
        question = q_domain.question_public(session=session, question=row)
        results_shown = row.results_shown
        results = v_domain.tally(session=session, question_id=live.id, option_ids=[o["id"] for o in question["options"]])
    phase = "join" if live is None else ("open" if live.status == QuestionStatus.open else "closed")
    base = {
        "type": "state",
        "event": {"id": event.id, "title": event.title, "place": event.place, "join_code": event.join_code},
        "phase": phase,
        "question": question,
    }
    hidden = None if results is None else {**results, "counts": None}
    state = {
        "moderator": {**base, "results": results},
        "projector": {**base, "results": results if results_shown else hidden},
        "attendee": {**base, "results": results if (results_shown and phase == "closed") else None},
    }
    return Snapshot(live=live, state=state, results=results, results_shown=results_shown)
