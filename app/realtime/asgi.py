"""A websocket on the bare ASGI callables, for the phones' hot path.

Phones are thousands; each message through Starlette's WebSocket and the middleware stack costs several
wrapper calls, and each idle socket holds those frames. The phone socket therefore skips the stack (see
SaalumfrageApp.__call__) and talks ASGI directly; it offers the few methods the hub uses.
"""

import logging
import struct
from http.cookies import SimpleCookie

from starlette.types import Message, Receive, Scope, Send
from websockets.protocol import State


def text_frame(text: str) -> bytes:
    """A complete server-to-client text frame. Server frames are unmasked, so one serves every phone."""
    payload = text.encode()
    n = len(payload)
    if n < 126:
        return bytes((0x81, n)) + payload
    if n < 65536:
        return struct.pack("!BBH", 0x81, 126, n) + payload
    return struct.pack("!BBQ", 0x81, 127, n) + payload


_SANSIO_ATTRS = ("conn", "transport", "writable", "disconnected", "close_sent", "handshake_complete", "initial_response")


log = logging.getLogger(__name__)


def _sansio_protocol(send: Send):
    """uvicorn's websockets-sansio connection behind an ASGI send, if that is what serves us."""
    proto = getattr(send, "__self__", None)
    if type(proto).__name__ == "WebSocketsSansIOProtocol" and all(hasattr(proto, a) for a in _SANSIO_ATTRS):
        return proto
    return None


def fast_path_supported() -> bool:
    """Whether the installed uvicorn's websockets-sansio protocol still has what write_frame uses (at start-up;
    the first phone socket then shows whether it is really in use)."""
    try:
        from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
    except ImportError:
        return False
    names: set[str] = set()
    for member in vars(WebSocketsSansIOProtocol).values():
        code = getattr(member, "__code__", None)
        if code is not None:
            names.update(code.co_names)
    return all(a in names for a in _SANSIO_ATTRS)


_send_path_reported = False


def _report_send_path(proto) -> None:
    """Say once per process which way messages reach the phones, so an upgrade cannot switch it off silently."""
    global _send_path_reported
    _send_path_reported = True
    if proto is not None:
        log.info("Handy-Sockets: schneller Sendeweg aktiv (ein Frame für alle, uvicorn websockets-sansio)")
    else:
        log.warning("Handy-Sockets: schneller Sendeweg NICHT aktiv, Nachrichten gehen einzeln über ASGI send "
                    "(uvicorn mit --ws websockets-sansio starten: saalumfrage serve)")


class PhoneSocket:
    __slots__ = ("scope", "_receive", "_send", "headers", "_proto")

    def __init__(self, scope: Scope, receive: Receive, send: Send) -> None:
        self.scope = scope
        self._receive = receive
        self._send = send
        self.headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope.get("headers") or ()}
        self._proto = _sansio_protocol(send)
        if not _send_path_reported:
            _report_send_path(self._proto)

    def write_frame(self, frame: bytes) -> bool:
        """Write a ready frame straight to the connection's transport, if it can take it now.

        The broadcast of a question to thousands of phones frames the message once and writes the same
        bytes to each (as websockets.broadcast does, minus the per-phone framing). Under uvicorn's
        websockets-sansio implementation only, and only while the connection is open and not paused;
        otherwise the caller falls back to the ordinary ASGI send.
        """
        p = self._proto
        if (
            p is None
            or p.disconnected
            or p.close_sent
            or not p.handshake_complete
            or p.initial_response is not None
            or not p.writable.is_set()
            or p.conn.state is not State.OPEN
        ):
            return False
        p.transport.write(frame)
        return True

    def cookie(self, name: str) -> str | None:
        raw = self.headers.get("cookie")
        if not raw:
            return None
        jar = SimpleCookie()
        try:
            jar.load(raw)
        except Exception:
            return None
        morsel = jar.get(name)
        return morsel.value if morsel else None

    async def accept(self) -> bool:
        """Take the handshake; False if the client left before it."""
        message = await self._receive()
        if message["type"] != "websocket.connect":
            return False
        await self._send({"type": "websocket.accept"})
        return True

    async def refuse(self, code: int) -> None:
        """Turn the handshake down (the client sees HTTP 403) without ever accepting it."""
        message = await self._receive()
        if message["type"] == "websocket.connect":
            await self._send({"type": "websocket.close", "code": code})

    async def receive(self) -> Message:
        return await self._receive()

    async def send_text(self, text: str) -> None:
        await self._send({"type": "websocket.send", "text": text})

    async def close(self, code: int = 1000) -> None:
        await self._send({"type": "websocket.close", "code": code})
