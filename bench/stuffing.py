"""Ballot stuffing, measured: a client that drops its device cookie and fetches a new one from /j/<code> in a
loop, voting each time, alternately through the plain form and through the socket, against a real server
(uvicorn, SQLite) for a fixed time. Prints how many of its votes were counted and what the moderator sees.

Not a speed benchmark: the number it prints is bounded by the pace of new device ids per event
(NEW_DEVICES_BURST + NEW_DEVICES_PER_S × seconds), whatever the machine. docs/security.md reports it.

    uv run python -m bench.stuffing [--seconds 60] [--workers 4] [--port 8000]

tests/test_stuffing.py::test_a_cookie_renewing_loop_is_bounded_and_warned runs the same attack for 10 s.
"""

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from websockets.sync.client import connect as ws_connect

from bench.nginx_stack import free_port, moderator_login, stop_group

ROOT = Path(__file__).resolve().parent.parent
SECRET = "stuffing-secret-" + "s" * 32


class Server:
    """The app under uvicorn on its own SQLite file, with the demo event; stopped with stop()."""

    def __init__(self, workdir: Path, port: int | None = None, env: dict[str, str] | None = None) -> None:
        self.port = port or free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log_path = workdir / "server.log"
        self.env = {
            **os.environ,
            "DATABASE_URL": f"sqlite:///{workdir / 'stuffing.db'}",
            "BUS_URL": "memory://",
            "SECRET_KEY": SECRET,
            "ENVIRONMENT": "development",
            "PUBLIC_URL": "",
            **(env or {}),
        }
        for key in ("TALLY_INTERVAL_MS", "AUTO_MIGRATE"):
            self.env.pop(key, None)
        out = subprocess.run([sys.executable, "-m", "app.cli", "demo"], env=self.env, cwd=ROOT, capture_output=True,
                             text=True, check=True).stdout
        self.code = re.search(r"/j/(\d+)", out).group(1)
        self.event_id = int(re.search(r"/moderator/events/(\d+)", out).group(1))
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "app.cli", "serve", "--port", str(self.port)],
                env=self.env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
            )
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(self.base + "/readyz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("the app did not start:\n" + self.log_path.read_text()[-3000:])
            time.sleep(0.1)

    def stop(self) -> None:
        stop_group(self.proc)


def moderator(base: str) -> httpx.Client:
    """A logged-in moderator of the demo event (the JSON API and the control socket)."""
    client = httpx.Client(base_url=base, timeout=10)
    moderator_login(client)
    return client


def open_single_question(mod: httpx.Client, event_id: int) -> tuple[int, int]:
    """Open the demo's first single-choice question; returns its id and its first option's id."""
    topics = mod.get(f"/api/events/{event_id}").json()["topics"]
    question = next(q for t in topics for q in t["questions"] if q["kind"] == "single")
    mod.post(f"/api/events/{event_id}/questions/{question['id']}/open").raise_for_status()
    return question["id"], question["options"][0]["id"]


@dataclass
class Tally:
    attempts: int = 0
    pages: int = 0  # /j/<code> answered with a new cookie
    refused: int = 0  # 503: the event's pace of new devices was exceeded
    form_votes: int = 0  # stored, as the form's redirect says
    socket_votes: int = 0  # acknowledged
    failures: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, name: str) -> None:
        with self.lock:
            setattr(self, name, getattr(self, name) + 1)


def _socket_vote(ws_url: str, cookie: str, question_id: int, option_id: int) -> bool:
    with ws_connect(ws_url, additional_headers={"Cookie": f"saal_device={cookie}"}, open_timeout=10, close_timeout=1) as ws:
        ws.send(json.dumps({"type": "vote", "vote_id": uuid.uuid4().hex, "question_id": question_id, "choices": [option_id]}))
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            msg = json.loads(ws.recv(timeout=10))
            if msg["type"] == "ack":
                return True
            if msg["type"] == "error":
                return False
    return False


def attack(base: str, code: str, question_id: int, option_id: int, seconds: float, workers: int = 2) -> Tally:
    """`workers` threads, each: a new cookie from /j/<code>, one vote with it (form, then socket, …), repeat."""
    tally = Tally()
    deadline = time.monotonic() + seconds
    ws_url = base.replace("http://", "ws://", 1) + f"/ws/j/{code}"

    def work(n: int) -> None:
        i = n
        with httpx.Client(base_url=base, timeout=30, follow_redirects=False) as client:
            while time.monotonic() < deadline:
                i += 1
                tally.add("attempts")
                client.cookies.clear()  # the point of the attack: a fresh device each time
                try:
                    page = client.get(f"/j/{code}")
                    if page.status_code == 503:
                        tally.add("refused")
                        time.sleep(0.05)
                        continue
                    cookie = page.cookies.get("saal_device")
                    if page.status_code != 200 or not cookie:
                        tally.add("failures")
                        continue
                    tally.add("pages")
                    if time.monotonic() >= deadline:
                        break
                    if i % 2:
                        voted = client.post(f"/j/{code}/vote", data={"question_id": str(question_id), "choice": str(option_id)})
                        tally.add("form_votes" if voted.status_code == 303 else "failures")
                    else:
                        tally.add("socket_votes" if _socket_vote(ws_url, cookie, question_id, option_id) else "failures")
                except Exception:
                    tally.add("failures")

    threads = [threading.Thread(target=work, args=(n,)) for n in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return tally


class ControlSocket:
    """The moderator's control page, open during the attack: its socket, read in a thread; keeps the last check."""

    def __init__(self, base: str, event_id: int, mod: httpx.Client) -> None:
        self.url = base.replace("http://", "ws://", 1) + f"/ws/moderator/{event_id}"
        self.cookie = "; ".join(f"{k}={v}" for k, v in mod.cookies.items())
        self.check: dict | None = None
        self.ws = None
        self.error: Exception | None = None
        self._open = threading.Event()
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()
        if not self._open.wait(15) or self.ws is None:
            raise RuntimeError(f"control socket did not open: {self.error!r}")

    def _read(self) -> None:
        try:
            with ws_connect(self.url, additional_headers={"Cookie": self.cookie}, open_timeout=10, close_timeout=2) as ws:
                self.ws = ws
                self._open.set()
                for raw in ws:
                    msg = json.loads(raw)
                    if msg.get("check") is not None:
                        self.check = msg["check"]
        except Exception as exc:
            self.error = exc
        finally:
            self._open.set()

    def close(self) -> None:
        if self.ws is not None:
            self.ws.close()
        self.thread.join(5)


def counted(mod: httpx.Client, event_id: int) -> dict:
    """What the moderator sees now: voters of the current round, the plausibility check, warnings in the audit log."""
    state = mod.get(f"/api/events/{event_id}").json()["state"]
    audit = mod.get(f"/api/events/{event_id}/audit").json()
    return {
        "voters": state["results"]["voters"],
        "check": state["check"],
        "warnings_logged": sum(e["action"] == "plausibility-warning" for e in audit),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--port", type=int, default=None, help="the app's port (default: any free one)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        server = Server(Path(tmp), port=args.port)
        try:
            mod = moderator(server.base)
            question_id, option_id = open_single_question(mod, server.event_id)
            control = ControlSocket(server.base, server.event_id, mod)  # the control page is open
            try:
                started = time.monotonic()
                tally = attack(server.base, server.code, question_id, option_id, args.seconds, args.workers)
                elapsed = time.monotonic() - started
                time.sleep(2)  # the hub's next ticks: the last tally, the warning in the audit log
                seen = counted(mod, server.event_id)
                live_check = control.check
            finally:
                control.close()
        finally:
            server.stop()
    from app.config import Settings

    burst = Settings.model_fields["new_devices_burst"].default
    rate = Settings.model_fields["new_devices_per_s"].default
    print(json.dumps({
        "seconds": round(elapsed, 1),
        "workers": args.workers,
        "budget": {"burst": burst, "per_s": rate, "bound": round(burst + rate * elapsed)},
        "attempts": tally.attempts, "new_cookies": tally.pages, "refused_503": tally.refused,
        "form_votes_stored": tally.form_votes, "socket_votes_acked": tally.socket_votes, "failures": tally.failures,
        "counted_votes": seen["voters"], "moderator_check": seen["check"], "control_socket_check": live_check,
        "warnings_logged": seen["warnings_logged"],
    }, indent=2))


if __name__ == "__main__":
    main()
