"""Moderator actions, one table: what each runs, its success message, what it publishes and its audit label.

The pages' forms, the JSON API and anything else that drives an event call `perform`: the change and its
audit entry commit in one transaction (access.audited), and the caller is told what to publish afterwards
(the event's full state, one question's tally, or nothing). So form and API cannot drift apart.
Actions of one event run one at a time (the event's row is held), so two moderators pressing "close" at once
close once: the second finds it closed and is told so (AlreadyDone), with no audit entry and no publish.
Messages and labels are German gettext msgids; the routes translate them.
"""

from dataclasses import dataclass, replace

from sqlmodel import Session

from app.domain import access
from app.domain import events as e_domain
from app.domain.action_kit import Action, Params, Scope, Target
from app.domain.actions import _BY_VERB
from app.domain.errors import AlreadyDone, NotFound
from app.domain.shapes import State
from app.domain.snapshot import snapshot
from app.models import Event, ProjectorMode, Question, User


@dataclass(frozen=True, slots=True)
class Outcome:
    """What a performed action did and what the caller publishes: `state` to everyone, or `tally_of` one question.

    `changed` is False when what the action asks for held already (e.g. the question was closed a moment
    earlier by another moderator): `message` then says so, and there is nothing to publish.
    """

    action: Action
    event_id: int
    result: object
    message: str
    message_params: dict[str, object]
    state: State | None = None
    tally_of: int | None = None
    changed: bool = True


def state_of(*, session: Session, event_id: int) -> State:
    """The event's state as the moderator sees it, freshly read."""
    return snapshot(session=session, event=e_domain.get_event(session=session, event_id=event_id))


def perform(
    *,
    session: Session,
    user: User,
    event: Event,
    verb: str,
    scope: Scope = "event",
    question_id: int | None = None,
    topic_id: int | None = None,
    params: Params | None = None,
) -> Outcome:
    """Run one moderator action and its audit entry in one transaction; say what to publish.

    An action this scope does not know is NotFound (a URL naming no action names nothing). A topic or
    question that is not the event's is NotFound before anything runs (and is not logged).
    """
    action = _BY_VERB.get((scope, verb))
    if action is None or action.run is None:
        raise NotFound("unknown_action", "Unbekannte Aktion.")
    params = params or {}
    event, question = _hold(session, event, question_id)
    target = Target(
        session=session, user=user, event=event,
        topic=e_domain.get_topic(session=session, topic_id=topic_id, event_id=event.id) if topic_id is not None else None,
        question=question,
    )
    try:
        with access.audited(session=session, event_id=event.id, user=user, action=action.name,
                            detail=action.detail(target, params)) as entry:
            result = action.run(target, params)
            entry.detail = action.describe(entry.detail, result)
    except AlreadyDone as exc:
        return Outcome(action=action, event_id=event.id, result=None, message=exc.message, message_params=exc.params, changed=False)
    message, message_params = action.message(result, params)
    outcome = Outcome(action=action, event_id=event.id, result=result, message=message, message_params=message_params)
    if action.publish == "nothing":
        return outcome
    current = e_domain.get_event(session=session, event_id=event.id)
    question = target.question
    if action.publish == "tally" and question is not None and current.current_question_id == question.id \
            and current.projector_mode != ProjectorMode.topic:
        return replace(outcome, tally_of=question.id)
    return replace(outcome, state=snapshot(session=session, event=current))


def _hold(session: Session, event: Event, question_id: int | None) -> tuple[Event, Question | None]:
    """The event (and the question an action names), read afresh and held until the action commits.

    A second action on the same event waits for the first and then sees what it did, so a concurrent second
    "close" finds the question closed. PostgreSQL: SELECT … FOR UPDATE on the event's row, then the question's
    (the order every action takes them in). SQLite has no row locks: a write that changes nothing takes the
    database's write lock first, which every writer queues for anyway.
    """
    if session.connection().dialect.name == "sqlite":
        session.connection().exec_driver_sql("UPDATE event SET id = id WHERE 0")
    held = session.get(Event, event.id, with_for_update=True, populate_existing=True)
    question = session.get(Question, question_id, with_for_update=True, populate_existing=True) if question_id is not None else None
    if held is None or (question_id is not None and (question is None or question.event_id != held.id)):
        session.rollback()  # lets go of the lock: nothing will change
        if held is None:
            raise NotFound("event_not_found", "Diese Veranstaltung gibt es nicht.")
        raise NotFound("question_not_found", "Diese Frage gibt es nicht.")
    return held, question
