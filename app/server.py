"""The app's own server: uvicorn as `saalumfrage serve` and the container image (`python -m app.server`) run it.

1. Request heads. uvicorn has no deadline for a request's head and, with httptools (the fast C parser it picks
when installed), no limit on its size: a client that sends its headers byte by byte holds a connection for
ever, and a 50 MB header is buffered whole. HeadGuardedHttpToolsProtocol adds both, for every connection
before nginx or without it (docs/security.md, "Langsame und große Anfragen"):

- the head (request line and headers) must be complete within HEADER_TIMEOUT_S (Settings.header_timeout_s)
  of its first byte, else the connection is answered with 408 and closed;
- a head larger than HEAD_MAX_BYTES is answered with 431 and the connection closed, having buffered at most
  that plus one read.

Everything after the head (websocket upgrade, keep-alive, body) is uvicorn's own.

The app is built by its factory in each worker (APP, `--factory`); once it has started, the collector is tuned
for thousands of long-lived sockets (tune_gc: here, in the real server, not in every test that builds the app).

2. A stop that resets no connection (DrainingServer).
On SIGTERM (`docker stop`) uvicorn closes its listening socket at once. The kernel then resets every
connection it had queued or was still opening for it, and uvicorn closes every connection whose request it
has not read yet. Behind nginx those requests were already sent, and nginx answers them with 502: it never
replays a POST that reached a replica (deploy/nginx-locations.conf). Here the stop goes in steps: the
listening socket drops new connection requests (a BPF filter on SYN packets; the client retries after a
second, finds the port closed, and nginx passes the refused request on to another replica), the loop accepts
what is already queued or half-open, the socket closes, and the fresh connections get a moment to send their
request before uvicorn's own graceful shutdown answers them (tests/test_server_stop.py). The filter step is
only for a process that owns its socket alone, as the container's one worker.
"""

import asyncio
import contextlib
import copy
import ctypes
import gc
import importlib
import logging
import os
import socket
import struct
from asyncio import TimerHandle
from typing import Any

import uvicorn
from uvicorn.config import LOGGING_CONFIG
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from app.config import settings

APP = "app.main:create_app"  # a factory: uvicorn's `--factory`
HEAD_MAX_BYTES = 32 * 1024
HTTP_PROTOCOL = "app.server:HeadGuardedHttpToolsProtocol"
WS_PROTOCOL = "websockets-sansio"  # the phones' fast send path needs it (app/realtime/asgi.py)
# A frame larger than this closes the socket (1009) before it is read whole; messages are ≤ 4 KiB anyway.
WS_MAX_SIZE = 64 * 1024

log = logging.getLogger(__name__)


def _reply(status: bytes, text: str) -> bytes:
    body = text.encode()
    return (
        b"HTTP/1.1 " + status + b"\r\ncontent-type: text/plain; charset=utf-8\r\nconnection: close\r\n"
        b"content-length: " + str(len(body)).encode() + b"\r\n\r\n" + body
    )


TOO_SLOW = _reply(b"408 Request Timeout", "Die Anfrage kam zu langsam an. / Request head not received in time.\n")
TOO_LARGE = _reply(b"431 Request Header Fields Too Large", "Die Kopfzeilen der Anfrage sind zu groß. / Request header fields too large.\n")


class HeadGuardedHttpToolsProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol with a deadline and a size limit for each request head."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._head_timer: TimerHandle | None = None
        self._head_bytes = 0
        self._head_timeout = settings.header_timeout_s

    # The head starts with the connection, or with the first byte after a finished response (keep-alive).
    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._start_head()

    def _start_head(self) -> None:
        self._head_bytes = 0
        if self._head_timer is None:
            self._head_timer = self.loop.call_later(self._head_timeout, self._head_too_slow)

    def _end_head(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _idle(self) -> bool:
        return self.cycle is None or self.cycle.response_complete

    def data_received(self, data: bytes) -> None:
        if self._head_timer is None and self._idle():
            self._start_head()
        if self._head_timer is not None:
            self._head_bytes += len(data)
        super().data_received(data)
        if self._head_timer is not None and self._head_bytes > HEAD_MAX_BYTES and not self.transport.is_closing():
            self._refuse(TOO_LARGE)

    def on_message_begin(self) -> None:
        super().on_message_begin()
        if self._head_timer is None:  # a pipelined request: its head gets its own deadline
            self._start_head()

    def on_headers_complete(self) -> None:
        self._end_head()
        super().on_headers_complete()

    def connection_lost(self, exc: Exception | None) -> None:
        self._end_head()
        super().connection_lost(exc)

    def _head_too_slow(self) -> None:
        self._head_timer = None
        if not self.transport.is_closing():
            self._refuse(TOO_SLOW)

    def _refuse(self, reply: bytes) -> None:
        self._end_head()
        self.transport.write(reply)
        self.transport.close()


def log_config() -> dict[str, Any]:
    """uvicorn's logging, plus the app's own loggers at INFO (no access log: it would hold IP addresses)."""
    config = copy.deepcopy(LOGGING_CONFIG)
    for name in ("app", "saalumfrage"):
        config["loggers"][name] = {"handlers": ["default"], "level": "INFO", "propagate": False}
    return config


def uvicorn_options(*, host: str, port: int, workers: int = 1) -> dict[str, Any]:
    """What `saalumfrage serve` hands to uvicorn.run (the Dockerfile's command line says the same)."""
    return {
        "factory": True,  # APP
        "host": host,
        "port": port,
        "workers": workers,
        "http": HTTP_PROTOCOL,
        "ws": WS_PROTOCOL,
        "ws_per_message_deflate": False,
        "ws_max_size": WS_MAX_SIZE,
        # Only where h11 is used after all (uvicorn's --http h11): its own bound for a head, the same as ours.
        "h11_max_incomplete_event_size": HEAD_MAX_BYTES,
        "proxy_headers": True,
        "log_level": "info",
        "log_config": log_config(),
        "access_log": False,  # no IP addresses in logs
    }


# ---- 2. the stop --------------------------------------------------------------------------------

# The module, not the function `uvicorn.main` that the package exports under the same name.
uvicorn_main = importlib.import_module("uvicorn.main")

SO_ATTACH_FILTER = 26  # Linux
# Classic BPF on the TCP header: drop a packet with the SYN flag (a new connection), keep everything else.
_DROP_SYN = b"".join(
    struct.pack("HBBI", *insn)
    for insn in (
        (0x30, 0, 0, 13),  # ldb [13]          TCP flags
        (0x45, 0, 1, 0x02),  # jset #SYN, 0, 1
        (0x06, 0, 0, 0),  # ret #0            drop
        (0x06, 0, 0, 0xFFFFFFFF),  # ret #-1           keep
    )
)
_drop_syn_buffer = ctypes.create_string_buffer(_DROP_SYN)
# Long enough for a handshake or request already on its way over the Docker network; short against
# Docker's 10 s before SIGKILL.
SETTLE_S = 0.1


def refuse_new_connections(fd: int) -> None:
    """Drop SYNs on this listening socket; what is queued or half-open still completes. Where the kernel has
    no socket filters, the stop is plain uvicorn's."""
    prog = struct.pack("HxxxxxxP", len(_DROP_SYN) // 8, ctypes.addressof(_drop_syn_buffer))  # struct sock_fprog
    with socket.socket(fileno=os.dup(fd)) as sock, contextlib.suppress(OSError):
        sock.setsockopt(socket.SOL_SOCKET, SO_ATTACH_FILTER, prog)


def tune_gc() -> None:
    """Fewer, cheaper garbage collections: thousands of long-lived sockets make each full pass slow.

    What exists after start-up is moved out of the collector's sight (gc.freeze), and the young
    generation is collected less often, so a vote burst is not interrupted by collections that find
    nothing (sockets and rooms are freed by reference counting).
    """
    gc.collect()
    gc.freeze()
    gc.set_threshold(20_000, 50, 1000)


class DrainingServer(uvicorn.Server):
    """uvicorn's server with the collector tuned after start-up and a stop that resets no connection."""

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        if not self.should_exit:
            tune_gc()

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        # With --workers, `sockets` is one listening socket shared by every worker (and inherited by a
        # restarted one): a filter on it would stop them all, so only a sole owner (the container's one
        # worker) filters.
        if sockets is None:
            for server in self.servers:
                for sock in server.sockets or ():
                    refuse_new_connections(sock.fileno())
        await asyncio.sleep(SETTLE_S)  # the loop accepts what the kernel has queued
        for server in self.servers:
            server.close()
        await asyncio.sleep(SETTLE_S)  # fresh connections send their request, so it is answered
        await super().shutdown(sockets)


def use_draining_server() -> None:
    """uvicorn.run() and uvicorn's command line build their server from this name."""
    uvicorn_main.Server = DrainingServer  # type: ignore[attr-defined]  # a module found by name: mypy cannot see it


if __name__ == "__main__":
    use_draining_server()
    uvicorn_main.main()
