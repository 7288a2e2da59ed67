"""Vote-burst ack latency with and without a results export running (issue #15: "a vote burst in the hall is
not slowed by an export running at the same time").

Starts the app (one uvicorn worker, as bench/run.py does) on a fresh demo database, connects N phones, opens a
question and sends bursts of one vote per phone: alternating: two bursts with nothing else running, then bursts
while an export job (the PDF report by default, made by the job's child process) runs, then two quiet bursts
after it ended and a new export (another preface, so the finished file is not reused), and so on. Only bursts
that began and ended while a job was running count as "with export". Prints (and writes with --out) both ack distributions.

    uv run python -m bench.export_burst --n 2000 --bursts 10 --format pdf [--backend postgres] [--port 8650] [--pin]
"""

import argparse
import asyncio
import json
import re
import subprocess
import sys
import tempfile
import time
from contextlib import nullcontext
from pathlib import Path

from bench.loadgen import AppDriver, Hall, connect_all, join_all, measure_burst, measure_push, ms
from bench.run import LOAD_CORE, REDIS, ROOT, SERVER_CORE, Postgres, app_env, free_port, seed, start_app

RUNNING = ("queued", "running")


class Exports:
    """Keeps one export job running through the moderator's dialog (form, CSRF, status JSON)."""

    def __init__(self, driver: AppDriver, event_id: int, fmt: str) -> None:
        self.http, self.event_id, self.fmt = driver.http, event_id, fmt
        self.job: int | None = None
        self.started = 0
        self.seconds: list[float] = []
        self._t0 = 0.0

    async def start(self) -> None:
        page = await self.http.get(f"/moderator/events/{self.event_id}/export")
        csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
        self.started += 1
        r = await self.http.post(f"/moderator/events/{self.event_id}/export",
                                 data={"csrf": csrf, "format": self.fmt, "preface": f"Messlauf {self.started} {time.time()}"})
        if r.status_code != 303:
            raise RuntimeError(f"export refused: {r.status_code} {r.text[:300]}")
        self.job = int(re.search(r"job=(\d+)", r.headers["location"]).group(1))  # type: ignore[union-attr]
        self._t0 = time.monotonic()

    async def status(self) -> str:
        r = await self.http.get(f"/moderator/events/{self.event_id}/exports/{self.job}", headers={"Accept": "application/json"})
        status = r.json()["status"]
        if status not in RUNNING and len(self.seconds) < self.started:  # once per job
            self.seconds.append(round(time.monotonic() - self._t0, 2))
            if status != "done":
                raise RuntimeError(f"export {self.job} ended {status}: {r.json().get('error')}")
        return status

    async def running(self) -> bool:
        """True while a job runs; a finished one is replaced by a new one (which counts from the next burst)."""
        if self.job is None or await self.status() not in RUNNING:
            await self.start()
            return False
        return True


async def measure(args: argparse.Namespace, info: dict, port: int) -> dict:
    from app.demo import DEMO_PASSWORD, DEMO_USER

    hall = Hall(args.n)
    cookies, joined = await join_all("127.0.0.1", port, f"/j/{info['code']}", args.n)
    driver = AppDriver(f"http://127.0.0.1:{port}", info["event_id"], DEMO_USER, DEMO_PASSWORD)
    questions = await driver.start()
    connected = await connect_all(hall, "127.0.0.1", port, f"/ws/j/{info['code']}", cookies)
    question = questions[0]
    await measure_push(hall, driver, question, 30)
    # Alternating: two bursts with nothing else running, then bursts while one export job runs, then two quiet
    # bursts again once it has ended, and so on; a burst counts as "with export" only if the job ran from before
    # it began until after it ended.
    exports = Exports(driver, info["event_id"], args.format)
    quiet: list[float] = []
    busy: list[float] = []
    tries = 0
    while (len(quiet) < args.bursts or len(busy) < args.bursts) and tries < args.bursts * 40:
        tries += 1
        running = exports.job is not None and await exports.status() in RUNNING
        if not running:
            for _ in range(2 if len(quiet) < args.bursts else 0):
                burst = await measure_burst(hall, question, 60)
                quiet.append(burst["ack"]["p99_ms"])
                await asyncio.sleep(args.pause)
            if len(busy) < args.bursts:
                await exports.start()
            await asyncio.sleep(args.pause)
            continue
        burst = await measure_burst(hall, question, 60)
        if await exports.status() in RUNNING:
            busy.append(burst["ack"]["p99_ms"])
        await asyncio.sleep(args.pause)
    for s in hall.socks:
        if s is not None:
            s.close()
    await driver.http.aclose()
    return {
        "n": args.n, "format": args.format, "backend": args.backend, "join": joined, "connect": connected,
        "errors": hall.errors,
        "without_export": {"bursts": len(quiet), "burst_p99_ms": quiet, **{f"{k}_of_burst_p99": v for k, v in ms([q / 1000 for q in quiet]).items()}},
        "with_export": {"bursts": len(busy), "burst_p99_ms": busy, **{f"{k}_of_burst_p99": v for k, v in ms([b / 1000 for b in busy]).items()},
                        "exports_started": exports.started, "export_seconds": exports.seconds},
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=200, help="phones")
    parser.add_argument("--bursts", type=int, default=5, help="bursts without and with an export")
    parser.add_argument("--pause", type=float, default=2.2,
                        help="seconds between bursts (a device may change its vote every 2 s after 10 quick ones)")
    parser.add_argument("--format", default="pdf", help="export format (pdf, zip, xlsx, csv-excel, csv)")
    parser.add_argument("--backend", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--port", type=int, default=0, help="the app's port (default: a free one)")
    parser.add_argument("--pin", action="store_true", help="app on core 0, the phones on core 1 (as bench/run.py)")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    import os

    with tempfile.TemporaryDirectory() as tmp, (Postgres() if args.backend == "postgres" else nullcontext()) as pg_url:
        env = app_env(Path(tmp) / "bench.db", pg_url, REDIS if args.backend == "postgres" else "memory://")
        subprocess.run([sys.executable, "-m", "app.cli", "migrate"], env=env, cwd=ROOT, check=True, capture_output=True)
        info = seed(env)
        port = args.port or free_port()
        server = start_app(port, env, SERVER_CORE if args.pin else None)
        try:
            if args.pin and len(os.sched_getaffinity(0)) > 1:
                os.sched_setaffinity(0, {LOAD_CORE})
            result = asyncio.run(measure(args, info, port))
            result["server_alive"] = server.poll() is None
        finally:
            server.terminate()
            server.wait(30)
    text = json.dumps(result, indent=2, ensure_ascii=False)
    print(text)
    if args.out:
        args.out.write_text(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
