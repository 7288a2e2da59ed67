"""A moderator's events: the overview, new events (also from a template), the control page, event details."""

import time
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse
from sqlmodel import Session

from app import auth
from app.db import SessionDep
from app.domain import access, control, deletion
from app.domain import events as e_domain
from app.domain import live as live_domain
from app.domain import segments as seg_domain
from app.domain import series as s_domain
from app.domain import templates as t_domain
from app.domain.errors import DomainError, Invalid
from app.domain.parsing import optional_date, optional_int
from app.domain.snapshot import snapshot
from app.i18n import _
from app.models import ID_MAX, Event, PhoneResults, ProjectorMode, Question, QuestionStatus, User
from app.pages import flash, public_base, render
from app.routes import cards as card_routes
from app.routes.deps import CheckedForm, DrivenEvent, Text, ViewedEvent, done, event_url

router = APIRouter()


def _events_page(request: Request, session: Session, user: User, *, form: dict[str, str] | None = None, error: str | None = None,
                 status_code: int = 200):
    templates = t_domain.list_templates(session=session, user=user)
    return render(
        request,
        "moderator/events.html",
        status_code=status_code,
        user=user,
        events=access.visible_events(session=session, user=user),
        series={s.id: s for s in e_domain.list_series(session=session)},
        templates=[(t, t_domain.template_summary(t)) for t in templates],
        form=form or {},
        error=error,
    )


def _created(request: Request, session: Session, user: User, event: Event, detail: str, message: str) -> RedirectResponse:
    """A new event: logged once it exists (its id comes with its commit), then its control page."""
    access.record(session=session, event_id=event.id, user=user, action="create-event", detail=detail)
    flash(request, message, "success")
    return RedirectResponse(event_url(event.id), status_code=303)


@router.get("/moderator")
def events_page(request: Request, user: auth.PageUser, session: SessionDep):
    return _events_page(request, session, user)


@router.post("/moderator/events")
def create_event(request: Request, user: auth.PageUser, session: SessionDep, _form: CheckedForm, title: Text = "", place: Text = "",
                 date: Text = ""):
    try:
        event = e_domain.create_event(session=session, owner_id=user.id, title=title, place=place, date=optional_date(date))
    except DomainError as exc:
        form = {"title": title[:200], "place": place[:200], "date": date[:20]}
        return _events_page(request, session, user, form=form, error=_(exc.message, **exc.params), status_code=exc.status)
    return _created(request, session, user, event, event.title, _("Veranstaltung „{title}“ angelegt.", title=event.title))


@router.post("/moderator/events/from-template")
def create_event_from_template(
    request: Request, user: auth.PageUser, session: SessionDep, _form: CheckedForm,
    template_id: Text = "", title: Text = "", place: Text = "", date: Text = "",
):
    """The next event of a series: the template's topics and questions, linked to the earlier ones."""
    form = {"template_id": template_id[:12], "tpl_title": title[:200], "tpl_place": place[:200], "tpl_date": date[:20]}
    try:
        tid = optional_int(template_id, field=_("Vorlage"))
        if tid is None:
            raise Invalid("no_template", "Bitte wählen Sie eine Vorlage.")
        template = t_domain.get_template(session=session, user=user, template_id=tid)
        event = t_domain.event_from_template(
            session=session, template=template, owner_id=user.id, title=title, place=place, date=optional_date(date)
        )
    except DomainError as exc:
        session.rollback()
        return _events_page(request, session, user, form=form, error=_(exc.message, **exc.params), status_code=exc.status)
    return _created(request, session, user, event, f"{event.title} ← {template.title}",
                    _("Veranstaltung „{title}“ aus der Vorlage angelegt.", title=event.title))


@router.get("/moderator/events/{event_id}")
def control_page(request: Request, event: ViewedEvent, user: auth.PageUser, session: SessionDep,
                 breakdown: Annotated[int | None, Query(ge=1, le=ID_MAX)] = None):
    base = public_base(request)
    agenda = e_domain.agenda(session=session, event_id=event.id)
    upcoming = live_domain.upcoming_question(session=session, event=event)
    return render(
        request,
        "moderator/control.html",
        user=user,
        event=event,
        agenda=agenda,
        upcoming=upcoming,
        upcoming_topic=next((topic for topic, questions in agenda for q, _opts in questions if upcoming and q.id == upcoming.id), None),
        votes=e_domain.vote_counts(session=session, event_id=event.id),
        state=snapshot(session=session, event=event),
        series=t_domain.series_of(session=session, event=event),
        series_choices=s_domain.visible_series(session=session, user=user),
        may_delete=deletion.may_delete_event(user=user, event=event),
        co_moderators=access.co_moderators(session=session, event=event),
        cards=card_routes.panel(session=session, event=event),
        owner=session.get(User, event.owner_id) if event.owner_id else None,
        may_share=user.is_admin or event.owner_id == user.id,
        phone_results_modes=list(PhoneResults),
        join_url=f"{base}/j/{event.join_code}",
        projector_url=f"{base}/p/{event.projector_token}",
        now_ms=int(time.time() * 1000),  # the server's clock, for the countdown's first paint
        segment_panel=_segment_panel(session, event, breakdown),
    )


def _segment_panel(session: Session, event: Event, segment_id: int | None) -> dict[str, Any] | None:
    """The control page's "Nach Gruppen" part for the current question, if the event has segment questions."""
    question = session.get(Question, event.current_question_id) if event.current_question_id else None
    choices = seg_domain.segment_questions(session=session, event_id=event.id)
    if question is None or question.segment or question.kind not in seg_domain.BREAKABLE or not choices:
        return None
    shown = event.projector_segment_id if event.projector_mode == ProjectorMode.breakdown else None
    chosen = next((s for s in choices if s.id in (segment_id, shown)), choices[0])
    panel: dict[str, Any] = {"segments": choices, "chosen": chosen.id, "closed": question.status == QuestionStatus.closed,
                             "view": None, "error": None}
    if panel["closed"]:
        try:
            panel["view"] = seg_domain.breakdown(session=session, question=question, segment=chosen)
        except DomainError as exc:
            panel["error"] = _(exc.message, **exc.params)
    return panel


@router.post("/moderator/events/{event_id}/edit")
def edit_event(request: Request, event: DrivenEvent, user: auth.PageUser, session: SessionDep, title: Text = "", place: Text = "",
               date: Text = ""):
    outcome = control.perform(session=session, user=user, event=event, verb="edit-event",
                              params={"title": title, "place": place, "date": date})
    return done(request, outcome, event_url(event.id))


@router.post("/moderator/events/{event_id}/save-template")
def save_template(request: Request, event: DrivenEvent, user: auth.PageUser, session: SessionDep, title: Text = ""):
    outcome = control.perform(session=session, user=user, event=event, verb="save-template", params={"title": title})
    return done(request, outcome, event_url(event.id, "series"))


@router.post("/moderator/events/{event_id}/duplicate")
def duplicate_event(request: Request, event: DrivenEvent, user: auth.PageUser, session: SessionDep, title: Text = ""):
    copy = t_domain.duplicate_event(session=session, event=event, owner_id=user.id, title=title)
    return _created(request, session, user, copy, f"{copy.title} ← {event.title}",
                    _("Veranstaltung dupliziert: „{title}“ (ohne Stimmen).", title=copy.title))
