"""Who may do what: co-moderators, the projector link, the audit log, and (for admins) the accounts."""

from functools import partial

from anyio import from_thread
from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse
from sqlmodel import Session, select

from app import auth
from app.db import SessionDep
from app.domain import access, actions, control
from app.domain.errors import DomainError, Invalid, NotFound
from app.i18n import _
from app.models import User
from app.pages import flash, render
from app.routes.deps import CheckedForm, DrivenEvent, Text, ViewedEvent, done, event_url
from app.routes.params import Id

router = APIRouter()


@router.post("/moderator/events/{event_id}/co-moderators")
def add_co_moderator(request: Request, event: DrivenEvent, user: auth.PageUser, session: SessionDep, username: Text = ""):
    outcome = control.perform(session=session, user=user, event=event, verb="add-co-moderator", params={"username": username})
    return done(request, outcome, event_url(event.id, "access"))


@router.post("/moderator/events/{event_id}/co-moderators/{user_id}/remove")
def remove_co_moderator(request: Request, event: DrivenEvent, user_id: Id, user: auth.PageUser, session: SessionDep):
    outcome = control.perform(session=session, user=user, event=event, verb="remove-co-moderator", params={"user_id": user_id})
    removed = session.get(User, user_id)
    if removed is None or not access.can_manage(session=session, user=removed, event=event):
        # Their control page stops at once, on whichever instance it is connected to.
        from_thread.run(partial(request.app.state.hub.end_moderator_sockets, user_id=user_id, event_id=event.id))
    return done(request, outcome, event_url(event.id, "access"))


@router.post("/moderator/events/{event_id}/projector-link")
def renew_projector_link(request: Request, event: DrivenEvent, user: auth.PageUser, session: SessionDep):
    """Revoke the projector link (e.g. it was shared by mistake): a new one replaces it at once."""
    outcome = control.perform(session=session, user=user, event=event, verb="renew-projector-link")
    from_thread.run(request.app.state.hub.revoke_projectors, event.id)
    return done(request, outcome, event_url(event.id, "links-title"))


def _audit_labels() -> dict[str, dict[str, str]]:
    return {"actions": {key: _(text) for key, text in actions.audit_labels().items()},
            "outcomes": {key: _(text) for key, text in actions.OUTCOME_LABELS.items()}}


@router.get("/moderator/events/{event_id}/audit")
def audit_page(request: Request, event: ViewedEvent, user: auth.PageUser, session: SessionDep):
    entries = access.audit_log(session=session, event_id=event.id)
    return render(request, "moderator/audit.html", user=user, event=event, entries=entries, labels=_audit_labels())


def _users_page(request: Request, session: Session, user: User, *, error: str | None = None, form: dict[str, str] | None = None,
                status_code: int = 200):
    users = list(session.exec(select(User).order_by(User.username)))
    return render(request, "moderator/users.html", status_code=status_code, user=user, users=users, error=error, form=form or {},
                  entries=access.account_log(session=session), labels=_audit_labels())


@router.get("/admin/users")
def users_page(request: Request, user: auth.PageUser, session: SessionDep):
    access.require_admin(user)
    return _users_page(request, session, user)


@router.post("/admin/users")
def create_user(request: Request, user: auth.PageUser, session: SessionDep, _form: CheckedForm, username: Text = "",
                password: Text = "", is_admin: Text = ""):
    access.require_admin(user)
    try:
        with access.audited(session=session, event_id=None, user=user, action="create-account", detail=username[:80]) as entry:
            created = auth.create_user(session=session, username=username[:200], password=password[:200], is_admin=bool(is_admin),
                                       commit=False)
            entry.detail = created.username + (" (Admin)" if created.is_admin else "")
    except DomainError as exc:
        session.rollback()
        return _users_page(request, session, user, error=_(exc.message, **exc.params), form={"username": username[:80]},
                           status_code=exc.status)
    flash(request, _("Konto „{name}“ angelegt.", name=created.username), "success")
    return RedirectResponse("/admin/users", status_code=303)


@router.post("/admin/users/{user_id}/{action}")
def user_action(request: Request, user_id: Id, action: str, user: auth.PageUser, session: SessionDep, _form: CheckedForm):
    """activate, deactivate (not one's own account)."""
    access.require_admin(user)
    target = session.get(User, user_id)
    if target is None:
        raise Invalid("user_not_found", "Dieses Konto gibt es nicht.")
    if action not in ("activate", "deactivate"):
        raise NotFound("unknown_action", "Unbekannte Aktion.")
    access.set_active(session=session, actor=user, user=target, active=action == "activate")
    if not target.is_active:
        # Its logins are gone; its control pages close now, on every instance.
        from_thread.run(partial(request.app.state.hub.end_moderator_sockets, user_id=target.id))
    flash(request, _("Konto „{name}“ ist wieder aktiv.", name=target.username) if target.is_active
          else _("Konto „{name}“ ist abgeschaltet.", name=target.username), "success")
    return RedirectResponse("/admin/users", status_code=303)
