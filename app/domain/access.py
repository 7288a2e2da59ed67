"""Who may see and drive an event, co-moderators, accounts, and the audit log of moderator actions.

An event belongs to its owner; co-moderators may do everything the owner does (but add others); admins
manage accounts and see every event. The projector link only reads; attendees only join and vote.

The audit log tells what happened, not what was asked for: an action's entry is written in the same
transaction as its change (`audited`), so it exists only if the change does; an action the rules refuse
(e.g. deleting a topic that still holds questions) is logged as refused, with the reason. Account actions
are logged without an event (event_id NULL) and shown on the admin's accounts page.
"""

import secrets
from collections.abc import Iterator
from contextlib import contextmanager

from sqlmodel import Session, col, delete, or_, select

from app.domain.errors import AlreadyDone, Conflict, DomainError, Invalid, NotFound
from app.models import AuditEntry, Event, EventModerator, LoginSession, Series, User

AUDIT_DETAIL_MAX = 300
DONE, REFUSED = "done", "refused"  # AuditEntry.outcome
# Entries without an event that the admin's log shows: account actions and deletions. The detached entries of a
# deleted event (event_id NULL, detail prefixed with its title) stay in the table but do not flood that log.
ADMIN_LOG_ACTIONS = ("create-account", "deactivate-account", "activate-account", "delete-event", "delete-template")


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
    """Switch an account on or off (audited). Switching off ends every login of the account at once;
    the caller closes its control sockets (hub.end_moderator_sockets)."""
    require_admin(actor)
    with audited(session=session, event_id=None, user=actor, action="activate-account" if active else "deactivate-account",
                 detail=user.username):
        if user.id == actor.id and not active:
            raise Invalid("self_deactivate", "Sie können Ihr eigenes Konto nicht abschalten.")
        user.is_active = active
        session.add(user)
        if not active:
            session.exec(delete(LoginSession).where(col(LoginSession.user_id) == user.id))
    return user


def _entry(*, event_id: int | None, user: User | None, action: str, detail: str, outcome: str) -> AuditEntry:
    return AuditEntry(
        event_id=event_id,
        user_id=user.id if user else None,
        username=user.username if user else "System",
        action=action[:40],
        # Control characters dropped: whatever a form sent, the log line can be stored (PostgreSQL refuses NUL).
        detail=" ".join("".join(ch for ch in detail if ch.isprintable() or ch.isspace()).split())[:AUDIT_DETAIL_MAX],
        outcome=outcome,
    )


def record(*, session: Session, event_id: int | None, user: User | None, action: str, detail: str = "", outcome: str = DONE) -> None:
    """Write one line to the audit log now: for an action whose change is already committed (e.g. a new
    event, whose id is known only afterwards). Prefer `audited`, which shares the change's transaction."""
    session.add(_entry(event_id=event_id, user=user, action=action, detail=detail, outcome=outcome))
    session.commit()


@contextmanager
def audited(*, session: Session, event_id: int | None, user: User | None, action: str, detail: str = "") -> Iterator[AuditEntry]:
    """Run a moderator action with its audit entry in the same transaction.

    The entry joins the session before the change, so the change's own commit writes both (a change that
    does not commit is committed here). If the rules refuse the action (a DomainError), the change is
    rolled back and the entry says "refused" with the reason. A request for something that does not exist
    (NotFound), that the user may not touch (Forbidden) or that holds already (AlreadyDone) changed nothing and
    is not logged. The block may
    set `entry.detail` (used for the refused entry too).
    """
    entry = _entry(event_id=event_id, user=user, action=action, detail=detail, outcome=DONE)
    session.add(entry)
    try:
        yield entry
        entry.detail = " ".join(entry.detail.split())[:AUDIT_DETAIL_MAX]
        session.add(entry)
        session.commit()
    except (Forbidden, NotFound, AlreadyDone):
        session.rollback()
        raise
    except DomainError as exc:
        detail = entry.detail
        session.rollback()
        reason = exc.message.format(**exc.params) if exc.params else exc.message
        record(session=session, event_id=event_id, user=user, action=action, detail=f"{detail} – {reason}" if detail else reason,
               outcome=REFUSED)
        raise
    except BaseException:
        session.rollback()
        raise


def audit_log(*, session: Session, event_id: int, limit: int = 500) -> list[AuditEntry]:
    return list(
        session.exec(
            select(AuditEntry).where(AuditEntry.event_id == event_id).order_by(col(AuditEntry.at).desc(), col(AuditEntry.id).desc()).limit(limit)
        )
    )


def account_log(*, session: Session, limit: int = 200) -> list[AuditEntry]:
    """Account actions (created, switched off, switched on) and deletions of events and templates, newest first."""
    return list(
        session.exec(
            select(AuditEntry).where(col(AuditEntry.event_id).is_(None), col(AuditEntry.action).in_(ADMIN_LOG_ACTIONS))
            .order_by(col(AuditEntry.at).desc(), col(AuditEntry.id).desc()).limit(limit)
        )
    )


def series_for_results(*, session: Session, user: User, series_id: int) -> tuple[Series, list[Event]]:
    """A series and its events, if this user may see the results of every one of them (admins: all); 404 if
    there is no such series, 403 naming why otherwise. A series without events: its creator and admins."""
    series = session.get(Series, series_id)
    if series is None:
        raise NotFound("series_not_found", "Diese Reihe gibt es nicht.")
    events = list(session.exec(select(Event).where(Event.series_id == series.id)))
    if user.is_admin or (not events and series.owner_id == user.id):
        return series, events
    if not events:
        raise Forbidden("series_empty", "Diese Reihe hat noch keine Veranstaltung, die Sie moderieren.")
    foreign = sum(1 for event in events if not can_manage(session=session, user=user, event=event))
    if foreign:
        raise Forbidden("series_not_all_yours",
                        "Die Ergebnisse einer Reihe sieht nur, wer jede ihrer Veranstaltungen moderiert. {foreign} von {total} "
                        "Veranstaltungen dieser Reihe moderieren Sie nicht; bitten Sie deren Moderation, Sie hinzuzufügen.",
                        foreign=foreign, total=len(events))
    return series, events
