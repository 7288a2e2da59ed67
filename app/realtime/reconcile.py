"""The database is the truth: every RECONCILE_S each instance compares its rooms with it, so a change whose
bus note was lost (Redis paused, restarted, a publish that timed out) reaches every screen by itself.

Also here: a full reload after the bus was away (resync), one catch-up after a vote the database refused
as closed, and the recheck of moderators' logins whose `end_moderator` note never came.
"""

import asyncio
import logging
from collections.abc import Callable, Coroutine, Mapping
from typing import Any

from sqlmodel import Session

from app.domain.access import can_manage
from app.models import Event, LoginSession, User
from app.realtime.connection import ModeratorLogin
from app.realtime.loops import QuietFailures, repeat
from app.realtime.rooms import Room, Rooms, apply, broadcast_state

log = logging.getLogger(__name__)

RECONCILE_S = 2.0


class Reconciler:
    def __init__(self, rooms: Rooms, spawn: Callable[[Coroutine[Any, Any, Any]], None]) -> None:
        self.rooms = rooms
        self.spawn = spawn
        self._catching_up: set[int] = set()  # events being reconciled after a vote the database refused

    async def run(self) -> None:
        failures = QuietFailures("Abgleich mit der Datenbank nicht möglich", "Abgleich mit der Datenbank läuft wieder.")
        await repeat(self._every_room, every=lambda: RECONCILE_S, failures=failures)

    async def _every_room(self) -> None:
        for room in list(self.rooms.by_event.values()):
            if room.loaded and not room.empty:
                await self.reconcile(room)
                if room.moderators:
                    await self.recheck_logins(room)

    async def resync(self) -> None:
        """After the bus was away: reload every room from the database and send everyone the current state."""
        for room in list(self.rooms.by_event.values()):
            async with room.lock:
                await self.rooms.reload(room)
            room.dirty = room.live is not None
            room.local_published_at = 0.0  # tell the others our phones again
            broadcast_state(room)

    async def reconcile(self, room: Room) -> None:
        """Bring a room to the database's state: what the bus should have told this instance, it finds here.

        A change of the state itself is broadcast; the same state with other numbers only marks the tally
        for the next tick (votes are pushed as tallies, never as full states to every phone).
        """
        state = await asyncio.to_thread(self.rooms.load_sync, room.event_id)
        if state is None:
            if room.state:
                room.live, room.state, room.tally, room.question = None, {}, None, None
                broadcast_state(room)
            return
        if shape(state) != shape(room.state.get("moderator")):
            if state["version"] >= room.version:
                log.info("event %s: state differed from the database, corrected", room.event_id)
                apply(room, state)
                broadcast_state(room)
        elif room.live is not None:
            room.dirty = True  # a tally that failed or a lost "votes" note: recount (pushed only if different)

    def catch_up(self, room: Room) -> None:
        """Reconcile a room now, once: a burst of votes refused as closed asks for one reload, not one each."""
        if room.event_id in self._catching_up:
            return
        self._catching_up.add(room.event_id)

        async def run() -> None:
            try:
                await self.reconcile(room)
            finally:
                self._catching_up.discard(room.event_id)

        self.spawn(run())

    async def recheck_logins(self, room: Room) -> None:
        """Control sockets whose login ended or whose account lost the event while the bus was away (the
        `end_moderator` note never came): the database says so, and they are closed as the note would have."""
        logins = {conn.login for conn in room.moderators if conn.login is not None and not conn.closed}
        if not logins:
            return
        ended = await asyncio.to_thread(self._ended_logins_sync, room.event_id, logins)
        for login, event_only in ended:
            self.rooms.end_moderators(user_id=login.user_id, login_id=login.login_id,
                                      event_id=room.event_id if event_only else None)

    def _ended_logins_sync(self, event_id: int, logins: set[ModeratorLogin]) -> list[tuple[ModeratorLogin, bool]]:
        """(login, only this event) for each login that no longer exists, or whose account may no longer drive the event."""
        ended = []
        with Session(self.rooms.engine) as session:
            event = session.get(Event, event_id)
            for login in logins:
                row = session.get(LoginSession, login.login_id)
                user = session.get(User, login.user_id)
                if row is None or user is None or not user.is_active:
                    ended.append((login, False))
                elif event is not None and not can_manage(session=session, user=user, event=event):
                    ended.append((login, True))
        return ended


def shape(state: Mapping[str, Any] | None) -> dict[str, Any] | None:
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
