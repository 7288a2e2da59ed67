"""Deleting a (test) event or a template, after a confirmation that names what is lost.

Deleting an event removes its topics, questions, options, answers, archived results, voting cards,
co-moderators, public results page, follow-up notes and help-desk links with their ballots in one
transaction. Its audit entries stay, detached (event_id NULL) and prefixed with the
event's title so the log stays readable; a "delete-event" entry records the deletion itself. Only the owner
or an admin may delete an event, and never while one of its questions is open. Deleting a template leaves
the events made from it (their template_id becomes NULL). Series and other events are never touched.
"""

from dataclasses import dataclass

from sqlmodel import Session, col, delete, func, select, update

from app.domain import access
from app.domain.access import Forbidden
from app.domain.errors import Conflict, Invalid
from app.models import (
    AuditEntry,
    BallotToken,
    DeskLink,
    Event,
    EventModerator,
    FollowUpNote,
    ManualCount,
    Option,
    Publication,
    Question,
    QuestionStatus,
    ResultArchive,
    Template,
    Topic,
    User,
    Vote,
    VotingCard,
)

DELETE_EVENT, DELETE_TEMPLATE = "delete-event", "delete-template"  # audit actions


@dataclass(frozen=True, slots=True)
class Losses:
    """What deleting an event takes with it."""

    topics: int
    questions: int
    answers: int
    archived: int  # question rounds whose answers are gone already but whose result was kept (retention)


def may_delete_event(*, user: User, event: Event) -> bool:
    return user.is_admin or (event.owner_id is not None and event.owner_id == user.id)


def may_delete_template(*, user: User, template: Template) -> bool:
    return user.is_admin or (template.owner_id is not None and template.owner_id == user.id)


def losses(*, session: Session, event: Event) -> Losses:
    """Counted in the database: topics, questions, answers (every round) and archived results of the event."""
    questions = select(Question.id).where(Question.event_id == event.id)
    return Losses(
        topics=session.exec(select(func.count(col(Topic.id))).where(Topic.event_id == event.id)).one(),
        questions=session.exec(select(func.count(col(Question.id))).where(Question.event_id == event.id)).one(),
        answers=session.exec(select(func.count(col(Vote.id))).where(col(Vote.question_id).in_(questions))).one(),
        archived=session.exec(select(func.count(col(ResultArchive.id))).where(col(ResultArchive.question_id).in_(questions))).one(),
    )


def _same_title(typed: str, title: str) -> bool:
    return " ".join((typed or "").split()).casefold() == " ".join(title.split()).casefold()


def require_owner(*, user: User, event: Event) -> None:
    """Only the owner or an admin may delete an event (403)."""
    if not may_delete_event(user=user, event=event):
        raise Forbidden("delete_owner_only", "Löschen darf nur, wer die Veranstaltung angelegt hat, oder ein Admin.")


RUNNING_MESSAGE = ("Während eine Abstimmung läuft, lässt sich die Veranstaltung nicht löschen. "
                   "Schließen Sie zuerst die offene Frage.")


def is_running(*, session: Session, event: Event) -> bool:
    """Whether a question of the event is open (its room is live): then it cannot be deleted."""
    stmt = select(Question.id).where(Question.event_id == event.id, Question.status == QuestionStatus.open)
    return session.exec(stmt).first() is not None


def delete_event(*, session: Session, user: User, event: Event, typed_title: str) -> str:
    """Delete the event and everything of it (see the module docstring); return its title.

    The person confirms by typing the event's title (spaces and case do not matter). A refusal because a
    question is open is logged (refused) on the event.
    """
    title = event.title
    require_owner(user=user, event=event)
    if is_running(session=session, event=event):
        access.record(session=session, event_id=event.id, user=user, action=DELETE_EVENT, detail=f"{title} – {RUNNING_MESSAGE}",
                      outcome=access.REFUSED)
        raise Conflict("event_running", RUNNING_MESSAGE)
    if not _same_title(typed_title, title):
        raise Invalid("confirm_title", "Zum Bestätigen bitte den Titel „{title}“ genau so eintippen.", title=title)
    event_id = event.id
    questions = select(Question.id).where(Question.event_id == event_id)
    with access.audited(session=session, event_id=None, user=user, action=DELETE_EVENT, detail=title):
        session.exec(delete(Vote).where(col(Vote.question_id).in_(questions)))
        session.exec(delete(BallotToken).where(col(BallotToken.question_id).in_(questions)))
        session.exec(delete(ManualCount).where(col(ManualCount.question_id).in_(questions)))
        session.exec(delete(ResultArchive).where(col(ResultArchive.question_id).in_(questions)))
        session.exec(delete(Option).where(col(Option.question_id).in_(questions)))
        session.exec(delete(Question).where(col(Question.event_id) == event_id))
        session.exec(delete(FollowUpNote).where(col(FollowUpNote.event_id) == event_id))
        session.exec(delete(Publication).where(col(Publication.event_id) == event_id))
        session.exec(delete(Topic).where(col(Topic.event_id) == event_id))
        session.exec(delete(VotingCard).where(col(VotingCard.event_id) == event_id))
        session.exec(delete(DeskLink).where(col(DeskLink.event_id) == event_id))
        session.exec(delete(EventModerator).where(col(EventModerator.event_id) == event_id))
        _detach_audit(session, event_id, title)
        session.delete(event)
    return title


def _detach_audit(session: Session, event_id: int, title: str) -> None:
    """Keep the event's audit entries without it: event_id NULL, the detail prefixed with the event's title."""
    prefix = f"{title}: "
    for entry in session.exec(select(AuditEntry).where(AuditEntry.event_id == event_id)):
        entry.detail = (prefix + entry.detail if entry.detail else title)[:access.AUDIT_DETAIL_MAX]
        entry.event_id = None
        session.add(entry)
    session.flush()


def require_template_owner(*, user: User, template: Template) -> None:
    """Only whoever saved the template or an admin may delete it (403)."""
    if not may_delete_template(user=user, template=template):
        raise Forbidden("delete_template_owner_only", "Löschen darf nur, wer die Vorlage gespeichert hat, oder ein Admin.")


def delete_template(*, session: Session, user: User, template: Template, confirmed: bool) -> str:
    """Delete the template (owner or admin, after the confirmation box); events made from it stay."""
    require_template_owner(user=user, template=template)
    if not confirmed:
        raise Invalid("confirm_box", "Bitte bestätigen Sie mit dem Häkchen, dass die Vorlage gelöscht werden soll.")
    title = template.title
    with access.audited(session=session, event_id=None, user=user, action=DELETE_TEMPLATE, detail=title):
        session.exec(update(Event).where(col(Event.template_id) == template.id).values(template_id=None))
        session.delete(template)
    return title


def events_from(*, session: Session, template: Template) -> int:
    """How many events were made from the template (they stay when it is deleted)."""
    return session.exec(select(func.count(col(Event.id))).where(Event.template_id == template.id)).one()
