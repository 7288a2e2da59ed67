"""JSON API for moderators (OpenAPI at /docs). Every call needs the login session."""

import datetime as dt

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from app import auth
from app.db import SessionDep
from app.domain import events as e_domain
from app.domain import questions as q_domain
from app.domain.errors import NotFound
from app.domain.snapshot import snapshot
from app.models import EventPublic

router = APIRouter(prefix="/api", tags=["Moderation"])


class EventIn(BaseModel):
    title: str = Field(max_length=200)
    place: str = Field(default="", max_length=200)
    date: dt.date | None = None


class TopicIn(BaseModel):
    title: str = Field(max_length=200)


class QuestionIn(BaseModel):
    text: str = Field(max_length=500)
    kind: str = Field(default="single", max_length=20)
    options: list[str] = Field(min_length=1, max_length=50)
    max_choices: int | None = Field(default=None, ge=1, le=10)


def _question_out(session, question) -> dict:
    return q_domain.question_public(session=session, question=question) | {"topic_id": question.topic_id, "position": question.position}


async def _drive(request: Request, session, event_id: int, change) -> dict:
    """Run a change to the event in a worker thread, then publish and return the new state."""

    def work() -> dict:
        change(e_domain.get_event(session=session, event_id=event_id))
        return snapshot(session=session, event=e_domain.get_event(session=session, event_id=event_id))

    state = await run_in_threadpool(work)
    await request.app.state.hub.state_changed(event_id, state)
    return state


@router.get("/events", response_model=list[EventPublic])
def list_events(user: auth.ApiUser, session: SessionDep):
    return e_domain.list_events(session=session)


@router.post("/events", response_model=EventPublic, status_code=201)
def create_event(body: EventIn, user: auth.ApiUser, session: SessionDep):
    return e_domain.create_event(session=session, owner_id=user.id, title=body.title, place=body.place, date=body.date)


@router.get("/events/{event_id}")
def get_event(event_id: int, user: auth.ApiUser, session: SessionDep):
    """The event with its agenda and the current state as the moderator sees it."""
    event = e_domain.get_event(session=session, event_id=event_id)
    return {
        "event": EventPublic.model_validate(event, from_attributes=True).model_dump(mode="json"),
        "topics": [
            {"id": t.id, "title": t.title, "questions": [_question_out(session, q) for q, _opts in qs]}
            for t, qs in e_domain.agenda(session=session, event_id=event.id)
        ],
        "state": snapshot(session=session, event=event),
    }


@router.post("/events/{event_id}/topics", status_code=201)
async def add_topic(request: Request, event_id: int, body: TopicIn, user: auth.ApiUser, session: SessionDep):
    def work():
        e_domain.get_event(session=session, event_id=event_id)
        topic = e_domain.add_topic(session=session, event_id=event_id, title=body.title)
        return {"id": topic.id, "title": topic.title, "position": topic.position}

    return await run_in_threadpool(work)


@router.post("/events/{event_id}/topics/{topic_id}/questions", status_code=201)
async def add_question(request: Request, event_id: int, topic_id: int, body: QuestionIn, user: auth.ApiUser, session: SessionDep):
    def work():
        topic = e_domain.get_topic(session=session, topic_id=topic_id, event_id=event_id)
        question = q_domain.create_question(
            session=session, topic=topic, text=body.text, kind=body.kind, options=body.options, max_choices=body.max_choices
        )
        return _question_out(session, question)

    return await run_in_threadpool(work)


@router.post("/events/{event_id}/questions/{question_id}/{action}")
async def question_action(request: Request, event_id: int, question_id: int, action: str, user: auth.ApiUser, session: SessionDep):
    """Actions: open, close, show, show-results, hide-results, move-up, move-down, delete."""
    run = q_domain.QUESTION_ACTIONS.get(action)
    if run is None:
        raise NotFound("unknown_action", "Unbekannte Aktion.")
    return await _drive(
        request, session, event_id, lambda _event: run(session, q_domain.get_question(session=session, question_id=question_id, event_id=event_id))
    )


@router.post("/events/{event_id}/next")
async def next_question(request: Request, event_id: int, user: auth.ApiUser, session: SessionDep):
    """Close the current question and open the next one in agenda order (at the end: the join screen)."""
    return await _drive(request, session, event_id, lambda event: q_domain.next_question(session=session, event=event))


@router.post("/events/{event_id}/join-screen")
async def join_screen(request: Request, event_id: int, user: auth.ApiUser, session: SessionDep):
    """Close whatever is open; projector and phones show the join code."""
    return await _drive(request, session, event_id, lambda event: q_domain.show_join_screen(session=session, event=event))
