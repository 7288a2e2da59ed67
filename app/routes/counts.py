"""Hand counts and paper slips (#18): start counting, the count form (its own page, so it works without script
and keeps what was typed after an error), save, remove, end."""

import json
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from app import auth
from app.db import SessionDep
from app.domain import control, counts
from app.domain import questions as q_domain
from app.domain import results as r_domain
from app.domain.errors import DomainError
from app.domain.kinds import question_public
from app.i18n import _
from app.models import CountSource, Event, Question, User
from app.pages import render
from app.routes.deps import DrivenEvent, Text, ViewedEvent, done, event_url
from app.routes.params import Id

router = APIRouter()
Source = Annotated[str, Query(alias="quelle", max_length=10)]


def _source(raw: str) -> str:
    return raw if raw in counts.SOURCE_LABELS and raw in (CountSource.hands, CountSource.paper) else CountSource.hands


def _page(request: Request, *, session: Session, user: User, event: Event, question: Question, source: str,
          typed: dict[str, Any] | None = None, error: DomainError | None = None, status_code: int = 200):
    public = question_public(session=session, question=question)
    results = r_domain.compute(session, public)
    entry = counts.entry_of(session=session, question=question, source=source)
    fields = getattr(error, "fields", {}) if error is not None else {}
    if typed is None:
        stored = json.loads(entry.counts) if entry is not None else {}
        typed = {"values": {k: str(v) for k, v in stored.items()}, "voters": str(entry.voters) if entry is not None else "",
                 "estimated": "on" if entry is not None and entry.estimated else "",
                 "counted_by": entry.counted_by if entry is not None else ""}
    return render(
        request, "moderator/count.html", status_code=status_code, user=user, event=event, question=public, source=source,
        source_label=_(counts.SOURCE_LABELS[CountSource(source)]), rows=counts.keys_and_labels(public), results=results,
        entry=entry, typed=typed, countable=counts.countable(public),
        error=_(error.message, **error.params) if error is not None else None,
        field_errors={key: _(msg, **params) for key, (msg, params) in fields.items()},
        over_hall=error is not None and error.code == "over_hall",
        counting=counts.counting_now(event, question.id),
        source_names={str(src): _(label) for src, label in counts.SOURCE_LABELS.items()},
    )


@router.get("/moderator/events/{event_id}/questions/{question_id}/zaehlen")
def count_page(request: Request, event: ViewedEvent, question_id: Id, user: auth.PageUser, session: SessionDep, quelle: Source = "hands"):
    """The count form of one source for the question's current round, filled with what is entered already."""
    question = q_domain.get_question(session=session, question_id=question_id, event_id=event.id)
    return _page(request, session=session, user=user, event=event, question=question, source=_source(quelle))


@router.post("/moderator/events/{event_id}/questions/{question_id}/zaehlen")
async def save_count(request: Request, event: DrivenEvent, question_id: Id, user: auth.PageUser, session: SessionDep):
    """Store the count; an entry that cannot be stored shows the form again with everything as typed."""
    form = await request.form()
    source = str(form.get("source") or "")[:10]
    values = {key[2:]: str(value)[:20] for key, value in form.multi_items() if key.startswith("n-") and len(key) <= 14}
    typed: dict[str, Any] = {"values": values, "voters": str(form.get("voters") or "")[:20], "estimated": str(form.get("estimated") or "")[:5],
             "counted_by": str(form.get("counted_by") or "")[:200]}
    params = {"source": source, **typed, "confirm": str(form.get("confirm") or "")[:5]}

    def work():
        try:
            outcome = control.perform(session=session, user=user, event=event, verb="count-save", scope="question",
                                      question_id=question_id, params=params)
        except counts.CountRefused as exc:
            session.rollback()
            question = q_domain.get_question(session=session, question_id=question_id, event_id=event.id)
            return _page(request, session=session, user=user, event=event, question=question, source=_source(source),
                         typed=typed, error=exc, status_code=exc.status)
        return done(request, outcome, event_url(event.id, "live"))

    return await run_in_threadpool(work)


@router.post("/moderator/events/{event_id}/questions/{question_id}/zaehlen/beginnen")
def start_count(request: Request, event: DrivenEvent, question_id: Id, user: auth.PageUser, session: SessionDep, source: Text = ""):
    """"Handzeichen zählen" / "Stimmzettel zählen": phones and projector say so, the form opens."""
    outcome = control.perform(session=session, user=user, event=event, verb="count-start", scope="question", question_id=question_id,
                              params={"source": source[:10]})
    return done(request, outcome, f"/moderator/events/{event.id}/questions/{question_id}/zaehlen?quelle={_source(source)}")


@router.post("/moderator/events/{event_id}/questions/{question_id}/zaehlen/entfernen")
def remove_count(request: Request, event: DrivenEvent, question_id: Id, user: auth.PageUser, session: SessionDep, source: Text = ""):
    outcome = control.perform(session=session, user=user, event=event, verb="count-remove", scope="question", question_id=question_id,
                              params={"source": source[:10]})
    return done(request, outcome, event_url(event.id, "live"))


@router.post("/moderator/events/{event_id}/zaehlen/beenden")
def end_count(request: Request, event: DrivenEvent, user: auth.PageUser, session: SessionDep):
    """Counting is over without an entry (or after one): phones and projector show the result again."""
    return done(request, control.perform(session=session, user=user, event=event, verb="count-end"), event_url(event.id, "live"))
