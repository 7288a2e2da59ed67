"""Typed values from what a form or a JSON body sent: whole numbers and dates, refused with a German message."""

import datetime as dt

from app.domain.errors import Invalid
from app.models import ID_MAX


def optional_int(raw: object, *, field: str) -> int | None:
    """A whole number, or None for an empty field; more than the database can hold is no number either."""
    if raw is None:
        return None
    text = str(raw).strip()
    if not text:
        return None
    try:
        value = int(text)
    except ValueError:
        raise Invalid("bad_number", "„{field}“ muss eine ganze Zahl sein.", field=field) from None
    if abs(value) > ID_MAX:
        raise Invalid("bad_number", "„{field}“ muss eine ganze Zahl sein.", field=field)
    return value


def optional_date(raw: str) -> dt.date | None:
    """An ISO date, or None for an empty field."""
    raw = raw.strip()
    if not raw:
        return None
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        raise Invalid("bad_date", "Bitte geben Sie das Datum als TT.MM.JJJJ oder JJJJ-MM-TT an.") from None
