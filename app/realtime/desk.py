"""The help desk's live part (#18): tablet sockets, a tablet's vote through the one vote writer, and the `desk` bus
note that carries unlocks, answers and revocations to every instance.

A tablet is like a phone whose right to vote comes from a single-use ballot a helper unlocked, not from a device
cookie. Its socket is registered by tablet link here, not in the event's room: tablets get no state broadcasts,
only what concerns them (`unlock`, `ballot_state`, `ack`, `error`). A ballot is minted in the database by the helper's
request (any instance); the note tells the instance holding the tablet's socket, which tells the tablet to fetch
its ballot page. The control pages of the event learn of each unlock and answer as a `desk` message.
"""

import asyncio
import logging
import time
from collections.abc import Callable, Mapping
from typing import Any

from fastapi import WebSocket
from sqlalchemy.engine import Engine
from sqlmodel import Session

from app.domain import desk as d_domain
from app.domain import votes as v_domain
from app.domain.errors import Conflict, DomainError, Invalid
from app.domain.sources import tablet_voter
from app.i18n import N_, translate
from app.realtime import protocol
from app.realtime.bus import Bus
from app.realtime.connection import Connection, close_quietly
from app.realtime.rooms import Room, Rooms
from app.realtime.writer import VoteWriter

log = logging.getLogger(__name__)

CLOSE_REVOKED = 4404
# What the person at the tablet reads when the question closed while they were choosing.
CLOSED_MEANWHILE = N_("Die Abstimmung wurde gerade beendet – Ihre Stimme konnte nicht mehr gezählt werden.")
TOKEN_MAX = 100


def tablet_closed() -> Conflict:
    return Conflict("closed", CLOSED_MEANWHILE)


class DeskHub:
    """Tablet sockets of this instance by tablet link, the tablet's vote, and the `desk` notes."""

    def __init__(self, *, rooms: Rooms, writer: VoteWriter, bus: Bus, catch_up: Callable[[Room], None]) -> None:
        self.rooms = rooms
        self.writer = writer
        self.bus = bus
        self.catch_up = catch_up
        self.tablets: dict[int, set[Connection]] = {}

    @property
    def engine(self) -> Engine:
        return self.rooms.engine

    async def publish(self, *, event_id: int, desk_id: int, what: str, ballot: int | None = None) -> None:
        """Tell every instance: a tablet was unlocked ("unlock"), answered ("answered") or its link revoked ("revoked")."""
        answers = await asyncio.to_thread(self._answers, event_id, desk_id)
        await self.bus.publish(protocol.CHANNEL, protocol.DeskNote(kind="desk", event_id=event_id, desk_id=desk_id, what=what,
                                                                    ballot=ballot, answers=answers))

    def _answers(self, event_id: int, desk_id: int) -> int:
        with Session(self.engine) as session:
            return d_domain.answers_per_tablet(session=session, event_id=event_id).get(desk_id, 0)

    async def on_note(self, message: Mapping[str, Any]) -> None:
        desk_id, event_id, what = message.get("desk_id"), message.get("event_id"), message.get("what")
        if not isinstance(desk_id, int) or not isinstance(event_id, int):
            return
        for conn in list(self.tablets.get(desk_id, ())):
            if what == "unlock":
                conn.push(self._ballot_text(message.get("ballot"), protocol.UNLOCK))
            elif what == "revoked":
                conn.push(protocol.error("link_revoked", translate(d_domain.REVOKED, conn.locale)))
                conn.close(CLOSE_REVOKED, drain=True)
        room = self.rooms.by_event.get(event_id)
        if room is not None and room.moderators:
            text = protocol.dumps({"type": protocol.DESK, "desk_id": desk_id, "what": what, "answers": message.get("answers")})
            for conn in list(room.moderators):
                conn.push(text)

    @staticmethod
    def _ballot_text(ballot: object, kind: str) -> str:
        return protocol.dumps({"type": kind, "ballot": ballot if isinstance(ballot, int) else None, "now": int(time.time() * 1000)})

    async def serve(self, ws: WebSocket, *, link_id: int, event_id: int, locale: str) -> None:
        """Run one accepted tablet socket until it closes: registered first, then the pending ballot, then receive."""
        conn = Connection(ws, "tablet", event_id, None, locale)
        self.tablets.setdefault(link_id, set()).add(conn)
        try:
            ballot = await asyncio.to_thread(self._pending, link_id)
            conn.push(self._ballot_text(ballot, protocol.BALLOT_STATE))
            await self._receive(conn, link_id)
        finally:
            members = self.tablets.get(link_id)
            if members is not None:
                members.discard(conn)
                if not members:
                    del self.tablets[link_id]
            conn.stop()

    def _pending(self, link_id: int) -> int | None:
        with Session(self.engine) as session:
            ballot = d_domain.pending(session=session, desk_id=link_id)
            return ballot.id if ballot is not None else None

    async def _receive(self, conn: Connection, link_id: int) -> None:
        while True:
            try:
                message = await conn.ws.receive()
            except Exception:
                return
            if message["type"] == "websocket.disconnect":
                return
            msg: dict[str, Any] | None = None
            if not conn.allow_message(time.monotonic()):
                if conn.refused == 1:
                    conn.push(protocol.error("too_fast", translate("Zu viele Nachrichten in kurzer Zeit. Bitte warten Sie einen Moment.",
                                                                   conn.locale)))
                continue
            try:
                msg = protocol.parse(message.get("text"), "tablet")
                if msg["type"] == protocol.PING:
                    conn.push(protocol.dumps({"type": protocol.PONG}))
                elif msg["type"] == protocol.VOTE:
                    row = await self.cast(event_id=conn.event_id, desk_id=link_id, question_id=msg.get("question_id"), answer=msg,
                                          token=msg.get("ballot"), vote_id=msg.get("vote_id"))
                    conn.push(protocol.dumps({"type": protocol.ACK, "vote_id": row.vote_id, "question_id": row.question_id,
                                              "round": row.round}))
            except (protocol.ProtocolError, DomainError) as exc:
                vote_id = msg.get("vote_id") if msg else None
                extra = {"vote_id": vote_id} if isinstance(vote_id, str) and len(vote_id) <= v_domain.VOTE_ID_MAX else {}
                conn.push(protocol.error(exc.code, translate(exc.message, conn.locale, **exc.params), **extra))
                if getattr(exc, "code", "") == "link_revoked":
                    conn.close(CLOSE_REVOKED, drain=True)
                    return

    async def cast(self, *, event_id: int, desk_id: int, question_id: object, answer: dict[str, Any], token: object,
                   vote_id: object = None) -> v_domain.VoteRow:
        """A tablet's answer with its ballot: checked like a phone's, stored by the one writer, which uses the ballot
        up in the same transaction (or stores nothing). Raises a DomainError with the message for the person."""
        if not isinstance(token, str) or not 1 <= len(token) <= TOKEN_MAX:
            raise Invalid("no_ballot", d_domain.BALLOT_GONE)
        if await asyncio.to_thread(self._revoked, desk_id):
            raise d_domain.Revoked("link_revoked", d_domain.REVOKED)
        room = await self.rooms.get(event_id)
        try:
            row = v_domain.take_answer(live=room.live, device=tablet_voter(desk_id), question_id=question_id, answer=answer,
                                       vote_id=vote_id)
        except Conflict as exc:
            if exc.code in ("closed", "not_current"):
                raise tablet_closed() from None
            raise
        row.ballot = d_domain.hash_token(token)
        try:
            await self.writer.submit(row)
        except DomainError as exc:
            if exc.code == "closed":
                self.catch_up(room)
                raise tablet_closed() from None
            raise
        await self.publish(event_id=event_id, desk_id=desk_id, what="answered")
        return row

    def _revoked(self, desk_id: int) -> bool:
        with Session(self.engine) as session:
            return d_domain.is_revoked(session=session, link_id=desk_id)

    async def stop(self) -> None:
        for members in list(self.tablets.values()):
            for conn in list(members):
                await close_quietly(conn.ws, 1012)
