"""What the hub's background work shares: loops that repeat and say a failure once, and tasks kept alive.

The tally ticker, the countdowns and the comparison with the database each run as one `repeat` loop; short
jobs they start (a bus note, a row to store) go through one `Tasks` set, so nothing is garbage-collected
half-way.
"""

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

from sqlalchemy.exc import DBAPIError

log = logging.getLogger(__name__)


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


async def repeat(step: Callable[[], Awaitable[None]], *, every: Callable[[], float], failures: QuietFailures) -> None:
    """Run `step` after every pause of `every()` seconds (read each time), until cancelled."""
    while True:
        await asyncio.sleep(every())
        try:
            await step()
            failures.ok()
        except Exception as exc:
            failures.failed(exc)


class Tasks:
    """Fire-and-forget work, held until done (the event loop keeps only weak references to tasks)."""

    def __init__(self) -> None:
        self._tasks: set[asyncio.Future[Any]] = set()

    def spawn(self, coro: Coroutine[Any, Any, Any]) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
