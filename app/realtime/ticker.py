"""The ticker: a few times a second, for every room of this process, push the tally when it changed, tell
the other instances how many phones are here, track the devices seen for the plausibility check, close
idle sockets and forget rooms nobody watches.

Tallies are full totals, recounted only when the bus said votes landed (`Room.dirty`), and pushed only when
they, the connected count or the moderators' check changed: a missed one corrects itself with the next.
"""

import asyncio
import logging
import time
from collections.abc import Callable, Coroutine
from typing import Any

from sqlmodel import Session

from app.domain import plausibility
from app.domain import results as r_domain
from app.domain.shapes import QuestionPublic, Results
from app.limits import Rate, budgets
from app.realtime import protocol
from app.realtime.asgi import text_frame
from app.realtime.bus import Bus
from app.realtime.loops import QuietFailures, repeat
from app.realtime.rooms import Room, Rooms, tally_texts

log = logging.getLogger(__name__)

PRESENCE_EVERY_S = 2.0  # each instance repeats its phone count this often, while it has any room
IDLE_TIMEOUT_S = 120.0  # pages ping every 20 s; a socket silent this long is closed
IDLE_SWEEP_S = 10.0
DEVICES_SEEN_STORE_S = 5.0  # how often a grown peak of devices is written to Question.devices_seen
WARNED_ONCE = Rate(burst=1, per_s=1e-6)  # one audit line per question round, over every instance


class Ticker:
    def __init__(self, rooms: Rooms, bus: Bus, spawn: Callable[[Coroutine[Any, Any, Any]], None], *,
                 interval: float) -> None:
        self.rooms = rooms
        self.bus = bus
        self.spawn = spawn
        self.interval = interval
        self.last_idle_sweep = time.monotonic()

    async def run(self) -> None:
        failures = QuietFailures("Ergebnisse konnten nicht gezählt werden", "Ergebnisse werden wieder gezählt.")
        await repeat(self.tick, every=lambda: self.interval, failures=failures)

    async def tick(self) -> None:
        now = time.monotonic()
        if now - self.last_idle_sweep > IDLE_SWEEP_S:
            self.sweep_idle(now)
        by_event = self.rooms.by_event
        for event_id, room in list(by_event.items()):
            if room.empty and room.loaded and not room.lock.locked():
                if room.local_published:
                    self.publish_presence(room, 0, now)  # the others stop counting our phones
                self.store_devices_seen(room, now)
                del by_event[event_id]  # nobody watches here: the database keeps the truth
                continue
            local = len(room.devices)
            if local != room.local_published or now - room.local_published_at > PRESENCE_EVERY_S:
                self.publish_presence(room, local, now)
            changed = False
            if room.dirty and room.live is not None and room.question is not None:  # (live comes from question)
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
            connected = room.connected()
            self.track_devices_seen(room, connected, now)
            check = room.check()
            self.note_warning(room, check)
            check_changed = bool(room.moderators) and check != room.check_sent
            if room.tally is not None and (changed or room.connected_sent != connected or check_changed):
                room.tally_text = tally_texts(room)
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

    def sweep_idle(self, now: float) -> None:
        """Close sockets that sent nothing (not even a ping) for IDLE_TIMEOUT_S.

        A control socket whose login has passed its expiry is closed too (1001): the page reconnects, and the
        handshake lets it in again only if the login was extended by use meanwhile.
        """
        self.last_idle_sweep = now
        wall = time.time()
        for room in self.rooms.by_event.values():
            for conn in [c for members in (room.attendees, room.projectors, room.moderators) for c in members]:
                if not conn.closed and (now - conn.last_seen > IDLE_TIMEOUT_S or (conn.login is not None and wall >= conn.login.expires_at)):
                    conn.close(1001)

    def publish_presence(self, room: Room, count: int, now: float) -> None:
        room.local_published, room.local_published_at = count, now
        note = protocol.PresenceNote(kind="presence", event_id=room.event_id, instance=self.bus.instance, count=count)
        self.spawn(self.bus.publish(protocol.CHANNEL, note))

    def _tally_sync(self, question: QuestionPublic) -> Results:
        with Session(self.rooms.engine) as session:
            return r_domain.compute(session, question)

    # ---- plausibility: voters against devices seen and people in the hall -------------------------

    def track_devices_seen(self, room: Room, connected: int, now: float) -> None:
        """Keep the peak of connected devices while the current round is open; store it when it grew."""
        live = room.live
        key = (live.id, live.round) if live is not None else None
        if key != room.seen_round:
            self.store_devices_seen(room, now)  # the previous round's last peak
            room.seen_round = key
            room.seen_peak = room.seen_stored = room.seen_db or 0
        if key is None:
            return
        if room.phase == "open" and connected > room.seen_peak:
            room.seen_peak = connected
        if room.phase != "open" or now - room.seen_stored_at >= DEVICES_SEEN_STORE_S:
            self.store_devices_seen(room, now)

    def store_devices_seen(self, room: Room, now: float) -> None:
        if room.seen_round is None or room.seen_peak <= room.seen_stored:
            return
        (question_id, round), seen = room.seen_round, room.seen_peak
        room.seen_stored, room.seen_stored_at = seen, now
        self.spawn(asyncio.to_thread(self._store_devices_seen_sync, question_id, round, seen))

    def _store_devices_seen_sync(self, question_id: int, round: int, seen: int) -> None:
        try:
            with Session(self.rooms.engine) as session:
                plausibility.store_devices_seen(session=session, question_id=question_id, round=round, seen=seen)
        except Exception as exc:  # the next peak (or the close) tries again; the moderator's view is live anyway
            log.warning("Geräte-Höchststand nicht gespeichert (%s)", exc.__class__.__name__)

    def note_warning(self, room: Room, check: dict[str, Any]) -> None:
        """Log a plausibility warning in the audit log, once per question round (on every instance together)."""
        if room.live is None or room.tally is None or not check["warning"]:
            return
        key = (room.live.id, room.live.round)
        if key not in room.warned:
            room.warned.add(key)
            self.spawn(asyncio.to_thread(self._record_warning_sync, room.event_id, key, check))

    def _record_warning_sync(self, event_id: int, key: tuple[int, int], numbers: dict[str, Any]) -> None:
        try:
            # Shared through Redis when configured: instances that see the same tally at once write one line.
            if budgets().take(f"plausibility-warned:{key[0]}:{key[1]}", WARNED_ONCE) is None:
                return
            with Session(self.rooms.engine) as session:
                plausibility.record_warning(session=session, event_id=event_id, question_id=key[0], round=key[1], numbers=numbers)
        except Exception as exc:
            log.warning("Plausibilitätswarnung nicht protokolliert (%s)", exc.__class__.__name__)
