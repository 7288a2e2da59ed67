"""Who may see and drive an event, co-moderators, accounts, and the audit log of moderator actions.

An event belongs to its owner; co-moderators may do everything the owner does (but add others); admins
manage accounts and see every event. The projector link only reads; attendees only join and vote.
"""

import secrets

from sqlmodel import Session, col, delete, or_, select

from app.domain.errors import Conflict, DomainError, Invalid, NotFound
from app.models import AuditEntry, Event, EventModerator, User

AUDIT_DETAIL_MAX = 300


class Forbidden(DomainError):
    status = 403


def co_moderator_ids(*, session: Session, event_id: int) -> set[int]:
    return set(session.exec(select(EventModerator.user_id).where(EventModerator.event_id == event_id)))


def can_manage(*, session: Session, user: User, event: Event) -> bool:
    if user.is_admin or event.owner_id == user.id:
        return True
    return user.id in co_moderator_ids(session=session, event_id=event.id)


def event_for(*, session: Session, user: User, event_id: int) -> Event:
    """The event, if this user may drive it; 404 if there is none, 403 if it is someone else's."""
    event = session.get(Event, event_id)
    if event is None:
        raise NotFound("event_not_found", "Diese Veranstaltung gibt es nicht.")
    if not can_manage(session=session, user=user, event=event):
        raise Forbidden("not_your_event", "Diese Veranstaltung wird von jemand anderem moderiert. Bitten Sie die Moderation, Sie hinzuzufügen.")
    return event


def visible_events(*, session: Session, user: User) -> list[Event]:
    stmt = select(Event).order_by(col(Event.date).desc(), col(Event.id).desc())
    if not user.is_admin:
        shared = select(EventModerator.event_id).where(EventModerator.user_id == user.id)
        stmt = stmt.where(or_(Event.owner_id == user.id, col(Event.id).in_(shared)))
    return list(session.exec(stmt))


def co_moderators(*, session: Session, event: Event) -> list[User]:
    return list(
        session.exec(
            select(User).join(EventModerator, col(EventModerator.user_id) == User.id)
            .where(EventModerator.event_id == event.id).order_by(User.username)
        )
    )


def add_co_moderator(*, session: Session, actor: User, event: Event, username: str) -> User:
    """Let another account drive this event too. Only the owner or an admin may."""
    if not (actor.is_admin or event.owner_id == actor.id):
        raise Forbidden("owner_only", "Nur wer die Veranstaltung angelegt hat (oder ein Admin), kann Co-Moderation hinzufügen.")
    name = (username or "").strip()
    user = session.exec(select(User).where(User.username == name)).first() if name else None
    if user is None:
        raise NotFound("user_not_found", "Ein Konto „{name}“ gibt es nicht.", name=name[:80])
    if user.id == event.owner_id or user.id in co_moderator_ids(session=session, event_id=event.id):
        raise Conflict("already_moderator", "„{name}“ moderiert diese Veranstaltung schon.", name=user.username)
    session.add(EventModerator(event_id=event.id, user_id=user.id))
    session.commit()
    return user


def remove_co_moderator(*, session: Session, actor: User, event: Event, user_id: int) -> None:
    if not (actor.is_admin or event.owner_id == actor.id):
        raise Forbidden("owner_only", "Nur wer die Veranstaltung angelegt hat (oder ein Admin), kann Co-Moderation entfernen.")
    session.exec(delete(EventModerator).where(col(EventModerator.event_id) == event.id, col(EventModerator.user_id) == user_id))
    session.commit()


def renew_projector_token(*, session: Session, event: Event) -> Event:
    """Revoke the projector link: a new one replaces it, the old one stops working at once."""
    event.projector_token = secrets.token_urlsafe(24)
    session.add(event)
    session.commit()
    return event


def require_admin(user: User) -> None:
    if not user.is_admin:
        raise Forbidden("admin_only", "Nur Admins können Konten verwalten.")


def set_active(*, session: Session, actor: User, user: User, active: bool) -> User:
    require_admin(actor)
    if user.id == actor.id and not active:
        raise Invalid("self_deactivate", "Sie können Ihr eigenes Konto nicht abschalten.")
    user.is_active = active
    session.add(user)
    session.commit()
    return user


def record(*, session: Session, event_id: int, user: User | None, action: str, detail: str = "") -> None:
    """Add one line to the event's audit log (committed with the caller's next commit, or now)."""
    session.add(
        AuditEntry(
            event_id=event_id,
            user_id=user.id if user else None,
            username=user.username if user else "System",
            action=action[:40],
            # Control characters dropped: whatever a form sent, the log line can be stored (PostgreSQL refuses NUL).
            detail=" ".join("".join(ch for ch in detail if ch.isprintable() or ch.isspace()).split())[:AUDIT_DETAIL_MAX],
        )
    )
    session.commit()


def audit_log(*, session: Session, event_id: int, limit: int = 500) -> list[AuditEntry]:
    return list(
        session.exec(
            select(AuditEntry).where(AuditEntry.event_id == event_id).order_by(col(AuditEntry.at).desc(), col(AuditEntry.id).desc()).limit(limit)
        )
    )
