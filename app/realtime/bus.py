"""The one pub/sub between instances: memory:// for one process; redis:// follows for several."""

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

log = logging.getLogger(__name__)

Handler = Callable[[dict[str, Any]], Awaitable[None]]


class Bus(Protocol):
    async def start(self) -> None: ...
    async def stop(self) -> None: ...
    async def publish(self, channel: str, message: dict[str, Any]) -> None: ...
    def subscribe(self, channel: str, handler: Handler) -> None: ...
    def unsubscribe(self, channel: str, handler: Handler) -> None: ...


class MemoryBus:
    """In-process bus: handlers run as tasks, as they would after a network hop."""

    def __init__(self) -> None:
        self._handlers: dict[str, list[Handler]] = {}
        self._tasks: set[asyncio.Task] = set()

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        self._handlers.clear()

    async def publish(self, channel: str, message: dict[str, Any]) -> None:
        for handler in list(self._handlers.get(channel, ())):
            task = asyncio.create_task(self._run(handler, message))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    @staticmethod
    async def _run(handler: Handler, message: dict[str, Any]) -> None:
        try:
            await handler(message)
        except Exception:  # a failing subscriber must not take the bus down
            log.exception("bus handler failed")

    def subscribe(self, channel: str, handler: Handler) -> None:
        self._handlers.setdefault(channel, []).append(handler)

    def unsubscribe(self, channel: str, handler: Handler) -> None:
        handlers = self._handlers.get(channel, [])
        if handler in handlers:
            handlers.remove(handler)


def create_bus(url: str) -> Bus:
    if url.startswith("memory://"):
        return MemoryBus()
    raise ValueError(f"Unbekannter BUS_URL {url!r}: unterstützt wird memory:// (redis:// folgt).")
