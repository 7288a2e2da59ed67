"""Per-event fan-out to this process's sockets, vote intake and tally coalescing."""

import asyncio
import logging
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from fastapi import WebSocket
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session

from app.domain import plausibility
from app.domain import questions as q_domain
from app.domain.access import can_manage
from app.domain import results as r_domain
from app.domain import votes as v_domain
from app.domain.errors import Conflict, DomainError
from app.domain.questions import LiveQuestion
from app.domain.snapshot import live_of, role_views, snapshot
from app.i18n import N_, translate
from app.limits import Budgets, Rate, budgets
from app.models import Event, LoginSession, User
from app.realtime import card_gate, protocol
from app.realtime.asgi import text_frame
from app.realtime.bus import Bus
from app.realtime.writer import VoteWriter

log = logging.getLogger(__name__)

CHANNEL = "events"
PRESENCE_EVERY_S = 2.0  # each instance repeats its phone count this often, while it has any room
PRESENCE_TTL_S = 6.0  # an instance not heard from for this long no longer counts
TIMER_CHECK_S = 0.5  # how often countdowns that ran out are closed
# Abuse limits. Every phone of a hall may share one public IP address, so nothing here looks at addresses:
# a socket is limited by what it sends, a device (its signed cookie) by how often it votes.
MESSAGES_BURST, MESSAGES_PER_S = 20, 2.0  # per socket: a burst of 20, then 2 a second
FLOOD_CLOSE_AFTER = 100  # refused messages in a row before the socket is closed (1008)
VOTES_BURST, VOTES_PER_S = 10, 0.5  # per device, over all its sockets: 10 quick changes, then one every 2 s
VOTE_RATE = Rate(VOTES_BURST, VOTES_PER_S)
IDLE_TIMEOUT_S = 120.0  # pages ping every 20 s; a socket silent this long is closed
IDLE_SWEEP_S = 10.0
SEND_BACKLOG_MAX = 64
# Every instance compares its rooms with the database this often, so a change whose bus message was lost
# (Redis paused, restarted, a publish that timed out) reaches every screen by itself within a few seconds.
RECONCILE_S = 2.0
UNAVAILABLE = "Die Umfrage ist kurz nicht erreichbar, bitte gleich neu laden."
# A control socket whose login ended is closed with 4401 (log in again), one removed from the event with 4403.
LOGIN_ENDED, NO_LONGER_MODERATOR = 4401, 4403


@dataclass(frozen=True, slots=True)
class ModeratorLogin:
    """Whose control socket this is (see app.auth): it ends with the login, the account or the right to the event."""

    user_id: int
    login_id: str  # LoginSession.id
    expires_at: float  # epoch seconds, as the login row said when the socket opened
# A device (one phone's cookie) counts once however many sockets it opens; it may open this many per instance
# (a few tabs), the next is refused with `too_many_sockets` and close code 4429 (the page retries slowly).
SOCKETS_PER_DEVICE = 5
CLOSE_TOO_MANY_SOCKETS = 4429
DEVICES_SEEN_STORE_S = 5.0  # how often a grown peak of devices is written to Question.devices_seen


class Connection:
    """One socket. Sends go out at once while the socket keeps up; a slow one gets a backlog and a task.

    A broadcast to thousands of phones is then a plain loop of writes, with no task switch per phone and
    no task held per idle phone. A phone that falls SEND_BACKLOG_MAX messages behind is closed: it
    reconnects and gets the full state, so it stalls nobody.
    """

    __slots__ = ("ws", "role", "event_id", "device", "locale", "backlog", "drainer", "closed", "_send", "_write_frame",
                 "last_seen", "tokens", "refused", "close_after_drain", "login")

    def __init__(self, ws: WebSocket, role: str, event_id: int, device: str | None, locale: str,
                 login: ModeratorLogin | None = None) -> None:
        self.ws = ws
        self.role = role
        self.event_id = event_id
        self.device = device
        self.locale = locale
        self.backlog: deque[str] | None = None  # not None while a send is waiting for the socket
        self.drainer: asyncio.Task | None = None
        self.closed = False
        self._send = ws.send_text
        self._write_frame = getattr(ws, "write_frame", None)
        self.last_seen = time.monotonic()
        self.tokens = float(MESSAGES_BURST)
        self.refused = 0
        self.close_after_drain: int | None = None
        self.login = login

    def allow_message(self, now: float) -> bool:
        """Token bucket per socket: a burst, then a steady rate. Also notes that the socket is alive."""
        self.tokens = min(MESSAGES_BURST, self.tokens + (now - self.last_seen) * MESSAGES_PER_S)
        self.last_seen = now
        if self.tokens < 1:
            self.refused += 1
            return False
        self.tokens -= 1
        self.refused = 0
        return True

    def push(self, text: str, frame: bytes | None = None) -> None:
        """Send a message; `frame` is the same message framed once for a whole broadcast."""
        if self.closed:
            return
        if self.backlog is None and self._write_frame is not None:
            if self._write_frame(frame or text_frame(text)):
                return
        if self.backlog is not None:
            if len(self.backlog) >= SEND_BACKLOG_MAX:
                log.info("closing a %s socket that fell behind", self.role)
                self.close(1013)
                return
            self.backlog.append(text)
            return
        # Run the send eagerly: it finishes without suspending unless the socket is paused.
        coro = self._send(text)
        try:
            waiting_on = coro.send(None)
        except StopIteration:
            return
        except Exception:
            self.closed = True  # the socket is gone; its receive loop ends and cleans up
            return
        self.backlog = deque()
        self.drainer = asyncio.ensure_future(self._drain(coro, waiting_on))

    async def _drain(self, coro, waiting_on) -> None:
        try:
            await _finish(coro, waiting_on)
            while self.backlog:
                await self._send(self.backlog.popleft())
        except asyncio.CancelledError:
            raise
        except Exception:
            self.closed = True
        finally:
            self.backlog = None
            self.drainer = None
            if self.close_after_drain is not None:
                asyncio.ensure_future(_close_quietly(self.ws, self.close_after_drain))

    def close(self, code: int = 1000, *, drain: bool = False) -> None:
        """Close the socket; with `drain`, only after what is already queued went out (a last message)."""
        self.closed = True
        if drain and self.drainer is not None and not self.drainer.done():
            self.close_after_drain = code
            return
        if self.drainer is not None:
            self.drainer.cancel()
        asyncio.ensure_future(_close_quietly(self.ws, code))

    def stop(self) -> None:
        self.closed = True
        if self.drainer is not None:
            self.drainer.cancel()


async def _finish(coro, waiting_on) -> None:
    """Drive a coroutine that was started by hand and suspended on `waiting_on` to its end."""
    try:
        while True:
            if waiting_on is None:  # a bare yield, as in asyncio.sleep(0)
                await asyncio.sleep(0)
            else:
                await asyncio.wait([waiting_on])  # done, with or without an exception; the coroutine sees which
            try:
                waiting_on = coro.send(None)
            except StopIteration:
                return
    finally:
        coro.close()


class QuietFailures:
    """A loop that fails while the database is away (several times a second): said once a minute, not each
    time, and once when it works again. Anything but a database error is logged with its traceback."""

    def __init__(self, what_failed: str, back_again: str) -> None:
        self.what_failed, self.back_again = what_failed, back_again
        self.since: float | None = None

    def failed(self, exc: Exception) -> None:
        now = time.monotonic()
        if self.since is None or now - self.since > 60:
            if isinstance(exc, DBAPIError):
                log.warning("%s (%s); neuer Versuch läuft.", self.what_failed, exc.__class__.__name__)
            else:
                log.exception(self.what_failed)
            self.since = now

    def ok(self) -> None:
        if self.since is not None:
            log.warning(self.back_again)
            self.since = None


def _now_ms() -> int:
    return int(time.time() * 1000)


async def _close_quietly(ws: WebSocket, code: int) -> None:
    try:
        await ws.close(code=code)
    except Exception:
        pass


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
    question: dict[str, Any] | None = None  # the current question as phones and projector see it
    phase: str = "join"
    version: int = 0
    # The state as each role may see it, built once per change and shared by every socket.
    state: dict[str, dict[str, Any]] = field(default_factory=dict)
    dirty: bool = False
    tally: dict[str, Any] | None = None
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

    def members(self, role: str) -> set[Connection]:
        return {"attendee": self.attendees, "projector": self.projectors, "moderator": self.moderators}[role]

    @property
    def empty(self) -> bool:
        return not (self.attendees or self.projectors or self.moderators)


class Hub:
    def __init__(self, *, bus: Bus, engine: Engine, batch_ms: float, batch_max: int, tally_ms: float):
        self.bus = bus
        self.engine = engine
        self.tally_interval = tally_ms / 1000
        self.rooms: dict[int, Room] = {}
        self.writer = VoteWriter(engine, self._votes_committed, batch_ms=batch_ms, batch_max=batch_max)
        self._ticker: asyncio.Task | None = None
        self._timers: asyncio.Task | None = None
        self._tasks: set[asyncio.Task] = set()
        # Votes per device (keyed hash) over all its sockets and forms on this instance. Kept in this
        # process on purpose: the vote path takes no network round trip (see docs/security.md).
        self._vote_budget = Budgets(None)
        self._last_idle_sweep = time.monotonic()
        self._reconciler: asyncio.Task | None = None
        self._catching_up: set[int] = set()  # events being reconciled after a vote the database refused

    # ---- lifecycle -------------------------------------------------------------------------

    async def start(self) -> None:
        self.bus.on_resync = self.resync
        await self.bus.start()
        self.bus.subscribe(CHANNEL, self._on_bus)
        self.writer.start()
        self._ticker = asyncio.create_task(self._tick_forever(), name="tally-ticker")
        self._timers = asyncio.create_task(self._close_expired_forever(), name="countdowns")
        self._reconciler = asyncio.create_task(self._reconcile_forever(), name="reconcile")

    async def stop(self) -> None:
        for task in (self._ticker, self._timers, self._reconciler):
            if task:
                task.cancel()
        await self.writer.stop()
        for room in list(self.rooms.values()):
            for conn in room.attendees | room.projectors | room.moderators:
                await _close_quietly(conn.ws, 1012)  # service restart: clients reconnect
        self.bus.unsubscribe(CHANNEL, self._on_bus)
        await self.bus.stop()

    # ---- notes from moderator actions and the writer ------------------------------------------

    async def state_changed(self, event_id: int, state: dict[str, Any] | None = None) -> None:
        """Tell every instance that an event changed, with its new state (see domain.snapshot).

        Without a state, every instance reloads the event from the database.
        """
        await self.bus.publish(CHANNEL, {"kind": "state", "event_id": event_id, "state": state})

    async def revoke_projectors(self, event_id: int) -> None:
        """The projector link was renewed: every instance closes the projectors still on the old one."""
        await self.bus.publish(CHANNEL, {"kind": "revoke", "event_id": event_id})

    async def end_moderator_sockets(self, *, user_id: int, event_id: int | None = None, login_id: str | None = None) -> None:
        """Every instance closes this account's control sockets: of one event (removed from it), of one login
        (logout) or all of them (switched off)."""
        await self.bus.publish(CHANNEL, {"kind": "end_moderator", "user_id": user_id, "event_id": event_id, "login_id": login_id})

    async def results_changed(self, event_id: int, question_id: int) -> None:
        """A moderator changed what a result contains (a hidden term, an approved answer): recompute it."""
        await self.bus.publish(CHANNEL, {"kind": "votes", "event_id": event_id, "question_ids": [question_id]})

    def _votes_committed(self, rows: list[v_domain.VoteRow]) -> None:
        by_event: dict[int, set[int]] = {}
        for row in rows:
            by_event.setdefault(row.event_id, set()).add(row.question_id)
        for event_id, question_ids in by_event.items():
            self._spawn(self.bus.publish(CHANNEL, {"kind": "votes", "event_id": event_id, "question_ids": sorted(question_ids)}))

    def _spawn(self, coro) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def resync(self) -> None:
        """After the bus was away: reload every room from the database and send everyone the current state."""
        for room in list(self.rooms.values()):
            async with room.lock:
                await self._reload(room)
            room.dirty = room.live is not None
            room.local_published_at = 0.0  # tell the others our phones again
            self._broadcast_state(room)

    async def _reconcile_forever(self) -> None:
        failures = QuietFailures("Abgleich mit der Datenbank nicht möglich", "Abgleich mit der Datenbank läuft wieder.")
        while True:
            await asyncio.sleep(RECONCILE_S)
            try:
                for room in list(self.rooms.values()):
                    if room.loaded and not room.empty:
                        await self.reconcile(room)
                        if room.moderators:
                            await self._recheck_logins(room)
                failures.ok()
            except Exception as exc:
                failures.failed(exc)

    async def reconcile(self, room: Room) -> None:
        """Bring a room to the database's state: what the bus should have told this instance, it finds here.

        A change of the state itself is broadcast; the same state with other numbers only marks the tally
        for the next tick (votes are pushed as tallies, never as full states to every phone).
        """
        state = await asyncio.to_thread(self._load_sync, room.event_id)
        if state is None:
            if room.state:
                room.live, room.state, room.tally, room.question = None, {}, None, None
                self._broadcast_state(room)
            return
        if _shape(state) != _shape(room.state.get("moderator")):
            if state["version"] >= room.version:
                log.info("event %s: state differed from the database, corrected", room.event_id)
                self._apply(room, state)
                self._broadcast_state(room)
        elif room.live is not None:
            room.dirty = True  # a tally that failed or a lost "votes" note: recount (pushed only if different)

    async def _recheck_logins(self, room: Room) -> None:
        """Control sockets whose login ended or whose account lost the event while the bus was away (the
        `end_moderator` note never came): the database says so, and they are closed as the note would have."""
        logins = {conn.login for conn in room.moderators if conn.login is not None and not conn.closed}
        if not logins:
            return
        ended = await asyncio.to_thread(self._ended_logins_sync, room.event_id, logins)
        for login, event_only in ended:
            self._end_moderators({"user_id": login.user_id, "login_id": login.login_id,
                                  "event_id": room.event_id if event_only else None})

    def _ended_logins_sync(self, event_id: int, logins: set["ModeratorLogin"]) -> list[tuple["ModeratorLogin", bool]]:
        """(login, only this event) for each login that no longer exists, or whose account may no longer drive the event."""
        ended = []
        with Session(self.engine) as session:
            event = session.get(Event, event_id)
            for login in logins:
                row = session.get(LoginSession, login.login_id)
                user = session.get(User, login.user_id)
                if row is None or user is None or not user.is_active:
                    ended.append((login, False))
                elif event is not None and not can_manage(session=session, user=user, event=event):
                    ended.append((login, True))
        return ended

    def _catch_up(self, room: Room) -> None:
        """Reconcile a room now, once: a burst of votes refused as closed asks for one reload, not one each."""
        if room.event_id in self._catching_up:
            return
        self._catching_up.add(room.event_id)

        async def run() -> None:
            try:
                await self.reconcile(room)
            finally:
                self._catching_up.discard(room.event_id)

        self._spawn(run())

    def connected(self, room: Room) -> int:
        """Devices (not sockets) connected to the event on every instance.

        Each instance counts its own distinct devices; a phone with sockets on two instances counts twice.
        """
        now = time.monotonic()
        return len(room.devices) + sum(n for n, heard in room.remote.values() if now - heard < PRESENCE_TTL_S)

    async def _on_bus(self, message: dict[str, Any]) -> None:
        if message.get("kind") == "end_moderator":
            self._end_moderators(message)
            return
        room = self.rooms.get(message.get("event_id"))
        if room is None:
            return
        if message.get("kind") == "presence":
            if message.get("instance") != self.bus.instance and isinstance(message.get("count"), int):
                room.remote[message["instance"]] = (message["count"], time.monotonic())
            return
        if message.get("kind") == card_gate.KIND:  # strict mode switched on, or a card batch withdrawn
            card_gate.apply(room, message)
            return
        if message.get("kind") == "revoke":
            for conn in list(room.projectors):
                conn.push(protocol.error("unknown_projector", translate("Dieser Beamer-Link ist ungültig.", conn.locale)))
                conn.close(4404, drain=True)  # the page stops retrying and says the link is no longer valid
            return
        if message.get("kind") == "state":
            state = message.get("state")
            if state is not None:
                if state.get("version", 0) >= room.version:  # an older snapshot never overwrites a newer one
                    self._apply(room, state)
                    self._broadcast_state(room)
                return
            async with room.lock:
                await self._reload(room)
            self._broadcast_state(room)
        elif message.get("kind") == "votes":
            if room.live and room.live.id in message.get("question_ids", ()):
                room.dirty = True

    def _end_moderators(self, message: dict[str, Any]) -> None:
        event_id, login_id = message.get("event_id"), message.get("login_id")
        if event_id is None:  # the login or the account ended: every event
            rooms, code, error = list(self.rooms.values()), LOGIN_ENDED, "login_ended"
            text = N_("Sie sind abgemeldet. Bitte melden Sie sich neu an.")
        else:  # removed from this event
            rooms, code, error = [r for r in (self.rooms.get(event_id),) if r], NO_LONGER_MODERATOR, "not_moderator"
            text = N_("Sie moderieren diese Veranstaltung nicht mehr.")
        for room in rooms:
            for conn in list(room.moderators):
                login = conn.login
                if login is not None and login.user_id == message.get("user_id") and login_id in (None, login.login_id):
                    conn.push(protocol.error(error, translate(text, conn.locale)))
                    conn.close(code, drain=True)

    # ---- room state ------------------------------------------------------------------------

    async def room(self, event_id: int) -> Room:
        """The loaded room of an event. Callers add their socket right after, with no await in between."""
        while True:
            room = self.rooms.get(event_id)
            if room is None:
                room = self.rooms[event_id] = Room(event_id)
            if not room.loaded:
                async with room.lock:
                    if not room.loaded:
                        await self._reload(room)
            if self.rooms.get(event_id) is room:  # not swept away while we waited
                return room

    async def _reload(self, room: Room) -> None:
        state = await asyncio.to_thread(self._load_sync, room.event_id)
        if state is None:  # the event was deleted
            room.live, room.state, room.tally = None, {}, None
            room.loaded = True
            return
        if state["version"] >= room.version:
            self._apply(room, state)
        room.loaded = True

    def _apply(self, room: Room, state: dict[str, Any]) -> None:
        room.version = state["version"]
        room.live = live_of(state)
        room.question = state["question"]
        room.phase = state["phase"]
        room.state = role_views(state)
        room.tally = state["results"]
        check = state.get("check") or {}
        room.people_in_hall = check.get("people_in_hall")
        room.seen_db = check.get("devices_seen")
        if room.live is not None and room.seen_round == (room.live.id, room.live.round):
            room.seen_peak = max(room.seen_peak, room.seen_db or 0)
        room.tally_text = self._tally_texts(room) if room.tally else {}
        room.dirty = room.tally is not None  # votes may have landed since the snapshot was taken
        room.loaded = True

    def _load_sync(self, event_id: int) -> dict[str, Any] | None:
        with Session(self.engine) as session:
            event = session.get(Event, event_id)
            return None if event is None else snapshot(session=session, event=event)

    def _tally_texts(self, room: Room, roles=("moderator", "projector", "attendee")) -> dict[str, str]:
        """The tally as each role may see it, serialised once; phones get one only while they see results."""
        connected = self.connected(room)
        now = _now_ms()
        texts = {}
        if "moderator" in roles:
            room.check_sent = self._check(room)
            texts["moderator"] = protocol.dumps(
                {"type": protocol.TALLY, **room.tally, "connected": connected, "check": room.check_sent, "now": now}
            )
        if "projector" in roles:
            texts["projector"] = protocol.dumps(
                {"type": protocol.TALLY, **r_domain.for_projector(room.question, room.tally), "connected": connected, "now": now}
            )
        phones = r_domain.for_phones(room.question, room.phase, room.tally) if "attendee" in roles else None
        if phones is not None:
            texts["attendee"] = protocol.dumps({"type": protocol.TALLY, **phones, "now": now})
        return texts

    def _state_text(self, room: Room, role: str, **extra: Any) -> str:
        payload = room.state.get(role) or {"type": protocol.STATE, "phase": "gone", "event": None, "question": None}
        if role != "attendee":
            extra["connected"] = self.connected(room)
        if role == "moderator":
            extra["check"] = room.check_sent = self._check(room)
        # The server's clock, so a countdown shows the same time left on every screen.
        extra["now"] = _now_ms()
        return protocol.dumps({**payload, **extra})

    def _broadcast_state(self, room: Room) -> None:
        for role in ("attendee", "projector", "moderator"):
            members = room.members(role)
            if members:
                text = self._state_text(room, role)  # serialised and framed once per role
                frame = text_frame(text)
                for conn in members:
                    conn.push(text, frame)
        room.connected_sent = self.connected(room)

    # ---- tallies, a few times a second, only when changed ---------------------------------------

    async def _tick_forever(self) -> None:
        failures = QuietFailures("Ergebnisse konnten nicht gezählt werden", "Ergebnisse werden wieder gezählt.")
        while True:
            await asyncio.sleep(self.tally_interval)
            try:
                await self._tick()
                failures.ok()
            except Exception as exc:
                failures.failed(exc)

    def _sweep_idle(self, now: float) -> None:
        """Close sockets that sent nothing (not even a ping) for IDLE_TIMEOUT_S; forget full vote buckets.

        A control socket whose login has passed its expiry is closed too (1001): the page reconnects, and the
        handshake lets it in again only if the login was extended by use meanwhile.
        """
        self._last_idle_sweep = now
        wall = time.time()
        for room in self.rooms.values():
            for conn in [c for members in (room.attendees, room.projectors, room.moderators) for c in members]:
                if not conn.closed and (now - conn.last_seen > IDLE_TIMEOUT_S or (conn.login is not None and wall >= conn.login.expires_at)):
                    conn.close(1001)

    def _spend_vote(self, device: str) -> None:
        """Token bucket per device over all its sockets and forms; raises when it is empty.

        Called after the answer was checked: only valid votes reach the database, so only they count.
        """
        if self._vote_budget.take(device, VOTE_RATE) is None:
            raise Conflict("too_many_votes", "Sie haben sehr oft hintereinander abgestimmt. Bitte warten Sie ein paar Sekunden.")

    async def _tick(self) -> None:
        now = time.monotonic()
        if now - self._last_idle_sweep > IDLE_SWEEP_S:
            self._sweep_idle(now)
        for event_id, room in list(self.rooms.items()):
            if room.empty and room.loaded and not room.lock.locked():
                if room.local_published:
                    self._publish_presence(room, 0, now)  # the others stop counting our phones
                self._store_devices_seen(room, now)
                del self.rooms[event_id]  # nobody watches here: the database keeps the truth
                continue
            local = len(room.devices)
            if local != room.local_published or now - room.local_published_at > PRESENCE_EVERY_S:
                self._publish_presence(room, local, now)
            changed = False
            if room.dirty and room.live is not None:
                room.dirty = False
                live = room.live
                try:
                    tally = await asyncio.to_thread(self._tally_sync, room.question)
                except Exception:
                    room.dirty = True  # counted again next tick, until the database answers
                    raise
                if room.live is live and tally != room.tally:
                    room.tally = tally
                    changed = True
            connected = self.connected(room)
            self._track_devices_seen(room, connected, now)
            check = self._check(room)
            self._note_warning(room, check)
            check_changed = bool(room.moderators) and check != room.check_sent
            if room.tally is not None and (changed or room.connected_sent != connected or check_changed):
                room.tally_text = self._tally_texts(room)
                for role in ("projector", "moderator"):
                    for conn in room.members(role):
                        conn.push(room.tally_text[role])
                phones_text = room.tally_text.get("attendee")
                if changed and phones_text is not None and room.attendees:
                    frame = text_frame(phones_text)  # framed once for every phone
                    for conn in room.attendees:
                        conn.push(phones_text, frame)
                room.connected_sent = connected
            elif room.tally is None and room.connected_sent != connected:
                text = protocol.dumps({"type": protocol.PRESENCE, "connected": connected})
                for conn in room.projectors | room.moderators:
                    conn.push(text)
                room.connected_sent = connected

    def _publish_presence(self, room: Room, count: int, now: float) -> None:
        room.local_published, room.local_published_at = count, now
        message = {"kind": "presence", "event_id": room.event_id, "instance": self.bus.instance, "count": count}
        self._spawn(self.bus.publish(CHANNEL, message))

    # ---- plausibility: voters against devices seen and people in the hall -------------------------

    def _track_devices_seen(self, room: Room, connected: int, now: float) -> None:
        """Keep the peak of connected devices while the current round is open; store it when it grew."""
        live = room.live
        key = (live.id, live.round) if live is not None else None
        if key != room.seen_round:
            self._store_devices_seen(room, now)  # the previous round's last peak
            room.seen_round = key
            room.seen_peak = room.seen_stored = room.seen_db or 0
        if key is None:
            return
        if room.phase == "open" and connected > room.seen_peak:
            room.seen_peak = connected
        if room.phase != "open" or now - room.seen_stored_at >= DEVICES_SEEN_STORE_S:
            self._store_devices_seen(room, now)

    def _store_devices_seen(self, room: Room, now: float) -> None:
        if room.seen_round is None or room.seen_peak <= room.seen_stored:
            return
        (question_id, round), seen = room.seen_round, room.seen_peak
        room.seen_stored, room.seen_stored_at = seen, now
        self._spawn(asyncio.to_thread(self._store_devices_seen_sync, question_id, round, seen))

    def _store_devices_seen_sync(self, question_id: int, round: int, seen: int) -> None:
        try:
            with Session(self.engine) as session:
                plausibility.store_devices_seen(session=session, question_id=question_id, round=round, seen=seen)
        except Exception as exc:  # the next peak (or the close) tries again; the moderator's view is live anyway
            log.warning("Geräte-Höchststand nicht gespeichert (%s)", exc.__class__.__name__)

    def _devices_seen(self, room: Room) -> int | None:
        live = room.live
        if live is not None and room.seen_round == (live.id, live.round) and (room.seen_peak or room.phase == "open"):
            return room.seen_peak
        return room.seen_db

    def _check(self, room: Room) -> dict[str, Any]:
        """What the moderator sees: voters, devices seen while open, people in the hall, and the warning."""
        voters = (room.tally or {}).get("voters", 0) if room.live is not None else 0
        return plausibility.check(voters=voters, devices_seen=self._devices_seen(room), people_in_hall=room.people_in_hall)

    def _note_warning(self, room: Room, check: dict[str, Any]) -> None:
        """Log a plausibility warning in the audit log, once per question round (on every instance together)."""
        if room.live is None or room.tally is None or not check["warning"]:
            return
        key = (room.live.id, room.live.round)
        if key not in room.warned:
            room.warned.add(key)
            self._spawn(asyncio.to_thread(self._record_warning_sync, room.event_id, key, check))

    def _record_warning_sync(self, event_id: int, key: tuple[int, int], numbers: dict[str, Any]) -> None:
        try:
            # Shared through Redis when configured: instances that see the same tally at once write one line.
            if budgets().take(f"plausibility-warned:{key[0]}:{key[1]}", Rate(burst=1, per_s=1e-6)) is None:
                return
            with Session(self.engine) as session:
                plausibility.record_warning(session=session, event_id=event_id, question_id=key[0], round=key[1], numbers=numbers)
        except Exception as exc:
            log.warning("Plausibilitätswarnung nicht protokolliert (%s)", exc.__class__.__name__)

    def _tally_sync(self, question: dict[str, Any]) -> dict[str, Any]:
        with Session(self.engine) as session:
            return r_domain.compute(session, question)

    # ---- countdowns ------------------------------------------------------------------------------

    async def _close_expired_forever(self) -> None:
        """Close questions whose countdown ran out, on whichever instance gets there first."""
        failures = QuietFailures("Countdowns konnten nicht geprüft werden", "Countdowns werden wieder geprüft.")
        while True:
            await asyncio.sleep(TIMER_CHECK_S)
            try:
                for event_id, state in await asyncio.to_thread(self._close_expired_sync):
                    await self.state_changed(event_id, state)
                failures.ok()
            except Exception as exc:
                failures.failed(exc)

    def _close_expired_sync(self) -> list[tuple[int, dict[str, Any]]]:
        with Session(self.engine, expire_on_commit=False) as session:
            changed = q_domain.close_expired(session=session)
            return [(event_id, snapshot(session=session, event=session.get(Event, event_id))) for event_id in changed]

    # ---- sockets ---------------------------------------------------------------------------

    async def serve(self, ws: WebSocket, *, role: str, event_id: int, device: str | None, locale: str,
                    login: ModeratorLogin | None = None) -> None:
        """Run one accepted socket until it closes: subscribe, then snapshot, then receive."""
        try:
            room = await self.room(event_id)
        except DBAPIError:
            await socket_unavailable(ws, locale)
            return
        if role == "attendee" and room.devices.get(device, 0) >= SOCKETS_PER_DEVICE:
            await self._refuse_crowded_device(ws, locale)
            return
        conn = Connection(ws, role, event_id, device, locale, login)
        room.members(role).add(conn)
        if role == "attendee":
            room.devices[device] = room.devices.get(device, 0) + 1
        try:
            my_vote = None
            if role == "attendee" and room.live is not None:
                live = room.live
                try:
                    my_vote = await asyncio.to_thread(self._my_vote_sync, live.id, device, live.round)
                except DBAPIError:
                    await socket_unavailable(ws, locale)
                    return
                if room.live is not live:
                    my_vote = None
            conn.push(self._state_text(room, role, **({"my_vote": my_vote} if role == "attendee" else {})))
            if room.tally is not None:
                # Made afresh: a cached tally carries the clock (`now`) of when it was made.
                fresh = self._tally_texts(room, roles=(role,))
                if role in fresh:
                    conn.push(fresh[role])
            await self._receive_loop(conn, room)
        finally:
            room.members(role).discard(conn)
            if role == "attendee":
                left = room.devices.pop(device, 1) - 1
                if left > 0:
                    room.devices[device] = left
            conn.stop()

    async def _refuse_crowded_device(self, ws: WebSocket, locale: str) -> None:
        text = translate(
            "Diese Seite ist auf diesem Gerät schon in {n} Fenstern offen. Bitte schließen Sie die anderen; "
            "diese Seite verbindet sich dann von selbst wieder.", locale, n=SOCKETS_PER_DEVICE,
        )
        try:
            await ws.send_text(protocol.error("too_many_sockets", text))
        finally:
            await _close_quietly(ws, CLOSE_TOO_MANY_SOCKETS)

    def _my_vote_sync(self, question_id: int, device: str, round: int) -> Any:
        with Session(self.engine) as session:
            return v_domain.device_choices(session=session, question_id=question_id, device=device, round=round)

    async def _receive_loop(self, conn: Connection, room: Room) -> None:
        ws = conn.ws
        while True:
            try:
                message = await ws.receive()
            except Exception:
                return
            if message["type"] == "websocket.disconnect":
                return
            msg: dict[str, Any] | None = None
            if not conn.allow_message(time.monotonic()):
                if conn.refused == 1:
                    text = translate("Zu viele Nachrichten in kurzer Zeit. Bitte warten Sie einen Moment.", conn.locale)
                    conn.push(protocol.error("too_fast", text))
                elif conn.refused >= FLOOD_CLOSE_AFTER:
                    log.info("closing a %s socket that flooded", conn.role)
                    conn.close(1008)
                    return
                continue
            try:
                msg = protocol.parse(message.get("text"), conn.role)
                if msg["type"] == protocol.PING:
                    conn.push(protocol.dumps({"type": protocol.PONG}))
                elif msg["type"] == protocol.VOTE:
                    self._take_vote(conn, room, msg)
            except (protocol.ProtocolError, DomainError) as exc:
                vote_id = msg.get("vote_id") if msg else None
                extra = {"vote_id": vote_id} if isinstance(vote_id, str) and len(vote_id) <= v_domain.VOTE_ID_MAX else {}
                conn.push(protocol.error(exc.code, translate(exc.message, conn.locale, **exc.params), **extra))

    def _take_vote(self, conn: Connection, room: Room, msg: dict[str, Any]) -> None:
        row = v_domain.take_answer(
            live=room.live, device=conn.device, question_id=msg.get("question_id"), answer=msg, vote_id=msg.get("vote_id")
        )
        self._spend_vote(conn.device)
        future = self.writer.submit(row)
        future.add_done_callback(lambda f: self._acked(conn, row, f))

    def _acked(self, conn: Connection, row: v_domain.VoteRow, future: asyncio.Future) -> None:
        exc = None if future.cancelled() else future.exception()
        if isinstance(exc, DomainError):
            # The database refused it (the question was closed while this instance did not know yet):
            # the phone is told, and this instance catches up with the database at once.
            conn.push(protocol.error(exc.code, translate(exc.message, conn.locale, **exc.params), vote_id=row.vote_id))
            room = self.rooms.get(conn.event_id)
            if room is not None:
                self._catch_up(room)
            return
        if future.cancelled() or exc is not None:
            text = translate("Ihre Stimme konnte nicht gespeichert werden. Bitte versuchen Sie es noch einmal.", conn.locale)
            conn.push(protocol.error("not_stored", text, vote_id=row.vote_id))
            return
        answer = list(row.choices) if isinstance(row.choices, tuple) else row.choices
        conn.push(
            protocol.dumps(
                {"type": protocol.ACK, "vote_id": row.vote_id, "question_id": row.question_id, "round": row.round, "answer": answer}
            )
        )

    # ---- the plain HTML form path ------------------------------------------------------------

    async def cast_form_vote(self, *, event_id: int, device: str, question_id: int, answer: dict[str, Any]) -> Any:
        """Validate and store an answer from the no-JavaScript form; returns once it is durable.

        `answer` holds the field of the question's kind, as in a socket message (domain.answers).
        """
        room = await self.room(event_id)
        row = v_domain.take_answer(live=room.live, device=device, question_id=question_id, answer=answer, vote_id=None)
        self._spend_vote(device)
        try:
            await self.writer.submit(row)
        except DomainError:
            self._catch_up(room)
            raise
        return row.choices


def _shape(state: dict[str, Any] | None) -> dict[str, Any] | None:
    """A state without its numbers and version: what must agree with the database for screens to be right."""
    if not state:
        return None
    shape = {k: v for k, v in state.items() if k not in ("version", "results", "rounds", "topic_view", "connected", "now")}
    shape["rounds"] = [r["round"] for r in state.get("rounds") or []]
    topic_view = state.get("topic_view")
    shape["topic_view"] = None if topic_view is None else {
        "topic": topic_view["topic"], "items": [item["question"] for item in topic_view["items"]]
    }
    return shape


async def socket_unavailable(ws: WebSocket, locale: str) -> None:
    """The database is away: say so and close with 1013 (try again later); the page reconnects by itself."""
    try:
        await ws.send_text(protocol.error("unavailable", translate(UNAVAILABLE, locale)))
    except Exception:
        pass
    await _close_quietly(ws, 1013)

