"""The vote writer: one thread per process commits queued votes in batches, then acks them."""

import asyncio
import logging
import queue
import threading
import time
from collections.abc import Callable

from sqlalchemy.engine import Engine

from app.domain.votes import VoteRow, closed_error, lock_open_rounds, upsert_votes

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
        """Queue a vote; the future resolves once it is committed (or fails with the database error)."""
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
        # The last vote of a device wins inside a batch, as it would across batches.
        latest: dict[tuple[int, int, str], VoteRow] = {}
        for row, _future in batch:
            latest[(row.question_id, row.round, row.device_hash)] = row
        results: list[tuple[asyncio.Future, Exception | None]]
        try:
            with self._engine.begin() as conn:
                open_rounds = self._store(conn, list(latest.values()))
            results = [(future, None if (row.question_id, row.round) in open_rounds else closed_error()) for row, future in batch]
            committed = [row for row in latest.values() if (row.question_id, row.round) in open_rounds]
        except Exception as exc:  # e.g. the question was deleted meanwhile: retry one by one
            log.warning("vote batch of %d failed (%s); writing one by one", len(batch), exc.__class__.__name__)
            results, committed = [], []
            for row, future in batch:
                try:
                    with self._engine.begin() as conn:
                        stored = bool(self._store(conn, [row]))
                    results.append((future, None if stored else closed_error()))
                    if stored:
                        committed.append(row)
                except Exception as row_exc:
                    results.append((future, row_exc))
        assert self._loop is not None
        self._loop.call_soon_threadsafe(self._settle, results, committed)

    @staticmethod
    def _store(conn, rows: list[VoteRow]) -> set[tuple[int, int]]:
        """Upsert the rows whose question round is open in the database; returns those open rounds."""
        open_rounds = lock_open_rounds(conn, {(r.question_id, r.round) for r in rows})
        upsert_votes(conn, [r for r in rows if (r.question_id, r.round) in open_rounds])
        return open_rounds

    def _settle(self, results: list[tuple[asyncio.Future, Exception | None]], committed: list[VoteRow]) -> None:
        for future, exc in results:
            if future.done():
                continue
            if exc is None:
                future.set_result(True)
            else:
                future.set_exception(exc)
        if committed:
            self._on_committed(committed)
