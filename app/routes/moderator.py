"""Moderator pages: login, events, agenda editing and the control page that drives an event."""

import datetime as dt
import time
from dataclasses import dataclass
from functools import partial
from typing import Annotated

from anyio import from_thread
from fastapi import APIRouter, Depends, Form, Query, Request, WebSocket
from fastapi.responses import JSONResponse, RedirectResponse
from sqlalchemy.exc import DBAPIError
from sqlmodel import select
from starlette.concurrency import run_in_threadpool

from app import auth
from app.models import ID_MAX
from app.routes.params import Id
from app.db import SessionDep, new_session
from app.domain import access
from app.domain import events as e_domain
from app.domain import plausibility
from app.domain import questions as q_domain
from app.domain import templates as t_domain
from app.domain.errors import DomainError, Invalid
from app.domain.snapshot import snapshot
from app.realtime.hub import ModeratorLogin
from app.models import Event, PhoneResults, Question, QuestionKind, User
from app.realtime.hub import socket_unavailable
from app.i18n import N_
from app.routes import cards as card_routes
from app.cookies import is_https
from app.i18n import _
from app.pages import flash, public_base, render

router = APIRouter()

Text = Annotated[str, Form()]


def _safe_next(url: str | None) -> str:
    return url if url and url.startswith("/") and not url.startswith("//") else "/moderator"


def parse_date(raw: str) -> dt.date | None:
    raw = raw.strip()
    if not raw:
        return None
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        raise Invalid("bad_date", "Bitte geben Sie das Datum als TT.MM.JJJJ oder JJJJ-MM-TT an.") from None


def parse_optional_int(raw: str, *, field: str) -> int | None:
    raw = raw.strip()
    if not raw:
        return None
    try:
        value = int(raw)
    except ValueError:
        raise Invalid("bad_number", "„{field}“ muss eine ganze Zahl sein.", field=field) from None
    if abs(value) > ID_MAX:
        raise Invalid("bad_number", "„{field}“ muss eine ganze Zahl sein.", field=field)
    return value


def publish_state(request: Request, session, event_id: int) -> None:
    """After a committed change: the event's new state goes to every instance and from there to its sockets."""
    state = snapshot(session=session, event=e_domain.get_event(session=session, event_id=event_id))
    from_thread.run(request.app.state.hub.state_changed, event_id, state)


def publish_question_change(request: Request, session, event_id: int, question: Question, action: str) -> None:
    """A hidden term or a reviewed answer of the current question only changes its tally: recompute that."""
    event = e_domain.get_event(session=session, event_id=event_id)
    if action in q_domain.TALLY_ACTIONS and event.current_question_id == question.id and event.projector_mode != "topic":
        from_thread.run(request.app.state.hub.results_changed, event_id, question.id)
    else:
        publish_state(request, session, event_id)


def _event_url(event_id: int, anchor: str = "") -> str:
    return f"/moderator/events/{event_id}" + (f"#{anchor}" if anchor else "")


# ---- login ---------------------------------------------------------------------------------


@router.get("/login")
def login_page(request: Request, next: str = "/moderator"):
    return render(request, "login.html", next=_safe_next(next), username="", error=None)


@router.post("/login")
async def login_submit(request: Request, username: Text = "", password: Text = "", next: Text = "/moderator", csrf: Text = ""):
    """Check the password in the login pool (paced per account name, see app.auth) and start a login."""
    auth.check_csrf(request, csrf)
    username, password = username[:80], password[:200]

    def again(status: int, error: str, headers: dict[str, str] | None = None):
        response = render(request, "login.html", status_code=status, next=_safe_next(next), username=username, error=error)
        response.headers.update(headers or {})
        return response

    try:
        found = await auth.attempt_login(
            username=username, password=password, known=auth.known_lane(request.cookies.get(auth.KNOWN_COOKIE), username)
        )
    except auth.TooManyAttempts as exc:
        error = _("Zu viele Fehlversuche für dieses Konto. Bitte warten Sie {n} Sekunden und versuchen Sie es dann noch einmal.", n=exc.wait_s)
        return again(429, error, {"Retry-After": str(exc.wait_s)})
    except auth.LoginBusy:
        return again(503, _("Zu viele Anmeldungen gleichzeitig, bitte gleich noch einmal."), {"Retry-After": "2"})
    if found is None:
        return again(401, _("Benutzername oder Passwort ist falsch."))
    auth.login(request, found[1])
    response = RedirectResponse(_safe_next(next), status_code=303)
    # This browser now has a lane of its own for the name: others' failed attempts never slow it down.
    response.set_cookie(auth.KNOWN_COOKIE, auth.known_cookie(username), max_age=auth.KNOWN_MAX_AGE, httponly=True,
                        samesite="lax", secure=is_https(request))
    return response


@router.post("/logout")
def logout_submit(request: Request, session: SessionDep, csrf: Text = ""):
    """End the login on the server (the old cookie is worthless at once) and close its control sockets everywhere."""
    auth.check_csrf(request, csrf)
    ended = auth.end_login(session=session, token=auth.session_token(request))
    request.session.clear()
    if ended is not None:
        from_thread.run(partial(request.app.state.hub.end_moderator_sockets, user_id=ended.user_id, login_id=ended.id))
    return RedirectResponse("/login", status_code=303)


# ---- events --------------------------------------------------------------------------------


def _events_page(request, session, user, *, form=None, error=None, status_code=200):
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


@router.get("/moderator")
def events_page(request: Request, user: auth.PageUser, session: SessionDep):
    return _events_page(request, session, user)


@router.post("/moderator/events")
def create_event(
    request: Request, user: auth.PageUser, session: SessionDep, title: Text = "", place: Text = "", date: Text = "", csrf: Text = ""
):
    auth.check_csrf(request, csrf)
    try:
        event = e_domain.create_event(session=session, owner_id=user.id, title=title, place=place, date=parse_date(date))
    except DomainError as exc:
        form = {"title": title[:200], "place": place[:200], "date": date[:20]}
        return _events_page(request, session, user, form=form, error=_(exc.message, **exc.params), status_code=exc.status)
    _log(session, event.id, user, "create-event", event.title)
    flash(request, _("Veranstaltung „{title}“ angelegt.", title=event.title), "success")
    return RedirectResponse(_event_url(event.id), status_code=303)


@router.post("/moderator/events/from-template")
def create_event_from_template(
    request: Request,
    user: auth.PageUser,
    session: SessionDep,
    template_id: Text = "",
    title: Text = "",
    place: Text = "",
    date: Text = "",
    csrf: Text = "",
):
    """The next event of a series: the template's topics and questions, linked to the earlier ones."""
    auth.check_csrf(request, csrf)
    form = {"template_id": template_id[:12], "tpl_title": title[:200], "tpl_place": place[:200], "tpl_date": date[:20]}
    try:
        tid = parse_optional_int(template_id, field=_("Vorlage"))
        if tid is None:
            raise Invalid("no_template", "Bitte wählen Sie eine Vorlage.")
        template = t_domain.get_template(session=session, user=user, template_id=tid)
        event = t_domain.event_from_template(
            session=session, template=template, owner_id=user.id, title=title, place=place, date=parse_date(date)
        )
    except DomainError as exc:
        session.rollback()
        return _events_page(request, session, user, form=form, error=_(exc.message, **exc.params), status_code=exc.status)
    _log(session, event.id, user, "create-event", f"{event.title} ← {template.title}")
    flash(request, _("Veranstaltung „{title}“ aus der Vorlage angelegt.", title=event.title), "success")
    return RedirectResponse(_event_url(event.id), status_code=303)


def _load_event(session, event_id: int, user: User) -> Event:
    """The event, if this moderator may drive it (owner, co-moderator, admin); else 404 or 403."""
    return access.event_for(session=session, user=user, event_id=event_id)


def _log(session, event_id: int, user: User, action: str, detail: str = "") -> None:
    """For a new event, whose id exists only after its commit; other actions use `_audited` (one transaction)."""
    access.record(session=session, event_id=event_id, user=user, action=action, detail=detail)


def _audited(session, event_id: int, user: User, action: str, detail: str = ""):
    """The action's change and its audit entry in one transaction; a refused action is logged as refused."""
    return access.audited(session=session, event_id=event_id, user=user, action=action, detail=detail)


@router.get("/moderator/events/{event_id}")
def control_page(request: Request, event_id: Id, user: auth.PageUser, session: SessionDep):
    event = _load_event(session, event_id, user)
    base = public_base(request)
    return render(
        request,
        "moderator/control.html",
        user=user,
        event=event,
        agenda=e_domain.agenda(session=session, event_id=event.id),
        votes=e_domain.vote_counts(session=session, event_id=event.id),
        state=snapshot(session=session, event=event),
        series=t_domain.series_of(session=session, event=event),
        co_moderators=access.co_moderators(session=session, event=event),
        cards=card_routes.panel(session=session, event=event),
        owner=session.get(User, event.owner_id) if event.owner_id else None,
        may_share=user.is_admin or event.owner_id == user.id,
        phone_results_modes=list(PhoneResults),
        join_url=f"{base}/j/{event.join_code}",
        projector_url=f"{base}/p/{event.projector_token}",
        now_ms=int(time.time() * 1000),  # the server's clock, for the countdown's first paint
    )


@router.post("/moderator/events/{event_id}/edit")
def edit_event(
    request: Request,
    event_id: Id,
    user: auth.PageUser,
    session: SessionDep,
    title: Text = "",
    place: Text = "",
    date: Text = "",
    csrf: Text = "",
):
    auth.check_csrf(request, csrf)
    event = _load_event(session, event_id, user)
    with _audited(session, event.id, user, "edit-event", title) as entry:
        e_domain.update_event(session=session, event=event, title=title, place=place, date=parse_date(date))
        entry.detail = event.title
    publish_state(request, session, event.id)
    flash(request, _("Angaben gespeichert."), "success")
    return RedirectResponse(_event_url(event.id), status_code=303)


@router.post("/moderator/events/{event_id}/save-template")
def save_template(request: Request, event_id: Id, user: auth.PageUser, session: SessionDep, title: Text = "", csrf: Text = ""):
    auth.check_csrf(request, csrf)
    event = _load_event(session, event_id, user)
    with _audited(session, event.id, user, "save-template", title or event.title) as entry:
        template = t_domain.save_template(session=session, event=event, title=title or event.title, owner_id=user.id)
        entry.detail = template.title
    flash(request, _("Vorlage „{title}“ gespeichert. Neue Veranstaltungen der Reihe legen Sie in der Übersicht daraus an.", title=template.title), "success")
    return RedirectResponse(_event_url(event.id, "series"), status_code=303)


@router.post("/moderator/events/{event_id}/duplicate")
def duplicate_event(request: Request, event_id: Id, user: auth.PageUser, session: SessionDep, title: Text = "", csrf: Text = ""):
    auth.check_csrf(request, csrf)
    event = _load_event(session, event_id, user)
    copy = t_domain.duplicate_event(session=session, event=event, owner_id=user.id, title=title)
    _log(session, copy.id, user, "create-event", f"{copy.title} ← {event.title}")
    flash(request, _("Veranstaltung dupliziert: „{title}“ (ohne Stimmen).", title=copy.title), "success")
    return RedirectResponse(_event_url(copy.id), status_code=303)


@router.post("/moderator/events/{event_id}/projector")
def projector_mode(
    request: Request, event_id: Id, user: auth.PageUser, session: SessionDep, mode: Text = "", topic_id: Text = "", csrf: Text = ""
):
    """Switch the projector between the current question, a topic roll-up and the join screen."""
    auth.check_csrf(request, csrf)
    event = _load_event(session, event_id, user)
    with _audited(session, event.id, user, "projector", mode):
        q_domain.set_projector(session=session, event=event, mode=mode, topic_id=parse_optional_int(topic_id, field=_("Thema")))
    publish_state(request, session, event.id)
    flash(request, _(PROJECTOR_MESSAGES.get(mode, "Beamer umgeschaltet.")), "success")
    return RedirectResponse(_event_url(event.id, "live"), status_code=303)


PROJECTOR_MESSAGES = {
    "question": N_("Der Beamer zeigt die aktuelle Frage."),
    "topic": N_("Der Beamer zeigt die Themenübersicht."),
    "join": N_("Der Beamer zeigt den Beitrittscode; die Abstimmung läuft weiter."),
}


# ---- agenda topics --------------------------------------------------------------------------


@router.post("/moderator/events/{event_id}/topics")
def add_topic(request: Request, event_id: Id, user: auth.PageUser, session: SessionDep, title: Text = "", csrf: Text = ""):
    auth.check_csrf(request, csrf)
    event = _load_event(session, event_id, user)
    with _audited(session, event.id, user, "add-topic", title) as entry:
        topic = e_domain.add_topic(session=session, event_id=event.id, title=title)
        entry.detail = topic.title
    flash(request, _("Thema „{title}“ hinzugefügt.", title=topic.title), "success")
    return RedirectResponse(_event_url(event.id, f"topic-{topic.id}"), status_code=303)


@router.post("/moderator/events/{event_id}/topics/{topic_id}/{action}")
def topic_action(
    request: Request,
    event_id: Id,
    topic_id: Id,
    action: str,
    user: auth.PageUser,
    session: SessionDep,
    title: Text = "",
    csrf: Text = "",
):
    auth.check_csrf(request, csrf)
    _load_event(session, event_id, user)
    topic = e_domain.get_topic(session=session, topic_id=topic_id, event_id=event_id)
    if action not in ("rename", "delete", "move-up", "move-down"):
        raise Invalid("unknown_action", "Unbekannte Aktion.")
    old_title = topic.title
    # Logged after it ran, in the same transaction: a refused delete shows up as refused, never as done.
    with _audited(session, event_id, user, f"topic-{action}", old_title) as entry:
        if action == "rename":
            e_domain.rename_topic(session=session, topic=topic, title=title)
            entry.detail = f"{old_title} → {topic.title}"
        elif action == "delete":
            e_domain.delete_topic(session=session, topic=topic)
        else:
            e_domain.move_topic(session=session, topic=topic, direction=-1 if action == "move-up" else 1)
    if action == "delete":
        publish_state(request, session, event_id)
        flash(request, _("Thema gelöscht."), "success")
        return RedirectResponse(_event_url(event_id, "agenda"), status_code=303)
    publish_state(request, session, event_id)
    return RedirectResponse(_event_url(event_id, f"topic-{topic.id}"), status_code=303)


# ---- questions ------------------------------------------------------------------------------


def _question_form_page(request, *, user, event, session, form, error=None, question=None, status_code=200):
    return render(
        request,
        "moderator/question_form.html",
        status_code=status_code,
        user=user,
        event=event,
        topics=e_domain.topics(session=session, event_id=event.id),
        form=form,
        error=error,
        question=question,
        locked=question is not None and q_domain.has_votes(session=session, question_id=question.id),
    )


@router.get("/moderator/events/{event_id}/questions/new")
def new_question_page(
    request: Request, event_id: Id, user: auth.PageUser, session: SessionDep,
    topic_id: Annotated[int | None, Query(ge=1, le=ID_MAX)] = None,
):
    event = _load_event(session, event_id, user)
    form = {"topic_id": topic_id, "kind": QuestionKind.single, "text": "", "options": "", "max_choices": "",
            "scale_min": "1", "scale_max": "5", "scale_label_min": "", "scale_label_max": "", "time_limit_s": "",
            "phone_results": PhoneResults.after_close, "results_shown": "on"}
    return _question_form_page(request, user=user, event=event, session=session, form=form)


@dataclass
class QuestionForm:
    """The question form's fields, as typed (kept for showing the form again after an error)."""

    topic_id: Text = ""
    text: Text = ""
    kind: Text = "single"
    options: Text = ""
    max_choices: Text = ""
    scale_min: Text = ""
    scale_max: Text = ""
    scale_label_min: Text = ""
    scale_label_max: Text = ""
    time_limit_s: Text = ""
    phone_results: Text = PhoneResults.after_close
    results_shown: Text = ""
    csrf: Text = ""

    def values(self) -> dict:
        return {
            "topic_id": self.topic_id,
            "text": self.text[:600],
            "kind": self.kind[:20],
            "options": self.options[:4000],
            "max_choices": self.max_choices[:6],
            "scale_min": self.scale_min[:4],
            "scale_max": self.scale_max[:4],
            "scale_label_min": self.scale_label_min[:80],
            "scale_label_max": self.scale_label_max[:80],
            "time_limit_s": self.time_limit_s[:6],
            "phone_results": self.phone_results[:20],
            "results_shown": self.results_shown[:4],
        }

    def fields(self) -> dict:
        """The question's definition as the domain takes it (numbers parsed, with a message if they are not)."""
        return {
            "text": self.text,
            "kind": self.kind,
            "options": self.options.splitlines(),
            "max_choices": parse_optional_int(self.max_choices, field=_("Höchstens wählbar")),
            "scale_min": parse_optional_int(self.scale_min, field=_("Skala von")),
            "scale_max": parse_optional_int(self.scale_max, field=_("Skala bis")),
            "scale_label_min": self.scale_label_min,
            "scale_label_max": self.scale_label_max,
            "time_limit_s": parse_optional_int(self.time_limit_s, field=_("Zeitlimit")),
            "phone_results": self.phone_results or PhoneResults.after_close,
            "results_shown": bool(self.results_shown),
        }


def _save_question(request: Request, session, user: User, event: Event, form: QuestionForm, question: Question | None):
    """Create (question None) or update a question from the form; on bad input show the form again, as typed."""
    auth.check_csrf(request, form.csrf)
    try:
        tid = parse_optional_int(form.topic_id, field=_("Thema"))
        if tid is None and question is None:
            raise Invalid("no_topic", "Bitte wählen Sie ein Thema.")
        topic = e_domain.get_topic(session=session, topic_id=tid, event_id=event.id) if tid else None
        fields = form.fields()
        with _audited(session, event.id, user, "save-question", form.text) as entry:
            if question is None:
                question = q_domain.create_question(session=session, topic=topic, **fields)
            else:
                q_domain.update_question(session=session, question=question, topic=topic, **fields)
            entry.detail = question.text
    except DomainError as exc:
        session.rollback()
        if question is not None:
            question = q_domain.get_question(session=session, question_id=question.id, event_id=event.id)
        return _question_form_page(
            request,
            user=user,
            event=event,
            session=session,
            form=form.values(),
            question=question,
            error=_(exc.message, **exc.params),
            status_code=exc.status,
        )
    publish_state(request, session, event.id)
    flash(request, _("Frage gespeichert."), "success")
    return RedirectResponse(_event_url(event.id, f"question-{question.id}"), status_code=303)


@router.post("/moderator/events/{event_id}/questions")
def create_question(
    request: Request, event_id: Id, user: auth.PageUser, session: SessionDep, form: Annotated[QuestionForm, Depends()]
):
    return _save_question(request, session, user, _load_event(session, event_id, user), form, None)


@router.get("/moderator/events/{event_id}/questions/{question_id}/edit")
def edit_question_page(request: Request, event_id: Id, question_id: Id, user: auth.PageUser, session: SessionDep):
    event = _load_event(session, event_id, user)
    question = q_domain.get_question(session=session, question_id=question_id, event_id=event.id)
    form = {
        "topic_id": question.topic_id,
        "text": question.text,
        "kind": question.kind,
        "options": "\n".join(o.label for o in q_domain.options_of(session=session, question_id=question.id)),
        "max_choices": question.max_choices or "",
        "scale_min": "" if question.scale_min is None else question.scale_min,
        "scale_max": "" if question.scale_max is None else question.scale_max,
        "scale_label_min": question.scale_label_min,
        "scale_label_max": question.scale_label_max,
        "time_limit_s": question.time_limit_s or "",
        "phone_results": question.phone_results,
        "results_shown": "on" if question.results_shown else "",
    }
    if question.kind == QuestionKind.yesno:
        form["options"] = ""
    return _question_form_page(request, user=user, event=event, session=session, form=form, question=question)


@router.post("/moderator/events/{event_id}/questions/{question_id}/edit")
def edit_question(
    request: Request,
    event_id: Id,
    question_id: Id,
    user: auth.PageUser,
    session: SessionDep,
    form: Annotated[QuestionForm, Depends()],
):
    event = _load_event(session, event_id, user)
    question = q_domain.get_question(session=session, question_id=question_id, event_id=event.id)
    return _save_question(request, session, user, event, form, question)


ACTION_MESSAGES = {
    "open": N_("Abstimmung geöffnet."),
    "close": N_("Abstimmung geschlossen."),
    "show": N_("Frage wird angezeigt."),
    "show-results": N_("Ergebnis wird angezeigt."),
    "hide-results": N_("Ergebnis ist ausgeblendet."),
    "phone-results": N_("Einstellung für die Handys gespeichert."),
    "new-round": N_("Neue Runde gestartet. Die Stimmen der früheren Runden bleiben erhalten."),
    "compare-rounds": N_("Der Beamer zeigt die Runden nebeneinander."),
    "single-round": N_("Der Beamer zeigt nur die aktuelle Runde."),
    "timer": N_("Countdown eingestellt."),
    "hide-term": N_("Begriff ausgeblendet."),
    "show-term": N_("Begriff wird angezeigt."),
    "approve": N_("Antwort freigegeben."),
    "reject": N_("Antwort abgelehnt."),
    "requeue": N_("Antwort zurück in die Warteschlange gelegt."),
    "delete": N_("Frage gelöscht."),
}
LIVE_ACTIONS = {"open", "close", "new-round", "show", "show-results", "hide-results", "phone-results", "compare-rounds",
                "single-round", "timer", "hide-term", "show-term", "approve", "reject", "requeue"}


@router.post("/moderator/events/{event_id}/questions/{question_id}/{action}")
def question_action(
    request: Request,
    event_id: Id,
    question_id: Id,
    action: str,
    user: auth.PageUser,
    session: SessionDep,
    csrf: Text = "",
    seconds: Text = "",
    mode: Text = "",
    term: Text = "",
    answer_id: Text = "",
):
    auth.check_csrf(request, csrf)
    run = q_domain.QUESTION_ACTIONS.get(action)
    if run is None:
        raise Invalid("unknown_action", "Unbekannte Aktion.")
    _load_event(session, event_id, user)
    question = q_domain.get_question(session=session, question_id=question_id, event_id=event_id)
    params = {"seconds": seconds[:8], "mode": mode[:20], "term": term[:200], "answer_id": answer_id[:12]}
    with _audited(session, event_id, user, action, " · ".join([question.text, *(f"{k}={v}" for k, v in params.items() if v)])):
        run(session, question, params)
    publish_question_change(request, session, event_id, question, action)
    if action == "timer" and not seconds.strip("0 "):
        message = _("Countdown angehalten; die Abstimmung läuft ohne Zeitlimit weiter.")
    else:
        message = _(ACTION_MESSAGES[action]) if action in ACTION_MESSAGES else ""
    if "application/json" in request.headers.get("accept", ""):
        # The control page's script (review queue, word-cloud terms): no reload, the socket brings the change.
        return JSONResponse({"ok": True, "action": action, "message": message})
    if message:
        flash(request, message, "success")
    anchor = "live" if action in LIVE_ACTIONS else f"question-{question_id}"
    return RedirectResponse(_event_url(event_id, "agenda" if action == "delete" else anchor), status_code=303)


@router.post("/moderator/events/{event_id}/next")
def next_question(request: Request, event_id: Id, user: auth.PageUser, session: SessionDep, csrf: Text = ""):
    auth.check_csrf(request, csrf)
    event = _load_event(session, event_id, user)
    with _audited(session, event.id, user, "next") as entry:
        question = q_domain.next_question(session=session, event=event)
        entry.detail = question.text if question else ""
    publish_state(request, session, event.id)
    flash(request, _("Nächste Frage geöffnet.") if question else _("Keine weitere Frage: Der Beamer zeigt wieder den Beitrittscode."), "success")
    return RedirectResponse(_event_url(event.id, "live"), status_code=303)


@router.post("/moderator/events/{event_id}/join-screen")
def join_screen(request: Request, event_id: Id, user: auth.PageUser, session: SessionDep, csrf: Text = ""):
    auth.check_csrf(request, csrf)
    event = _load_event(session, event_id, user)
    with _audited(session, event.id, user, "join-screen"):
        q_domain.show_join_screen(session=session, event=event)
    publish_state(request, session, event.id)
    flash(request, _("Der Beamer zeigt den Beitrittscode."), "success")
    return RedirectResponse(_event_url(event.id, "live"), status_code=303)


@router.post("/moderator/events/{event_id}/people-in-hall")
def people_in_hall(request: Request, event_id: Id, user: auth.PageUser, session: SessionDep, people: Text = "", csrf: Text = ""):
    """The organisers' head count, to compare with the number of voters (empty: not counted)."""
    auth.check_csrf(request, csrf)
    event = _load_event(session, event_id, user)
    count = plausibility.parse_people(people)
    plausibility.set_people_in_hall(session=session, event=event, people=count, user=user)
    publish_state(request, session, event.id)
    flash(request, _("Personen im Saal: {n} gespeichert.", n=count) if count is not None
          else _("Die Zahl der Personen im Saal ist gelöscht."), "success")
    return RedirectResponse(_event_url(event.id, "check-title"), status_code=303)


# ---- access: co-moderators, the projector link, the audit log, accounts ------------------------------


@router.post("/moderator/events/{event_id}/co-moderators")
def add_co_moderator(request: Request, event_id: Id, user: auth.PageUser, session: SessionDep, username: Text = "", csrf: Text = ""):
    auth.check_csrf(request, csrf)
    event = _load_event(session, event_id, user)
    with _audited(session, event.id, user, "add-co-moderator", username[:80]) as entry:
        added = access.add_co_moderator(session=session, actor=user, event=event, username=username)
        entry.detail = added.username
    flash(request, _("„{name}“ kann diese Veranstaltung jetzt mitmoderieren.", name=added.username), "success")
    return RedirectResponse(_event_url(event.id, "access"), status_code=303)


@router.post("/moderator/events/{event_id}/co-moderators/{user_id}/remove")
def remove_co_moderator(request: Request, event_id: Id, user_id: Id, user: auth.PageUser, session: SessionDep, csrf: Text = ""):
    auth.check_csrf(request, csrf)
    event = _load_event(session, event_id, user)
    removed = session.get(User, user_id)
    with _audited(session, event.id, user, "remove-co-moderator", removed.username if removed else str(user_id)):
        access.remove_co_moderator(session=session, actor=user, event=event, user_id=user_id)
    if removed is None or not access.can_manage(session=session, user=removed, event=event):
        # Their control page stops at once, on whichever instance it is connected to.
        from_thread.run(partial(request.app.state.hub.end_moderator_sockets, user_id=user_id, event_id=event.id))
    flash(request, _("Co-Moderation entfernt."), "success")
    return RedirectResponse(_event_url(event.id, "access"), status_code=303)


@router.post("/moderator/events/{event_id}/projector-link")
def renew_projector_link(request: Request, event_id: Id, user: auth.PageUser, session: SessionDep, csrf: Text = ""):
    """Revoke the projector link (e.g. it was shared by mistake): a new one replaces it at once."""
    auth.check_csrf(request, csrf)
    event = _load_event(session, event_id, user)
    with _audited(session, event.id, user, "renew-projector-link"):
        access.renew_projector_token(session=session, event=event)
    from_thread.run(request.app.state.hub.revoke_projectors, event.id)
    flash(request, _("Neuer Beamer-Link erstellt. Der alte Link funktioniert nicht mehr; öffnen Sie am Beamer den neuen."), "success")
    return RedirectResponse(_event_url(event.id, "links-title"), status_code=303)


AUDIT_ACTIONS = {
    "create-event": N_("Veranstaltung angelegt"),
    "edit-event": N_("Angaben geändert"),
    "add-topic": N_("Thema hinzugefügt"),
    "topic-rename": N_("Thema umbenannt"),
    "topic-delete": N_("Thema gelöscht"),
    "topic-move-up": N_("Thema nach oben"),
    "topic-move-down": N_("Thema nach unten"),
    "save-question": N_("Frage gespeichert"),
    "add-question": N_("Frage hinzugefügt"),
    "open": N_("Abstimmung geöffnet"),
    "close": N_("Abstimmung geschlossen"),
    "new-round": N_("Neue Runde"),
    "show": N_("Frage angezeigt"),
    "show-results": N_("Ergebnis auf dem Beamer gezeigt"),
    "hide-results": N_("Ergebnis auf dem Beamer ausgeblendet"),
    "phone-results": N_("Ergebnis auf den Handys eingestellt"),
    "compare-rounds": N_("Runden verglichen"),
    "single-round": N_("Nur aktuelle Runde"),
    "timer": N_("Countdown"),
    "hide-term": N_("Begriff ausgeblendet"),
    "show-term": N_("Begriff eingeblendet"),
    "approve": N_("Antwort freigegeben"),
    "reject": N_("Antwort abgelehnt"),
    "requeue": N_("Antwort zurück in die Warteschlange"),
    "move-up": N_("Frage nach oben"),
    "move-down": N_("Frage nach unten"),
    "delete": N_("Frage gelöscht"),
    "next": N_("Nächste Frage"),
    "join-screen": N_("QR-Code gezeigt"),
    "projector": N_("Beamer umgeschaltet"),
    "save-template": N_("Als Vorlage gespeichert"),
    "add-co-moderator": N_("Co-Moderation hinzugefügt"),
    "remove-co-moderator": N_("Co-Moderation entfernt"),
    "renew-projector-link": N_("Beamer-Link erneuert"),
    "create-account": N_("Konto angelegt"),
    "deactivate-account": N_("Konto abgeschaltet"),
    "activate-account": N_("Konto wieder aktiviert"),
    "cards-on": N_("Strenger Modus (Abstimmkarten) eingeschaltet"),
    "cards-off": N_("Strenger Modus (Abstimmkarten) ausgeschaltet"),
    "cards-generate": N_("Abstimmkarten erzeugt"),
    "cards-withdraw": N_("Abstimmkarten zurückgezogen"),
    "people-in-hall": N_("Personen im Saal eingetragen"),
    plausibility.WARNING_ACTION: N_("Warnung: mehr Stimmen als Geräte bzw. Personen im Saal"),
}
AUDIT_OUTCOMES = {"done": N_("ausgeführt"), "refused": N_("abgelehnt")}


def _audit_labels() -> dict[str, dict[str, str]]:
    return {"actions": {key: _(text) for key, text in AUDIT_ACTIONS.items()},
            "outcomes": {key: _(text) for key, text in AUDIT_OUTCOMES.items()}}


@router.get("/moderator/events/{event_id}/audit")
def audit_page(request: Request, event_id: Id, user: auth.PageUser, session: SessionDep):
    event = _load_event(session, event_id, user)
    entries = access.audit_log(session=session, event_id=event.id)
    return render(request, "moderator/audit.html", user=user, event=event, entries=entries, labels=_audit_labels())


def _users_page(request, session, user, *, error=None, form=None, status_code=200):
    users = list(session.exec(select(User).order_by(User.username)))
    return render(request, "moderator/users.html", status_code=status_code, user=user, users=users, error=error, form=form or {},
                  entries=access.account_log(session=session), labels=_audit_labels())


@router.get("/admin/users")
def users_page(request: Request, user: auth.PageUser, session: SessionDep):
    access.require_admin(user)
    return _users_page(request, session, user)


@router.post("/admin/users")
def create_user(
    request: Request, user: auth.PageUser, session: SessionDep, username: Text = "", password: Text = "", is_admin: Text = "",
    csrf: Text = "",
):
    auth.check_csrf(request, csrf)
    access.require_admin(user)
    try:
        with access.audited(session=session, event_id=None, user=user, action="create-account", detail=username[:80]) as entry:
            created = auth.create_user(session=session, username=username[:200], password=password[:200], is_admin=bool(is_admin),
                                       commit=False)
            entry.detail = created.username + (" (Admin)" if created.is_admin else "")
    except DomainError as exc:
        session.rollback()
        return _users_page(request, session, user, error=_(exc.message, **exc.params), form={"username": username[:80]}, status_code=exc.status)
    flash(request, _("Konto „{name}“ angelegt.", name=created.username), "success")
    return RedirectResponse("/admin/users", status_code=303)


@router.post("/admin/users/{user_id}/{action}")
def user_action(request: Request, user_id: Id, action: str, user: auth.PageUser, session: SessionDep, csrf: Text = ""):
    auth.check_csrf(request, csrf)
    access.require_admin(user)
    target = session.get(User, user_id)
    if target is None:
        raise Invalid("user_not_found", "Dieses Konto gibt es nicht.")
    if action not in ("activate", "deactivate"):
        raise Invalid("unknown_action", "Unbekannte Aktion.")
    access.set_active(session=session, actor=user, user=target, active=action == "activate")
    if not target.is_active:
        # Its logins are gone; its control pages close now, on every instance.
        from_thread.run(partial(request.app.state.hub.end_moderator_sockets, user_id=target.id))
    flash(request, _("Konto „{name}“ ist wieder aktiv.", name=target.username) if target.is_active
          else _("Konto „{name}“ ist abgeschaltet.", name=target.username), "success")
    return RedirectResponse("/admin/users", status_code=303)


# ---- the control page's live socket -----------------------------------------------------------


@router.websocket("/ws/moderator/{event_id}")
async def moderator_socket(ws: WebSocket, event_id: Id):
    locale = ws.scope.get("state", {}).get("locale", "de")
    token = auth.session_token(ws)

    def check() -> tuple[ModeratorLogin | None, Event | None, bool]:
        with new_session() as session:
            found = auth.current_login(session=session, token=token)
            event = session.get(Event, event_id)
            if found is None:
                return None, event, False
            user, row = found
            login = ModeratorLogin(user_id=user.id, login_id=row.id, expires_at=row.expires_at.timestamp())
            return login, event, event is not None and access.can_manage(session=session, user=user, event=event)

    try:
        login, event, allowed = await run_in_threadpool(check)
    except DBAPIError:
        await ws.accept()
        await socket_unavailable(ws, locale)
        return
    if not allowed:
        # Closing before accept answers the handshake with 403: no login, no live data, not someone else's event.
        await ws.close(code=4401 if login is None else (4404 if event is None else 4403))
        return
    await ws.accept()
    # The login goes with the socket: logout, switching off or removal from the event close it on every instance.
    await ws.app.state.hub.serve(ws, role="moderator", event_id=event.id, device=None, locale=locale, login=login)
