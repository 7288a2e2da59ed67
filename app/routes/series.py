"""Series pages (list, one series, create, rename), moving an event into a series, deleting events and templates."""

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse
from sqlmodel import Session

from app import auth
from app.db import SessionDep
from app.domain import access, control, deletion
from app.domain import series as s_domain
from app.domain import templates as t_domain
from app.domain.errors import DomainError
from app.i18n import N_, _
from app.models import Event, Series, Template, User
from app.pages import flash, render
from app.routes.deps import CheckedForm, DrivenEvent, Text, ViewedEvent, done, event_url
from app.routes.params import Id

router = APIRouter()


def series_url(series_id: int) -> str:
    return f"/moderator/series/{series_id}"


def de_number(n: int) -> str:
    """A whole number as German readers write it: 1.234."""
    return f"{n:,}".replace(",", ".")


def _count(n: int, one: str, many: str) -> str:
    return _(one) if n == 1 else _(many, n=de_number(n))


def _error(exc: DomainError) -> str:
    return _(exc.message, **exc.params)


def _list_page(request: Request, session: Session, user: User, *, error: str | None = None, title: str = "", status_code: int = 200):
    return render(request, "moderator/series_list.html", status_code=status_code, user=user,
                  rows=s_domain.series_overview(session=session, user=user), error=error, title=title)


@router.get("/moderator/series")
def series_list(request: Request, user: auth.PageUser, session: SessionDep):
    return _list_page(request, session, user)


@router.post("/moderator/series")
def create_series(request: Request, user: auth.PageUser, session: SessionDep, _form: CheckedForm, title: Text = ""):
    try:
        series = s_domain.create_series(session=session, user=user, title=title)
    except DomainError as exc:
        return _list_page(request, session, user, error=_error(exc), title=title[:200], status_code=exc.status)
    flash(request, _("Reihe „{title}“ angelegt.", title=series.title), "success")
    return RedirectResponse(series_url(series.id), status_code=303)


def _series_page(request: Request, session: Session, user: User, series: Series, *, error: str | None = None, title: str | None = None,
                 status_code: int = 200):
    templates = s_domain.templates_of(session=session, series=series)
    rows = s_domain.event_rows(session=session, series=series)
    return render(
        request, "moderator/series.html", status_code=status_code, user=user, series=series, rows=rows,
        manageable={r.event.id for r in rows if access.can_manage(session=session, user=user, event=r.event)},
        templates=[(t, t_domain.template_summary(t), t_domain.may_use(session=session, user=user, template=t),
                    deletion.may_delete_template(user=user, template=t)) for t in templates],
        may_rename=s_domain.may_rename(session=session, user=user, series=series),
        error=error, title=series.title if title is None else title,
    )


@router.get("/moderator/series/{series_id}")
def series_page(request: Request, series_id: Id, user: auth.PageUser, session: SessionDep):
    series = s_domain.series_for(session=session, user=user, series_id=series_id)
    return _series_page(request, session, user, series)


@router.post("/moderator/series/{series_id}/rename")
def rename_series(request: Request, series_id: Id, user: auth.PageUser, session: SessionDep, _form: CheckedForm, title: Text = ""):
    series = s_domain.series_for(session=session, user=user, series_id=series_id)
    before = series.title
    try:
        s_domain.rename_series(session=session, user=user, series=series, title=title)
    except DomainError as exc:
        if exc.status == 403:
            raise
        session.rollback()
        series.title = before
        return _series_page(request, session, user, series, error=_error(exc), title=title[:200], status_code=exc.status)
    flash(request, _("Reihe umbenannt: „{title}“.", title=series.title), "success")
    return RedirectResponse(series_url(series.id), status_code=303)


@router.post("/moderator/events/{event_id}/series")
def move_to_series(request: Request, event: DrivenEvent, user: auth.PageUser, session: SessionDep, series_id: Text = ""):
    """Put the event into one of the series this user sees, or take it out ("none")."""
    outcome = control.perform(session=session, user=user, event=event, verb="move-to-series", params={"series_id": series_id[:20]})
    return done(request, outcome, event_url(event.id, "series"))


def _losses_text(event: Event, losses: deletion.Losses) -> str:
    """"Sie löschen „…“ mit 5 Themen, 22 Fragen und 1.234 Antworten. …" (archived results named only if there are any)."""
    parts = [_count(losses.topics, N_("1 Thema"), N_("{n} Themen")), _count(losses.questions, N_("1 Frage"), N_("{n} Fragen")),
             _count(losses.answers, N_("1 Antwort"), N_("{n} Antworten"))]
    if losses.archived:
        parts.append(_count(losses.archived, N_("1 archivierten Ergebnis"), N_("{n} archivierten Ergebnissen")))
    return _("Sie löschen „{title}“ mit {what} und {last}. Das lässt sich nicht rückgängig machen.",
             title=event.title, what=", ".join(parts[:-1]), last=parts[-1])


def _delete_event_page(request: Request, session: Session, user: User, event: Event, *, error: str | None = None, typed: str = "",
                       status_code: int = 200):
    series = session.get(Series, event.series_id) if event.series_id else None
    return render(request, "moderator/delete_event.html", status_code=status_code, user=user, event=event, series=series,
                  losses=_losses_text(event, deletion.losses(session=session, event=event)),
                  running=deletion.is_running(session=session, event=event), error=error, typed=typed)


@router.get("/moderator/events/{event_id}/delete")
def delete_event_page(request: Request, event: ViewedEvent, user: auth.PageUser, session: SessionDep):
    """The confirmation: what is lost, and the title to type. Only the owner or an admin gets it."""
    deletion.require_owner(user=user, event=event)
    return _delete_event_page(request, session, user, event)


@router.post("/moderator/events/{event_id}/delete")
def delete_event(request: Request, event: DrivenEvent, user: auth.PageUser, session: SessionDep, confirm_title: Text = ""):
    series_id = event.series_id
    try:
        title = deletion.delete_event(session=session, user=user, event=event, typed_title=confirm_title)
    except DomainError as exc:
        if exc.status == 403:
            raise
        session.rollback()
        return _delete_event_page(request, session, user, event, error=_error(exc), typed=confirm_title[:200], status_code=exc.status)
    flash(request, _("Veranstaltung „{title}“ gelöscht.", title=title), "success")
    return RedirectResponse(series_url(series_id) if series_id else "/moderator", status_code=303)


def _owned_template(session: Session, user: User, template_id: int) -> Template:
    """The template if this user may delete it: 404 if there is none, 403 if it is not theirs."""
    template = t_domain.get_template(session=session, user=user, template_id=template_id)
    deletion.require_template_owner(user=user, template=template)
    return template


def _delete_template_page(request: Request, session: Session, user: User, template: Template, *, error: str | None = None,
                          status_code: int = 200):
    info = t_domain.template_summary(template)
    series = session.get(Series, template.series_id) if template.series_id else None
    return render(request, "moderator/delete_template.html", status_code=status_code, user=user, template=template, series=series,
                  questions=_count(info["questions"], N_("1 Frage"), N_("{n} Fragen")), topics=_count(len(info["topics"]), N_("1 Thema"), N_("{n} Themen")),
                  events=deletion.events_from(session=session, template=template), error=error)


@router.get("/moderator/templates/{template_id}/delete")
def delete_template_page(request: Request, template_id: Id, user: auth.PageUser, session: SessionDep):
    return _delete_template_page(request, session, user, _owned_template(session, user, template_id))


@router.post("/moderator/templates/{template_id}/delete")
def delete_template(request: Request, template_id: Id, user: auth.PageUser, session: SessionDep, _form: CheckedForm, confirm: Text = ""):
    template = _owned_template(session, user, template_id)
    series_id = template.series_id
    try:
        title = deletion.delete_template(session=session, user=user, template=template, confirmed=confirm == "1")
    except DomainError as exc:
        if exc.status == 403:
            raise
        session.rollback()
        return _delete_template_page(request, session, user, template, error=_error(exc), status_code=exc.status)
    flash(request, _("Vorlage „{title}“ gelöscht. Die daraus angelegten Veranstaltungen bleiben.", title=title), "success")
    return RedirectResponse(series_url(series_id) if series_id else "/moderator#templates", status_code=303)
