"""What comes in: one socket's life (join its room, state first, then receive), votes from sockets and
from the no-JavaScript form, the per-device vote budget, and the ack once the writer made a vote durable.

A vote is checked against the room's state in memory (no query per vote), spends from its device's budget
and goes to the one batching writer (writer.VoteWriter); the phone gets `ack` after the commit.
"""

import asyncio
import logging
import time
from collections.abc import Callable
from typing import Any

from fastapi import WebSocket
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session

from app.domain import votes as v_domain
from app.domain.errors import Conflict, DomainError
from app.i18n import translate
from app.limits import Budgets, Rate
from app.realtime import protocol
from app.realtime.connection import (
    Connection,
    ModeratorLogin,
    close_quietly,
    socket_unavailable,
)
from app.realtime.rooms import Room, Rooms, state_text, tally_texts
from app.realtime.writer import VoteWriter

log = logging.getLogger(__name__)

FLOOD_CLOSE_AFTER = 100  # refused messages in a row before the socket is closed (1008)
VOTES_BURST, VOTES_PER_S = 10, 0.5  # per device, over all its sockets: 10 quick changes, then one every 2 s
VOTE_RATE = Rate(VOTES_BURST, VOTES_PER_S)
# A device (one phone's cookie) counts once however many sockets it opens; it may open this many per instance
# (a few tabs), the next is refused with `too_many_sockets` and close code 4429 (the page retries slowly).
SOCKETS_PER_DEVICE = 5
CLOSE_TOO_MANY_SOCKETS = 4429


class Intake:
    def __init__(self, rooms: Rooms, writer: VoteWriter, catch_up: Callable[[Room], None]) -> None:
        self.rooms = rooms
        self.writer = writer
        self.catch_up = catch_up
        # Votes per device (keyed hash) over all its sockets and forms on this instance. Kept in this
        # process on purpose: the vote path takes no network round trip (see docs/security.md).
        self._vote_budget = Budgets(None)

    @property
    def engine(self) -> Engine:
        return self.rooms.engine

    async def serve(self, ws: WebSocket, *, role: str, event_id: int, device: str | None, locale: str,
                    login: ModeratorLogin | None = None) -> None:
        """Run one accepted socket until it closes: subscribe, then snapshot, then receive."""
        try:
            room = await self.rooms.get(event_id)
        except DBAPIError:
            await socket_unavailable(ws, locale)
            return
        phone = device if role == "attendee" else None  # a phone's device: always given (routes.attendee)
        if phone is not None and room.devices.get(phone, 0) >= SOCKETS_PER_DEVICE:
            await self._refuse_crowded_device(ws, locale)
            return
        conn = Connection(ws, role, event_id, device, locale, login)
        room.members(role).add(conn)
        if phone is not None:
            room.devices[phone] = room.devices.get(phone, 0) + 1
        try:
            my_vote = None
            if phone is not None and room.live is not None:
                live = room.live
                try:
                    my_vote = await asyncio.to_thread(self._my_vote_sync, live.id, phone, live.round)
                except DBAPIError:
                    await socket_unavailable(ws, locale)
                    return
                if room.live is not live:
                    my_vote = None
            conn.push(state_text(room, role, **({"my_vote": my_vote} if role == "attendee" else {})))
            if room.tally is not None:
                # Made afresh: a cached tally carries the clock (`now`) of when it was made.
                fresh = tally_texts(room, roles=(role,))
                if role in fresh:
                    conn.push(fresh[role])
            await self._receive_loop(conn, room)
        finally:
            room.members(role).discard(conn)
            if phone is not None:
                left = room.devices.pop(phone, 1) - 1
                if left > 0:
                    room.devices[phone] = left
            conn.stop()

    async def _refuse_crowded_device(self, ws: WebSocket, locale: str) -> None:
        text = translate(
            "Diese Seite ist auf diesem Gerät schon in {n} Fenstern offen. Bitte schließen Sie die anderen; "
            "diese Seite verbindet sich dann von selbst wieder.", locale, n=SOCKETS_PER_DEVICE,
        )
        try:
            await ws.send_text(protocol.error("too_many_sockets", text))
        finally:
            await close_quietly(ws, CLOSE_TOO_MANY_SOCKETS)

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
        device = conn.device
        assert device is not None  # only phones may send votes (protocol.parse), and a phone has its device
        row = v_domain.take_answer(
            live=room.live, device=device, question_id=msg.get("question_id"), answer=msg, vote_id=msg.get("vote_id")
        )
        self._spend_vote(device)
        future = self.writer.submit(row)
        future.add_done_callback(lambda f: self._acked(conn, row, f))

    def _acked(self, conn: Connection, row: v_domain.VoteRow, future: asyncio.Future[Any]) -> None:
        exc = None if future.cancelled() else future.exception()
        if isinstance(exc, DomainError):
            # The database refused it (the question was closed while this instance did not know yet):
            # the phone is told, and this instance catches up with the database at once.
            conn.push(protocol.error(exc.code, translate(exc.message, conn.locale, **exc.params), vote_id=row.vote_id))
            room = self.rooms.by_event.get(conn.event_id)
            if room is not None:
                self.catch_up(room)
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

    async def cast_form_vote(self, *, event_id: int, device: str, question_id: int, answer: dict[str, Any]) -> Any:
        """Validate and store an answer from the no-JavaScript form; returns once it is durable.

        `answer` holds the field of the question's kind, as in a socket message (domain.answers).
        """
        room = await self.rooms.get(event_id)
        row = v_domain.take_answer(live=room.live, device=device, question_id=question_id, answer=answer, vote_id=None)
        self._spend_vote(device)
        try:
            await self.writer.submit(row)
        except DomainError:
            self.catch_up(room)
            raise
        return row.choices

    def _spend_vote(self, device: str) -> None:
        """Token bucket per device over all its sockets and forms; raises when it is empty.

        Called after the answer was checked: only valid votes reach the database, so only they count.
        """
        if self._vote_budget.take(device, VOTE_RATE) is None:
            raise Conflict("too_many_votes", "Sie haben sehr oft hintereinander abgestimmt. Bitte warten Sie ein paar Sekunden.")
