"""A websocket on the bare ASGI callables, for the phones' hot path.

Phones are thousands; each message through Starlette's WebSocket and the middleware stack costs several
wrapper calls, and each idle socket holds those frames. The phone socket therefore skips the stack (see
SaalumfrageApp.__call__) and talks ASGI directly; it offers the few methods the hub uses.
"""

from http.cookies import SimpleCookie
from typing import Any

from starlette.types import Receive, Scope, Send


class PhoneSocket:
    __slots__ = ("scope", "_receive", "_send", "headers")

    def __init__(self, scope: Scope, receive: Receive, send: Send) -> None:
        self.scope = scope
        self._receive = receive
        self._send = send
        self.headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope.get("headers") or ()}

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

    async def receive(self) -> dict[str, Any]:
        return await self._receive()

    async def send_text(self, text: str) -> None:
        await self._send({"type": "websocket.send", "text": text})

    async def close(self, code: int = 1000) -> None:
        await self._send({"type": "websocket.close", "code": code})
