"""The compose proxy, run natively: Debian's nginx with the repository's deploy/nginx*.conf (only the Docker
names replaced, see bench/nginx_stack.py) in front of two app replicas started with the Dockerfile's command,
on PostgreSQL + Redis. The full-size run (2,000 phones) is bench/nginx_run.py.

Needs nginx (apt-get install nginx-light), PostgreSQL and Redis on 127.0.0.1 (SCALEOUT_DATABASE_URL,
SCALEOUT_REDIS_URL to change). Without them these tests skip and say how to enable them; with CI=true they
are required (scripts/test.sh installs nginx in CI when it can).
"""

import asyncio
import json
import re
import shutil
import ssl
import subprocess
import threading
import time
import uuid

import httpx
import pytest
from websockets.sync.client import connect as ws_connect

from bench import nginx_stack
from bench.nginx_stack import AppInstance, DockerDNS, Hall, Nginx
from tests.helpers import REDIS_URL, demo_env, postgres_ok, redis_ok, require, seed_demo, temporary_database

ARTIFACTS = nginx_stack.ROOT / "test-artifacts"
PHONES_PER_REPLICA = 10_000  # what docs/deployment.md promises per app replica

pytestmark = pytest.mark.timeout(240)


def _require_all() -> None:
    require("nginx", bool(nginx_stack.nginx_binary()), "installieren mit: apt-get install nginx-light (scripts/test.sh tut es in CI)")
    require("PostgreSQL", postgres_ok(), "starten mit: pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start")
    require("Redis", redis_ok(), "starten mit: redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save '' --appendonly no")


@pytest.fixture(scope="module")
def database():
    """A fresh PostgreSQL database with the demo event, for this module."""
    _require_all()
    with temporary_database("saal_nginx_") as url:
        yield {"url": url, **seed_demo(demo_env(url, nginx_stack.SECRET))}


class Stack:
    """DNS, app replicas (one port, an address each, as in Docker) and nginx, stopped together."""

    def __init__(self, database: dict, workdir, public_url: str = "") -> None:
        self.database, self.workdir = database, workdir
        self.env = nginx_stack.app_env(database["url"], REDIS_URL, f"saal-nginx-{uuid.uuid4().hex[:8]}:", public_url)
        self.dns = DockerDNS()
        self.apps: dict[str, AppInstance] = {}
        self.port = nginx_stack.free_port("127.0.0.2")
        while not nginx_stack.port_free_on(self.port, [f"127.0.0.{k}" for k in range(2, 6)]):
            self.port = nginx_stack.free_port("127.0.0.2")
        self.nginx: Nginx | None = None

    def start_app(self, address: str) -> AppInstance:
        self.apps[address] = AppInstance(address, self.port, self.env, ARTIFACTS)
        self.dns.set("app", list(self.apps))  # Docker's DNS answers with every running replica
        return self.apps[address]

    def stop_app(self, address: str) -> None:
        self.apps.pop(address).stop()  # docker stop: SIGTERM, then the container leaves the DNS
        self.dns.set("app", list(self.apps))

    def start_nginx(self, https_port: int | None = None) -> Nginx:
        self.nginx = Nginx(self.workdir / "nginx", dns=self.dns, app_port=self.port, https_port=https_port)
        return self.nginx

    def close(self) -> None:
        if self.nginx:
            self.nginx.stop()
        for app in self.apps.values():
            app.stop()
        self.dns.close()


@pytest.fixture
def stack(database, tmp_path):
    ARTIFACTS.mkdir(exist_ok=True)
    stacks: list[Stack] = []

    def make(public_url: str = "") -> Stack:
        stacks.append(Stack(database, tmp_path / str(len(stacks)), public_url))
        return stacks[-1]

    yield make
    for s in stacks:
        s.close()


def demo_questions(base: str, event_id: int, client: httpx.Client) -> list[dict]:
    agenda = client.get(f"{base}/api/events/{event_id}").json()["topics"]
    return [q for t in agenda for q in t["questions"] if q["kind"] == "single"]


def moderator(base: str, **kwargs) -> httpx.Client:
    client = httpx.Client(base_url=base, timeout=15, **kwargs)
    nginx_stack.moderator_login(client)
    return client


def directive(dump: str, name: str) -> int:
    values = re.findall(rf"^\s*{name}\s+(\d+);", dump, re.M)
    assert len(values) == 1, f"{name} once in nginx -T, found {values}"
    return int(values[0])


def worker_open_files(pid: int) -> tuple[int, int]:
    for line in open(f"/proc/{pid}/limits"):
        if line.startswith("Max open files"):
            soft, hard = line.split()[3:5]
            return int(soft), int(hard)
    raise AssertionError("no open-files limit")


def assert_no_client_addresses(nginx: Nginx) -> None:
    """Clients connect from 127.0.0.1; the replicas are 127.0.0.2 and up (their addresses may be logged)."""
    access, errors = "\n".join(nginx.access_log()), nginx.error_log()
    assert access and "127.0.0.1" not in access
    assert "client:" not in errors and "127.0.0.1" not in errors, errors


def test_file_limits_allow_10000_phones_per_replica(stack):
    """nginx -T of the shipped file: one worker can hold every phone of every replica (the kernel does not
    spread connections evenly over the workers); the running workers got the file limit compose sets.
    nginx starts with no replica up (it resolves "app" per request) and answers 502 until one is."""
    s = stack()
    nginx = s.start_nginx()
    assert httpx.get(nginx.base + "/healthz").status_code == 502
    dump = nginx.dump()
    replicas = nginx_stack.compose()["services"]["app"]["deploy"]["replicas"]
    needed = 2 * PHONES_PER_REPLICA * replicas  # a websocket is two connections: phone side, app side
    worker_connections = directive(dump, "worker_connections")
    rlimit = directive(dump, "worker_rlimit_nofile")
    assert worker_connections >= needed, (worker_connections, needed)
    assert rlimit >= worker_connections + 100  # listening sockets, logs, resolver
    assert nginx_stack.compose_nofile("proxy") >= rlimit  # without CAP_SYS_RESOURCE nginx cannot go above it

    workers = nginx.worker_pids()
    assert len(workers) == directive(dump, "worker_processes")
    # compose gives the container a hard limit of compose_nofile("proxy"); here the fixture gives nginx as
    # much of it as this machine allows, and nginx raises each worker to worker_rlimit_nofile within it.
    granted = min(rlimit, worker_open_files(nginx.proc.pid)[1])
    for pid in workers:
        assert worker_open_files(pid) == (granted, granted)
    if granted < rlimit:
        # This machine's hard limit is lower than the container's: the workers still hold one replica's phones.
        assert f"setrlimit(RLIMIT_NOFILE, {rlimit}) failed" in nginx.error_log()
        require(
            f"Dateilimit {rlimit} (harte Grenze hier {granted})",
            granted >= 2 * PHONES_PER_REPLICA,
            f"als root mit CAP_SYS_RESOURCE laufen lassen oder `ulimit -Hn {rlimit}` vor dem Test",
        )


def test_hundred_phones_vote_through_nginx(stack, database):
    """100 phones load /j/<code> and its assets through nginx, open the socket, vote: every vote acked,
    stored once and on the projector; both replicas got phones; the QR code keeps the proxy's port."""
    s = stack()
    s.start_app("127.0.0.2")
    s.start_app("127.0.0.3")
    nginx = s.start_nginx()
    mod = moderator(nginx.base)
    question = demo_questions(nginx.base, database["event_id"], mod)[0]
    option = question["options"][1]["id"]

    # Host $http_host: the projector's QR code and link name the port the phones came in on.
    projector_page = httpx.get(f"{nginx.base}/p/{database['token']}").text
    assert f"http://127.0.0.1:{nginx.port}/j/{database['code']}" in projector_page

    async def run() -> Hall:
        hall = Hall("127.0.0.1", nginx.port, database["code"], 100)
        try:
            await hall.join()
            assert await hall.connect(timeout=30), f"{len(hall.connected)} of 100 phones connected"
            hall.vote(question["id"], option)
            await asyncio.to_thread(lambda: mod.post(f"/api/events/{database['event_id']}/questions/{question['id']}/open").raise_for_status())
            assert await hall.wait_acked(30), f"{hall.acked} of 100 votes acknowledged, errors {hall.errors}"
        finally:
            await hall.close()
        return hall

    with ws_connect(f"ws://127.0.0.1:{nginx.port}/ws/p/{database['token']}", open_timeout=10) as projector:
        hall = asyncio.run(run())
        deadline = time.monotonic() + 10
        while True:
            msg = json.loads(projector.recv(timeout=max(0.1, deadline - time.monotonic())))
            if msg["type"] == "tally" and msg["question_id"] == question["id"] and msg["voters"] == 100:
                assert msg["counts"][str(option)] == 100
                break
            assert time.monotonic() < deadline, "the projector never showed 100 votes"
    # No idle connection pool to the replicas (which uvicorn's 5 s keep-alive could close under nginx's
    # feet): once the sockets are gone, nginx holds no connection to either replica.
    deadline = time.monotonic() + 10
    while nginx_stack.app_connections(["127.0.0.2", "127.0.0.3"], s.port)["nginx"].get("established"):
        assert time.monotonic() < deadline, nginx_stack.app_connections(["127.0.0.2", "127.0.0.3"], s.port)
        time.sleep(0.2)
    assert hall.page_statuses == {200: 300}, hall.page_statuses
    assert hall.errors == [] and hall.refused_statuses == []
    assert nginx_stack.stored_votes(database["url"], question["id"]) == 100
    # Docker's DNS answers with both replicas; nginx spread the sockets over them.
    sockets = [line for line in nginx.access_log() if " /ws/j/" in line]
    assert len(sockets) == 100
    for address in ("127.0.0.2", "127.0.0.3"):
        assert sum(f"upstream={address}:" in line for line in sockets) >= 10, address
    # The projector link is a secret: the access log has its path, not its token.
    log = "\n".join(nginx.access_log())
    assert database["token"] not in log and " GET /p/*** 200 " in log and " GET /ws/p/*** 101 " in log
    assert_no_client_addresses(nginx)


def test_restart_behind_nginx_loses_no_post_and_no_vote(stack, database):
    """Replica A is stopped and comes back on a new address (a recreated container), then B is stopped,
    while phones vote and the moderator POSTs in a loop: no 502, every vote stored once, and the requests
    after B's stop reach the new address (nginx asked the DNS again)."""
    s = stack()
    s.start_app("127.0.0.2")
    s.start_app("127.0.0.3")
    nginx = s.start_nginx()
    event = database["event_id"]
    mod = moderator(nginx.base)
    question = demo_questions(nginx.base, event, mod)[1]
    option = question["options"][0]["id"]
    statuses: list[int] = []
    stop = threading.Event()

    def moderator_loop() -> None:
        actions = ("show-results", "hide-results")
        while not stop.is_set():
            r = mod.post(f"/api/events/{event}/questions/{question['id']}/{actions[len(statuses) % 2]}")
            statuses.append(r.status_code)
            time.sleep(0.02)

    def restarts() -> None:
        time.sleep(1.0)
        s.stop_app("127.0.0.2")
        s.start_app("127.0.0.4")  # recreated: same service, new address
        time.sleep(3.0)  # longer than the resolver's valid=2s
        s.stop_app("127.0.0.3")
        time.sleep(4.0)

    async def run() -> Hall:
        hall = Hall("127.0.0.1", nginx.port, database["code"], 40)
        try:
            await hall.join()
            assert await hall.connect(timeout=30)
            hall.vote(question["id"], option, spread=8.0)  # votes keep coming through both restarts
            await asyncio.to_thread(lambda: mod.post(f"/api/events/{event}/questions/{question['id']}/open").raise_for_status())
            loop = threading.Thread(target=moderator_loop)
            loop.start()
            try:
                await asyncio.to_thread(restarts)
            finally:
                stop.set()
                await asyncio.to_thread(loop.join)
            assert await hall.wait_acked(30), f"{hall.acked} of 40 votes acknowledged, errors {hall.errors}"
        finally:
            await hall.close()
        return hall

    hall = asyncio.run(run())
    assert len(statuses) > 50 and set(statuses) == {200}, {k: statuses.count(k) for k in set(statuses)}
    assert hall.reconnects >= 40 and hall.refused_statuses == [], hall.refused_statuses  # each phone moved at least once
    assert nginx_stack.stored_votes(database["url"], question["id"]) == 40
    log = nginx.access_log()
    assert not [line for line in log if " 502 " in line or " 504 " in line]
    # After B stopped only the recreated replica was left: nginx found it at its new address, and once its
    # DNS answer had expired it asked only there (no refused first attempt).
    posts = [line for line in log if line.split()[1] == "POST" and "/questions/" in line]
    assert all(line.endswith(f"upstream=127.0.0.4:{s.port} upstream_status=200") for line in posts[-3:]), posts[-3:]
    assert_no_client_addresses(nginx)  # the refused connects are "error" level: not in the log


def test_tls_variant(stack, database, tmp_path):
    """deploy/nginx-tls.conf (docker-compose.tls.yml): port 80 redirects, https serves pages, login and the
    phone's socket; the app, with PUBLIC_URL=https://…, sees https and does not warn."""
    require("openssl", bool(shutil.which("openssl")), "installieren mit: apt-get install openssl")
    https_port = nginx_stack.free_port()
    s = stack(public_url=f"https://127.0.0.1:{https_port}")
    app = s.start_app("127.0.0.2")
    certs = s.workdir / "nginx" / "certs"
    certs.mkdir(parents=True)
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
         "-keyout", str(certs / "privkey.pem"), "-out", str(certs / "fullchain.pem")],
        check=True, capture_output=True,
    )
    nginx = s.start_nginx(https_port=https_port)
    base = f"https://127.0.0.1:{https_port}"

    redirect = httpx.get(f"{nginx.base}/j/{database['code']}")
    assert redirect.status_code == 301 and redirect.headers["location"] == f"https://127.0.0.1/j/{database['code']}"

    mod = moderator(base, verify=False)
    assert mod.get("/moderator").status_code == 200  # the Secure session cookie came back over https
    assert "secure" in httpx.get(f"{base}/login", verify=False).headers["set-cookie"].lower()

    page = httpx.get(f"{base}/j/{database['code']}", verify=False)
    cookie = page.headers["set-cookie"].split(";", 1)[0]
    context = ssl.create_default_context()
    context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
    with ws_connect(f"wss://127.0.0.1:{https_port}/ws/j/{database['code']}", ssl=context,
                    additional_headers={"Cookie": cookie}, open_timeout=10) as phone:
        assert json.loads(phone.recv(timeout=10))["type"] == "state"
    assert "PUBLIC_URL beginnt mit https://" not in app.log_path.read_text()
