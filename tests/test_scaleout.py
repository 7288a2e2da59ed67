"""Several instances, one event: PostgreSQL holds the truth, Redis carries the news between them.

Needs PostgreSQL and Redis on 127.0.0.1 (SCALEOUT_DATABASE_URL, SCALEOUT_REDIS_URL to change). On a laptop
without them these tests skip and say how to enable them; with CI=true they are required.
"""

import contextlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx
import pytest
from itsdangerous import Signer
from websockets.sync.client import connect as ws_connect

from tests.helpers import REDIS_URL, free_port, postgres_ok, redis_ok, require

ROOT = Path(__file__).resolve().parent.parent
SECRET = "scaleout-secret-" + "s" * 32

pytestmark = pytest.mark.timeout(240)


class Server:
    def __init__(self, database: dict, bus_url: str, prefix: str, workers: int = 1, env: dict | None = None) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        env = {
            **os.environ,
            "DATABASE_URL": database["url"],
            "BUS_URL": bus_url,
            "BUS_PREFIX": prefix,
            "SECRET_KEY": SECRET,
            "ENVIRONMENT": "development",
            "AUTO_MIGRATE": "false",
            **(env or {}),
        }
        cmd = [sys.executable, "-m", "uvicorn", "--factory", "app.main:create_app", "--host", "127.0.0.1", "--port", str(self.port),
               "--ws", "websockets-sansio", "--log-level", "warning", "--workers", str(workers)]
        self.log = open(ROOT / "test-artifacts" / f"scaleout-{self.port}.log", "w")
        self.proc = subprocess.Popen(cmd, env=env, cwd=ROOT, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if httpx.get(self.base + "/healthz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.1)
        self.stop()  # never leave a half-started server (and its workers) running after the test
        raise RuntimeError(f"server on {self.port} did not start")

    def ws(self, path: str) -> str:
        return f"ws://127.0.0.1:{self.port}{path}"

    def stop(self) -> None:
        os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.log.close()


@pytest.fixture
def servers(request, database):
    (ROOT / "test-artifacts").mkdir(exist_ok=True)
    started: list[Server] = []

    def start(bus_url: str = REDIS_URL, prefix: str | None = None, workers: int = 1) -> Server:
        server = Server(database, bus_url, prefix or f"saal-test-{uuid.uuid4().hex[:8]}:", workers)
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


def phone(server: Server, code: str):
    cookie = "saal_device=" + Signer(SECRET, salt="saalumfrage.device").sign(uuid.uuid4().hex).decode()
    return ws_connect(server.ws(f"/ws/j/{code}"), additional_headers={"Cookie": cookie}, open_timeout=10)


def wait_for(ws, found, what: str, timeout: float = 5.0):
    """Read messages until `found(msg)` returns something; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            pytest.fail(f"{what}: nothing within {timeout} s")
        try:
            msg = json.loads(ws.recv(timeout=left))
        except TimeoutError:
            continue
        result = found(msg)
        if result:
            return result


def until(ws, type_: str, pred=lambda m: True, timeout: float = 5.0) -> dict:
    return wait_for(ws, lambda m: m if m["type"] == type_ and pred(m) else None, f"no matching {type_}", timeout)


def until_connected(ws, n: int, timeout: float = 8.0) -> dict:
    """The projector's count of phones (in `presence`, or in `tally` while a question is on screen)."""
    return wait_for(ws, lambda m: m if m.get("connected") == n else None, f"the projector never counted {n} phones", timeout)


def until_voters(ws, question_id: int, n: int, timeout: float) -> dict:
    """The projector's results for a question: in a `tally`, or in a full `state` after a resync."""

    def found(msg: dict) -> dict | None:
        results = msg if msg["type"] == "tally" else (msg.get("results") if msg["type"] == "state" else None)
        return results if results and results["question_id"] == question_id and results["voters"] == n else None

    return wait_for(ws, found, f"the projector never showed {n} votes", timeout)


def moderator(server: Server) -> httpx.Client:
    from app.demo import DEMO_PASSWORD, DEMO_USER

    client = httpx.Client(base_url=server.base, timeout=10)
    token = re.search(r'name="csrf" value="([^"]+)"', client.get("/login").text).group(1)
    client.post("/login", data={"username": DEMO_USER, "password": DEMO_PASSWORD, "csrf": token})
    return client


def questions(client: httpx.Client, event_id: int, kinds=("single", "multiple")) -> list[dict]:
    """The demo's questions of these kinds, in agenda order (the tests vote by option id)."""
    agenda = client.get(f"/api/events/{event_id}").json()["topics"]
    return [q for t in agenda for q in t["questions"] if q["kind"] in kinds]


def test_two_instances_share_one_event(servers, database):
    require("Redis", redis_ok(), "starten mit: redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save '' --appendonly no")
    prefix = f"saal-test-{uuid.uuid4().hex[:8]}:"
    a, b = servers(prefix=prefix), servers(prefix=prefix)
    assert httpx.get(a.base + "/readyz").json() == {"status": "ready", "database": "ok", "bus": "ok"}
    mod_b = moderator(b)
    first, second = questions(mod_b, database["event_id"])[:2]
    with phone(a, database["code"]) as p, ws_connect(b.ws(f"/ws/p/{database['token']}")) as projector:
        until(p, "state")
        until(projector, "state")
        # The phone on A is counted on B's projector.
        until_connected(projector, 1)
        # The moderator on B opens a question; the phone on A receives it.
        mod_b.post(f"/api/events/{database['event_id']}/questions/{first['id']}/open").raise_for_status()
        state = until(p, "state", lambda m: m["phase"] == "open")
        assert state["question"]["id"] == first["id"]
        # The phone on A votes; the projector on B shows it within 500 ms of the acknowledgement.
        option = first["options"][0]["id"]
        p.send(json.dumps({"type": "vote", "vote_id": "v1", "question_id": first["id"], "choices": [option]}))
        until(p, "ack")
        acked = time.monotonic()
        tally = until(projector, "tally", lambda m: m["voters"] == 1 and m["question_id"] == first["id"], timeout=3)
        assert time.monotonic() - acked < 0.5
        assert tally["counts"][str(option)] == 1 and tally["connected"] == 1
        # And the other way round: the moderator on A, the next question, on B's projector.
        mod_a = moderator(a)
        mod_a.post(f"/api/events/{database['event_id']}/questions/{second['id']}/open").raise_for_status()
        assert until(projector, "state", lambda m: m["question"] and m["question"]["id"] == second["id"])["phase"] == "open"
        assert until(p, "state", lambda m: m["question"] and m["question"]["id"] == second["id"])["phase"] == "open"


def test_countdown_closes_once_for_every_instance(servers, database):
    """Both instances sweep for countdowns that ran out; one closes the question, both rooms hear it."""
    require("Redis", redis_ok(), "starten mit: redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save '' --appendonly no")
    import psycopg

    prefix = f"saal-test-{uuid.uuid4().hex[:8]}:"
    a, b = servers(prefix=prefix), servers(prefix=prefix)
    mod = moderator(a)
    question = questions(mod, database["event_id"], kinds=("yesno",))[0]
    event = database["event_id"]
    with phone(a, database["code"]) as pa, phone(b, database["code"]) as pb, \
            ws_connect(b.ws(f"/ws/p/{database['token']}")) as projector:
        for ws in (pa, pb, projector):
            until(ws, "state")
        mod.post(f"/api/events/{event}/questions/{question['id']}/open").raise_for_status()
        mod.post(f"/api/events/{event}/questions/{question['id']}/timer", json={"seconds": 10}).raise_for_status()
        state = until(pb, "state", lambda m: m["question"] and m["question"]["id"] == question["id"] and m["question"]["closes_at"])
        assert 8_000 < state["question"]["closes_at"] - state["now"] <= 10_000
        # Ten seconds are long for a test: let the countdown run out now, as the database sees it.
        with psycopg.connect(database["url"].replace("+psycopg", "")) as conn:
            conn.execute("UPDATE question SET closes_at = now() - interval '1 second' WHERE id = %s", (question["id"],))
        for ws in (pa, pb, projector):
            closed = until(ws, "state", lambda m: m["phase"] == "closed", timeout=5)
            assert closed["question"]["closes_at"] is None
        pa.send(json.dumps({"type": "vote", "vote_id": "late", "question_id": question["id"], "choices": [question["options"][0]["id"]]}))
        assert until(pa, "error")["code"] == "closed"
    with psycopg.connect(database["url"].replace("+psycopg", "")) as conn:
        status, votes = conn.execute(
            "SELECT status, (SELECT count(*) FROM vote WHERE question_id = %s) FROM question WHERE id = %s",
            (question["id"], question["id"]),
        ).fetchone()
    assert (status, votes) == ("closed", 0)


def test_two_workers_share_one_event(servers, database):
    require("Redis", redis_ok(), "starten mit: redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save '' --appendonly no")
    server = servers(workers=2)
    mod = moderator(server)
    question = questions(mod, database["event_id"])[2]
    with contextlib.ExitStack() as stack:
        # The kernel spreads the connections over both workers.
        phones = [stack.enter_context(phone(server, database["code"])) for _ in range(8)]
        projector = stack.enter_context(ws_connect(server.ws(f"/ws/p/{database['token']}")))
        for p in phones:
            until(p, "state")
        until_connected(projector, 8)
        mod.post(f"/api/events/{database['event_id']}/questions/{question['id']}/open").raise_for_status()
        for i, p in enumerate(phones):
            until(p, "state", lambda m: m["phase"] == "open" and m["question"]["id"] == question["id"])
            option = question["options"][i % 2]["id"]
            p.send(json.dumps({"type": "vote", "vote_id": f"w{i}", "question_id": question["id"], "choices": [option]}))
        for p in phones:
            until(p, "ack")
        tally = until(projector, "tally", lambda m: m["voters"] == 8, timeout=3)
        assert sum(tally["counts"].values()) == 8


def test_redis_outage_loses_nothing_and_heals(servers, database, tmp_path):
    redis_server = shutil.which("redis-server")
    require("redis-server", bool(redis_server), "installieren mit: apt-get install redis-server")
    require("PostgreSQL", postgres_ok(), "siehe oben")
    port = free_port()
    cmd = [redis_server, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", str(tmp_path)]

    def start_redis() -> subprocess.Popen:
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while not redis_ok(f"redis://127.0.0.1:{port}/0"):
            if time.monotonic() > deadline:
                raise RuntimeError("own redis-server did not start")
            time.sleep(0.05)
        return proc

    redis_proc = start_redis()
    bus = f"redis://127.0.0.1:{port}/0"
    prefix = f"saal-test-{uuid.uuid4().hex[:8]}:"
    a, b = servers(bus, prefix), servers(bus, prefix)
    mod = moderator(a)
    question = questions(mod, database["event_id"])[3]
    try:
        with phone(a, database["code"]) as p, ws_connect(b.ws(f"/ws/p/{database['token']}")) as projector:
            until(p, "state")
            until(projector, "state")
            mod.post(f"/api/events/{database['event_id']}/questions/{question['id']}/open").raise_for_status()
            until(projector, "state", lambda m: m["phase"] == "open" and m["question"]["id"] == question["id"])
            until(p, "state", lambda m: m["phase"] == "open")

            redis_proc.kill()
            redis_proc.wait()
            deadline = time.monotonic() + 10
            while httpx.get(a.base + "/readyz").status_code != 503:
                assert time.monotonic() < deadline, "readyz did not notice the missing bus"
                time.sleep(0.2)
            # A vote while Redis is away: stored (the database is the truth) and acknowledged.
            option = question["options"][0]["id"]
            p.send(json.dumps({"type": "vote", "vote_id": "outage", "question_id": question["id"], "choices": [option]}))
            until(p, "ack")
            import psycopg

            with psycopg.connect(database["url"].replace("+psycopg", "")) as conn:
                stored = conn.execute("select count(*) from vote where question_id = %s", (question["id"],)).fetchone()[0]
            assert stored == 1

            redis_proc = start_redis()
            # Both instances reconnect by themselves; B resyncs and its projector shows the vote.
            tally = until_voters(projector, question["id"], 1, timeout=15)
            assert tally["counts"][str(option)] == 1
            assert httpx.get(a.base + "/readyz").status_code == 200
            assert a.proc.poll() is None and b.proc.poll() is None
        # Each instance reconnects on its own back-off (at most 5 s apart) and says so in its log.
        deadline = time.monotonic() + 15
        for server in (a, b):
            log_path = ROOT / "test-artifacts" / f"scaleout-{server.port}.log"
            while "Redis wieder erreichbar" not in log_path.read_text():
                assert time.monotonic() < deadline, f"instance on {server.port} never reported the reconnect"
                time.sleep(0.2)
            assert "Redis nicht erreichbar" in log_path.read_text()
    finally:
        redis_proc.kill()
