"""Templates across a series: an event's agenda saved once, the next events of the series made from it.

A question keeps its `key` through templates and duplicates, so the same question asked in Döbeln,
Frankenberg and Freiberg can be found and compared later, even if its wording was touched up.

A template belongs to whoever saved it and to its series, as events do: its owner, admins, and whoever
owns or co-moderates an event of that series may see and use it (they see those agendas anyway); nobody
else learns that it exists beyond its number.
"""

import datetime as dt
import json
from typing import Any

from sqlmodel import Session, col, or_, select

from app.domain.access import Forbidden
from app.domain.errors import Invalid, NotFound
from app.domain.events import _clean, add_topic, agenda, create_event, create_series
from app.domain.questions import create_question
from app.models import Event, EventModerator, Question, Series, Template, User

BODY_VERSION = 1
# The question columns a template carries (besides text, options and key).
SETTINGS = ("max_choices", "scale_min", "scale_max", "scale_label_min", "scale_label_max", "time_limit_s",
            "phone_results", "results_shown")


def agenda_body(*, session: Session, event: Event) -> dict[str, Any]:
    """The event's topics and questions as a template body (no votes, no state)."""
    topics = []
    for topic, questions in agenda(session=session, event_id=event.id):
        topics.append(
            {
                "title": topic.title,
                "questions": [
                    {
                        "key": q.key,
                        "text": q.text,
                        "kind": q.kind,
                        "options": [o.label for o in opts] if q.kind != "yesno" else [],
                        **{name: getattr(q, name) for name in SETTINGS},
                        "segment": q.segment,  # "Ich bin hier als …" stays a group question (#18)
                    }
                    for q, opts in questions
                ],
            }
        )
    return {"version": BODY_VERSION, "topics": topics}


def save_template(*, session: Session, event: Event, title: str, owner_id: int | None) -> Template:
    """Save the event's agenda as a template; the event (and the template) join a series.

    An event without a series starts one named like the template, so its later events compare with it.
    """
    title = _clean(title, field="Name der Vorlage", max_len=200)
    if event.series_id is None:
        series = create_series(session=session, title=title, owner_id=owner_id)
        event.series_id = series.id
        session.add(event)
    template = Template(
        title=title,
        series_id=event.series_id,
        owner_id=owner_id,
        body=json.dumps(agenda_body(session=session, event=event), ensure_ascii=False),
    )
    session.add(template)
    session.commit()
    return template


def _series_of_user(user: User):
    """The series in which this user owns or co-moderates an event (a subquery)."""
    shared = select(EventModerator.event_id).where(EventModerator.user_id == user.id)
    return select(Event.series_id).where(col(Event.series_id).is_not(None), or_(Event.owner_id == user.id, col(Event.id).in_(shared)))


def list_templates(*, session: Session, user: User) -> list[Template]:
    """The templates this user may see and use (an admin: all), newest first."""
    stmt = select(Template).order_by(col(Template.created_at).desc(), col(Template.id).desc())
    if not user.is_admin:
        stmt = stmt.where(or_(Template.owner_id == user.id, col(Template.series_id).in_(_series_of_user(user))))
    return list(session.exec(stmt))


def may_use(*, session: Session, user: User, template: Template) -> bool:
    if user.is_admin or template.owner_id == user.id:
        return True
    if template.series_id is None:
        return False
    return session.exec(_series_of_user(user).where(Event.series_id == template.series_id).limit(1)).first() is not None


def get_template(*, session: Session, user: User, template_id: int) -> Template:
    """The template, if this user may use it; 404 if there is none, 403 if it is someone else's."""
    template = session.get(Template, template_id)
    if template is None:
        raise NotFound("template_not_found", "Diese Vorlage gibt es nicht.")
    if not may_use(session=session, user=user, template=template):
        raise Forbidden("not_your_template", "Diese Vorlage gehört jemand anderem. Bitten Sie die Moderation der Reihe, Sie hinzuzufügen.")
    return template


def template_summary(template: Template) -> dict[str, Any]:
    body = json.loads(template.body)
    return {
        "topics": [t["title"] for t in body["topics"]],
        "questions": sum(len(t["questions"]) for t in body["topics"]),
    }


def _fill(session: Session, event: Event, body: dict[str, Any]) -> None:
    for topic_data in body.get("topics", []):
        topic = add_topic(session=session, event_id=event.id, title=topic_data["title"])
        for q in topic_data.get("questions", []):
            create_question(
                session=session,
                topic=topic,
                text=q["text"],
                kind=q["kind"],
                options=q.get("options", []),
                key=q["key"],
                segment=bool(q.get("segment", False)),
                **{name: q.get(name) for name in SETTINGS if name in q},
            )


def event_from_template(
    *,
    session: Session,
    template: Template,
    owner_id: int | None,
    title: str,
    place: str = "",
    date: dt.date | None = None,
) -> Event:
    """A new event of the template's series with the template's topics and (linked) questions."""
    event = create_event(
        session=session, owner_id=owner_id, title=title, place=place, date=date, series_id=template.series_id
    )
    event.template_id = template.id
    session.add(event)
    _fill(session, event, json.loads(template.body))
    session.commit()
    return event


def duplicate_event(*, session: Session, event: Event, owner_id: int | None, title: str | None = None) -> Event:
    """A copy of an event's agenda, without votes, in the same series: the same questions, asked again."""
    title = title if title and title.strip() else f"{event.title} (Kopie)"
    copy = create_event(
        session=session, owner_id=owner_id, title=title[:200], place=event.place, date=None, series_id=event.series_id
    )
    copy.template_id = event.template_id
    session.add(copy)
    _fill(session, copy, agenda_body(session=session, event=event))
    session.commit()
    return copy


def linked_questions(*, session: Session, key: str) -> list[tuple[Event, Question]]:
    """The same question (by key) at every event of the series, by date (undated last)."""
    if not key:
        raise Invalid("no_key", "Ohne Schlüssel lässt sich keine Frage finden.")
    rows = session.exec(
        select(Event, Question)
        .join(Question, col(Question.event_id) == Event.id)
        .where(Question.key == key)
        .order_by(col(Event.date).is_(None), col(Event.date), col(Event.id))  # undated events last, on every database
    )
    return list(rows)


def series_of(*, session: Session, event: Event) -> Series | None:
    return session.get(Series, event.series_id) if event.series_id else None

