"""The app's own signed cookies: the phone's device cookie, and the one signer every such cookie goes through.

A signed value is read back only if its signature is ours (SECRET_KEY, read when a cookie is made or read);
anything else (missing, tampered with, signed for another purpose) reads as None. The printed voting card's
cookie (routes/cards.py) uses the same `sign`/`unsign` with its own salt.
"""

import uuid
from dataclasses import dataclass

from itsdangerous import BadSignature, Signer
from starlette.requests import HTTPConnection

from app import guards
from app.config import settings

DEVICE_COOKIE = "saal_device"
DEVICE_MAX_AGE = 30 * 24 * 3600
DEVICE_SALT = "saalumfrage.device"
# A device cookie remembers the events its id was admitted to (each admission paced by that event's budget),
# so ids fetched from one event's page cannot be spent at another. The newest few are kept.
DEVICE_EVENTS_MAX = 8


def sign(value: str, *, salt: str) -> str:
    """`value` with our signature for `salt` (one purpose per salt), as a cookie may hold it."""
    return Signer(settings.secret_key, salt=salt).sign(value).decode()


def unsign(cookie: str | None, *, salt: str) -> str | None:
    """The value of a cookie signed for `salt`, or None if it is missing or not genuine."""
    if not cookie:
        return None
    try:
        return Signer(settings.secret_key, salt=salt).unsign(cookie).decode()
    except (BadSignature, UnicodeDecodeError):
        return None


def is_https(request: HTTPConnection) -> bool:
    """Whether a cookie set in answer to this request should be Secure."""
    return guards.is_https(request.scope)


@dataclass(frozen=True, slots=True)
class Device:
    """The device id from the signed cookie and the events it was admitted to.

    `events` None: a cookie from before admissions were recorded (server-made only, so it counts for any event
    until it expires, DEVICE_MAX_AGE after the upgrade).
    """

    id: str
    events: tuple[int, ...] | None = ()

    def admitted(self, event_id: int) -> bool:
        return self.events is None or event_id in self.events

    def admit(self, event_id: int) -> "Device":
        kept = tuple(e for e in (self.events or ()) if e != event_id)
        return Device(self.id, (kept + (event_id,))[-DEVICE_EVENTS_MAX:])

    def cookie(self) -> str:
        # Only characters a cookie value may hold unquoted.
        payload = self.id if self.events is None else f"{self.id}:{'-'.join(map(str, self.events))}"
        return sign(payload, salt=DEVICE_SALT)


def read_device_cookie(cookie: str | None) -> Device | None:
    """The device from its signed cookie, or None if missing or tampered with."""
    payload = unsign(cookie, salt=DEVICE_SALT)
    if payload is None:
        return None
    device_id, sep, events = payload.partition(":")
    if not device_id:
        return None
    if not sep:
        return Device(device_id, None)
    try:
        return Device(device_id, tuple(int(e) for e in events.split("-") if e))
    except ValueError:
        return None


def new_device(event_id: int) -> Device:
    """A fresh device id, admitted to one event (the caller has paced it: see routes.attendee)."""
    return Device(uuid.uuid4().hex, (event_id,))


def new_device_cookie(*event_ids: int) -> tuple[str, str]:
    """A device id and its cookie, admitted to `event_ids`; without any, in the format from before admissions
    (valid at every event) — what tests and benchmarks use to stand in for a phone that came through the page."""
    device = Device(uuid.uuid4().hex, tuple(event_ids) if event_ids else None)
    return device.id, device.cookie()
