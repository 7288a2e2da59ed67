"""Vote intake: votes from phones' sockets and from the no-JavaScript form, the per-device vote budget, and
the answer once the writer made a vote durable (`ack`) or could not.

A vote is checked against the room's state in memory (no query per vote), spends from its device's budget
and goes to the one batching writer (writer.VoteWriter); the phone gets `ack` after the commit, with the answer
that stands: its own, or a newer one of the same device that a late, older vote did not replace.
"""

import asyncio
from collections.abc import Callable
from typing import Any

from app.domain import votes as v_domain
from app.domain.errors import Conflict, DomainError
from app.i18n import translate
from app.limits import Budgets, Rate
from app.realtime import protocol
from app.realtime.connection import Connection
from app.realtime.rooms import Room, Rooms
from app.realtime.writer import VoteWriter

VOTES_BURST, VOTES_PER_S = 10, 0.5  # per device, over all its sockets: 10 quick changes, then one every 2 s
VOTE_RATE = Rate(VOTES_BURST, VOTES_PER_S)


class Intake:
    def __init__(self, rooms: Rooms, writer: VoteWriter, catch_up: Callable[[Room], None]) -> None:
        self.rooms = rooms
        self.writer = writer
        self.catch_up = catch_up  # after the database refused a vote as closed (reconcile.Reconciler)
        # Votes per device (keyed hash) over all its sockets and forms on this instance. Kept in this
        # process on purpose: the vote path takes no network round trip (see docs/security.md).
        self._vote_budget = Budgets(None)

    def take_vote(self, conn: Connection, room: Room, msg: dict[str, Any]) -> None:
        """A phone's vote message: check, spend, hand to the writer; the ack follows the commit."""
        device = conn.device
        assert device is not None  # only phones may send votes (protocol.parse), and a phone has its device
        row = v_domain.take_answer(
            live=room.live_for(msg.get("question_id")), device=device, question_id=msg.get("question_id"), answer=msg, vote_id=msg.get("vote_id"),
            seq=msg.get("seq"),
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
        conn.push(protocol.ack(row, future.result()))

    async def cast_form_vote(
        self, *, event_id: int, device: str, question_id: int, answer: dict[str, Any], seq: object = None
    ) -> v_domain.VoteRow | None:
        """Validate and store an answer from the no-JavaScript form; returns once it is durable.

        `answer` holds the field of the question's kind, as in a socket message (domain.answers); `seq` the
        form's number (stored + 1 when the page was made). Returns None when the answer was stored, or the
        device's newer answer that it did not replace (the form came from an older page).
        """
        room = await self.rooms.get(event_id)
        row = v_domain.take_answer(live=room.live_for(question_id), device=device, question_id=question_id, answer=answer, vote_id=None, seq=seq)
        self._spend_vote(device)
        try:
            standing = await self.writer.submit(row)
        except DomainError:
            self.catch_up(room)
            raise
        return standing if v_domain.superseded(sent=row, standing=standing) else None

    def _spend_vote(self, device: str) -> None:
        """Token bucket per device over all its sockets and forms; raises when it is empty.

        Called after the answer was checked: only valid votes reach the database, so only they count.
        """
        if self._vote_budget.take(device, VOTE_RATE) is None:
            raise Conflict("too_many_votes", "Sie haben sehr oft hintereinander abgestimmt. Bitte warten Sie ein paar Sekunden.")
