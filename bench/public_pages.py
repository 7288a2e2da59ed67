"""The public results pages under load (#17): page views per second on one worker, and how fast a withdrawal is seen.

    uv run --frozen python -m bench.public_pages [--seconds 10 --clients 32]

Seeds the demo with votes (Döbeln, Frankenberg, Freiberg and the series, published) into a fresh SQLite file,
starts one worker (`app.server`, pinned to core 0; this load generator on core 1) and, for each page, lets
`--clients` concurrent clients fetch it for `--seconds` seconds: the event page and the series page as first
visits (full body, the server's fingerprint check and its cache) and as revalidations (`If-None-Match`, 304),
and the JSON-LD. Then it withdraws Döbeln's page in the database, as the moderator's form does, and measures how
long until the next request answers 404. Writes bench/results/public_pages.json. Every loop is bounded in time
and traffic goes to 127.0.0.1 only.
"""

import argparse
import asyncio
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from bench.run import LOAD_CORE, RESULTS, ROOT, SERVER_CORE, _pinned, app_env, free_port, machine, start_app

EVENT = "/ergebnisse/2023-03-15-doebeln"
SERIES = "/ergebnisse/reihe/regionalkonferenzen-agenda-2030"


async def hammer(base: str, path: str, seconds: float, clients: int, revalidate: bool) -> dict:
    """`clients` loops fetching `path` until `seconds` are up: requests per second, latency p50/p95/p99, statuses."""
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=base, timeout=30, limits=limits) as http:
        first = await http.get(path)
        headers = {"If-None-Match": first.headers.get("etag", "")} if revalidate else {}
        deadline = time.monotonic() + seconds

        async def one() -> None:
            while time.monotonic() < deadline:
                started = time.perf_counter()
                response = await http.get(path, headers=headers)
                latencies.append(time.perf_counter() - started)
                statuses[response.status_code] = statuses.get(response.status_code, 0) + 1

        started = time.monotonic()
        await asyncio.gather(*(one() for _ in range(clients)))
        elapsed = time.monotonic() - started
    ordered = sorted(latencies)

    def pct(p: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(p * len(ordered)))] * 1000, 1)

    return {"path": path, "revalidate": revalidate, "requests": len(ordered), "per_s": round(len(ordered) / elapsed, 1),
            "p50_ms": pct(0.5), "p95_ms": pct(0.95), "p99_ms": pct(0.99), "mean_ms": round(statistics.fmean(ordered) * 1000, 1),
            "statuses": statuses, "bytes": len(first.content)}


def withdraw(db_path: Path) -> None:
    """Withdraw Döbeln's page straight in the database (what domain.publication.withdraw_event commits)."""
    import sqlite3

    with sqlite3.connect(db_path) as conn:
        conn.execute("UPDATE publication SET published = 0, version = version + 1 WHERE slug = ?", (EVENT.rsplit("/", 1)[1],))


async def gone_after(base: str, db_path: Path) -> float:
    """Milliseconds from the withdrawal's commit to the first 404 of the page."""
    async with httpx.AsyncClient(base_url=base, timeout=10) as http:
        assert (await http.get(EVENT)).status_code == 200
        withdraw(db_path)
        committed = time.perf_counter()
        for _ in range(1000):
            if (await http.get(EVENT)).status_code == 404:
                return round((time.perf_counter() - committed) * 1000, 1)
    raise RuntimeError("the withdrawn page still answers after 1,000 requests")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--clients", type=int, default=32)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "public.db"
        env = app_env(db)
        subprocess.run([sys.executable, "-m", "app.cli", "demo", "--with-votes"], env={**env, "AUTO_MIGRATE": "true"}, cwd=ROOT,
                       capture_output=True, check=True)
        port = free_port()
        server = start_app(port, env, SERVER_CORE)
        try:
            _pinned(LOAD_CORE)()
            base = f"http://127.0.0.1:{port}"
            runs = []
            for path, revalidate in ((EVENT, False), (EVENT, True), (SERIES, False), (SERIES, True), (EVENT + ".jsonld", False)):
                result = asyncio.run(hammer(base, path, args.seconds, args.clients, revalidate))
                runs.append(result)
                print(f"{path:50} {'304' if revalidate else 'full':4} {result['per_s']:8.1f}/s  p50 {result['p50_ms']} ms  "
                      f"p95 {result['p95_ms']} ms  {result['statuses']}", flush=True)
            gone_ms = asyncio.run(gone_after(base, db))
            print(f"withdrawn: 404 after {gone_ms} ms")
        finally:
            server.terminate()
            server.wait(timeout=10)
    RESULTS.mkdir(exist_ok=True)
    out = {"machine": machine(), "seconds": args.seconds, "clients": args.clients, "runs": runs, "withdrawn_404_after_ms": gone_ms}
    (RESULTS / "public_pages.json").write_text(json.dumps(out, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
