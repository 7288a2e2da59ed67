"""JSON API for moderators (OpenAPI at /docs). Every call needs the login session.

Its actions are the control page's (app.domain.control): the same change, audit entry and publish.
"""

import datetime as dt
from functools import partial
from typing import Any, Literal

from fastapi import APIRouter, Body, Request
from pydantic import BaseModel, Field
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from app import auth
from app.db import SessionDep
from app.domain import access, control, kinds, plausibility
from app.domain import events as e_domain
from app.domain import templates as t_domain
from app.domain.shapes import State
from app.domain.snapshot import snapshot
from app.models import ID_MAX, Event, EventPublic, Question, Template, Topic, User
from app.routes.deps import ApiEvent, publish
from app.routes.params import Id


class Problem(BaseModel):
    """Every refused API call: a sentence for people (German first), a stable code for programs."""

    detail: str
    code: str | None = None
    errors: list[dict[str, str]] | None = Field(default=None, description="for invalid input: field and problem")


_problem = {"model": Problem}
router = APIRouter(
    prefix="/api",
    tags=["Moderation"],
    responses={400: _problem, 401: _problem, 403: _problem, 404: _problem, 409: _problem, 422: _problem},
)


class EventIn(BaseModel):
    title: str = Field(max_length=200)
    place: str = Field(default="", max_length=200)
    date: dt.date | None = None


class TopicIn(BaseModel):
    title: str = Field(max_length=200)


Kind = Literal["single", "multiple", "yesno", "scale", "wordcloud", "text", "ranking", "points"]


class QuestionIn(BaseModel):
    text: str = Field(max_length=500)
    kind: Kind = "single"
    options: list[str] = Field(default_factory=list, max_length=50, description="2–10 (ranking: 3–8); none for yesno, scale, wordcloud, text")
    max_choices: int | None = Field(default=None, ge=1, le=10, description="multiple: how many may be chosen; wordcloud: terms per person (1–3)")
    scale_min: int | None = Field(default=None, ge=0, le=1)
    scale_max: int | None = Field(default=None, ge=2, le=10)
    scale_label_min: str = Field(default="", max_length=60)
    scale_label_max: str = Field(default="", max_length=60)
    time_limit_s: int | None = Field(default=None, ge=10, le=3600, description="countdown started when the question opens")
    phone_results: Literal["hidden", "after_close", "live"] = "after_close"
    results_shown: bool = True
    segment: bool = Field(default=False, description="a segment question ('Ich bin hier als …'): single choice, asked once per phone, never driven")


class ActionIn(BaseModel):
    """Parameters of some actions: timer (seconds), phone-results (mode), hide-term/show-term (term),
    merge-term (term, into), unmerge-term (term), approve/reject/requeue (answer_id)."""

    seconds: int | None = Field(default=None, ge=0, le=3600)
    mode: Literal["hidden", "after_close", "live"] | None = None
    term: str | None = Field(default=None, max_length=200)
    into: str | None = Field(default=None, max_length=200, description="merge-term: the term that `term` is to count as")
    answer_id: int | None = Field(default=None, ge=1, le=ID_MAX)
    # count-start, count-save, count-remove (#18): hands or paper; count-save: a whole number per option id (or
    # scale value), for multiple choice how many people, estimated ("ca."), who counted, and confirm (more than the
    # people in the hall).
    source: Literal["hands", "paper"] | None = None
    values: dict[str, int] | None = Field(default=None, max_length=20)
    voters: int | None = Field(default=None, ge=-1_000_000, le=1_000_000)
    estimated: bool | None = None
    counted_by: str | None = Field(default=None, max_length=200)
    confirm: bool | None = None
    segment: int | None = Field(default=None, ge=1, le=ID_MAX, description="show-breakdown: the segment question to break the result down by")


class NextIn(BaseModel):
    """What the caller saw as the current question; if another moderator moved on meanwhile, nothing happens."""

    after: int | None = Field(default=None, ge=0, le=ID_MAX, description="id of the current question as seen (0: none)")


class ProjectorIn(BaseModel):
    mode: Literal["question", "topic", "join"]
    topic_id: int | None = Field(default=None, ge=1, le=ID_MAX)


class PeopleIn(BaseModel):
    people_in_hall: int | None = Field(ge=0, le=plausibility.PEOPLE_MAX, description="counted by the organisers; null: not counted")


class TemplateIn(BaseModel):
    title: str = Field(min_length=1, max_length=200)


class FromTemplateIn(BaseModel):
    template_id: int = Field(ge=1, le=ID_MAX)
    title: str = Field(max_length=200)
    place: str = Field(default="", max_length=200)
    date: dt.date | None = None


def _question_out(session: Session, question: Question) -> dict[str, Any]:
    return kinds.question_public(session=session, question=question) | {"topic_id": question.topic_id, "position": question.position}


async def _perform(request: Request, session: Session, user: User, event: Event, verb: str, **kwargs: Any) -> control.Outcome:
    """Run a moderator action in a worker thread (change and audit entry in one transaction), then publish it."""
    outcome = await run_in_threadpool(partial(control.perform, session=session, user=user, event=event, verb=verb, **kwargs))
    await publish(request.app.state.hub, outcome)
    return outcome


async def _drive(request: Request, session: Session, user: User, event: Event, verb: str, **kwargs: Any) -> State:
    """`_perform`, answered with the event's new state."""
    outcome = await _perform(request, session, user, event, verb, **kwargs)
    if outcome.state is not None:
        return outcome.state
    return await run_in_threadpool(partial(control.state_of, session=session, event_id=event.id))


@router.get("/events", response_model=list[EventPublic])
def list_events(user: auth.ApiUser, session: SessionDep):
    """The events this moderator may drive (an admin: all)."""
    return access.visible_events(session=session, user=user)


@router.post("/events", response_model=EventPublic, status_code=201)
def create_event(body: EventIn, user: auth.ApiUser, session: SessionDep):
    event = e_domain.create_event(session=session, owner_id=user.id, title=body.title, place=body.place, date=body.date)
    access.record(session=session, event_id=event.id, user=user, action="create-event", detail=event.title)
    return event


@router.get("/events/{event_id}")
def get_event(event: ApiEvent, session: SessionDep):
    """The event with its agenda and the current state as the moderator sees it."""
    return {
        "event": EventPublic.model_validate(event, from_attributes=True).model_dump(mode="json"),
        "topics": [
            {"id": t.id, "title": t.title, "questions": [_question_out(session, q) for q, _opts in qs]}
            for t, qs in e_domain.agenda(session=session, event_id=event.id)
        ],
        "state": snapshot(session=session, event=event),
    }


@router.post("/events/{event_id}/topics", status_code=201)
async def add_topic(request: Request, event: ApiEvent, body: TopicIn, user: auth.ApiUser, session: SessionDep):
    topic = (await _perform(request, session, user, event, "add-topic", params={"title": body.title})).result
    assert isinstance(topic, Topic)
    return {"id": topic.id, "title": topic.title, "position": topic.position}


@router.post("/events/{event_id}/topics/{topic_id}/questions", status_code=201)
async def add_question(request: Request, event: ApiEvent, topic_id: Id, body: QuestionIn, user: auth.ApiUser, session: SessionDep):
    outcome = await _perform(request, session, user, event, "add-question", topic_id=topic_id,
                             params={"text": body.text, "fields": body.model_dump()})
    assert isinstance(outcome.result, Question)
    return await run_in_threadpool(_question_out, session, outcome.result)


@router.post("/events/{event_id}/questions/{question_id}/{action}")
async def question_action(
    request: Request, event: ApiEvent, question_id: Id, action: str, user: auth.ApiUser, session: SessionDep,
    body: ActionIn | None = Body(default=None),
):
    """Actions: open, close, new-round, show, show-results, hide-results, phone-results (mode),
    compare-rounds, single-round, timer (seconds; 0 stops it), hide-term / show-term (term),
    merge-term (term, into) / unmerge-term (term), approve / reject / requeue (answer_id), move-up, move-down, delete,
    count-start (source), count-save (source, values, voters, estimated, counted_by, confirm), count-remove (source),
    show-breakdown (segment)."""
    params = (body or ActionIn()).model_dump(exclude_none=True)
    return await _drive(request, session, user, event, action, scope="question", question_id=question_id, params=params)


@router.post("/events/{event_id}/projector")
async def projector_mode(request: Request, event: ApiEvent, body: ProjectorIn, user: auth.ApiUser, session: SessionDep):
    """What the projector shows: the current question, a topic roll-up (topic_id) or the join screen."""
    return await _drive(request, session, user, event, "projector", params=body.model_dump())


@router.post("/events/{event_id}/projector-link")
async def renew_projector_link(request: Request, event: ApiEvent, user: auth.ApiUser, session: SessionDep):
    """Revoke the projector link: a new token replaces it, projectors on the old one are disconnected."""
    await _perform(request, session, user, event, "renew-projector-link")
    await request.app.state.hub.revoke_projectors(event.id)
    return {"projector_token": event.projector_token}


@router.post("/events/{event_id}/people-in-hall")
async def people_in_hall(request: Request, event: ApiEvent, body: PeopleIn, user: auth.ApiUser, session: SessionDep):
    """The people in the hall, for the plausibility check (voters against devices seen and people in the hall)."""

    def work() -> State:
        plausibility.set_people_in_hall(session=session, event=event, people=body.people_in_hall, user=user)
        return control.state_of(session=session, event_id=event.id)

    state = await run_in_threadpool(work)
    await request.app.state.hub.state_changed(event.id, state)
    return state["check"]


@router.post("/events/{event_id}/template", status_code=201)
async def save_template(request: Request, event: ApiEvent, body: TemplateIn, user: auth.ApiUser, session: SessionDep):
    """Save the event's topics and questions as a template of its series."""
    template = (await _perform(request, session, user, event, "save-template", params={"title": body.title})).result
    assert isinstance(template, Template)
    return {"id": template.id, "title": template.title, "series_id": template.series_id, **t_domain.template_summary(template)}


@router.post("/events/from-template", response_model=EventPublic, status_code=201)
def event_from_template(body: FromTemplateIn, user: auth.ApiUser, session: SessionDep):
    """A new event of the template's series, with its topics and linked questions."""
    template = t_domain.get_template(session=session, user=user, template_id=body.template_id)
    event = t_domain.event_from_template(
        session=session, template=template, owner_id=user.id, title=body.title, place=body.place, date=body.date
    )
    access.record(session=session, event_id=event.id, user=user, action="create-event", detail=f"{event.title} ← {template.title}")
    return event


@router.post("/events/{event_id}/duplicate", response_model=EventPublic, status_code=201)
def duplicate_event(event: ApiEvent, user: auth.ApiUser, session: SessionDep, body: TemplateIn | None = Body(default=None)):
    """A copy of the event's agenda without votes, in the same series (same question keys)."""
    copy = t_domain.duplicate_event(session=session, event=event, owner_id=user.id, title=body.title if body else None)
    access.record(session=session, event_id=copy.id, user=user, action="create-event", detail=f"{copy.title} ← {event.title}")
    return copy


@router.post("/events/{event_id}/next")
async def next_question(request: Request, event: ApiEvent, user: auth.ApiUser, session: SessionDep,
                        body: NextIn | None = Body(default=None)):
    """Close the current question and open the next one in agenda order (at the end: the join screen).

    With `after` (the current question as the caller saw it, 0: none) a second "next" at the same moment changes
    nothing instead of skipping a question. An action whose result holds already answers 200 with the state
    as it is, and is not logged."""
    params = {"after": body.after} if body is not None and body.after is not None else {}
    return await _drive(request, session, user, event, "next", params=params)


@router.post("/events/{event_id}/join-screen")
async def join_screen(request: Request, event: ApiEvent, user: auth.ApiUser, session: SessionDep):
    """Close whatever is open; projector and phones show the join code."""
    return await _drive(request, session, user, event, "join-screen")


@router.get("/events/{event_id}/audit")
def audit_log(event: ApiEvent, session: SessionDep):
    """Who did what to the event, newest first."""
    return [
        {"at": e.at.isoformat(), "user": e.username, "action": e.action, "outcome": e.outcome, "detail": e.detail}
        for e in access.audit_log(session=session, event_id=event.id)
    ]
