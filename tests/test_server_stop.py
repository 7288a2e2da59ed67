"""The Dockerfile's command (`python -m app.server`, uvicorn with app/server.py's stop): on SIGTERM, as
`docker stop` sends it, every connection that reached the process is answered and later ones are refused
(a proxy passes those on to another replica); none is reset, which nginx would answer with 502 for a POST.
Four clients connect as fast as they can through four stops; plain `uvicorn` reset 2 to 6 connections in
every run. SQLite, no other service."""

import importlib
import os
import signal
import socket
import subprocess
import threading
import time

import httpx
import pytest

from bench.nginx_stack import ROOT, dockerfile_command, free_port

pytestmark = pytest.mark.timeout(120)


def test_stop_answers_or_refuses_never_resets(tmp_path):
    port = free_port()
    env = {
        **os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'stop.db'}", "BUS_URL": "memory://",
        "SECRET_KEY": "stop-test-" + "s" * 32, "ENVIRONMENT": "development", "AUTO_MIGRATE": "true",
    }
    outcomes: list[str] = []

    def client(stop: threading.Event) -> None:
        while not stop.is_set():
            try:
                conn = socket.create_connection(("127.0.0.1", port), timeout=2)
            except OSError:
                outcomes.append("refused")
                time.sleep(0.0005)
                continue
            try:
                conn.sendall(b"GET /healthz HTTP/1.1\r\nHost: app\r\nConnection: close\r\n\r\n")
                outcomes.append("answered" if conn.recv(64).startswith(b"HTTP/1.1 200") else "other")
            except ConnectionResetError:
                outcomes.append("reset")
            except OSError as exc:
                outcomes.append(type(exc).__name__)
            finally:
                conn.close()

    for _ in range(4):
        server = subprocess.Popen(dockerfile_command("127.0.0.1", port), env=env, cwd=ROOT,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            deadline = time.monotonic() + 30
            while True:
                try:
                    if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                assert time.monotonic() < deadline and server.poll() is None, "server did not start"
                time.sleep(0.1)
            stop = threading.Event()
            clients = [threading.Thread(target=client, args=(stop,)) for _ in range(4)]
            for c in clients:
                c.start()
            time.sleep(0.3)
            server.send_signal(signal.SIGTERM)
            server.wait(15)
            time.sleep(0.2)
            stop.set()
            for c in clients:
                c.join()
        finally:
            if server.poll() is None:
                server.kill()
                server.wait()
    counts = {k: outcomes.count(k) for k in set(outcomes)}
    # Connecting after the stop began: the SYN is dropped, and a second later the closed port refuses.
    assert counts.get("answered", 0) > 100 and counts.get("refused", 0) >= 4, counts
    assert set(counts) == {"answered", "refused"}, counts


def test_saalumfrage_serve_uses_the_same_server(monkeypatch):
    """`saalumfrage serve` goes through uvicorn.run(), which builds its server from the name app.server replaces."""
    import uvicorn

    from app.server import DrainingServer, use_draining_server

    class Built(Exception):
        pass

    def run(self, sockets=None):
        raise Built(type(self))

    monkeypatch.setattr(DrainingServer, "run", run)
    monkeypatch.setattr(importlib.import_module("uvicorn.main"), "Server", uvicorn.Server)  # restored after the test
    use_draining_server()
    with pytest.raises(Built) as built:
        uvicorn.run("app.main:create_app", factory=True)
    assert built.value.args[0] is DrainingServer
