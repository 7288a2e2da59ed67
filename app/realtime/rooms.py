"""Rooms: what this process knows about each event it serves (its sockets, current question, tally,
presence and plausibility numbers), loaded from the database, and the state and tally texts sent to them.

A state or tally is serialised (and framed) once per role and sent to every socket of that role in a plain
loop (Connection.push), never a task per socket.
"""

import asyncio
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, cast

from sqlalchemy.engine import Engine
from sqlmodel import Session

from app.domain import plausibility
from app.domain import results as r_domain
from app.domain.live import LiveQuestion
from app.domain.shapes import QuestionPublic, Results, State
from app.domain.snapshot import live_of, role_views, segment_lives_of, snapshot
from app.i18n import N_, translate
from app.models import Event
from app.realtime import protocol
from app.realtime.asgi import text_frame
from app.realtime.connection import Connection

PRESENCE_TTL_S = 6.0  # an instance not heard from for this long no longer counts
# A control socket whose login ended is closed with 4401 (log in again), one removed from the event with 4403.
LOGIN_ENDED, NO_LONGER_MODERATOR = 4401, 4403
ROLES = ("attendee", "projector", "moderator")


def now_ms() -> int:
    return int(time.time() * 1000)


@dataclass
class Room:
    """What this process knows about one event: its sockets and the current question."""

    event_id: int
    attendees: set[Connection] = field(default_factory=set)
    projectors: set[Connection] = field(default_factory=set)
    moderators: set[Connection] = field(default_factory=set)
    loaded: bool = False
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    live: LiveQuestion | None = None
    # The segment questions ("Ich bin hier als …"), answerable besides the current question: id -> live question.
    segment_lives: dict[int, LiveQuestion] = field(default_factory=dict)
    question: QuestionPublic | None = None  # the current question as phones and projector see it
    phase: str = "join"
    version: int = 0
    # The state as each role may see it, built once per change and shared by every socket.
    state: dict[str, dict[str, Any]] = field(default_factory=dict)
    dirty: bool = False
    tally: Results | None = None
    tally_text: dict[str, str] = field(default_factory=dict)
    connected_sent: int = -1
    # Phones on other instances: instance id -> (count, when heard); and what this one last told them.
    remote: dict[str, tuple[int, float]] = field(default_factory=dict)
    local_published: int = 0
    local_published_at: float = 0.0
    # Distinct devices among this instance's phone sockets: voter hash -> its sockets here.
    devices: dict[str, int] = field(default_factory=dict)
    # Plausibility (domain.plausibility): the most devices connected on all instances while the current
    # question round was open; how much of it is stored; what the database had; the organisers' head count.
    seen_round: tuple[int, int] | None = None
    seen_peak: int = 0
    seen_stored: int = 0
    seen_stored_at: float = 0.0
    seen_db: int | None = None
    people_in_hall: int | None = None
    warned: set[tuple[int, int]] = field(default_factory=set)
    check_sent: dict[str, Any] | None = None  # the check the moderators last got

    def live_for(self, question_id: object) -> LiveQuestion | None:
        """The live question an answer is for: a segment question by its id, else the current question."""
        if isinstance(question_id, int) and question_id in self.segment_lives:
            return self.segment_lives[question_id]
        return self.live

    def members(self, role: str) -> set[Connection]:
        return {"attendee": self.attendees, "projector": self.projectors, "moderator": self.moderators}[role]

    @property
    def empty(self) -> bool:
        return not (self.attendees or self.projectors or self.moderators)

    def connected(self) -> int:
        """Devices (not sockets) connected to the event on every instance.

        Each instance counts its own distinct devices; a phone with sockets on two instances counts twice.
        """
        now = time.monotonic()
        return len(self.devices) + sum(n for n, heard in self.remote.values() if now - heard < PRESENCE_TTL_S)

    def devices_seen(self) -> int | None:
        """The peak of connected devices in the current round (while it is open or after), else the stored one."""
        live = self.live
        if live is not None and self.seen_round == (live.id, live.round) and (self.seen_peak or self.phase == "open"):
            return self.seen_peak
        return self.seen_db

    def check(self) -> dict[str, Any]:
        """What the moderator sees: voters, devices seen while open, people in the hall, and the warning."""
        voters = self.tally["voters"] if self.live is not None and self.tally is not None else 0
        return plausibility.check(voters=voters, devices_seen=self.devices_seen(), people_in_hall=self.people_in_hall)


class Rooms:
    """This process's rooms by event id, each loaded from the database before its first socket joins."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.by_event: dict[int, Room] = {}

    async def get(self, event_id: int) -> Room:
        """The loaded room of an event. Callers add their socket right after, with no await in between."""
        while True:
            room = self.by_event.get(event_id)
            if room is None:
                room = self.by_event[event_id] = Room(event_id)
            if not room.loaded:
                async with room.lock:
                    if not room.loaded:
                        await self.reload(room)
            if self.by_event.get(event_id) is room:  # not swept away while we waited
                return room

    async def reload(self, room: Room) -> None:
        state = await asyncio.to_thread(self.load_sync, room.event_id)
        if state is None:  # the event was deleted
            room.live, room.state, room.tally = None, {}, None
            room.loaded = True
            return
        if state["version"] >= room.version:
            apply(room, state)
        room.loaded = True

    def load_sync(self, event_id: int) -> State | None:
        with Session(self.engine) as session:
            event = session.get(Event, event_id)
            return None if event is None else snapshot(session=session, event=event)

    def end_moderators(self, *, user_id: int | None, event_id: int | None, login_id: str | None) -> None:
        """Close an account's control sockets: of one event (removed from it), else of one login or all of them."""
        if event_id is None:  # the login or the account ended: every event
            rooms, code, error = list(self.by_event.values()), LOGIN_ENDED, "login_ended"
            text = N_("Sie sind abgemeldet. Bitte melden Sie sich neu an.")
        else:  # removed from this event
            room = self.by_event.get(event_id)
            rooms, code, error = [room] if room is not None else [], NO_LONGER_MODERATOR, "not_moderator"
            text = N_("Sie moderieren diese Veranstaltung nicht mehr.")
        for room in rooms:
            for conn in list(room.moderators):
                login = conn.login
                if login is not None and login.user_id == user_id and login_id in (None, login.login_id):
                    conn.push(protocol.error(error, translate(text, conn.locale)))
                    conn.close(code, drain=True)


def apply(room: Room, state: State) -> None:
    """Make a snapshot (domain.snapshot) the room's state; the caller checked it is not older."""
    room.version = state["version"]
    room.live = live_of(state)
    room.segment_lives = segment_lives_of(state)
    room.question = state["question"]
    room.phase = state["phase"]
    room.state = cast(dict[str, dict[str, Any]], role_views(state))
    room.tally = state["results"]
    check = state.get("check") or {}
    room.people_in_hall = check.get("people_in_hall")
    room.seen_db = check.get("devices_seen")
    if room.live is not None and room.seen_round == (room.live.id, room.live.round):
        room.seen_peak = max(room.seen_peak, room.seen_db or 0)
    room.tally_text = tally_texts(room) if room.tally else {}
    room.dirty = room.tally is not None  # votes may have landed since the snapshot was taken
    room.loaded = True


def tally_texts(room: Room, roles: Iterable[str] = ("moderator", "projector", "attendee")) -> dict[str, str]:
    """The tally as each role may see it, serialised once; phones get one only while they see results."""
    assert room.tally is not None
    connected = room.connected()
    now = now_ms()
    texts = {}
    if "moderator" in roles:
        room.check_sent = room.check()
        texts["moderator"] = protocol.dumps(
            {"type": protocol.TALLY, **room.tally, "connected": connected, "check": room.check_sent, "now": now}
        )
    if "projector" in roles:
        texts["projector"] = protocol.dumps(
            {"type": protocol.TALLY, **dict(r_domain.for_projector(room.question, room.tally) or {}), "connected": connected, "now": now}
        )
    phones = r_domain.for_phones(room.question, room.phase, room.tally) if "attendee" in roles else None
    if phones is not None:
        texts["attendee"] = protocol.dumps({"type": protocol.TALLY, **phones, "now": now})
    return texts


def state_text(room: Room, role: str, **extra: Any) -> str:
    """The room's state as `role` sees it, with the live numbers and the server's clock."""
    payload: dict[str, Any] = room.state.get(role) or {"type": protocol.STATE, "phase": "gone", "event": None, "question": None}
    if role != "attendee":
        extra["connected"] = room.connected()
    if role == "moderator":
        extra["check"] = room.check_sent = room.check()
    # The server's clock, so a countdown shows the same time left on every screen.
    extra["now"] = now_ms()
    return protocol.dumps({**payload, **extra})


def broadcast_state(room: Room) -> None:
    for role in ROLES:
        members = room.members(role)
        if members:
            text = state_text(room, role)  # serialised and framed once per role
            frame = text_frame(text)
            for conn in members:
                conn.push(text, frame)
    room.connected_sent = room.connected()
