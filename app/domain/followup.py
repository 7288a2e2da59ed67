"""Follow-up notes per agenda topic, "Was ist daraus geworden" (#17): short dated notes on the public results page
("Im Kreistag am 27.03.2024 vorgestellt, Drucksache 123/2024"). Added, edited and deleted by the event's
moderators, each audited with its change; each change starts the public page's caches again."""

import datetime as dt

from sqlmodel import Session, col, select

from app.domain import access
from app.domain.errors import Invalid, NotFound
from app.domain.publication import touch_event
from app.models import Event, FollowUpNote, Topic, User

NOTE_MAX = 500
NOTE_ADD, NOTE_EDIT, NOTE_DELETE = "note-add", "note-edit", "note-delete"  # audit actions (labels in domain/actions.py)


def notes_of(*, session: Session, event_id: int) -> dict[int, list[FollowUpNote]]:
    """The event's follow-up notes by topic id, each topic's by date (then as entered)."""
    notes: dict[int, list[FollowUpNote]] = {}
    for note in session.exec(select(FollowUpNote).where(FollowUpNote.event_id == event_id)
                             .order_by(col(FollowUpNote.date), col(FollowUpNote.id))):
        notes.setdefault(note.topic_id, []).append(note)
    return notes


def parse_date(text: str) -> dt.date:
    """"27.03.2024" or "2024-03-27" (the date field); anything else is refused in German."""
    value = (text or "").strip()
    for pattern in ("%d.%m.%Y", "%Y-%m-%d"):
        try:
            day = dt.datetime.strptime(value, pattern).date()
        except ValueError:
            continue
        if 1990 <= day.year <= 2200:
            return day
    raise Invalid("note_date", "Bitte geben Sie ein gültiges Datum an, z. B. 27.03.2024.")


def _note_text(text: str) -> str:
    value = " ".join((text or "").split())
    if not value:
        raise Invalid("note_empty", "Bitte schreiben Sie, was aus dem Thema geworden ist.")
    if len(value) > NOTE_MAX:
        raise Invalid("note_too_long", "Die Notiz darf höchstens {max} Zeichen lang sein (jetzt {n}).", max=NOTE_MAX, n=len(value))
    return value


def _note(session: Session, event: Event, note_id: int) -> FollowUpNote:
    note = session.get(FollowUpNote, note_id)
    if note is None or note.event_id != event.id:
        raise NotFound("note_not_found", "Diese Notiz gibt es nicht (mehr).")
    return note


def add_note(*, session: Session, user: User, event: Event, topic_id: int, date: str, text: str) -> FollowUpNote:
    """A dated note on one of the event's topics ("Im Kreistag am 27.03.2024 vorgestellt …"), audited."""
    topic = session.get(Topic, topic_id)
    if topic is None or topic.event_id != event.id:
        raise NotFound("topic_not_found", "Dieses Thema gibt es nicht.")
    with access.audited(session=session, event_id=event.id, user=user, action=NOTE_ADD, detail=topic.title) as entry:
        note = FollowUpNote(event_id=event.id, topic_id=topic.id, date=parse_date(date), text=_note_text(text))
        session.add(note)
        touch_event(session=session, event_id=event.id)
        entry.detail = f"{topic.title}: {note.date.strftime('%d.%m.%Y')} {note.text}"
    return note


def edit_note(*, session: Session, user: User, event: Event, note_id: int, date: str, text: str) -> FollowUpNote:
    note = _note(session, event, note_id)
    with access.audited(session=session, event_id=event.id, user=user, action=NOTE_EDIT) as entry:
        note.date, note.text = parse_date(date), _note_text(text)
        session.add(note)
        touch_event(session=session, event_id=event.id)
        entry.detail = f"{note.date.strftime('%d.%m.%Y')} {note.text}"
    return note


def delete_note(*, session: Session, user: User, event: Event, note_id: int) -> None:
    note = _note(session, event, note_id)
    with access.audited(session=session, event_id=event.id, user=user, action=NOTE_DELETE,
                        detail=f"{note.date.strftime('%d.%m.%Y')} {note.text}"):
        session.delete(note)
        touch_event(session=session, event_id=event.id)
