"""The hall under attack: 1,000 phones vote while 40 parallel logins and 1,000 slow-header connections hit
the same worker (#12). Quiet and attacked rounds alternate in one run, so they are compared on the same
machine at the same time.

    uv run python -m bench.attack [--phones 1000 --logins 40 --slow 1000 --rounds 2]

Starts `saalumfrage serve` (the app's own server settings: header timeout and size limits) on SQLite with
the demo event, pinned to core 0; this process (phones, projector, attackers) runs on core 1. Writes
bench/results/attack.json. Per round: vote-to-projector p50/p95 for paced votes, server RSS peak, the login
attempts answered and how long the real moderator's own login took meanwhile, and how many slow-header
connections the server closed by itself.
"""

import argparse
import asyncio
import json
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import httpx

from bench.loadgen import AppDriver, Hall, connect_all, join_all, measure_projector, rss_kib
from bench.run import LOAD_CORE, RESULTS, ROOT, SECRET, SERVER_CORE, _pinned, free_port, machine, wait_http


async def login_storm(base: str, stop: asyncio.Event, workers: int, username: str) -> dict:
    """`workers` clients each log in with a wrong password, again and again: under the real name and made-up ones."""
    answered: dict[int, int] = {}
    latencies: list[float] = []

    async def one(k: int) -> None:
        async with httpx.AsyncClient(base_url=base, timeout=120) as http:
            while not stop.is_set():
                try:
                    page = await http.get("/login")
                    token = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
                    name = username if k % 2 == 0 else f"niemand-{uuid.uuid4().hex[:8]}"
                    t0 = time.monotonic()
                    r = await http.post("/login", data={"username": name, "password": "falsch-" + uuid.uuid4().hex, "csrf": token})
                    latencies.append(time.monotonic() - t0)
                    answered[r.status_code] = answered.get(r.status_code, 0) + 1
                except (httpx.HTTPError, AttributeError):
                    answered[0] = answered.get(0, 0) + 1

    tasks = [asyncio.create_task(one(k)) for k in range(workers)]
    await stop.wait()
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    latencies.sort()
    return {
        "attempts": sum(answered.values()),
        "by_status": {str(k): v for k, v in sorted(answered.items())},
        "p50_s": round(latencies[len(latencies) // 2], 2) if latencies else None,
    }


async def slow_headers(host: str, port: int, stop: asyncio.Event, count: int) -> dict:
    """`count` connections that send a request head one byte every few seconds and never finish it."""
    closed_after: list[float] = []
    opened = 0

    async def one() -> None:
        nonlocal opened
        try:
            reader, writer = await asyncio.open_connection(host, port)
        except OSError:
            return
        opened += 1
        t0 = time.monotonic()
        try:
            writer.write(b"GET / HTTP/1.1\r\nHost: x\r\nX-Slow: ")
            while not stop.is_set():
                writer.write(b"a")
                await writer.drain()
                try:
                    await asyncio.wait_for(reader.read(1024), 5)
                except TimeoutError:
                    continue
                closed_after.append(time.monotonic() - t0)  # an answer (408/400) or EOF: the server gave up on us
                return
        except (OSError, ConnectionError):
            closed_after.append(time.monotonic() - t0)
        finally:
            writer.close()

    tasks = [asyncio.create_task(one()) for _ in range(count)]
    await stop.wait()
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    closed_after.sort()
    return {
        "opened": opened,
        "closed_by_server": len(closed_after),
        "closed_after_p50_s": round(closed_after[len(closed_after) // 2], 1) if closed_after else None,
        "closed_after_max_s": round(closed_after[-1], 1) if closed_after else None,
    }


async def sample_rss(pid: int, stop: asyncio.Event) -> int:
    peak = 0
    while not stop.is_set():
        peak = max(peak, rss_kib(pid))
        await asyncio.sleep(0.2)
    return peak


async def own_login(base: str, username: str, password: str, jar: httpx.Cookies | None = None) -> dict:
    """How long the real moderator waits for their own login (right password), from the browser they used
    before (`jar` holds its `saal_known` cookie) or from a new one."""
    async with httpx.AsyncClient(base_url=base, timeout=180, cookies=jar) as http:
        page = await http.get("/login")
        token = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
        t0 = time.monotonic()
        r = await http.post("/login", data={"username": username, "password": password, "csrf": token})
        return {"status": r.status_code, "seconds": round(time.monotonic() - t0, 2), "logged_in": r.status_code == 303}


async def known_browser(base: str, username: str, password: str) -> httpx.Cookies:
    """The moderator's usual browser: logged in once before the attack, so it carries its `saal_known` cookie."""
    async with httpx.AsyncClient(base_url=base, timeout=60) as http:
        page = await http.get("/login")
        token = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
        await http.post("/login", data={"username": username, "password": password, "csrf": token})
        return httpx.Cookies({name: value for name, value in http.cookies.items() if name == "saal_known"})


async def run(args, info: dict, port: int, pid: int) -> dict:
    from app.demo import DEMO_PASSWORD, DEMO_USER

    host, base = "127.0.0.1", f"http://127.0.0.1:{port}"
    hall = Hall(args.phones)
    cookies, join = await join_all(host, port, f"/j/{info['code']}", args.phones)
    driver = AppDriver(base, info["event_id"], DEMO_USER, DEMO_PASSWORD)
    questions = await driver.start()
    usual_browser = await known_browser(base, DEMO_USER, DEMO_PASSWORD)
    connect = await connect_all(hall, host, port, f"/ws/j/{info['code']}", cookies)
    rounds = []
    for k in range(args.rounds * 2):
        attacked = k % 2 == 1
        stop = asyncio.Event()
        rss_task = asyncio.create_task(sample_rss(pid, stop))
        attack_tasks = []
        if attacked:
            attack_tasks = [
                asyncio.create_task(login_storm(base, stop, args.logins, DEMO_USER)),
                asyncio.create_task(slow_headers(host, port, stop, args.slow)),
            ]
            await asyncio.sleep(3)  # the attack is under way before the votes start
        own = asyncio.create_task(own_login(base, DEMO_USER, DEMO_PASSWORD, usual_browser)) if attacked else None
        new = asyncio.create_task(own_login(base, DEMO_USER, DEMO_PASSWORD)) if attacked else None
        projector = await measure_projector(
            hall, driver, questions[k % len(questions)], host, port, info["token"], args.rate, args.phones
        )
        own_s = await own if own else None
        new_s = await new if new else None
        if attacked:
            await asyncio.sleep(max(0.0, args.hold - 3))  # let slow connections meet the server's header timeout
        stop.set()
        results = await asyncio.gather(*attack_tasks)
        peak = await rss_task
        rounds.append({
            "attacked": attacked,
            "projector": projector,
            "rss_peak_mib": round(peak / 1024, 1),
            "own_login_usual_browser": own_s,
            "own_login_new_browser": new_s,
            **({"logins": results[0], "slow_headers": results[1]} if attacked else {}),
        })
        print(f"  round {k + 1} {'attacked' if attacked else 'quiet   '}: projector p95 {projector['p95_ms']} ms, "
              f"RSS peak {round(peak / 1024)} MiB"
              + (f", own login (usual browser) {own_s}, (new browser) {new_s}, {results[1]}" if attacked else ""), flush=True)
        await asyncio.sleep(1)
    for s in hall.socks:
        if s is not None:
            s.close()
    return {"phones": args.phones, "join": join, "connect": connect, "rounds": rounds}


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--phones", type=int, default=1000)
    parser.add_argument("--logins", type=int, default=40)
    parser.add_argument("--slow", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=2, help="pairs of a quiet and an attacked round")
    parser.add_argument("--rate", type=int, default=200, help="paced votes per second")
    parser.add_argument("--hold", type=float, default=20.0, help="seconds the attack lasts at least")
    args = parser.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    if len(os.sched_getaffinity(0)) > 1:
        os.sched_setaffinity(0, {LOAD_CORE})
    RESULTS.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        env = {
            **os.environ, "DATABASE_URL": f"sqlite:///{Path(tmp) / 'attack.db'}", "BUS_URL": "memory://",
            "SECRET_KEY": SECRET, "ENVIRONMENT": "development", "PYTHONPATH": str(ROOT), "NEW_DEVICES_BURST": "100000",
        }
        port = free_port()
        log = open(Path(tmp) / "serve.log", "w+")
        server = subprocess.Popen([sys.executable, "-m", "app.cli", "serve", "--demo", "--port", str(port)], env=env, cwd=ROOT,
                                  stdout=log, stderr=subprocess.STDOUT, preexec_fn=_pinned(SERVER_CORE))
        try:
            wait_http(f"http://127.0.0.1:{port}/healthz", server, timeout=60)
            log.seek(0)
            out = log.read()
            info = {
                "event_id": int(re.search(r"/moderator/events/(\d+)", out).group(1)),
                "token": re.search(r"/p/([\w-]+)", out).group(1),
                "code": re.search(r"/j/(\d+)", out).group(1),
            }
            try:
                import uvloop

                uvloop.install()
            except ImportError:
                pass
            result = asyncio.run(run(args, info, port, server.pid))
            result["server_alive"] = server.poll() is None
            result["machine"] = machine()
            (RESULTS / "attack.json").write_text(json.dumps(result, indent=2))
        finally:
            server.terminate()
            try:
                server.wait(30)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
    print("› bench/results/attack.json", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
