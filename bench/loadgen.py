"""Load generator: holds N phones in one process and measures question push, vote burst, vote-to-projector
latency and server memory, against the app (`--target app`) or the raw websockets server (`--target raw`).

Run through bench/run.py, which starts the servers and pins them and this process to separate cores.
"""

import argparse
import asyncio
import json
import resource
import sys
import time
import uuid

import httpx

from bench.wsclient import Socket, connect

CONNECT_BATCH = 250


def pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    k = min(len(ordered) - 1, max(0, round(p / 100 * (len(ordered) - 1))))
    return ordered[k]


def ms(values: list[float]) -> dict:
    return {
        "p50_ms": round(pct(values, 50) * 1000, 2),
        "p95_ms": round(pct(values, 95) * 1000, 2),
        "p99_ms": round(pct(values, 99) * 1000, 2),
        "max_ms": round(max(values) * 1000, 2) if values else None,
        "n": len(values),
    }


def rss_kib(pid: int) -> int:
    with open(f"/proc/{pid}/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


class Hall:
    """N phones and their timestamps, kept in flat lists for speed."""

    def __init__(self, n: int) -> None:
        self.n = n
        self.socks: list[Socket | None] = [None] * n
        self.state_at: list[float] = [0.0] * n
        self.ack_at: list[float] = [0.0] * n
        self.sent_at: list[float] = [0.0] * n
        self.errors = 0
        self.marker = b"\x00never"
        self.state_count = 0
        self.ack_count = 0
        self.all_state = asyncio.Event()
        self.all_ack = asyncio.Event()
        self.ack_target = n

    def handler(self, i: int):
        def on_text(payload: bytes, now: float) -> None:
            if payload.startswith(b'{"type":"state"'):
                if self.state_at[i] == 0.0 and self.marker in payload:
                    self.state_at[i] = now
                    self.state_count += 1
                    if self.state_count >= self.n:
                        self.all_state.set()
            elif payload.startswith(b'{"type":"ack"'):
                if self.ack_at[i] == 0.0:
                    self.ack_at[i] = now
                    self.ack_count += 1
                    if self.ack_count >= self.ack_target:
                        self.all_ack.set()
            elif payload.startswith(b'{"type":"error"'):
                self.errors += 1

        return on_text


async def connect_all(hall: Hall, host: str, port: int, path: str, cookies: list[str | None]) -> dict:
    started = time.monotonic()
    failed = 0

    async def one(i: int) -> None:
        nonlocal failed
        for attempt in range(3):
            try:
                hall.socks[i] = await connect(host, port, path, hall.handler(i), cookies[i])
                return
            except (OSError, ConnectionError):
                await asyncio.sleep(0.2 * (attempt + 1))
        failed += 1

    for start in range(0, hall.n, CONNECT_BATCH):
        await asyncio.gather(*(one(i) for i in range(start, min(hall.n, start + CONNECT_BATCH))))
    return {"connected": hall.n - failed, "failed": failed, "seconds": round(time.monotonic() - started, 2)}


async def http_join(host: str, port: int, path: str) -> tuple[str | None, int]:
    """GET the phone page as a phone does on its first visit; returns the device cookie it sets and the bytes read."""
    reader, writer = await asyncio.open_connection(host, port)
    try:
        writer.write(f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nAccept: text/html\r\nConnection: close\r\n\r\n".encode())
        data = await reader.read(-1)
    finally:
        writer.close()
    head = data.split(b"\r\n\r\n", 1)[0].decode("latin-1")
    cookie = None
    for line in head.split("\r\n")[1:]:
        name, _, value = line.partition(":")
        if name.strip().lower() == "set-cookie" and value.strip().startswith("saal_device="):
            cookie = value.strip().split(";", 1)[0]
    return cookie, len(data)


async def join_all(host: str, port: int, path: str, n: int, concurrency: int = 100) -> tuple[list[str | None], dict]:
    """Every phone loads the page over HTTP first (the app sets its device cookie there), `concurrency` at a time."""
    started = time.monotonic()
    cookies: list[str | None] = [None] * n
    sizes = [0] * n
    failed = 0
    gate = asyncio.Semaphore(concurrency)

    async def one(i: int) -> None:
        nonlocal failed
        async with gate:
            try:
                cookies[i], sizes[i] = await http_join(host, port, path)
            except (OSError, ConnectionError):
                failed += 1

    await asyncio.gather(*(one(i) for i in range(n)))
    return cookies, {"seconds": round(time.monotonic() - started, 2), "failed": failed, "bytes_per_phone": round(sum(sizes) / n)}


async def wait_event(event: asyncio.Event, timeout: float) -> bool:
    try:
        await asyncio.wait_for(event.wait(), timeout)
        return True
    except TimeoutError:
        return False


class AppDriver:
    """Moderator actions through the JSON API, as the control page's user would trigger them."""

    def __init__(self, base: str, event_id: int, username: str, password: str) -> None:
        self.http = httpx.AsyncClient(base_url=base, timeout=30)
        self.base, self.event_id, self.username, self.password = base, event_id, username, password

    async def start(self) -> list[dict]:
        page = await self.http.get("/login")
        token = page.text.split('name="csrf" value="', 1)[1].split('"', 1)[0]
        r = await self.http.post("/login", data={"username": self.username, "password": self.password, "csrf": token})
        if r.status_code != 303:
            raise RuntimeError(f"login failed: {r.status_code}")
        agenda = (await self.http.get(f"/api/events/{self.event_id}")).json()
        # The benchmark votes by option id: the demo's single-choice questions (as before the other kinds).
        return [q for t in agenda["topics"] for q in t["questions"] if q["kind"] == "single"]

    async def open(self, question: dict) -> None:
        r = await self.http.post(f"/api/events/{self.event_id}/questions/{question['id']}/open")
        r.raise_for_status()


class RawDriver:
    """The raw server broadcasts whatever the control socket hands it."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port

    async def start(self) -> list[dict]:
        self.control = await connect(self.host, self.port, "/control", lambda p, t: None)
        return [
            {"id": 1000 + k, "kind": "single", "options": [{"id": 1, "label": "Ja"}, {"id": 2, "label": "Nein"}], "text": f"Frage {k}"}
            for k in range(10)
        ]

    async def open(self, question: dict) -> None:
        # About the size of the app's state message for a question with five options.
        payload = {
            "type": "state",
            "event": {"id": 1, "title": "Regionalkonferenz Döbeln", "place": "Döbeln", "join_code": "123456"},
            "phase": "open",
            "question": {**question, "max_choices": 1, "status": "open", "results_shown": True, "topic": "Digitalisierung"},
            "results": None,
        }
        self.control.send_text(json.dumps({"type": "broadcast", "payload": payload}, separators=(",", ":")).encode())


def marker_for(question_id: int) -> bytes:
    return b'"phase":"open","question":{"id":%d,' % question_id


async def measure_push(hall: Hall, driver, question: dict, timeout: float) -> list[float]:
    hall.state_at = [0.0] * hall.n
    hall.state_count = 0
    hall.all_state = asyncio.Event()
    hall.marker = marker_for(question["id"])
    t0 = time.monotonic()
    await driver.open(question)
    await wait_event(hall.all_state, timeout)
    return [t - t0 for t in hall.state_at if t]


async def measure_burst(hall: Hall, question: dict, timeout: float) -> dict:
    hall.ack_at = [0.0] * hall.n
    hall.ack_count = 0
    hall.all_ack = asyncio.Event()
    live = [i for i, s in enumerate(hall.socks) if s is not None]
    hall.ack_target = len(live)
    option = question["options"][0]["id"]
    frames = [
        json.dumps(
            {"type": "vote", "vote_id": uuid.uuid4().hex, "question_id": question["id"], "choices": [option]}, separators=(",", ":")
        ).encode()
        for _ in live
    ]
    errors_before = hall.errors
    first = time.monotonic()
    for k, i in enumerate(live):
        hall.sent_at[i] = time.monotonic()
        hall.socks[i].send_text(frames[k])
    sent_all = time.monotonic()
    done = await wait_event(hall.all_ack, timeout)
    acked = [i for i in live if hall.ack_at[i]]
    last = max((hall.ack_at[i] for i in acked), default=first)
    latencies = [hall.ack_at[i] - hall.sent_at[i] for i in acked]
    return {
        "votes": len(live),
        "acked": len(acked),
        "complete": done,
        "errors": hall.errors - errors_before,
        "send_loop_ms": round((sent_all - first) * 1000, 1),
        "seconds": round(last - first, 3),
        "votes_per_s": round(len(acked) / (last - first)) if acked and last > first else None,
        "ack": ms(latencies),
    }


async def measure_projector(hall: Hall, driver, question: dict, host: str, port: int, token: str, rate: int, count: int) -> dict:
    """Paced votes; latency until the projector's tally includes each one."""
    tallies: list[tuple[float, int]] = []

    def on_projector(payload: bytes, now: float) -> None:
        if payload.startswith(b'{"type":"tally"'):
            msg = json.loads(payload)
            if msg.get("question_id") == question["id"]:
                tallies.append((now, msg["voters"]))

    projector = await connect(host, port, f"/ws/p/{token}", on_projector)
    await measure_push(hall, driver, question, 30)
    await asyncio.sleep(0.5)
    option = question["options"][-1]["id"]
    live = [i for i, s in enumerate(hall.socks) if s is not None][:count]
    sent: list[float] = []
    interval = 1 / rate
    start = time.monotonic()
    for k, i in enumerate(live):
        target = start + k * interval
        delay = target - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        sent.append(time.monotonic())
        frame = {"type": "vote", "vote_id": uuid.uuid4().hex, "question_id": question["id"], "choices": [option]}
        hall.socks[i].send_text(json.dumps(frame, separators=(",", ":")).encode())
    deadline = time.monotonic() + 10
    while (not tallies or tallies[-1][1] < len(live)) and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    latencies = []
    j = 0
    for k, t_sent in enumerate(sent, start=1):
        while j < len(tallies) and tallies[j][1] < k:
            j += 1
        if j < len(tallies):
            latencies.append(max(0.0, tallies[j][0] - t_sent))
    projector.close()
    return {"votes": len(live), "rate_per_s": rate, "seen": len(latencies), **ms(latencies)}


async def main_async(args) -> dict:
    hall = Hall(args.n)
    result: dict = {"target": args.target, "n": args.n}
    if args.target == "app":
        path = f"/ws/j/{args.code}"
        page = f"/j/{args.code}"
        driver = AppDriver(f"http://{args.host}:{args.port}", args.event_id, args.username, args.password)
    else:
        path = "/ws/j/raw"
        page = "/j/raw"
        driver = RawDriver(args.host, args.port)
    # Each phone joins as a real one does: the page over HTTP (which sets the app's device cookie), then the socket.
    cookies, result["join"] = await join_all(args.host, args.port, page, args.n)
    if args.target == "app" and any(c is None for c in cookies):
        raise RuntimeError(f"{sum(c is None for c in cookies)} phones got no device cookie from {page}")
    questions = await driver.start()
    await asyncio.sleep(0.5)
    rss_before = rss_kib(args.pid)
    result["connect"] = await connect_all(hall, args.host, args.port, path, cookies)
    await asyncio.sleep(2.0)
    rss_after = rss_kib(args.pid)
    connected = result["connect"]["connected"]
    result["memory"] = {
        "rss_before_kib": rss_before,
        "rss_after_kib": rss_after,
        "per_phone_kib": round((rss_after - rss_before) / connected, 2) if connected else None,
    }
    pushes: list[float] = []
    rounds = []
    for question in questions[: args.rounds]:
        lat = await measure_push(hall, driver, question, 30)
        rounds.append({"question": question["id"], "received": len(lat), **ms(lat)})
        pushes.extend(lat)
        await asyncio.sleep(0.5)
    result["push"] = {**ms(pushes), "rounds": rounds, "all_received": all(r["received"] == connected for r in rounds)}
    burst_question = questions[args.rounds - 1]
    result["burst"] = await measure_burst(hall, burst_question, 60)
    result["burst"]["question_id"] = burst_question["id"]
    if args.target == "app":
        await asyncio.sleep(1.0)
        result["projector"] = await measure_projector(
            hall, driver, questions[args.rounds], args.host, args.port, args.token, args.rate, min(args.n, args.rate * 4)
        )
    result["errors"] = hall.errors
    result["open_at_end"] = sum(1 for s in hall.socks if s is not None and s.open)
    for s in hall.socks:
        if s is not None:
            s.close()
    return result


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--target", choices=["app", "raw"], required=True)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--pid", type=int, required=True, help="server process, for its memory")
    parser.add_argument("--n", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--rate", type=int, default=500, help="votes per second for the projector latency")
    parser.add_argument("--code", default="")
    parser.add_argument("--token", default="")
    parser.add_argument("--event-id", type=int, default=0)
    parser.add_argument("--secret", default="")
    parser.add_argument("--username", default="")
    parser.add_argument("--password", default="")
    parser.add_argument("--out", default="-")
    args = parser.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, max(soft, args.n * 2 + 1000)), hard))
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass
    result = asyncio.run(main_async(args))
    text = json.dumps(result, indent=2)
    if args.out == "-":
        print(text)
    else:
        with open(args.out, "w") as fh:
            fh.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
