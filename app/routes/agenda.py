"""An event's agenda: its topics, and the form that writes a question."""

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from sqlmodel import Session

from app import auth
from app.db import SessionDep
from app.domain import control
from app.domain import events as e_domain
from app.domain import questions as q_domain
from app.domain import segments as seg_domain
from app.domain.errors import DomainError, Invalid
from app.domain.parsing import optional_int
from app.i18n import _
from app.models import ID_MAX, Event, PhoneResults, Question, QuestionKind, User
from app.pages import render
from app.routes.deps import DrivenEvent, Text, ViewedEvent, done, event_url
from app.routes.params import Id

router = APIRouter()


@router.post("/moderator/events/{event_id}/topics")
def add_topic(request: Request, event: DrivenEvent, user: auth.PageUser, session: SessionDep, title: Text = ""):
    outcome = control.perform(session=session, user=user, event=event, verb="add-topic", params={"title": title})
    return done(request, outcome, event_url(event.id, f"topic-{getattr(outcome.result, 'id', '')}"))


@router.post("/moderator/events/{event_id}/topics/{topic_id}/{action}")
def topic_action(request: Request, event: DrivenEvent, topic_id: Id, action: str, user: auth.PageUser, session: SessionDep,
                 title: Text = ""):
    """rename, move-up, move-down, delete (only an empty topic)."""
    outcome = control.perform(session=session, user=user, event=event, verb=action, scope="topic", topic_id=topic_id,
                              params={"title": title})
    return done(request, outcome, event_url(event.id, "agenda" if action == "delete" else f"topic-{topic_id}"))


def _question_form_page(request: Request, *, user: User, event: Event, session: Session, form: dict[str, Any],
                        error: str | None = None, question: Question | None = None, status_code: int = 200):
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
    request: Request, event: ViewedEvent, user: auth.PageUser, session: SessionDep,
    topic_id: Annotated[int | None, Query(ge=1, le=ID_MAX)] = None,
    preset: Annotated[str, Query(max_length=10)] = "",
):
    form = {"topic_id": topic_id, "kind": QuestionKind.single, "text": "", "options": "", "max_choices": "",
            "scale_min": "1", "scale_max": "5", "scale_label_min": "", "scale_label_max": "", "time_limit_s": "",
            "phone_results": PhoneResults.after_close, "results_shown": "on", "segment": ""}
    if preset in seg_domain.PRESETS:  # a ready-made segment question, one click from the agenda
        text, options = seg_domain.PRESETS[preset]
        form |= {"text": _(text), "options": "\n".join(_(o) for o in options), "segment": "on", "phone_results": PhoneResults.hidden}
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
    segment: Text = ""

    def values(self) -> dict[str, str]:
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
            "segment": self.segment[:4],
        }

    def fields(self) -> dict[str, object]:
        """The question's definition as the domain takes it (numbers parsed, with a message if they are not)."""
        return {
            "text": self.text,
            "kind": self.kind,
            "options": self.options.splitlines(),
            "max_choices": optional_int(self.max_choices, field=_("Höchstens wählbar")),
            "scale_min": optional_int(self.scale_min, field=_("Skala von")),
            "scale_max": optional_int(self.scale_max, field=_("Skala bis")),
            "scale_label_min": self.scale_label_min,
            "scale_label_max": self.scale_label_max,
            "time_limit_s": optional_int(self.time_limit_s, field=_("Zeitlimit")),
            "phone_results": self.phone_results or PhoneResults.after_close,
            "results_shown": bool(self.results_shown),
            "segment": bool(self.segment),
        }


def _save_question(request: Request, session: Session, user: User, event: Event, form: QuestionForm, question: Question | None):
    """Create (question None) or update a question from the form; on bad input show the form again, as typed."""
    try:
        tid = optional_int(form.topic_id, field=_("Thema"))
        if tid is None and question is None:
            raise Invalid("no_topic", "Bitte wählen Sie ein Thema.")
        outcome = control.perform(session=session, user=user, event=event, verb="save-question", topic_id=tid,
                                  question_id=question.id if question else None, params={"text": form.text, "fields": form.fields()})
    except DomainError as exc:
        session.rollback()
        if question is not None:
            question = q_domain.get_question(session=session, question_id=question.id, event_id=event.id)
        return _question_form_page(request, user=user, event=event, session=session, form=form.values(), question=question,
                                   error=_(exc.message, **exc.params), status_code=exc.status)
    return done(request, outcome, event_url(event.id, f"question-{getattr(outcome.result, 'id', '')}"))


QuestionFormDep = Annotated[QuestionForm, Depends()]


@router.post("/moderator/events/{event_id}/questions")
def create_question(request: Request, event: DrivenEvent, user: auth.PageUser, session: SessionDep, form: QuestionFormDep):
    return _save_question(request, session, user, event, form, None)


@router.get("/moderator/events/{event_id}/questions/{question_id}/edit")
def edit_question_page(request: Request, event: ViewedEvent, question_id: Id, user: auth.PageUser, session: SessionDep):
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
        "segment": "on" if question.segment else "",
    }
    if question.kind == QuestionKind.yesno:
        form["options"] = ""
    return _question_form_page(request, user=user, event=event, session=session, form=form, question=question)


@router.post("/moderator/events/{event_id}/questions/{question_id}/edit")
def edit_question(request: Request, event: DrivenEvent, question_id: Id, user: auth.PageUser, session: SessionDep,
                  form: QuestionFormDep):
    question = q_domain.get_question(session=session, question_id=question_id, event_id=event.id)
    return _save_question(request, session, user, event, form, question)
