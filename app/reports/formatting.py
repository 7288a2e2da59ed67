"""Numbers, dates and times as the results pages and reports print them (German conventions: decimal comma,
a narrow no-break space before %, dates as 15.03.2023, times in the event's time zone)."""

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from app.config import settings

NBSP = "\u00a0"
PERCENT_DIGITS = 0  # percentages are printed whole; the method note says sums may differ from 100 by rounding


def number(value: float | int | None, digits: int = 1) -> str:
    """1234.5 → "1.234,5"; whole numbers without decimals; None → "–". Rounded once, half up, from the exact value."""
    if value is None:
        return "–"
    text = f"{int(value):,}" if float(value).is_integer() else f"{half_up(value, digits):,.{digits}f}"
    return text.replace(",", "\u2009").replace(".", ",").replace("\u2009", ".")


def percent(value: float | None, digits: int = PERCENT_DIGITS) -> str:
    """23.456 → "23 %" (a no-break space keeps the sign with its number); None → "–"."""
    if value is None:
        return "–"
    text = f"{half_up(value, digits):.{digits}f}".replace(".", ",")
    return f"{text}{NBSP}%"


def half_up(value: float, digits: int) -> Decimal:
    """Rounded as people round by hand (62.5 → 63), not to the even neighbour as Python's round() does.

    From the shortest decimal that reads back as the float (repr: 7.35, not 7.34999…), as the browsers'
    Intl.NumberFormat does, so a page and a report round a value the same way (docs/protocol.md, "Numbers").
    """
    return Decimal(repr(value)).quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP)


def zone() -> ZoneInfo:
    """The time zone events are held in (TIMEZONE, default Europe/Berlin)."""
    return ZoneInfo(settings.timezone)


def local(moment: dt.datetime) -> dt.datetime:
    """A stored time (UTC, naive on SQLite) in the events' time zone."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(zone())


def date(value: dt.date | None) -> str:
    """15.03.2023; no date: "ohne Datum"."""
    return value.strftime("%d.%m.%Y") if value else "ohne Datum"


def clock(moment: dt.datetime) -> str:
    """19:42 in the events' time zone."""
    return local(moment).strftime("%H:%M")


def stamp(moment: dt.datetime) -> str:
    """15.03.2023, 19:42 in the events' time zone."""
    return local(moment).strftime("%d.%m.%Y, %H:%M")


# The German names of the zones' abbreviations (Mitteleuropäische [Sommer-]Zeit); others are printed as they are.
ZONE_ABBREVIATIONS = {"CET": "MEZ", "CEST": "MESZ"}


def zone_abbreviation(moment: dt.datetime) -> str:
    """MEZ or MESZ for a moment in Europe/Berlin (winter or summer time); another zone's own abbreviation."""
    name = local(moment).tzname() or settings.timezone
    return ZONE_ABBREVIATIONS.get(name, name)


def stamp_seconds(moment: dt.datetime) -> str:
    """15.03.2023, 19:42:05 MEZ: a log line's time in the events' time zone, the zone named (audit log)."""
    return f"{local(moment).strftime('%d.%m.%Y, %H:%M:%S')} {zone_abbreviation(moment)}"


def iso_utc(moment: dt.datetime) -> str:
    """2023-03-15T18:42:05Z: a stored time for <time datetime> (whole seconds, UTC)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def file_part(text: str) -> str:
    """A title or place as part of a stable file name: Döbeln → Doebeln, spaces → "-", nothing else odd."""
    for umlaut, plain in (("ä", "ae"), ("ö", "oe"), ("ü", "ue"), ("Ä", "Ae"), ("Ö", "Oe"), ("Ü", "Ue"), ("ß", "ss")):
        text = text.replace(umlaut, plain)
    kept = "".join(c if c.isascii() and (c.isalnum() or c in "-_") else "-" for c in text.strip())
    while "--" in kept:
        kept = kept.replace("--", "-")
    return kept.strip("-")[:60] or "Veranstaltung"
