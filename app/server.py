"""uvicorn with a stop that resets no connection: `python -m app.server` takes uvicorn's options.

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
import ctypes
import importlib
import os
import socket
import struct

import uvicorn

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


class DrainingServer(uvicorn.Server):
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
    uvicorn_main.Server = DrainingServer


if __name__ == "__main__":
    use_draining_server()
    uvicorn_main.main()
