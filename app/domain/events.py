"""Events, agenda topics and the join code: creation, lookup, ordering."""

import datetime as dt
import hashlib
import secrets

from sqlmodel import Session, col, delete, func, select

from app.domain.errors import Invalid, NotFound
from app.models import Event, FollowUpNote, Option, Question, Series, Topic, Vote

JOIN_CODE_DIGITS = 6


def _clean(text: str | None, *, field: str, max_len: int, required: bool = True) -> str:
    value = " ".join((text or "").split())
    if required and not value:
        raise Invalid("empty", "Bitte füllen Sie das Feld „{field}“ aus.", field=field)
    if len(value) > max_len:
        raise Invalid("too_long", "„{field}“ darf höchstens {max} Zeichen lang sein.", field=field, max=max_len)
    return value


def _new_join_code(session: Session) -> str:
    for _ in range(50):
        code = "".join(secrets.choice("0123456789") for _ in range(JOIN_CODE_DIGITS))
        if code[0] != "0" and not session.exec(select(Event.id).where(Event.join_code == code)).first():
            return code
    raise RuntimeError("no free join code")  # pragma: no cover - 900,000 codes


def normalise_join_code(raw: str | None) -> str:
    """Accept what people type: spaces, dashes, and a code read out in groups."""
    return "".join(ch for ch in (raw or "") if ch.isalnum())[:20].upper()


def create_series(*, session: Session, title: str, owner_id: int | None = None) -> Series:
    series = Series(title=_clean(title, field="Titel", max_len=200), owner_id=owner_id)
    session.add(series)
    session.commit()
    return series


def list_series(*, session: Session) -> list[Series]:
    return list(session.exec(select(Series).order_by(col(Series.title))))


def create_event(
    *,
    session: Session,
    owner_id: int | None,
    title: str,
    place: str = "",
    date: dt.date | None = None,
    series_id: int | None = None,
) -> Event:
    """Create an event with a fresh join code and an unguessable projector token."""
    event = Event(
        title=_clean(title, field="Titel", max_len=200),
        place=_clean(place, field="Ort", max_len=200, required=False),
        date=date,
        series_id=series_id,
        owner_id=owner_id,
        join_code=_new_join_code(session),
        projector_token=secrets.token_urlsafe(24),
    )
    session.add(event)
    session.commit()
    return event


def update_event(*, session: Session, event: Event, title: str, place: str, date: dt.date | None) -> Event:
    event.title = _clean(title, field="Titel", max_len=200)
    event.place = _clean(place, field="Ort", max_len=200, required=False)
    event.date = date
    session.add(event)
    session.commit()
    return event


def get_event(*, session: Session, event_id: int) -> Event:
    event = session.get(Event, event_id)
    if event is None:
        raise NotFound("event_not_found", "Diese Veranstaltung gibt es nicht.")
    return event


def get_by_code(*, session: Session, code: str) -> Event:
    """Find the event for a join code as a person typed it."""
    event = session.exec(select(Event).where(Event.join_code == normalise_join_code(code))).first()
    if event is None:
        raise NotFound("unknown_code", "Zum Code „{code}“ gibt es keine Veranstaltung.", code=code)
    return event


def get_by_projector_token(*, session: Session, token: str) -> Event:
    event = session.exec(select(Event).where(Event.projector_token == token)).first() if token else None
    if event is None:
        raise NotFound("unknown_projector", "Dieser Beamer-Link ist ungültig.")
    return event


def topics(*, session: Session, event_id: int) -> list[Topic]:
    return list(session.exec(select(Topic).where(Topic.event_id == event_id).order_by(col(Topic.position), col(Topic.id))))


def get_topic(*, session: Session, topic_id: int, event_id: int) -> Topic:
    topic = session.get(Topic, topic_id)
    if topic is None or topic.event_id != event_id:
        raise NotFound("topic_not_found", "Dieses Thema gibt es nicht.")
    return topic


def add_topic(*, session: Session, event_id: int, title: str) -> Topic:
    title = _clean(title, field="Thema", max_len=200)
    last = session.exec(select(func.max(Topic.position)).where(Topic.event_id == event_id)).one()
    topic = Topic(event_id=event_id, title=title, position=(last or 0) + 1)
    session.add(topic)
    session.commit()
    return topic


def rename_topic(*, session: Session, topic: Topic, title: str) -> Topic:
    topic.title = _clean(title, field="Thema", max_len=200)
    session.add(topic)
    session.commit()
    return topic


def delete_topic(*, session: Session, topic: Topic) -> None:
    """Delete an agenda topic; refused while it still holds questions."""
    if session.exec(select(Question.id).where(Question.topic_id == topic.id)).first():
        raise Invalid("topic_not_empty", "Das Thema enthält noch Fragen. Löschen oder verschieben Sie diese zuerst.")
    session.exec(delete(FollowUpNote).where(col(FollowUpNote.topic_id) == topic.id))  # its "Was ist daraus geworden" notes
    session.delete(topic)
    session.commit()


def move_topic(*, session: Session, topic: Topic, direction: int) -> None:
    swap_neighbour(session=session, items=topics(session=session, event_id=topic.event_id), item=topic, direction=direction)


def swap_neighbour(*, session: Session, items: list, item, direction: int) -> None:
    """Move item one place up (-1) or down (+1) in an ordered list by renumbering it."""
    if direction not in (-1, 1):
        raise Invalid("bad_direction", "Ungültige Richtung.")
    ids = [i.id for i in items]
    idx = ids.index(item.id)
    other = idx + direction
    if 0 <= other < len(items):
        items[idx], items[other] = items[other], items[idx]
    for pos, obj in enumerate(items, start=1):
        obj.position = pos
        session.add(obj)
    session.commit()


def agenda(*, session: Session, event_id: int) -> list[tuple[Topic, list[tuple[Question, list[Option]]]]]:
    """The event's topics in order, each with its questions and their options."""
    topic_list = topics(session=session, event_id=event_id)
    questions = list(
        session.exec(select(Question).where(Question.event_id == event_id).order_by(col(Question.position), col(Question.id)))
    )
    options: dict[int, list[Option]] = {}
    if questions:
        for opt in session.exec(
            select(Option)
            .where(col(Option.question_id).in_([q.id for q in questions]))
            .order_by(col(Option.position), col(Option.id))
        ):
            options.setdefault(opt.question_id, []).append(opt)
    by_topic: dict[int, list[tuple[Question, list[Option]]]] = {t.id: [] for t in topic_list}
    for q in questions:
        by_topic.setdefault(q.topic_id, []).append((q, options.get(q.id, [])))
    return [(t, by_topic[t.id]) for t in topic_list]



# What the control page's agenda shows of a question (not its votes, not the live state of the current one).
AGENDA_FIELDS = ("id", "topic_id", "position", "text", "kind", "status", "round", "max_choices", "scale_min", "scale_max",
                 "scale_label_min", "scale_label_max", "time_limit_s")


def agenda_digest(*, session: Session, event_id: int) -> str:
    """A fingerprint of the agenda (topics, questions, options): a control page compares it with the one it was
    rendered with, to see that another moderator changed the agenda."""
    parts = [
        (topic.id, topic.title, [(tuple(getattr(q, f) for f in AGENDA_FIELDS), [(o.id, o.label) for o in opts]) for q, opts in questions])
        for topic, questions in agenda(session=session, event_id=event_id)
    ]
    return hashlib.blake2b(repr(parts).encode(), digest_size=8).hexdigest()

def vote_counts(*, session: Session, event_id: int) -> dict[int, int]:
    """How many devices voted on each question of an event, in its current round."""
    rows = session.exec(
        select(Vote.question_id, func.count())
        .join(Question, col(Question.id) == Vote.question_id)
        .where(Question.event_id == event_id, col(Vote.round) == col(Question.round))
        .group_by(col(Vote.question_id))
    )
    return {qid: n for qid, n in rows}
