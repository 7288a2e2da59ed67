"""One socket's send path: Connection (sends at once, a backlog only while the socket is slow) and closing.

A broadcast to thousands of phones is a plain loop of `Connection.push`, with no task switch per phone and
no task held per idle phone. Each socket also carries its message bucket (app.limits.TokenBucket) and who
it belongs to (a phone's device, a moderator's login).
"""

import asyncio
import logging
import time
from collections import deque
from collections.abc import Coroutine, Generator
from dataclasses import dataclass
from typing import Any, Protocol

from fastapi import WebSocket

from app.i18n import translate
from app.limits import Rate, TokenBucket
from app.realtime import protocol
from app.realtime.asgi import text_frame

log = logging.getLogger(__name__)

SEND_BACKLOG_MAX = 64
# Abuse limits. Every phone of a hall may share one public IP address, so nothing here looks at addresses:
# a socket is limited by what it sends (here), a device (its signed cookie) by how often it votes (intake).
MESSAGES_BURST, MESSAGES_PER_S = 20, 2.0  # per socket: a burst of 20, then 2 a second
MESSAGE_RATE = Rate(MESSAGES_BURST, MESSAGES_PER_S)
UNAVAILABLE = "Die Umfrage ist kurz nicht erreichbar, bitte gleich neu laden."


@dataclass(frozen=True, slots=True)
class ModeratorLogin:
    """Whose control socket this is (see app.auth): it ends with the login, the account or the right to the event."""

    user_id: int
    login_id: str  # LoginSession.id
    expires_at: float  # epoch seconds, as the login row said when the socket opened


class Connection:
    """One socket. Sends go out at once while the socket keeps up; a slow one gets a backlog and a task.

    A phone that falls SEND_BACKLOG_MAX messages behind is closed: it reconnects and gets the full state,
    so it stalls nobody.
    """

    __slots__ = (
        "_send",
        "_write_frame",
        "backlog",
        "bucket",
        "close_after_drain",
        "closed",
        "device",
        "drainer",
        "event_id",
        "last_seen",
        "locale",
        "login",
        "refused",
        "role",
        "ws",
    )

    def __init__(self, ws: WebSocket, role: str, event_id: int, device: str | None, locale: str,
                 login: ModeratorLogin | None = None) -> None:
        self.ws = ws
        self.role = role
        self.event_id = event_id
        self.device = device
        self.locale = locale
        self.backlog: deque[str] | None = None  # not None while a send is waiting for the socket
        self.drainer: asyncio.Future[None] | None = None
        self.closed = False
        self._send = ws.send_text
        self._write_frame = getattr(ws, "write_frame", None)
        self.last_seen = time.monotonic()
        self.bucket = TokenBucket(MESSAGE_RATE, self.last_seen)
        self.refused = 0
        self.close_after_drain: int | None = None
        self.login = login

    def allow_message(self, now: float) -> bool:
        """The socket's message bucket: a burst, then a steady rate. Also notes that the socket is alive."""
        self.last_seen = now
        if self.bucket.take(now) is None:
            self.refused += 1
            return False
        self.refused = 0
        return True

    def push(self, text: str, frame: bytes | None = None) -> None:
        """Send a message; `frame` is the same message framed once for a whole broadcast."""
        if self.closed:
            return
        if self.backlog is None and self._write_frame is not None and self._write_frame(frame or text_frame(text)):
            return
        if self.backlog is not None:
            if len(self.backlog) >= SEND_BACKLOG_MAX:
                log.info("closing a %s socket that fell behind", self.role)
                self.close(1013)
                return
            self.backlog.append(text)
            return
        # Run the send eagerly: it finishes without suspending unless the socket is paused.
        coro = self._send(text)
        try:
            waiting_on = coro.send(None)
        except StopIteration:
            return
        except Exception:
            self.closed = True  # the socket is gone; its receive loop ends and cleans up
            return
        self.backlog = deque()
        self.drainer = asyncio.ensure_future(self._drain(coro, waiting_on))

    async def _drain(self, coro: Coroutine[Any, Any, None], waiting_on: Any) -> None:
        try:
            await _finish(coro, waiting_on)
            while self.backlog:
                await self._send(self.backlog.popleft())
        except asyncio.CancelledError:
            raise
        except Exception:
            self.closed = True
        finally:
            self.backlog = None
            self.drainer = None
            if self.close_after_drain is not None:
                asyncio.ensure_future(close_quietly(self.ws, self.close_after_drain))

    def close(self, code: int = 1000, *, drain: bool = False) -> None:
        """Close the socket; with `drain`, only after what is already queued went out (a last message)."""
        self.closed = True
        if drain and self.drainer is not None and not self.drainer.done():
            self.close_after_drain = code
            return
        if self.drainer is not None:
            self.drainer.cancel()
        asyncio.ensure_future(close_quietly(self.ws, code))

    def stop(self) -> None:
        self.closed = True
        if self.drainer is not None:
            self.drainer.cancel()


async def _finish(coro: Coroutine[Any, Any, None] | Generator[Any, None, None], waiting_on: Any) -> None:
    """Drive a coroutine that was started by hand and suspended on `waiting_on` to its end."""
    try:
        while True:
            if waiting_on is None:  # a bare yield, as in asyncio.sleep(0)
                await asyncio.sleep(0)
            else:
                await asyncio.wait([waiting_on])  # done, with or without an exception; the coroutine sees which
            try:
                waiting_on = coro.send(None)
            except StopIteration:
                return
    finally:
        coro.close()


class Socket(Protocol):
    """What closing needs of a socket: Starlette's WebSocket or the phones' bare-ASGI one (realtime.asgi)."""

    async def send_text(self, text: str, /) -> None: ...

    async def close(self, code: int = 1000) -> None: ...


async def close_quietly(ws: Socket, code: int) -> None:
    try:
        await ws.close(code=code)
    except Exception:
        pass


async def socket_unavailable(ws: "Socket", locale: str) -> None:
    """The database is away: say so and close with 1013 (try again later); the page reconnects by itself."""
    try:
        await ws.send_text(protocol.error("unavailable", translate(UNAVAILABLE, locale)))
    except Exception:
        pass
    await close_quietly(ws, 1013)
