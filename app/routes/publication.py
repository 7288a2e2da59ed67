"""The moderator's side of the public results pages (#17): "Veröffentlichen" for an event and for a series, the
preview (the citizens' page exactly, with a banner, noindex), publishing and withdrawing, and the follow-up notes.
Login, the event's (or every series event's) moderators, CSRF on every form; the rules live in domain/publication.py
and domain/followup.py."""

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlmodel import Session

from app import auth
from app.db import SessionDep
from app.domain import access, followup
from app.domain import publication as p_domain
from app.domain.errors import DomainError, Invalid, NotFound
from app.domain.events import agenda
from app.i18n import N_, _
from app.models import ID_MAX, Event, Publication, QuestionStatus, Series, User
from app.pages import flash, public_base, render
from app.reports import compare
from app.reports.public import FILES
from app.routes import my_answers
from app.routes import public as public_routes
from app.routes.deps import CheckedForm, DrivenEvent, Text, ViewedEvent
from app.routes.params import Id

router = APIRouter()
Many = Annotated[list[str], Form()]
DOWNLOAD_LABELS = {"csv": N_("CSV-Tabellen (Excel und Standard) mit Metadaten"), "pdf": N_("PDF-Bericht")}


def _url(event_id: int) -> str:
    return f"/moderator/events/{event_id}/publication"


def _series_url(series_id: int) -> str:
    return f"/moderator/series/{series_id}/publication"


def _message(exc: DomainError) -> str:
    return _(exc.message, **exc.params)


def _draft(session: Session, *, event: Event | None = None, series: Series | None = None) -> Publication:
    """The page's publication, or the one it would get (not stored: a GET changes nothing)."""
    found = p_domain.publication_for(session=session, event_id=event.id if event else None, series_id=series.id if series else None)
    if found is not None:
        return found
    return Publication(slug=p_domain.unique_slug(session=session, base=p_domain.proposed_slug(event=event, series=series)))


def _ids(raw: list[str]) -> list[int]:
    ids = []
    for value in raw:
        try:
            number = int(value)
        except ValueError:
            number = 0
        if not 1 <= number <= ID_MAX:
            raise Invalid("bad_question", "Die Auswahl der Fragen ist ungültig. Bitte laden Sie die Seite neu.")
        ids.append(number)
    return ids


# ----- an event -----

def _event_page(request: Request, session: Session, user: User, event: Event, *, error: str | None = None,
                typed: dict[str, Any] | None = None, note_error: tuple[int, str] | None = None, status_code: int = 200) -> Response:
    publication = _draft(session, event=event)
    series_pub = p_domain.publication_for(session=session, series_id=event.series_id) if event.series_id else None
    return render(
        request, "moderator/publication.html", status_code=status_code, user=user, event=event, publication=publication,
        agenda=agenda(session=session, event_id=event.id), notes=followup.notes_of(session=session, event_id=event.id),
        closed=QuestionStatus.closed, downloads=DOWNLOAD_LABELS, files=FILES, typed=typed, error=error, note_error=note_error,
        public_url=public_base(request) + public_routes.event_url(publication.slug), series_pub=series_pub,
        visible=p_domain.visible_ids(session=session, event_id=event.id),
    )


@router.get("/moderator/events/{event_id}/publication")
def event_publication(request: Request, event: ViewedEvent, user: auth.PageUser, session: SessionDep):
    return _event_page(request, session, user, event)


@router.post("/moderator/events/{event_id}/publication")
def save_event_publication(request: Request, event: DrivenEvent, user: auth.PageUser, session: SessionDep, question: Many = [],  # noqa: B006
                           show_texts: Text = "", download: Many = [], slug: Text = ""):  # noqa: B006  # FastAPI copies defaults
    typed = {"questions": question, "show_texts": show_texts == "1", "downloads": download, "slug": slug[:120]}
    try:
        p_domain.save_event_settings(session=session, user=user, event=event, question_ids=_ids(question), show_texts=show_texts == "1",
                                     downloads=download, slug=slug)
    except DomainError as exc:
        if isinstance(exc, (access.Forbidden, NotFound)):
            raise
        session.rollback()
        return _event_page(request, session, user, event, error=_message(exc), typed=typed, status_code=exc.status)
    my_answers.forget_link(event.id)
    flash(request, _("Einstellungen der öffentlichen Seite gespeichert."), "success")
    return RedirectResponse(_url(event.id), status_code=303)


def _switch(request: Request, session: Session, user: User, event: Event, confirm: str, publish: bool) -> Response:
    try:
        if publish:
            publication = p_domain.publish_event(session=session, user=user, event=event, confirmed=confirm == "1")
        else:
            publication = p_domain.withdraw_event(session=session, user=user, event=event, confirmed=confirm == "1")
    except DomainError as exc:
        if isinstance(exc, (access.Forbidden, NotFound)):
            raise
        session.rollback()
        return _event_page(request, session, user, event, error=_message(exc), status_code=exc.status)
    my_answers.forget_link(event.id)
    address = public_base(request) + public_routes.event_url(publication.slug)
    flash(request, _("Veröffentlicht: {url}", url=address) if publish else _("Die öffentliche Seite ist zurückgezogen."), "success")
    return RedirectResponse(_url(event.id), status_code=303)


@router.post("/moderator/events/{event_id}/publication/publish")
def publish_event(request: Request, event: DrivenEvent, user: auth.PageUser, session: SessionDep, confirm: Text = ""):
    return _switch(request, session, user, event, confirm, True)


@router.post("/moderator/events/{event_id}/publication/withdraw")
def withdraw_event(request: Request, event: DrivenEvent, user: auth.PageUser, session: SessionDep, confirm: Text = ""):
    return _switch(request, session, user, event, confirm, False)


def _preview(response: Response) -> Response:
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    response.headers["Cache-Control"] = "no-store"
    return response


@router.get("/moderator/events/{event_id}/publication/preview")
def preview_event(request: Request, event: ViewedEvent, user: auth.PageUser, session: SessionDep):
    publication = _draft(session, event=event)
    context = public_routes.event_context(request, session, publication, event, preview=True)
    return _preview(render(request, "public/event.html", **{**context, "back_url": _url(event.id)}))


def _note_done(request: Request, event: Event, message: str, topic_id: int) -> Response:
    flash(request, message, "success")
    return RedirectResponse(f"{_url(event.id)}#notes-{topic_id}", status_code=303)


@router.post("/moderator/events/{event_id}/notes")
def add_note(request: Request, event: DrivenEvent, user: auth.PageUser, session: SessionDep, topic_id: Text = "", date: Text = "",
             text: Text = ""):
    topic = _ids([topic_id])[0] if topic_id.strip().isdigit() else 0
    try:
        if not topic:
            raise NotFound("topic_not_found", "Dieses Thema gibt es nicht.")
        followup.add_note(session=session, user=user, event=event, topic_id=topic, date=date, text=text)
    except DomainError as exc:
        if isinstance(exc, (access.Forbidden, NotFound)):
            raise
        session.rollback()
        typed = {"note_topic": topic, "note_date": date[:20], "note_text": text[:600]}
        return _event_page(request, session, user, event, typed=typed, note_error=(topic, _message(exc)), status_code=exc.status)
    return _note_done(request, event, _("Notiz hinzugefügt."), topic)


@router.post("/moderator/events/{event_id}/notes/{note_id}")
def edit_note(request: Request, event: DrivenEvent, note_id: Id, user: auth.PageUser, session: SessionDep, date: Text = "", text: Text = ""):
    try:
        note = followup.edit_note(session=session, user=user, event=event, note_id=note_id, date=date, text=text)
    except DomainError as exc:
        if isinstance(exc, (access.Forbidden, NotFound)):
            raise
        session.rollback()
        typed = {"edit_note": note_id, "note_date": date[:20], "note_text": text[:600]}
        return _event_page(request, session, user, event, typed=typed, note_error=(-note_id, _message(exc)), status_code=exc.status)
    return _note_done(request, event, _("Notiz gespeichert."), note.topic_id)


@router.post("/moderator/events/{event_id}/notes/{note_id}/delete")
def delete_note(request: Request, event: DrivenEvent, note_id: Id, user: auth.PageUser, session: SessionDep):
    followup.delete_note(session=session, user=user, event=event, note_id=note_id)
    flash(request, _("Notiz gelöscht."), "success")
    return RedirectResponse(_url(event.id), status_code=303)


# ----- a series -----

def _series(session: Session, user: User, series_id: int) -> tuple[Series, list[Event]]:
    """The series and its events by date, if this user moderates every one of them (as for its results)."""
    series, _events = access.series_for_results(session=session, user=user, series_id=series_id)
    return series, compare.series_events(session, series.id)


def _series_page(request: Request, session: Session, user: User, series: Series, events: list[Event], *, error: str | None = None,
                 typed: dict[str, Any] | None = None, status_code: int = 200) -> Response:
    publication = _draft(session, series=series)
    rows = [(e, p_domain.publication_for(session=session, event_id=e.id), len(p_domain.visible_ids(session=session, event_id=e.id)))
            for e in events]
    return render(request, "moderator/series_publication.html", status_code=status_code, user=user, series=series, rows=rows,
                  publication=publication, downloads=DOWNLOAD_LABELS, typed=typed, error=error,
                  public_url=public_base(request) + public_routes.series_url(publication.slug),
                  shown=p_domain.published_events(session=session, events=events))


@router.get("/moderator/series/{series_id}/publication")
def series_publication(request: Request, series_id: Id, user: auth.PageUser, session: SessionDep):
    series, events = _series(session, user, series_id)
    return _series_page(request, session, user, series, events)


@router.post("/moderator/series/{series_id}/publication")
def save_series_publication(request: Request, series_id: Id, user: auth.PageUser, session: SessionDep, _form: CheckedForm,
                            show_texts: Text = "", download: Many = [], slug: Text = ""):  # noqa: B006  # FastAPI copies defaults
    series, events = _series(session, user, series_id)
    try:
        p_domain.save_series_settings(session=session, user=user, series=series, events=events, show_texts=show_texts == "1",
                                      downloads=download, slug=slug)
    except DomainError as exc:
        if isinstance(exc, (access.Forbidden, NotFound)):
            raise
        session.rollback()
        typed = {"show_texts": show_texts == "1", "downloads": download, "slug": slug[:120]}
        return _series_page(request, session, user, series, events, error=_message(exc), typed=typed, status_code=exc.status)
    flash(request, _("Einstellungen der öffentlichen Seite gespeichert."), "success")
    return RedirectResponse(_series_url(series.id), status_code=303)


def _series_switch(request: Request, session: Session, user: User, series_id: int, confirm: str, publish: bool) -> Response:
    series, events = _series(session, user, series_id)
    try:
        switch = p_domain.publish_series if publish else p_domain.withdraw_series
        publication = switch(session=session, user=user, series=series, events=events, confirmed=confirm == "1")
    except DomainError as exc:
        if isinstance(exc, (access.Forbidden, NotFound)):
            raise
        session.rollback()
        return _series_page(request, session, user, series, events, error=_message(exc), status_code=exc.status)
    address = public_base(request) + public_routes.series_url(publication.slug)
    flash(request, _("Veröffentlicht: {url}", url=address) if publish else _("Die öffentliche Seite ist zurückgezogen."), "success")
    return RedirectResponse(_series_url(series.id), status_code=303)


@router.post("/moderator/series/{series_id}/publication/publish")
def publish_series(request: Request, series_id: Id, user: auth.PageUser, session: SessionDep, _form: CheckedForm, confirm: Text = ""):
    return _series_switch(request, session, user, series_id, confirm, True)


@router.post("/moderator/series/{series_id}/publication/withdraw")
def withdraw_series(request: Request, series_id: Id, user: auth.PageUser, session: SessionDep, _form: CheckedForm, confirm: Text = ""):
    return _series_switch(request, session, user, series_id, confirm, False)


@router.get("/moderator/series/{series_id}/publication/preview")
def preview_series(request: Request, series_id: Id, user: auth.PageUser, session: SessionDep):
    series, events = _series(session, user, series_id)
    shown = p_domain.published_events(session=session, events=events)
    if not shown:
        raise Invalid("nothing_public", "Veröffentlichen Sie zuerst mindestens eine Veranstaltung der Reihe; erst dann gibt es etwas zu zeigen.")
    publication = _draft(session, series=series)
    context = public_routes.series_context(request, session, publication, series, shown, preview=True)
    return _preview(render(request, "public/series.html", **{**context, "back_url": _series_url(series.id)}))
