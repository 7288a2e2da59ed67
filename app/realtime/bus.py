"""The one pub/sub between instances: memory:// for one process, redis:// for several workers or hosts.

Every message is delivered to this process's own subscribers at once and, with Redis, to the other
instances. When Redis is down, the local instance keeps working (the database stays the truth); when it
comes back, the listener reconnects by itself and calls `on_resync`, so every page gets the current state.
"""

import asyncio
import json
import logging
import uuid
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

log = logging.getLogger("saalumfrage.bus")

PUBLISH_TIMEOUT_S = 1.0

Handler = Callable[[Mapping[str, Any]], Awaitable[None]]


class Bus:
    """Local delivery; subclasses add delivery to other instances."""

    def __init__(self) -> None:
        self.instance = uuid.uuid4().hex
        self._handlers: dict[str, list[Handler]] = {}
        self._tasks: set[asyncio.Task] = set()
        self.on_resync: Callable[[], Awaitable[None]] | None = None

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        self._handlers.clear()

    async def publish(self, channel: str, message: Mapping[str, Any]) -> None:
        self._deliver(channel, message)
        await self._send_remote(channel, message)

    async def _send_remote(self, channel: str, message: Mapping[str, Any]) -> None:
        return None

    async def ready(self) -> bool:
        """Can this instance reach the other instances?"""
        return True

    def subscribe(self, channel: str, handler: Handler) -> None:
        self._handlers.setdefault(channel, []).append(handler)

    def unsubscribe(self, channel: str, handler: Handler) -> None:
        handlers = self._handlers.get(channel, [])
        if handler in handlers:
            handlers.remove(handler)

    def _deliver(self, channel: str, message: Mapping[str, Any]) -> None:
        for handler in list(self._handlers.get(channel, ())):
            self._spawn(self._run(handler, message))

    def _spawn(self, coro) -> asyncio.Task:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    @staticmethod
    async def _run(handler: Handler, message: Mapping[str, Any]) -> None:
        try:
            await handler(message)
        except Exception:  # a failing subscriber must not take the bus down
            log.exception("bus handler failed")


class MemoryBus(Bus):
    """One process: local delivery is all there is."""


class RedisBus(Bus):
    """Redis pub/sub, one pattern subscription per instance; an instance ignores its own messages."""

    def __init__(self, url: str, prefix: str = "saalumfrage:") -> None:
        super().__init__()
        import redis.asyncio as aioredis
        from redis.asyncio.retry import Retry
        from redis.backoff import NoBackoff
        from redis.exceptions import ConnectionError as RedisConnectionError
        from redis.exceptions import TimeoutError as RedisTimeoutError

        self.url = url
        self.prefix = prefix
        # The listener's connection waits for messages as long as it likes; publishing must not: a paused
        # Redis would hold a moderator's action. A connection left over from before a Redis restart fails
        # once and is replaced at once (one retry), so a recovery is not reported as a new outage.
        self.redis = aioredis.from_url(url, socket_connect_timeout=2, socket_keepalive=True, health_check_interval=5)
        self.publisher = aioredis.from_url(
            url, socket_connect_timeout=2, socket_timeout=PUBLISH_TIMEOUT_S, socket_keepalive=True,
            retry=Retry(NoBackoff(), 1), retry_on_error=[RedisConnectionError, RedisTimeoutError],
        )
        self.down = False
        self._listener: asyncio.Task | None = None
        self.connected = asyncio.Event()

    async def start(self) -> None:
        self._listener = asyncio.create_task(self._listen(), name="redis-bus-listener")

    async def stop(self) -> None:
        if self._listener:
            self._listener.cancel()
            try:
                await self._listener
            except (asyncio.CancelledError, Exception):
                pass
        await super().stop()
        for client in (self.redis, self.publisher):
            try:
                await client.aclose()
            except Exception:
                pass

    async def _send_remote(self, channel: str, message: Mapping[str, Any]) -> None:
        data = json.dumps({"from": self.instance, "message": message}, separators=(",", ":"))
        try:
            await asyncio.wait_for(self.publisher.publish(self.prefix + channel, data), PUBLISH_TIMEOUT_S * 2)
        except Exception as exc:
            # Lost for the other instances: they find the change in the database by themselves (Hub.reconcile).
            self._mark_down(exc)
        else:
            if self.down and self.connected.is_set():
                log.warning("Redis wieder erreichbar: Nachrichten an andere Instanzen gehen wieder hinaus")
                self.down = False

    def _mark_down(self, exc: BaseException) -> None:
        if not self.down:
            log.warning(
                "Redis nicht erreichbar (%s): andere Instanzen gleichen sich bis zur Wiederverbindung über die Datenbank ab",
                exc.__class__.__name__,
            )
        self.down = True
        self.connected.clear()

    async def ready(self) -> bool:
        try:
            return bool(await asyncio.wait_for(self.publisher.ping(), 2))
        except Exception:
            return False

    async def _listen(self) -> None:
        delay = 0.25
        first = True
        while True:
            pubsub = self.redis.pubsub(ignore_subscribe_messages=True)
            try:
                await pubsub.psubscribe(self.prefix + "*")
                if not first:
                    log.warning("Redis wieder erreichbar: alle Seiten werden neu abgeglichen")
                    if (resync := self.on_resync) is not None:
                        self._spawn(self._run(lambda _m: resync(), {}))
                first = False
                delay = 0.25
                self.down = False
                self.connected.set()
                while True:
                    msg = await pubsub.get_message(ignore_subscribe_messages=True, timeout=5.0)
                    if msg is None:
                        await pubsub.ping()  # notices a dead connection while all is quiet
                        continue
                    if msg.get("type") != "pmessage":
                        continue
                    try:
                        envelope = json.loads(msg["data"])
                    except (TypeError, ValueError):
                        continue
                    if envelope.get("from") == self.instance:
                        continue
                    channel = msg["channel"]
                    channel = channel.decode() if isinstance(channel, bytes) else channel
                    self._deliver(channel[len(self.prefix) :], envelope.get("message") or {})
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                self._mark_down(exc)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)
            finally:
                try:
                    await pubsub.aclose()
                except Exception:
                    pass


def create_bus(url: str, prefix: str = "saalumfrage:") -> Bus:
    if url.startswith("memory://"):
        return MemoryBus()
    if url.startswith(("redis://", "rediss://", "unix://")):
        return RedisBus(url, prefix)
    raise ValueError(f"Unbekannter BUS_URL {url!r}: unterstützt werden memory:// und redis://")
