"""The real server, started as `saalumfrage serve` starts it (uvicorn in a subprocess, app/server.py's settings).

Slow and huge request heads (issue 12, finding 7): a client sending partial headers is cut off after the header
timeout, a head over 32 KiB is refused with 431 and costs no memory. And the phones' fast send path
(app/realtime/asgi.py) is active under the uvicorn this project pins, and the log says so.
"""

import asyncio
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import tomllib
from pathlib import Path

import httpx
import pytest
from itsdangerous import Signer
from websockets.asyncio.client import connect

from app.server import APP, HEAD_MAX_BYTES, HTTP_PROTOCOL, uvicorn_options
from tests.helpers import demo_env, free_port, seed_demo, wait_ready

ROOT = Path(__file__).resolve().parent.parent
SECRET = "server-secret-" + "s" * 32
HEADER_TIMEOUT_S = 2.0

pytestmark = pytest.mark.timeout(240)


def _rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS")


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("server")
    env = demo_env(f"sqlite:///{tmp / 'server.db'}", SECRET, HEADER_TIMEOUT_S=str(HEADER_TIMEOUT_S))
    env.pop("TEST_DATABASE_URL", None)
    demo = seed_demo(env)
    port = free_port()
    log_path = tmp / "server.log"
    with open(log_path, "w") as log:
        proc = subprocess.Popen([sys.executable, "-m", "app.cli", "serve", "--port", str(port)],
                                env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        wait_ready(f"http://127.0.0.1:{port}/readyz", proc, log_path)
        yield type("Server", (), {"port": port, "pid": proc.pid, "log": log_path, "code": demo["code"]})
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(10)


def _open(port: int) -> socket.socket:
    return socket.create_connection(("127.0.0.1", port), timeout=HEADER_TIMEOUT_S + 10)


def _read_all(sock: socket.socket) -> bytes:
    chunks = []
    while True:
        try:
            chunk = sock.recv(65536)
        except (ConnectionResetError, TimeoutError):
            break
        if not chunk:
            break
        chunks.append(chunk)
    return b"".join(chunks)


def test_partial_headers_are_cut_off_after_the_header_timeout(server):
    """300 connections that never finish their headers, half of them trickling a byte every half second
    (as a slowloris client does): each is answered 408 and closed within the timeout (+1 s), while a normal
    request on a fresh connection is served all the time."""
    socks = []
    for _i in range(300):
        s = _open(server.port)
        s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nX-Slow: ")
        socks.append(s)
    started = time.monotonic()
    stop = threading.Event()

    def trickle():
        while not stop.is_set():
            for s in socks[::2]:
                try:
                    s.send(b"a")
                except OSError:
                    pass
            time.sleep(0.5)

    t = threading.Thread(target=trickle, daemon=True)
    t.start()
    try:
        assert httpx.get(f"http://127.0.0.1:{server.port}/healthz", timeout=5).status_code == 200
        replies = [_read_all(s) for s in socks]
        took = time.monotonic() - started
    finally:
        stop.set()
        t.join()
        for s in socks:
            s.close()
    assert all(r.startswith(b"HTTP/1.1 408") for r in replies), {r[:40] for r in replies}
    assert took < HEADER_TIMEOUT_S + 1.5, took
    assert httpx.get(f"http://127.0.0.1:{server.port}/healthz", timeout=5).status_code == 200


def test_a_keep_alive_connection_gets_a_new_deadline_for_each_head(server):
    s = _open(server.port)
    try:
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        first = b""
        while b'{"status":"ok"}' not in first:
            first += s.recv(65536)
        assert first.startswith(b"HTTP/1.1 200")
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")  # the second head never ends
        started = time.monotonic()
        assert _read_all(s).startswith(b"HTTP/1.1 408")
        assert time.monotonic() - started < HEADER_TIMEOUT_S + 1.5
    finally:
        s.close()


def _send_huge_header(port: int, size: int) -> bytes:
    s = _open(port)
    try:
        try:
            s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nX-Huge: " + b"a" * size + b"\r\n\r\n")
        except (BrokenPipeError, ConnectionResetError):
            pass  # refused before it was all sent
        return _read_all(s)
    finally:
        s.close()


def test_a_megabyte_header_is_refused_with_431_and_costs_no_memory(server):
    assert _send_huge_header(server.port, 1024 * 1024).startswith(b"HTTP/1.1 431")
    # Headers up to the limit still work (a long cookie, say).
    big_ok = httpx.get(f"http://127.0.0.1:{server.port}/healthz", headers={"x-pad": "p" * (HEAD_MAX_BYTES // 2)}, timeout=5)
    assert big_ok.status_code == 200
    before = _rss_kib(server.pid)
    # The attack that grew memory by 200 MB: four 50 MB headers at once (here 4 × 16 MB, four times in a row).
    for _ in range(4):
        threads = [threading.Thread(target=_send_huge_header, args=(server.port, 16 * 1024 * 1024)) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    grown_mib = (_rss_kib(server.pid) - before) / 1024
    assert grown_mib < 8, f"memory grew by {grown_mib:.1f} MiB"
    assert httpx.get(f"http://127.0.0.1:{server.port}/healthz", timeout=5).status_code == 200


def test_the_phones_fast_send_path_is_active_under_the_pinned_uvicorn(server):
    """app/realtime/asgi.py writes one ready frame to every phone's transport, which needs uvicorn's
    websockets-sansio protocol with the attributes it uses. A phone connects to the real server; the log
    says the fast path is supported at start-up and active for the phone."""
    device = "d" * 32
    cookie = Signer(SECRET, salt="saalumfrage.device").sign(device).decode()

    async def phone():
        async with connect(f"ws://127.0.0.1:{server.port}/ws/j/{server.code}",
                           additional_headers={"cookie": f"saal_device={cookie}"}) as ws:
            assert '"type":"state"' in await asyncio.wait_for(ws.recv(), 10)

    asyncio.run(phone())
    deadline = time.monotonic() + 5
    while "Sendeweg aktiv" not in server.log.read_text() and time.monotonic() < deadline:
        time.sleep(0.1)
    log = server.log.read_text()
    assert "Schneller Sendeweg für Handys: von dieser uvicorn-Version unterstützt" in log
    assert "Handy-Sockets: schneller Sendeweg aktiv" in log and "NICHT" not in log


def test_serve_the_image_and_the_pin_agree():
    """The container runs the same protocol as `saalumfrage serve`, and uvicorn stays below its next major
    version (an upgrade could change what the fast path and the head guard rely on)."""
    options = uvicorn_options(host="127.0.0.1", port=8000)
    assert options["http"] == HTTP_PROTOCOL and options["ws"] == "websockets-sansio" and options["access_log"] is False
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert f'"--http", "{HTTP_PROTOCOL}"' in dockerfile
    assert options["factory"] is True and f'"--factory", "{APP}"' in dockerfile
    deps = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    uvicorn_dep = next(d for d in deps if d.startswith("uvicorn"))
    assert re.search(r"<\s*1(\.0)?\b", uvicorn_dep), uvicorn_dep


def test_behind_an_https_proxy_cookies_are_secure_and_hsts_is_sent(server):
    """nginx terminates TLS and says so in X-Forwarded-Proto; uvicorn trusts it from the proxy's address
    (127.0.0.1 here, FORWARDED_ALLOW_IPS elsewhere). No PUBLIC_URL is set on this server."""
    base = f"http://127.0.0.1:{server.port}"
    proxied = httpx.get(f"{base}/j/{server.code}", headers={"x-forwarded-proto": "https"}, timeout=5)
    cookies = proxied.headers.get_list("set-cookie")
    assert cookies and all("secure" in [a.strip().lower() for a in c.split(";")[1:]] for c in cookies), cookies
    assert proxied.headers["strict-transport-security"] == "max-age=31536000"
    plain = httpx.get(f"{base}/j/{server.code}", timeout=5)
    assert plain.headers.get_list("set-cookie") and not any("secure" in c.lower() for c in plain.headers.get_list("set-cookie"))
    assert "strict-transport-security" not in plain.headers
