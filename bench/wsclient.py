"""A light websocket client: one asyncio.Protocol per phone, no library, so the load generator stays cheap.

It speaks just enough RFC 6455 for the benchmark: the HTTP upgrade, unmasked text frames from the server,
masked text frames to it (with an all-zero mask key, which leaves the payload unchanged), ping and close.
"""

import asyncio
import struct
import time
from collections.abc import Callable

_KEY = b"dGhlIHNhbXBsZSBub25jZQ=="


class Socket(asyncio.Protocol):
    __slots__ = ("transport", "buf", "open", "ready", "on_text", "closed", "request")

    def __init__(self, request: bytes, on_text: Callable[[bytes, float], None]) -> None:
        self.request = request
        self.on_text = on_text
        self.buf = bytearray()
        self.open = False
        self.transport: asyncio.Transport | None = None
        self.ready: asyncio.Future = asyncio.get_running_loop().create_future()
        self.closed: asyncio.Future = asyncio.get_running_loop().create_future()

    def connection_made(self, transport) -> None:
        self.transport = transport
        transport.write(self.request)

    def data_received(self, data: bytes) -> None:
        now = time.monotonic()
        buf = self.buf
        buf += data
        if not self.open:
            end = buf.find(b"\r\n\r\n")
            if end < 0:
                return
            status = bytes(buf[:12])
            del buf[: end + 4]
            if b" 101" not in status:
                self.ready.set_exception(ConnectionError(f"handshake refused: {status!r}"))
                self.transport.close()
                return
            self.open = True
            self.ready.set_result(True)
        while len(buf) >= 2:
            opcode = buf[0] & 0x0F
            length = buf[1] & 0x7F
            offset = 2
            if length == 126:
                if len(buf) < 4:
                    return
                length = struct.unpack_from("!H", buf, 2)[0]
                offset = 4
            elif length == 127:
                if len(buf) < 10:
                    return
                length = struct.unpack_from("!Q", buf, 2)[0]
                offset = 10
            if len(buf) < offset + length:
                return
            payload = bytes(buf[offset : offset + length])
            del buf[: offset + length]
            if opcode == 1:
                self.on_text(payload, now)
            elif opcode == 9:
                self._frame(0xA, payload)
            elif opcode == 8:
                self.transport.close()

    def connection_lost(self, exc) -> None:
        self.open = False
        if not self.ready.done():
            self.ready.set_exception(ConnectionError("closed during handshake"))
        if not self.closed.done():
            self.closed.set_result(True)

    def _frame(self, opcode: int, payload: bytes) -> None:
        n = len(payload)
        if n < 126:
            header = struct.pack("!BB", 0x80 | opcode, 0x80 | n)
        elif n < 65536:
            header = struct.pack("!BBH", 0x80 | opcode, 0x80 | 126, n)
        else:
            header = struct.pack("!BBQ", 0x80 | opcode, 0x80 | 127, n)
        self.transport.write(header + b"\x00\x00\x00\x00" + payload)

    def send_text(self, payload: bytes) -> None:
        self._frame(0x1, payload)

    def close(self) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self._frame(0x8, struct.pack("!H", 1000))
            self.transport.close()


def upgrade_request(host: str, port: int, path: str, cookie: str | None = None) -> bytes:
    lines = [
        f"GET {path} HTTP/1.1",
        f"Host: {host}:{port}",
        "Upgrade: websocket",
        "Connection: Upgrade",
        f"Sec-WebSocket-Key: {_KEY.decode()}",
        "Sec-WebSocket-Version: 13",
    ]
    if cookie:
        lines.append(f"Cookie: {cookie}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


async def connect(host: str, port: int, path: str, on_text, cookie: str | None = None) -> Socket:
    loop = asyncio.get_running_loop()
    _transport, sock = await loop.create_connection(lambda: Socket(upgrade_request(host, port, path, cookie), on_text), host, port)
    await sock.ready
    return sock
