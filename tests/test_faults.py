"""Scale-out faults (#13): two real instances on PostgreSQL + Redis, and each screen converging to the
database by itself after Redis hangs or restarts and after PostgreSQL stops.

Each test brings its own Redis (a redis-server on a free port, paused with SIGSTOP or killed) or its own
PostgreSQL (initdb in a temporary folder, stopped and started with pg_ctl), so nothing else on the machine is
disturbed. Without those programs the tests skip and say how to enable them; with CI=true they are required.
"""

import contextlib
import glob
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import httpx
import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect as ws_connect

from tests.helpers import REDIS_URL, demo_env, free_port, postgres_ok, redis_ok, require, seed_demo
from tests.test_scaleout import ROOT, SECRET, Server, moderator, phone, questions, until, until_voters

pytestmark = pytest.mark.timeout(300)

# Every screen must agree with the database within this many seconds of a fault ending (Hub.RECONCILE_S is 2 s).
CONVERGE_S = 6.0


class OwnRedis:
    """A redis-server of this test's own, to pause and kill without touching the machine's Redis."""

    def __init__(self, tmp_path: Path) -> None:
        binary = shutil.which("redis-server")
        require("redis-server", bool(binary), "installieren mit: apt-get install redis-server")
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.cmd = [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", str(tmp_path)]
        self.proc: subprocess.Popen | None = None
        self.start()

    def start(self) -> None:
        self.proc = subprocess.Popen(self.cmd, stdout=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while not redis_ok(self.url):
            if time.monotonic() > deadline:
                raise RuntimeError("own redis-server did not start")
            time.sleep(0.05)

    def pause(self) -> None:
        self.proc.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        self.proc.send_signal(signal.SIGCONT)

    def kill(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGCONT)
            self.proc.kill()
            self.proc.wait()


@pytest.fixture
def own_redis(tmp_path):
    redis = OwnRedis(tmp_path)
    yield redis
    redis.kill()


def _pg_bin(name: str) -> str | None:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return found[-1] if found else shutil.which(name)


class OwnPostgres:
    """A PostgreSQL cluster of this test's own on a free port (run as the `postgres` user when we are root)."""

    def __init__(self) -> None:
        initdb, self.pg_ctl = _pg_bin("initdb"), _pg_bin("pg_ctl")
        require("initdb/pg_ctl", bool(initdb and self.pg_ctl), "installieren mit: apt-get install postgresql")
        self.port = free_port()
        # Not under pytest's tmp_path: as root, initdb runs as `postgres`, who cannot enter root's 0700 folders.
        self.dir = Path(tempfile.mkdtemp(prefix="saal-pg-"))
        self.prefix: list[str] = []
        if os.geteuid() == 0:
            shutil.chown(self.dir, "postgres")
            self.prefix = ["runuser", "-u", "postgres", "--"]
        result = subprocess.run([*self.prefix, initdb, "-D", str(self.dir / "data"), "-A", "trust", "-U", "postgres", "--no-sync"],
                                capture_output=True, text=True)
        assert result.returncode == 0, result.stdout + result.stderr
        self.url = f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"
        self.start()

    def _ctl(self, *args: str) -> None:
        result = subprocess.run([*self.prefix, self.pg_ctl, "-D", str(self.dir / "data"), "-w", "-t", "30", *args],
                                capture_output=True, text=True)
        if result.returncode != 0:
            raise subprocess.CalledProcessError(result.returncode, result.args, result.stdout, result.stderr)

    def start(self) -> None:
        self._ctl("-o", f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off", "-l", str(self.dir / "log"), "start")

    def stop(self) -> None:
        self._ctl("-m", "immediate", "stop")

    def sql(self, query: str, *params) -> list[tuple]:
        import psycopg

        with psycopg.connect(self.url.replace("+psycopg", ""), autocommit=True) as conn:
            return conn.execute(query, params).fetchall()


@pytest.fixture
def own_postgres():
    require("PostgreSQL", postgres_ok(), "starten mit: pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start")
    pg = OwnPostgres()
    yield pg
    try:
        pg.stop()
    except subprocess.CalledProcessError:
        pass
    shutil.rmtree(pg.dir, ignore_errors=True)


def _demo(url: str) -> dict:
    return {"url": url, **seed_demo(demo_env(url, SECRET))}


@pytest.fixture
def start(request):
    (ROOT / "test-artifacts").mkdir(exist_ok=True)
    started: list[Server] = []

    def run(database: dict, bus_url: str, prefix: str, env: dict | None = None) -> Server:
        server = Server(database, bus_url, prefix, env=env)
        started.append(server)
        return server

    yield run
    for server in started:
        server.stop()


def _count(url: str, question_id: int) -> int:
    import psycopg

    with psycopg.connect(url.replace("+psycopg", "")) as conn:
        return conn.execute("SELECT count(*) FROM vote WHERE question_id = %s", (question_id,)).fetchone()[0]


def _vote(ws, question: dict, vote_id: str, option: int | None = None) -> None:
    option = option or question["options"][0]["id"]
    ws.send(json.dumps({"type": "vote", "vote_id": vote_id, "question_id": question["id"], "choices": [option]}))


def _log(server: Server) -> str:
    return (ROOT / "test-artifacts" / f"scaleout-{server.port}.log").read_text()


def test_redis_hang_does_not_lose_a_moderator_action(database, own_redis, start):  # noqa: F811
    """Finding 1: Redis paused while the moderator opens a question on A. The action returns quickly, and the
    phone and projector on B get the question from the database by themselves, paused Redis or not."""
    prefix = f"saal-fault-{uuid.uuid4().hex[:8]}:"
    a, b = start(database, own_redis.url, prefix), start(database, own_redis.url, prefix)
    mod = moderator(a)
    question = questions(mod, database["event_id"])[0]
    try:
        with phone(b, database["code"]) as p, ws_connect(b.ws(f"/ws/p/{database['token']}")) as projector:
            until(p, "state")
            until(projector, "state")
            own_redis.pause()
            began = time.monotonic()
            mod.post(f"/api/events/{database['event_id']}/questions/{question['id']}/open").raise_for_status()
            assert time.monotonic() - began < 3.5, "a paused Redis held the moderator's action"
            opened = time.monotonic()
            for ws in (p, projector):
                until(ws, "state", lambda m: m["phase"] == "open" and m["question"]["id"] == question["id"], timeout=CONVERGE_S)
            assert time.monotonic() - opened < CONVERGE_S
            time.sleep(4)  # Redis stays paused a while longer, as in the independent run (15 s in all there)
            own_redis.resume()
            # After the pause, news travels over the bus again: the close on A reaches B at once.
            mod.post(f"/api/events/{database['event_id']}/questions/{question['id']}/close").raise_for_status()
            for ws in (p, projector):
                until(ws, "state", lambda m: m["phase"] == "closed", timeout=CONVERGE_S)
    finally:
        own_redis.resume()


def test_no_vote_is_stored_after_close_during_a_redis_outage(database, own_redis, start):  # noqa: F811
    """Finding 2: the question is closed on A while Redis is down; B, which still believes it open, must
    refuse the votes of its phones (the database decides), tell them, and show them the closed question."""
    prefix = f"saal-fault-{uuid.uuid4().hex[:8]}:"
    # B only learns of the close from the database, and that must not happen before its phones have voted:
    # votes are sent right after the close, well within B's first reconcile.
    a, b = start(database, own_redis.url, prefix), start(database, own_redis.url, prefix)
    mod = moderator(a)
    question = questions(mod, database["event_id"])[1]
    event = database["event_id"]
    with phone(b, database["code"]) as p1, phone(b, database["code"]) as p2, phone(a, database["code"]) as pa:
        for ws in (p1, p2, pa):
            until(ws, "state")
        mod.post(f"/api/events/{event}/questions/{question['id']}/open").raise_for_status()
        for ws in (p1, p2, pa):
            until(ws, "state", lambda m: m["phase"] == "open" and m["question"]["id"] == question["id"])
        _vote(p1, question, "before")
        until(p1, "ack")
        own_redis.kill()
        mod.post(f"/api/events/{event}/questions/{question['id']}/close").raise_for_status()
        stored_at_close = _count(database["url"], question["id"])
        assert stored_at_close == 1
        _vote(p2, question, "after-b")
        error = until(p2, "error", timeout=5)
        assert error["code"] == "closed" and error["vote_id"] == "after-b"
        _vote(pa, question, "after-a")
        assert until(pa, "error", timeout=5)["code"] == "closed"
        # The phones on B learn that voting has ended, without Redis.
        for ws in (p1, p2):
            until(ws, "state", lambda m: m["phase"] == "closed", timeout=CONVERGE_S)
        assert _count(database["url"], question["id"]) == stored_at_close
    # The plain form on B is refused the same way.
    client = httpx.Client(base_url=b.base, follow_redirects=False)
    client.get(f"/j/{database['code']}")
    response = client.post(f"/j/{database['code']}/vote", data={"question_id": question["id"], "choice": question["options"][0]["id"]})
    assert response.status_code == 409
    assert _count(database["url"], question["id"]) == stored_at_close


def test_projectors_catch_up_after_a_postgres_outage(own_postgres, start):
    """Finding 3: PostgreSQL stops right after votes were acknowledged, before the projectors were told.
    The failed count is retried until it succeeds: after recovery both projectors show every stored vote."""
    require("Redis", redis_ok(), "starten mit: redis-server --daemonize yes --port 6379")
    database = _demo(own_postgres.url)
    prefix = f"saal-fault-{uuid.uuid4().hex[:8]}:"
    # A slow tally clock, so the stop surely comes between the acknowledgements and the next count.
    env = {"TALLY_INTERVAL_MS": "2500"}
    a, b = start(database, REDIS_URL, prefix, env), start(database, REDIS_URL, prefix, env)
    mod = moderator(a)
    question = questions(mod, database["event_id"])[0]
    with ws_connect(a.ws(f"/ws/p/{database['token']}")) as proj_a, ws_connect(b.ws(f"/ws/p/{database['token']}")) as proj_b:
        until(proj_a, "state")
        until(proj_b, "state")
        mod.post(f"/api/events/{database['event_id']}/questions/{question['id']}/open").raise_for_status()
        for proj in (proj_a, proj_b):
            until(proj, "state", lambda m: m["phase"] == "open")
        with contextlib.ExitStack() as stack:
            phones = [stack.enter_context(phone(a if i % 2 else b, database["code"])) for i in range(10)]
            for ws in phones:
                until(ws, "state", lambda m: m["phase"] == "open")
            for i, ws in enumerate(phones):
                _vote(ws, question, f"pg{i}")
            for ws in phones:
                until(ws, "ack")
            own_postgres.stop()
            time.sleep(4)  # at least one count fails meanwhile
            own_postgres.start()
            recovered = time.monotonic()
            for proj in (proj_a, proj_b):
                until_voters(proj, question["id"], 10, timeout=CONVERGE_S + 3)
            assert time.monotonic() - recovered < CONVERGE_S + 3
    assert own_postgres.sql("SELECT count(*) FROM vote WHERE question_id = %s", question["id"])[0][0] == 10


def test_postgres_outage_answers_503_never_500(own_postgres, start):
    """Finding 4: while PostgreSQL is down, pages and actions answer 503 with a German note, sockets get an
    error message and close 1013 (try again); afterwards everything works again by itself."""
    require("Redis", redis_ok(), "starten mit: redis-server --daemonize yes --port 6379")
    database = _demo(own_postgres.url)
    server = start(database, REDIS_URL, f"saal-fault-{uuid.uuid4().hex[:8]}:")
    mod = moderator(server)
    question = questions(mod, database["event_id"])[0]
    client = httpx.Client(base_url=server.base, timeout=10)
    client.get(f"/j/{database['code']}")
    own_postgres.stop()
    try:
        page = client.get(f"/j/{database['code']}")
        assert page.status_code == 503
        assert "Die Umfrage ist kurz nicht erreichbar, bitte gleich neu laden" in page.text
        assert page.headers.get("retry-after")
        assert client.get("/").status_code == 200  # no database needed there
        action = mod.post(f"/api/events/{database['event_id']}/questions/{question['id']}/open")
        assert action.status_code == 503 and action.json()["code"] == "unavailable"
        control = mod.get(f"/moderator/events/{database['event_id']}")
        assert control.status_code == 503
        assert client.get(f"/p/{database['token']}").status_code == 503
        assert client.get("/healthz").status_code == 200
        assert client.get("/readyz").status_code == 503
        for path in (f"/ws/j/{database['code']}", f"/ws/p/{database['token']}"):
            ws = phone(server, database["code"]) if path.startswith("/ws/j/") else ws_connect(server.ws(path), open_timeout=10)
            with ws:
                error = until(ws, "error")
                assert error["code"] == "unavailable"
                assert "kurz nicht erreichbar" in error["message"]
                with pytest.raises(ConnectionClosed):
                    ws.recv(timeout=5)
                assert ws.close_code == 1013
    finally:
        own_postgres.start()
    deadline = time.monotonic() + 10
    while client.get(f"/j/{database['code']}").status_code != 200:
        assert time.monotonic() < deadline, "the phone page did not come back after PostgreSQL did"
        time.sleep(0.3)
    mod.post(f"/api/events/{database['event_id']}/questions/{question['id']}/open").raise_for_status()
    assert "Traceback" not in _log(server)


def test_redis_recovery_is_reported_once_and_the_next_outage_again(database, own_redis, start):  # noqa: F811
    """Finding 5: after Redis comes back, a connection left over from before it must not be reported as a
    new outage (which hid the next real one)."""
    server = start(database, own_redis.url, f"saal-fault-{uuid.uuid4().hex[:8]}:")
    mod = moderator(server)
    question = questions(mod, database["event_id"])[0]
    event = database["event_id"]

    def wait_log(text: str, count: int) -> None:
        deadline = time.monotonic() + 15
        while _log(server).count(text) < count:
            assert time.monotonic() < deadline, f"{text!r} not logged {count} times:\n{_log(server)}"
            time.sleep(0.2)

    mod.post(f"/api/events/{event}/questions/{question['id']}/open").raise_for_status()
    # A phone keeps the event's room alive, so presence notes are published every 2 s throughout, as in a hall.
    with phone(server, database["code"]) as p:
        until(p, "state")
        _outages(server, own_redis, mod, event, question, wait_log)
    assert _log(server).count("Redis nicht erreichbar") == 2


def _outages(server, own_redis, mod, event, question, wait_log) -> None:
    for outage in (1, 2):
        own_redis.kill()
        mod.post(f"/api/events/{event}/questions/{question['id']}/close").raise_for_status()
        wait_log("Redis nicht erreichbar", outage)
        own_redis.start()
        wait_log("Redis wieder erreichbar", outage)
        # Moderator actions after the recovery publish through the pooled connections from before.
        for _ in range(3):
            mod.post(f"/api/events/{event}/questions/{question['id']}/open").raise_for_status()
            time.sleep(0.2)
        log = _log(server)
        last_back = log.rindex("Redis wieder erreichbar")
        assert "Redis nicht erreichbar" not in log[last_back:], "a recovery was reported as a new outage"


def test_migrations_at_once_on_a_fresh_database(own_postgres):
    """Finding 5: `saalumfrage migrate` started six times at once (replicas starting together) all succeed.

    Without the advisory lock they race to create the same tables (UniqueViolation) when their starts
    line up; whether they line up depends on timing, so this test can pass by luck without the lock."""
    env = {**os.environ, "DATABASE_URL": own_postgres.url, "SECRET_KEY": SECRET, "ENVIRONMENT": "development"}
    procs = [
        subprocess.Popen([sys.executable, "-m", "app.cli", "migrate"], env=env, cwd=ROOT, stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, text=True)
        for _ in range(6)
    ]
    outputs = [proc.communicate(timeout=120)[0] for proc in procs]
    assert [proc.returncode for proc in procs] == [0] * 6, outputs
    heads = own_postgres.sql("SELECT version_num FROM alembic_version")
    assert len(heads) == 1


def test_serve_refuses_several_workers_on_the_memory_bus(tmp_path):
    """Finding 5: `serve --workers 2` with the default in-process bus would leave half the phones without the
    question: it refuses to start and says how to fix it."""
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}", "BUS_URL": "memory://"}
    result = subprocess.run([sys.executable, "-m", "app.cli", "serve", "--workers", "2", "--port", str(free_port())],
                            env=env, cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert "BUS_URL=redis://" in result.stderr and "--workers 1" in result.stderr
