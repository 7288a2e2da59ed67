"""Is the number of voters plausible? Voters against the devices connected while the round was open and the
people the organisers counted in the hall; the moderator sees it, a clear excess is warned about and logged.

Anonymous polling cannot stop a determined person from voting again with a fresh device id; this makes it
visible. A device is one phone's cookie however many sockets it opens (see realtime.hub).
"""

import math
from typing import Any

from sqlalchemy import update
from sqlmodel import Session, col, select

from app.domain import access
from app.domain.errors import Invalid
from app.models import AuditEntry, Event, Question, table_of

# Voters may exceed max(devices seen, people in the hall) by 10 % and 3 before it is a warning: phones that
# vote through the plain form (no JavaScript, so no socket) and phones that were asleep at the peak are not
# counted as devices, and a small hall should not raise an alarm over two or three of them.
WARN_FACTOR = 1.1
WARN_SLACK = 3
PEOPLE_MAX = 100_000
WARNING_ACTION = "plausibility-warning"


def check(*, voters: int, devices_seen: int | None, people_in_hall: int | None) -> dict[str, Any]:
    """The numbers the moderator sees, the limit and whether voters exceed it."""
    reference = max(devices_seen or 0, people_in_hall or 0)
    limit = math.floor(reference * WARN_FACTOR) + WARN_SLACK
    return {
        "voters": voters,
        "devices_seen": devices_seen,
        "people_in_hall": people_in_hall,
        "limit": limit,
        "warning": voters > limit,
    }


def parse_people(raw: object) -> int | None:
    """The people-in-the-hall field: empty for "not counted", else a whole number 0–100,000."""
    if raw is None:
        return None
    if isinstance(raw, bool):
        raise Invalid("bad_people", "Bitte geben Sie die Zahl der Personen im Saal als ganze Zahl von 0 bis {max} an.", max=PEOPLE_MAX)
    if isinstance(raw, int):
        value = raw
    else:
        text = str(raw).strip().replace(".", "").replace(" ", "")
        if not text:
            return None
        if not text.isascii() or not text.isdigit() or len(text) > 6:
            raise Invalid("bad_people", "Bitte geben Sie die Zahl der Personen im Saal als ganze Zahl von 0 bis {max} an.", max=PEOPLE_MAX)
        value = int(text)
    if not 0 <= value <= PEOPLE_MAX:
        raise Invalid("bad_people", "Bitte geben Sie die Zahl der Personen im Saal als ganze Zahl von 0 bis {max} an.", max=PEOPLE_MAX)
    return value


def set_people_in_hall(*, session: Session, event: Event, people: int | None, user) -> Event:
    """The organisers' head count (None: not counted); audited."""
    event.people_in_hall = people
    session.add(event)
    session.commit()
    access.record(session=session, event_id=event.id, user=user, action="people-in-hall",
                  detail="–" if people is None else str(people))
    return event


def store_devices_seen(*, session: Session, question_id: int, round: int, seen: int) -> None:
    """Raise the question's devices_seen to `seen` if this round is still current; several instances may call it."""
    table = table_of(Question)
    session.execute(
        update(table)
        .where(table.c.id == question_id, table.c.round == round)
        .where((table.c.devices_seen.is_(None)) | (table.c.devices_seen < seen))
        .values(devices_seen=seen)
    )
    session.commit()


def _warning_key(question_id: int, round: int) -> str:
    return f"Frage {question_id}, Runde {round}:"


def record_warning(*, session: Session, event_id: int, question_id: int, round: int, numbers: dict[str, Any]) -> bool:
    """Write the warning to the event's audit log, once per question round; False if it was there already."""
    key = _warning_key(question_id, round)
    seen = session.exec(
        select(AuditEntry.id).where(
            AuditEntry.event_id == event_id, AuditEntry.action == WARNING_ACTION, col(AuditEntry.detail).startswith(key)
        )
    ).first()
    if seen is not None:
        return False
    question = session.get(Question, question_id)
    people = numbers.get("people_in_hall")
    devices = numbers.get("devices_seen") or 0
    detail = (
        f"{key} {numbers['voters']} Stimmen, höchstens {devices} {'Gerät' if devices == 1 else 'Geräte'} gleichzeitig verbunden, "
        f"{'–' if people is None else people} {'Person' if people == 1 else 'Personen'} im Saal – {question.text if question else ''}"
    )
    access.record(session=session, event_id=event_id, user=None, action=WARNING_ACTION, detail=detail)
    return True
