"""The compose topology without a Docker engine, for tests/test_nginx.py and bench/nginx_run.py.

Debian's nginx runs the repository's deploy/nginx*.conf, with only the Docker-specific names replaced
(`render`): Docker's resolver 127.0.0.11 becomes a small DNS server of our own (`DockerDNS`), the app port
8000 and the listen ports become free ports, and the paths (/etc/nginx/saalumfrage, /var/cache/nginx, the
pid file, the certificates) point into a temporary directory. As in Docker, every app replica listens on
the same port on its own address (127.0.0.2, 127.0.0.3, …: all of 127/8 is loopback on Linux) and is
started with the Dockerfile's own CMD (`AppInstance`); "app" resolves to the running ones, so a replica
can come back on a new address as a recreated container does. PostgreSQL and Redis run on this machine.
"""

import asyncio
import json
import os
import re
import resource
import shutil
import signal
import socket
import struct
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import httpx
import yaml

from bench.wsclient import connect as ws_connect

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
SECRET = "nginx-stack-secret-" + "n" * 32


def nginx_binary() -> str | None:
    return shutil.which("nginx") or next((p for p in ("/usr/sbin/nginx", "/usr/local/sbin/nginx") if os.access(p, os.X_OK)), None)


def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def stop_group(proc: subprocess.Popen, sig: int = signal.SIGTERM, timeout: float = 10) -> None:
    """Stop a process started with start_new_session=True and everything it started: `sig`, then SIGKILL
    after `timeout` seconds."""
    if proc.poll() is None:
        os.killpg(proc.pid, sig)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def port_free_on(port: int, hosts: list[str]) -> bool:
    for host in hosts:
        with socket.socket() as s:
            try:
                s.bind((host, port))
            except OSError:
                return False
    return True


class DockerDNS:
    """Stands in for Docker's embedded DNS: answers A queries for the names it knows, NXDOMAIN otherwise."""

    TTL = 1

    def __init__(self) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.names: dict[str, list[str]] = {}
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def set(self, name: str, addresses: list[str]) -> None:
        self.names[name] = list(addresses)

    def _serve(self) -> None:
        while True:
            try:
                query, peer = self.sock.recvfrom(512)
            except OSError:
                return
            try:
                self.sock.sendto(self.answer(query), peer)
            except (OSError, IndexError, struct.error):
                continue

    def answer(self, query: bytes) -> bytes:
        ident, flags = struct.unpack("!HH", query[:4])
        i, labels = 12, []
        while query[i]:
            labels.append(query[i + 1 : i + 1 + query[i]].decode("ascii", "replace"))
            i += 1 + query[i]
        qtype, _qclass = struct.unpack("!HH", query[i + 1 : i + 5])
        question = query[12 : i + 5]
        name = ".".join(labels).lower()
        known = name in self.names
        addresses = self.names.get(name, []) if qtype == 1 else []
        header = struct.pack("!HHHHHH", ident, 0x8580 | (flags & 0x0100) | (0 if known else 3), 1, len(addresses), 0, 0)
        answers = b"".join(b"\xc0\x0c" + struct.pack("!HHIH", 1, 1, self.TTL, 4) + socket.inet_aton(a) for a in addresses)
        return header + question + answers

    def close(self) -> None:
        self.sock.close()


def _replace(text: str, old: str, new: str, where: str) -> str:
    """Replace a Docker-specific name; refuse if the shipped file no longer has it (the test must not drift)."""
    if old not in text:
        raise AssertionError(f"{where}: expected {old!r} in the shipped configuration")
    return text.replace(old, new)


def render(workdir: Path, *, dns_port: int, app_port: int, http_port: int, https_port: int | None = None) -> Path:
    """deploy/nginx.conf and its includes, with the Docker-specific names replaced, in `workdir`.

    With `https_port` the TLS variant (deploy/nginx-tls.conf) is the server block, as docker-compose.tls.yml
    mounts it; certificates are expected in workdir/certs.
    """
    workdir.mkdir(parents=True, exist_ok=True)
    (workdir / "cache").mkdir(exist_ok=True)
    main = (DEPLOY / "nginx.conf").read_text()
    main = _replace(main, "resolver 127.0.0.11 ", f"resolver 127.0.0.1:{dns_port} ", "nginx.conf")
    main = _replace(main, "/var/run/nginx.pid", str(workdir / "nginx.pid"), "nginx.conf")
    main = _replace(main, "/var/cache/nginx/", f"{workdir}/cache/", "nginx.conf")
    main = _replace(main, "access_log /dev/stdout ", f"access_log {workdir}/access.log ", "nginx.conf")
    main = _replace(main, "/etc/nginx/saalumfrage/", f"{workdir}/", "nginx.conf")
    (workdir / "nginx.conf").write_text(main)

    locations = (DEPLOY / "nginx-locations.conf").read_text()
    (workdir / "locations.conf").write_text(_replace(locations, "http://app:8000", f"http://app:{app_port}", "nginx-locations.conf"))

    server = (DEPLOY / ("nginx-tls.conf" if https_port else "nginx-http.conf")).read_text()
    server = _replace(server, "listen 80;", f"listen 127.0.0.1:{http_port};", "server block")
    server = _replace(server, "/etc/nginx/saalumfrage/", f"{workdir}/", "server block")
    if https_port:
        server = _replace(server, "listen 443 ssl;", f"listen 127.0.0.1:{https_port} ssl;", "nginx-tls.conf")
        server = _replace(server, "/etc/nginx/certs/", f"{workdir}/certs/", "nginx-tls.conf")
    (workdir / "server.conf").write_text(server)
    return workdir / "nginx.conf"


def compose_nofile(service: str = "proxy") -> int:
    """The file descriptor limit docker-compose.yml gives a service (`ulimits: nofile`)."""
    nofile = compose()["services"][service]["ulimits"]["nofile"]
    return int(nofile["hard"]) if isinstance(nofile, dict) else int(nofile)


class Nginx:
    """The shipped nginx configuration, run natively with the limits compose would give it."""

    def __init__(self, workdir: Path, *, dns: DockerDNS, app_port: int, https_port: int | None = None, port: int | None = None) -> None:
        self.binary = nginx_binary()
        if not self.binary:
            raise RuntimeError("nginx not installed")
        self.workdir = workdir
        self.port = port or free_port()
        self.https_port = https_port
        self.base = f"http://127.0.0.1:{self.port}"
        self.conf = render(workdir, dns_port=dns.port, app_port=app_port, http_port=self.port, https_port=https_port)
        test = subprocess.run([self.binary, "-t", "-c", str(self.conf), "-p", str(workdir)], capture_output=True, text=True)
        if test.returncode != 0:
            raise RuntimeError(f"nginx -t failed:\n{test.stderr}")
        nofile = compose_nofile("proxy")

        def limits() -> None:  # what `ulimits: nofile` does for the container; as far as this user may
            soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
            try:
                resource.setrlimit(resource.RLIMIT_NOFILE, (nofile, nofile))
            except (ValueError, OSError):
                resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))

        self.stderr = open(workdir / "error.log", "w")
        self.proc = subprocess.Popen(
            [self.binary, "-c", str(self.conf), "-p", str(workdir), "-g", "daemon off;"],
            stdout=subprocess.DEVNULL, stderr=self.stderr, preexec_fn=limits, start_new_session=True,
        )
        deadline = time.monotonic() + 10
        while len(self.worker_pids()) < 1 or not _listening(self.port):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"nginx did not start:\n{self.error_log()}")
            time.sleep(0.05)

    def worker_pids(self) -> list[int]:
        pids = []
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    stat = (entry / "stat").read_text()
                except OSError:
                    continue
                if int(stat.rsplit(")", 1)[1].split()[1]) == self.proc.pid:
                    pids.append(int(entry.name))
        return pids

    def dump(self) -> str:
        """`nginx -T`: the configuration nginx really read, includes and all."""
        return subprocess.run([self.binary, "-T", "-c", str(self.conf), "-p", str(self.workdir)], capture_output=True, text=True, check=True).stdout

    def access_log(self) -> list[str]:
        path = self.workdir / "access.log"
        return path.read_text().splitlines() if path.exists() else []

    def error_log(self) -> str:
        self.stderr.flush()
        return (self.workdir / "error.log").read_text()

    def rss_kib(self) -> int:
        total = 0
        for pid in self.worker_pids():
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        return total

    def stop(self) -> None:
        stop_group(self.proc)
        self.stderr.close()


def _listening(port: int, host: str = "127.0.0.1") -> bool:
    try:
        socket.create_connection((host, port), timeout=0.5).close()
        return True
    except OSError:
        return False


def dockerfile_command(host: str, port: int) -> list[str]:
    """The Dockerfile's CMD, on another address and port (as a replica in its own container)."""
    text = (ROOT / "Dockerfile").read_text().replace("\\\n", " ")
    cmd = json.loads(re.search(r"^CMD (\[.*\])\s*$", text, re.M).group(1))
    assert cmd[:3] == ["python", "-m", "app.server"] and cmd[cmd.index("--host") + 1] == "0.0.0.0" and cmd[cmd.index("--port") + 1] == "8000"
    cmd[cmd.index("--host") + 1] = host
    cmd[cmd.index("--port") + 1] = str(port)
    return [sys.executable, *cmd[1:]]


class AppInstance:
    """One app replica, as its container would run it (same command, same environment as compose)."""

    def __init__(self, address: str, port: int, env: dict, log_dir: Path) -> None:
        self.address, self.port = address, port
        self.base = f"http://{address}:{port}"
        log_dir.mkdir(parents=True, exist_ok=True)
        self.log_path = log_dir / f"app-{address}-{port}.log"
        self.log = open(self.log_path, "a")

        def limits() -> None:  # compose's `ulimits: nofile` for the app service, as far as this user may
            nofile = compose_nofile("app")
            soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
            resource.setrlimit(resource.RLIMIT_NOFILE, (min(nofile, hard), hard))

        self.proc = subprocess.Popen(
            dockerfile_command(address, port), env=env, cwd=ROOT, stdout=self.log, stderr=subprocess.STDOUT,
            preexec_fn=limits, start_new_session=True,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                break
            try:
                if httpx.get(self.base + "/healthz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"app on {address}:{port} did not start, see {self.log_path}")

    def stop(self, sig: int = signal.SIGTERM) -> None:
        """SIGTERM is what `docker stop` sends: uvicorn closes its sockets and finishes running requests."""
        stop_group(self.proc, sig, timeout=15)
        self.log.close()


def app_env(database_url: str, redis_url: str, prefix: str, public_url: str = "") -> dict:
    """docker-compose.yml's x-app-env, pointing at this machine's PostgreSQL and Redis."""
    env = compose()["x-app-env"]
    assert env["ENVIRONMENT"] == "production" and env["AUTO_MIGRATE"] == "false"
    return {
        **os.environ,
        "DATABASE_URL": database_url,
        "BUS_URL": redis_url,
        "BUS_PREFIX": prefix,
        "SECRET_KEY": SECRET,
        "PUBLIC_URL": public_url,
        "ENVIRONMENT": env["ENVIRONMENT"],
        "AUTO_MIGRATE": env["AUTO_MIGRATE"],
    }


def create_database(admin_url: str) -> tuple[str, str]:
    """A fresh PostgreSQL database, migrated: (name, SQLAlchemy URL)."""
    import psycopg

    name = "saal_nginx_" + uuid.uuid4().hex[:8]
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = re.sub(r"/[^/]*$", f"/{name}", admin_url).replace("postgresql://", "postgresql+psycopg://", 1)
    return name, url


def drop_database(admin_url: str, name: str) -> None:
    import psycopg

    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def seed_demo(database_url: str) -> dict:
    """Migrate and create the demo event: its id, projector token and join code."""
    env = {**os.environ, "DATABASE_URL": database_url, "SECRET_KEY": SECRET, "ENVIRONMENT": "development"}
    out = subprocess.run([sys.executable, "-m", "app.cli", "demo"], env=env, cwd=ROOT, capture_output=True, text=True, check=True).stdout
    return {
        "event_id": int(re.search(r"/moderator/events/(\d+)", out).group(1)),
        "token": re.search(r"/p/([\w-]+)", out).group(1),
        "code": re.search(r"/j/(\d+)", out).group(1),
    }


def app_connections(addresses: list[str], port: int) -> dict[str, dict[str, int]]:
    """TCP connections between nginx and the replicas, by state, as each side holds them (/proc/net/tcp)."""
    wanted = {f"{socket.inet_aton(a)[::-1].hex().upper()}:{port:04X}" for a in addresses}
    names = {"01": "established", "06": "time_wait", "08": "close_wait", "09": "last_ack"}
    counts: dict[str, dict[str, int]] = {"nginx": {}, "app": {}}
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        side = "nginx" if fields[2] in wanted else "app" if fields[1] in wanted else None
        if side:
            state = names.get(fields[3], fields[3])
            counts[side][state] = counts[side].get(state, 0) + 1
    return counts


def stored_votes(database_url: str, question_id: int) -> int:
    import psycopg

    with psycopg.connect(database_url.replace("+psycopg", "")) as conn:
        return conn.execute("SELECT count(*) FROM vote WHERE question_id = %s", (question_id,)).fetchone()[0]


def moderator_login(client: httpx.Client) -> None:
    """Log the demo moderator in; the client keeps the session cookie."""
    from app.demo import DEMO_PASSWORD, DEMO_USER

    token = re.search(r'name="csrf" value="([^"]+)"', client.get("/login").text).group(1)
    r = client.post("/login", data={"username": DEMO_USER, "password": DEMO_PASSWORD, "csrf": token})
    if r.status_code != 303:
        raise RuntimeError(f"login failed: {r.status_code}")


def no_cookie_jar():
    """A cookie jar that keeps nothing: many phones share one HTTP client, each with its own device cookie."""
    from http.cookiejar import CookieJar, DefaultCookiePolicy

    return CookieJar(policy=DefaultCookiePolicy(allowed_domains=[]))


class Phone:
    """A phone as the page behaves: load /j/<code> over HTTP (the device cookie comes with it), then keep a
    socket open, reconnecting when it drops; vote once the question is open, resend until acknowledged."""

    def __init__(self, hall: "Hall", vote_id: str) -> None:
        self.hall = hall
        self.vote_id = vote_id
        self.cookie: str | None = None
        self.sock = None
        self.open_seen = False
        self.vote_at = 0.0
        self.voted = False
        self.acked = False
        self.connects = 0
        self.refused = 0  # handshakes answered with something other than 101 (e.g. a 502 from nginx)

    async def join(self, http: httpx.AsyncClient) -> list[int]:
        hall = self.hall
        page = await http.get(f"/j/{hall.code}")
        statuses = [page.status_code]
        for header in page.headers.get_list("set-cookie"):
            if header.startswith("saal_device="):
                self.cookie = header.split(";", 1)[0]
        for asset in ("/static/js/attendee.js", "/static/css/app.css"):
            statuses.append((await http.get(asset)).status_code)
        return statuses

    def on_text(self, payload: bytes, _now: float) -> None:
        hall = self.hall
        if payload.startswith(b'{"type":"state"'):
            self.open_seen = hall.marker is not None and hall.marker in payload
            self._maybe_vote()
        elif payload.startswith(b'{"type":"ack"'):
            if not self.acked:
                self.acked = True
                hall.acked += 1
                if hall.acked >= len(hall.phones):
                    hall.all_acked.set()
        elif payload.startswith(b'{"type":"error"'):
            hall.errors.append(json.loads(payload).get("code"))

    def _maybe_vote(self) -> None:
        hall = self.hall
        if hall.vote_frame is None or self.acked or not self.open_seen or self.sock is None or not self.sock.open:
            return
        if time.monotonic() < self.vote_at:
            return
        self.sock.send_text(hall.vote_frame(self.vote_id))
        if not self.voted:
            self.voted = True
            hall.sent += 1

    async def live(self) -> None:
        """Keep the socket open until the hall closes; back off a little after a failed attempt."""
        hall = self.hall
        delay = 0.1
        while not hall.closing:
            try:
                self.sock = await ws_connect(hall.host, hall.port, f"/ws/j/{hall.code}", self.on_text, self.cookie)
            except ConnectionError as exc:
                if "handshake refused" in str(exc):
                    self.refused += 1
                    hall.refused_statuses.append(str(exc))
                await asyncio.sleep(delay)
                delay = min(delay * 2, 2.0)
                continue
            except OSError:
                await asyncio.sleep(delay)
                delay = min(delay * 2, 2.0)
                continue
            delay = 0.1
            self.connects += 1
            if self.connects > 1:
                hall.reconnects += 1
            hall.connected.add(self)
            if len(hall.connected) >= len(hall.phones):
                hall.all_connected.set()
            await self.sock.closed
            hall.connected.discard(self)
            self.open_seen = False

    def close(self) -> None:
        if self.sock is not None:
            self.sock.close()


class Hall:
    """N phones through the proxy at host:port."""

    def __init__(self, host: str, port: int, code: str, n: int) -> None:
        self.host, self.port, self.code = host, port, code
        self.phones = [Phone(self, uuid.uuid4().hex) for _ in range(n)]
        self.marker: bytes | None = None
        self.vote_frame = None
        self.acked = self.sent = self.reconnects = 0
        self.errors: list[str] = []
        self.refused_statuses: list[str] = []
        self.page_statuses: dict[int, int] = {}
        self.connected: set[Phone] = set()
        self.all_connected = asyncio.Event()
        self.all_acked = asyncio.Event()
        self.closing = False
        self.tasks: list[asyncio.Task] = []

    async def join(self, batch: int = 50) -> None:
        """Every phone loads the page (with its script and style) through the proxy, `batch` at a time."""
        async with httpx.AsyncClient(base_url=f"http://{self.host}:{self.port}", cookies=no_cookie_jar(), timeout=30) as http:
            for start in range(0, len(self.phones), batch):
                for statuses in await asyncio.gather(*(p.join(http) for p in self.phones[start : start + batch])):
                    for status in statuses:
                        self.page_statuses[status] = self.page_statuses.get(status, 0) + 1

    async def connect(self, timeout: float, batch: int = 250) -> bool:
        for start in range(0, len(self.phones), batch):
            self.tasks += [asyncio.create_task(p.live()) for p in self.phones[start : start + batch]]
            while len(self.connected) < min(len(self.phones), start + batch) and timeout > 0:
                await asyncio.sleep(0.05)
                timeout -= 0.05
        return len(self.connected) == len(self.phones)

    def vote(self, question_id: int, option_id: int, spread: float = 0.0) -> None:
        """Every phone votes once it sees the question open, at a moment spread evenly over `spread`
        seconds from now; after a reconnect it resends (same vote id) until the vote is acknowledged.
        Call it before the question is opened."""
        self.marker = b'"phase":"open","question":{"id":%d,' % question_id

        def frame(vote_id: str) -> bytes:
            return json.dumps({"type": "vote", "vote_id": vote_id, "question_id": question_id, "choices": [option_id]}).encode()

        self.vote_frame = frame
        loop, now = asyncio.get_running_loop(), time.monotonic()
        for k, phone in enumerate(self.phones):
            delay = spread * k / max(1, len(self.phones))
            phone.vote_at = now + delay
            loop.call_later(delay, phone._maybe_vote)

    async def wait_acked(self, timeout: float) -> bool:
        try:
            await asyncio.wait_for(self.all_acked.wait(), timeout)
            return True
        except TimeoutError:
            return False

    async def close(self) -> None:
        self.closing = True
        for phone in self.phones:
            phone.close()
        for task in self.tasks:
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)
