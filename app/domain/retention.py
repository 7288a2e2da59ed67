"""DSGVO retention: single answers and device ids of old events are deleted, their aggregated results kept.

An event counts as old when its date (or, without one, the day it was created) lies more than the
configured number of days back. For each question round with answers, the result is stored in
ResultArchive first, in the same transaction as the deletion, so a crash leaves either both or neither.
"""

import datetime as dt
import json
from dataclasses import dataclass

from sqlmodel import Session, col, delete, select

from app.domain import kinds
from app.domain import results as r_domain
from app.domain.review import term_review
from app.models import Event, Moderation, Question, QuestionKind, ResultArchive, Vote, utcnow


@dataclass
class RetentionReport:
    events: int = 0
    questions: int = 0
    answers_deleted: int = 0


def archived_form(results: dict) -> dict:
    """The result without what could single out a person: open text only if approved, no review state."""
    if results.get("kind") == QuestionKind.text:
        approved = [{"id": a["id"], "text": a["text"]} for a in results["answers"] if a["status"] == Moderation.approved]
        return {**results, "answers": [dict(a, status=Moderation.approved, flagged=False) for a in approved],
                "counts": {"approved": len(approved), "pending": 0, "rejected": 0}, "archived_voters": results["voters"]}
    return results


def old_events(*, session: Session, days: int, today: dt.date | None = None) -> list[Event]:
    cutoff = (today or utcnow().date()) - dt.timedelta(days=days)
    events = session.exec(select(Event)).all()
    return [e for e in events if (e.date or e.created_at.date()) < cutoff]


def apply_retention(*, session: Session, days: int, today: dt.date | None = None) -> RetentionReport:
    """Archive the results and delete the single answers of every event older than `days`."""
    if days < 1:
        raise ValueError("days must be at least 1")
    report = RetentionReport()
    for event in old_events(session=session, days=days, today=today):
        touched = False
        for question in session.exec(select(Question).where(Question.event_id == event.id)):
            rounds = sorted(set(session.exec(select(Vote.round).where(Vote.question_id == question.id))))
            if not rounds:
                continue
            public = kinds.question_public(session=session, question=question)
            for round_ in rounds:
                results = r_domain.compute(session, public, round=round_, review=term_review(question))
                existing = session.exec(
                    select(ResultArchive).where(ResultArchive.question_id == question.id, ResultArchive.round == round_)
                ).first()
                row = existing or ResultArchive(question_id=question.id, round=round_, results="")
                row.results = json.dumps(archived_form(dict(results)), ensure_ascii=False)
                session.add(row)
            deleted = session.exec(delete(Vote).where(col(Vote.question_id) == question.id))
            report.answers_deleted += deleted.rowcount or 0
            report.questions += 1
            touched = True
        report.events += touched
        session.commit()
    return report
