"""The hub: per-event fan-out to this process's sockets. It owns the rooms, starts the background loops
and offers the routes one small API; the work is done by the modules beside it:

    sockets.py     one socket's life               connection.py  its send path
    intake.py      votes, the vote budget, acks    rooms.py       rooms, state and tally texts
    ticker.py      tallies, presence, idle sweep   countdowns.py  timers that ran out
    reconcile.py   catching up with the database   card_gate.py   phones that lose their card
    protocol.py    every message and bus note      loops.py       what the background loops share

Bus notes are dispatched by kind through one table (`Hub._notes`); a kind this version does not know is
logged (once a minute per kind), not dropped silently.
"""

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import Any

from fastapi import WebSocket
from sqlalchemy.engine import Engine

from app.domain import votes as v_domain
from app.domain.shapes import State
from app.i18n import translate
from app.realtime import card_gate, protocol, sockets
from app.realtime.bus import Bus
from app.realtime.connection import ModeratorLogin, close_quietly
from app.realtime.countdowns import close_expired_forever
from app.realtime.desk import DeskHub
from app.realtime.intake import Intake
from app.realtime.loops import Tasks
from app.realtime.protocol import CHANNEL
from app.realtime.reconcile import Reconciler
from app.realtime.rooms import Room, Rooms, apply, broadcast_state
from app.realtime.ticker import Ticker
from app.realtime.writer import VoteWriter

log = logging.getLogger(__name__)

UNKNOWN_NOTE_LOG_EVERY_S = 60.0  # a note of a kind this version does not know is logged at most this often, per kind

NoteHandler = Callable[[Mapping[str, Any]], Awaitable[None]]


class Hub:
    def __init__(self, *, bus: Bus, engine: Engine, batch_ms: float, batch_max: int, tally_ms: float):
        self.bus = bus
        self.engine = engine
        self._tasks = Tasks()
        self._rooms = Rooms(engine)
        self.rooms: dict[int, Room] = self._rooms.by_event
        self.writer = VoteWriter(engine, self._votes_committed, batch_ms=batch_ms, batch_max=batch_max)
        self._reconciler = Reconciler(self._rooms, self._tasks.spawn)
        self._intake = Intake(self._rooms, self.writer, self._reconciler.catch_up)
        self.desk = DeskHub(rooms=self._rooms, writer=self.writer, bus=bus, catch_up=self._reconciler.catch_up)
        self._ticker = Ticker(self._rooms, bus, self._tasks.spawn, interval=tally_ms / 1000)
        self._loops: list[asyncio.Task[None]] = []
        self._notes: dict[str, NoteHandler] = {
            protocol.STATE_NOTE: self._on_state,
            protocol.VOTES_NOTE: self._on_votes,
            protocol.REVOKE_NOTE: self._on_revoke,
            protocol.CARDS_NOTE: self._on_cards,
            protocol.PRESENCE_NOTE: self._on_presence,
            protocol.END_MODERATOR_NOTE: self._on_end_moderator,
            protocol.EXPORT_NOTE: self._on_export,
            protocol.DESK_NOTE: self.desk.on_note,
        }
        self._unknown_logged: dict[str, float] = {}  # kind -> when last logged

    # ---- lifecycle -------------------------------------------------------------------------

    async def start(self) -> None:
        self.bus.on_resync = self.resync
        await self.bus.start()
        self.bus.subscribe(CHANNEL, self._on_bus)
        self.writer.start()
        self._loops = [
            asyncio.create_task(self._ticker.run(), name="tally-ticker"),
            asyncio.create_task(close_expired_forever(self.engine, self.state_changed), name="countdowns"),
            asyncio.create_task(self._reconciler.run(), name="reconcile"),
        ]

    async def stop(self) -> None:
        for task in self._loops:
            task.cancel()
        await self.writer.stop()
        await self.desk.stop()
        for room in list(self.rooms.values()):
            for conn in room.attendees | room.projectors | room.moderators:
                await close_quietly(conn.ws, 1012)  # service restart: clients reconnect
        self.bus.unsubscribe(CHANNEL, self._on_bus)
        await self.bus.stop()

    # ---- notes from moderator actions and the writer ------------------------------------------

    async def state_changed(self, event_id: int, state: State | None = None) -> None:
        """Tell every instance that an event changed, with its new state (see domain.snapshot).

        Without a state, every instance reloads the event from the database.
        """
        await self.bus.publish(CHANNEL, protocol.StateNote(kind="state", event_id=event_id, state=state))

    async def revoke_projectors(self, event_id: int) -> None:
        """The projector link was renewed: every instance closes the projectors still on the old one."""
        await self.bus.publish(CHANNEL, protocol.RevokeNote(kind="revoke", event_id=event_id))

    async def end_moderator_sockets(self, *, user_id: int, event_id: int | None = None, login_id: str | None = None) -> None:
        """Every instance closes this account's control sockets: of one event (removed from it), of one login
        (logout) or all of them (switched off)."""
        note = protocol.EndModeratorNote(kind="end_moderator", user_id=user_id, event_id=event_id, login_id=login_id)
        await self.bus.publish(CHANNEL, note)

    async def results_changed(self, event_id: int, question_id: int) -> None:
        """A moderator changed what a result contains (a hidden term, an approved answer): recompute it."""
        await self.bus.publish(CHANNEL, protocol.VotesNote(kind="votes", event_id=event_id, question_ids=[question_id]))

    async def export_progress(self, event_ids: Iterable[int], *, job_id: int, status: str, done: int, total: int, stage: str,
                              error: str) -> None:
        """A results export moved on: every instance tells the moderator sockets of its events."""
        for event_id in event_ids:
            await self.bus.publish(CHANNEL, protocol.ExportNote(kind="export", event_id=event_id, job_id=job_id, status=status,
                                                                done=done, total=total, stage=stage, error=error))

    def _votes_committed(self, rows: list[v_domain.VoteRow]) -> None:
        by_event: dict[int, set[int]] = {}
        for row in rows:
            by_event.setdefault(row.event_id, set()).add(row.question_id)
        for event_id, question_ids in by_event.items():
            note = protocol.VotesNote(kind="votes", event_id=event_id, question_ids=sorted(question_ids))
            self._tasks.spawn(self.bus.publish(CHANNEL, note))

    # ---- notes from the bus ----------------------------------------------------------------

    async def _on_bus(self, message: Mapping[str, Any]) -> None:
        kind = message.get("kind")
        handler = self._notes.get(kind) if isinstance(kind, str) else None
        if handler is None:
            self._unknown_note(kind)
            return
        await handler(message)

    def _unknown_note(self, kind: object) -> None:
        """A note this version does not handle (another version's instance, a bug): say so, once a minute per kind."""
        name = repr(kind)[:60]
        now = time.monotonic()
        last = self._unknown_logged.get(name)
        if last is not None and now - last < UNKNOWN_NOTE_LOG_EVERY_S:
            return
        if len(self._unknown_logged) > 100:
            self._unknown_logged.clear()
        self._unknown_logged[name] = now
        log.warning("Unbekannte Nachricht auf dem Bus (kind=%s) verworfen.", name)

    def _room_of(self, message: Mapping[str, Any]) -> Room | None:
        """The room of the note's event, if this instance serves it (else the note concerns nobody here)."""
        event_id = message.get("event_id")
        return self.rooms.get(event_id) if isinstance(event_id, int) else None

    async def _on_state(self, message: Mapping[str, Any]) -> None:
        room = self._room_of(message)
        if room is None:
            return
        state = message.get("state")
        if state is not None:
            if state.get("version", 0) >= room.version:  # an older snapshot never overwrites a newer one
                apply(room, state)
                broadcast_state(room)
            return
        async with room.lock:
            await self._rooms.reload(room)
        broadcast_state(room)

    async def _on_votes(self, message: Mapping[str, Any]) -> None:
        room = self._room_of(message)
        if room is not None and room.live and room.live.id in message.get("question_ids", ()):
            room.dirty = True

    async def _on_revoke(self, message: Mapping[str, Any]) -> None:
        room = self._room_of(message)
        if room is None:
            return
        for conn in list(room.projectors):
            conn.push(protocol.error("unknown_projector", translate("Dieser Beamer-Link ist ungültig.", conn.locale)))
            conn.close(4404, drain=True)  # the page stops retrying and says the link is no longer valid

    async def _on_cards(self, message: Mapping[str, Any]) -> None:
        room = self._room_of(message)
        if room is not None:  # strict mode switched on, or a card batch withdrawn
            card_gate.apply(room, message)

    async def _on_presence(self, message: Mapping[str, Any]) -> None:
        room = self._room_of(message)
        if room is not None and message.get("instance") != self.bus.instance and isinstance(message.get("count"), int):
            room.remote[message["instance"]] = (message["count"], time.monotonic())

    async def _on_end_moderator(self, message: Mapping[str, Any]) -> None:
        self._rooms.end_moderators(
            user_id=message.get("user_id"), event_id=message.get("event_id"), login_id=message.get("login_id")
        )

    async def _on_export(self, message: Mapping[str, Any]) -> None:
        room = self._room_of(message)
        if room is None:
            return
        fields = {k: message.get(k) for k in ("job_id", "status", "done", "total")}
        texts: dict[str, str] = {}
        for conn in list(room.moderators):
            if conn.locale not in texts:
                texts[conn.locale] = protocol.dumps({
                    "type": protocol.EXPORT, **fields, "stage": translate(str(message["stage"]), conn.locale) if message.get("stage") else "",
                    "error": translate(str(message.get("error") or ""), conn.locale) if message.get("error") else "",
                })
            conn.push(texts[conn.locale])

    # ---- rooms, sockets and votes (see rooms.py, sockets.py, intake.py, reconcile.py) ----------------------

    async def room(self, event_id: int) -> Room:
        """The loaded room of an event. Callers add their socket right after, with no await in between."""
        return await self._rooms.get(event_id)

    async def serve(self, ws: WebSocket, *, role: str, event_id: int, device: str | None, locale: str,
                    login: ModeratorLogin | None = None) -> None:
        """Run one accepted socket until it closes: subscribe, then snapshot, then receive."""
        await sockets.serve(self._rooms, self._intake, ws, role=role, event_id=event_id, device=device, locale=locale, login=login)

    async def cast_form_vote(
        self, *, event_id: int, device: str, question_id: int, answer: dict[str, Any], seq: object = None
    ) -> v_domain.VoteRow | None:
        """Validate and store an answer from the no-JavaScript form; returns once it is durable (intake.Intake)."""
        return await self._intake.cast_form_vote(event_id=event_id, device=device, question_id=question_id, answer=answer, seq=seq)

    async def resync(self) -> None:
        """After the bus was away: reload every room from the database and send everyone the current state."""
        await self._reconciler.resync()

    async def reconcile(self, room: Room) -> None:
        """Bring a room to the database's state (see reconcile.py)."""
        await self._reconciler.reconcile(room)
