"""The vote writer: one thread per process commits queued votes in batches, then acks them.

A submitted vote's future resolves with the answer that stands for its device once the batch is committed:
the vote itself, or a newer answer of the same device that a late, older vote did not replace (`seq`).
"""

import asyncio
import logging
import queue
import threading
import time
from collections.abc import Callable

from sqlalchemy.engine import Engine

from app.domain.desk import ballot_gone, consume_ballots
from app.domain.sources import desk_of
from app.domain.votes import VoteKey, VoteRow, closed_error, lock_open_rounds, store_votes

log = logging.getLogger(__name__)

_STOP = object()


class VoteWriter:
    """Votes from every socket and form go through here; a batch is one transaction."""

    def __init__(
        self,
        engine: Engine,
        on_committed: Callable[[list[VoteRow]], None],
        *,
        batch_ms: float = 5.0,
        batch_max: int = 2000,
    ) -> None:
        self._engine = engine
        self._on_committed = on_committed
        self._batch_s = batch_ms / 1000
        self._batch_max = batch_max
        self._queue: queue.SimpleQueue = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._thread = threading.Thread(target=self._run, name="vote-writer", daemon=True)
        self._thread.start()

    async def stop(self) -> None:
        """Write what is queued, then stop."""
        if self._thread is None:
            return
        self._queue.put(_STOP)
        await asyncio.to_thread(self._thread.join, 10)
        self._thread = None

    def submit(self, row: VoteRow) -> asyncio.Future:
        """Queue a vote; the future resolves once it is committed, with the answer that stands for its device
        (the row itself, or a newer one it did not replace), or fails with the database error."""
        assert self._loop is not None, "submit() before start()"
        future = self._loop.create_future()
        self._queue.put((row, future))
        return future

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            if item is _STOP:
                return
            # Let a batch gather while this thread sleeps, then take it whole: one wake-up per batch,
            # not one per vote, so the event loop keeps the interpreter to itself meanwhile.
            time.sleep(self._batch_s)
            batch = [item]
            stopping = False
            while len(batch) < self._batch_max:
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
                if item is _STOP:
                    stopping = True
                    break
                batch.append(item)
            self._write(batch)
            if stopping:
                return

    def _write(self, batch: list[tuple[VoteRow, asyncio.Future]]) -> None:
        # The newest answer of a device wins inside a batch, as the upsert decides across batches: the higher
        # `seq`, and on equal numbers the later arrival.
        latest: dict[VoteKey, VoteRow] = {}
        for row, _future in batch:
            held = latest.get(row.key)
            if held is None or row.seq >= held.seq:
                latest[row.key] = row
        results: list[tuple[asyncio.Future, VoteRow | Exception]]
        try:
            with self._engine.begin() as conn:
                open_rounds, standing = self._store(conn, list(latest.values()))
            results = [(future, self._outcome(row, open_rounds, standing)) for row, future in batch]
            committed = [row for row in latest.values() if standing.get(row.key) is row]
        except Exception as exc:  # e.g. the question was deleted meanwhile: retry one by one
            log.warning("vote batch of %d failed (%s); writing one by one", len(batch), exc.__class__.__name__)
            results, committed = [], []
            for row, future in batch:
                try:
                    with self._engine.begin() as conn:
                        open_rounds, standing = self._store(conn, [row])
                    stands = standing.get(row.key)
                    results.append((future, self._outcome(row, open_rounds, standing)))
                    if stands is row:
                        committed.append(row)
                except Exception as row_exc:
                    results.append((future, row_exc))
        assert self._loop is not None
        self._loop.call_soon_threadsafe(self._settle, results, committed)

    @staticmethod
    def _outcome(row: VoteRow, open_rounds: set[tuple[int, int]], standing: dict[VoteKey, VoteRow]) -> VoteRow | Exception:
        if (row.question_id, row.round) not in open_rounds:
            return closed_error()
        stands = standing.get(row.key)
        return stands if stands is not None else ballot_gone()  # only a tablet's spent ballot stores nothing

    @staticmethod
    def _store(conn, rows: list[VoteRow]) -> tuple[set[tuple[int, int]], dict[VoteKey, VoteRow]]:
        """Upsert the rows whose question round is open in the database (a tablet's row only if its ballot is used up
        now, in this transaction): those open rounds, and the answer that stands for each stored row's key."""
        open_rounds = lock_open_rounds(conn, {(r.question_id, r.round) for r in rows})
        storable = [r for r in rows if (r.question_id, r.round) in open_rounds]
        if any(r.ballot is not None for r in storable):
            first: dict[str, VoteRow] = {}  # one vote per ballot, whatever else arrives with it
            for r in storable:
                if r.ballot is not None:
                    first.setdefault(r.ballot, r)
            used = consume_ballots(conn, [(b, desk_of(r.device_hash) or 0, r.question_id, r.round) for b, r in first.items()])
            storable = [r for r in storable if r.ballot is None or (r.ballot in used and first[r.ballot] is r)]
        standing = store_votes(conn, storable)
        return open_rounds, standing

    def _settle(self, results: list[tuple[asyncio.Future, VoteRow | Exception]], committed: list[VoteRow]) -> None:
        for future, outcome in results:
            if future.done():
                continue
            if isinstance(outcome, Exception):
                future.set_exception(outcome)
            else:
                future.set_result(outcome)
        if committed:
            self._on_committed(committed)
