"""One socket's life on this instance: join the event's room (a device's sixth socket is refused), get the
state first (a phone with its own vote of the current round), then receive until it closes: pings are
answered, votes go to the intake, a flood is slowed and then closed. Leaving takes it out of its room.
"""

import asyncio
import logging
import time
from typing import Any

from fastapi import WebSocket
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session

from app.domain import votes as v_domain
from app.domain.errors import DomainError
from app.i18n import translate
from app.realtime import protocol
from app.realtime.connection import Connection, ModeratorLogin, close_quietly, socket_unavailable
from app.realtime.intake import Intake
from app.realtime.rooms import Room, Rooms, state_text, tally_texts

log = logging.getLogger(__name__)

FLOOD_CLOSE_AFTER = 100  # refused messages in a row before the socket is closed (1008)
# A device (one phone's cookie) counts once however many sockets it opens; it may open this many per instance
# (a few tabs), the next is refused with `too_many_sockets` and close code 4429 (the page retries slowly).
SOCKETS_PER_DEVICE = 5
CLOSE_TOO_MANY_SOCKETS = 4429


async def serve(rooms: Rooms, intake: Intake, ws: WebSocket, *, role: str, event_id: int, device: str | None,
                locale: str, login: ModeratorLogin | None = None) -> None:
    """Run one accepted socket until it closes: subscribe, then snapshot, then receive."""
    phone = device if role == "attendee" else None  # a phone's device: always given (routes.attendee)
    try:
        room, (my_vote, my_seq) = await _room_and_own_vote(rooms, event_id, phone)
    except DBAPIError:
        await socket_unavailable(ws, locale)
        return
    if phone is not None and room.devices.get(phone, 0) >= SOCKETS_PER_DEVICE:
        await _refuse_crowded_device(ws, locale)
        return
    conn = Connection(ws, role, event_id, device, locale, login)
    room.members(role).add(conn)
    if phone is not None:
        room.devices[phone] = room.devices.get(phone, 0) + 1
    try:
        conn.push(state_text(room, role, **({"my_vote": my_vote, "my_seq": my_seq} if role == "attendee" else {})))
        if room.tally is not None:
            # Made afresh: a cached tally carries the clock (`now`) of when it was made.
            fresh = tally_texts(room, roles=(role,))
            if role in fresh:
                conn.push(fresh[role])
        await _receive_loop(intake, conn, room)
    finally:
        room.members(role).discard(conn)
        if phone is not None:
            left = room.devices.pop(phone, 1) - 1
            if left > 0:
                room.devices[phone] = left
        conn.stop()


async def _refuse_crowded_device(ws: WebSocket, locale: str) -> None:
    text = translate(
        "Diese Seite ist auf diesem Gerät schon in {n} Fenstern offen. Bitte schließen Sie die anderen; "
        "diese Seite verbindet sich dann von selbst wieder.", locale, n=SOCKETS_PER_DEVICE,
    )
    try:
        await ws.send_text(protocol.error("too_many_sockets", text))
    finally:
        await close_quietly(ws, CLOSE_TOO_MANY_SOCKETS)


async def _room_and_own_vote(rooms: Rooms, event_id: int, phone: str | None) -> tuple[Room, tuple[Any, int]]:
    """The event's room and the phone's own answer to its current question with its `seq` ((None, 0) for
    others, or without one).

    The answer is asked before the socket joins the room, so that nothing can reach the socket ahead of its own
    state; the room is asked for again if it was swept away (empty) while the database was being asked, since a
    socket must join the room the registry holds (Rooms.get). The caller joins with no await in between.
    """
    while True:
        room = await rooms.get(event_id)
        mine = await _own_vote(rooms.engine, room, phone) if phone is not None else (None, 0)
        if rooms.by_event.get(event_id) is room:
            return room, mine


async def _own_vote(engine: Engine, room: Room, phone: str) -> tuple[Any, int]:
    """The device's answer to the room's current question and round and its `seq` ((None, 0) if it has none),
    asked again if the moderator moved on while the database was being asked."""
    for _ in range(3):
        live = room.live
        if live is None:
            return None, 0
        mine = await asyncio.to_thread(_my_vote_sync, engine, live.id, phone, live.round)
        now = room.live  # a state applied meanwhile makes a new object even for the same question and round
        if now is not None and (now.id, now.round) == (live.id, live.round):
            return mine
    return None, 0


def _my_vote_sync(engine: Engine, question_id: int, device: str, round: int) -> tuple[Any, int]:
    with Session(engine) as session:
        return v_domain.device_vote(session=session, question_id=question_id, device=device, round=round)


async def _receive_loop(intake: Intake, conn: Connection, room: Room) -> None:
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
                intake.take_vote(conn, room, msg)
        except (protocol.ProtocolError, DomainError) as exc:
            vote_id = msg.get("vote_id") if msg else None
            extra = {"vote_id": vote_id} if isinstance(vote_id, str) and len(vote_id) <= v_domain.VOTE_ID_MAX else {}
            conn.push(protocol.error(exc.code, translate(exc.message, conn.locale, **exc.params), **extra))
