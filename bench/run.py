"""Benchmark runner: starts the app (one uvicorn worker) and the raw websockets server, each pinned to core 0,
runs the load generator pinned to core 1, and writes bench/results/<target>-<n>.json.

    uv run python -m bench.run --n 1000 5000 10000 [--targets app --backend postgres]
    uv run --group bench python -m bench.report      # tables and plot into docs/benchmarks.md
"""

import argparse
import json
import os
import re
import resource
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
SECRET = "bench-secret-" + "x" * 32
SERVER_CORE, LOAD_CORE = 0, 1


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _pinned(core: int | None):
    def pre() -> None:
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
        if core is not None and len(os.sched_getaffinity(0)) > 1:
            os.sched_setaffinity(0, {core})

    return pre


def wait_http(url: str, proc: subprocess.Popen, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}")
        try:
            httpx.get(url, timeout=1)
            return
        except httpx.HTTPError:
            time.sleep(0.1)
    raise RuntimeError(f"{url} did not answer")


PG_ADMIN = os.environ.get("BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
REDIS = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")


def app_env(db_path: Path, database_url: str | None = None, bus_url: str = "memory://") -> dict:
    return {
        **os.environ,
        "DATABASE_URL": database_url or f"sqlite:///{db_path}",
        "BUS_URL": bus_url,
        "BUS_PREFIX": f"bench-{os.getpid()}:",
        "SECRET_KEY": SECRET,
        "ENVIRONMENT": "development",
        "AUTO_MIGRATE": "false",
        "PYTHONPATH": str(ROOT),
        # The benchmark's phones all arrive within seconds, unlike a hall's: the per-event budget of new device
        # ids (app.routes.attendee._admit) is raised as an operator would for such a hall.
        "NEW_DEVICES_BURST": "100000",
    }


class Postgres:
    """A fresh PostgreSQL database for one run, dropped afterwards."""

    def __enter__(self) -> str:
        import psycopg

        self.name = f"saal_bench_{os.getpid()}_{int(time.time())}"
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{self.name}"')
        return re.sub(r"/[^/]*$", f"/{self.name}", PG_ADMIN).replace("postgresql://", "postgresql+psycopg://", 1)

    def __exit__(self, *exc) -> None:
        import psycopg

        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')


def seed(env: dict) -> dict:
    out = subprocess.run([sys.executable, "-m", "app.cli", "demo"], env=env, cwd=ROOT, capture_output=True, text=True, check=True).stdout
    return {
        "event_id": int(re.search(r"/moderator/events/(\d+)", out).group(1)),
        "token": re.search(r"/p/([\w-]+)", out).group(1),
        "code": re.search(r"/j/(\d+)", out).group(1),
    }


def start_app(port: int, env: dict, core: int | None) -> subprocess.Popen:
    # app.server is uvicorn's command line with the collector tuned once the app has started, as in production.
    cmd = [
        sys.executable, "-m", "app.server", "--factory", "app.main:create_app", "--host", "127.0.0.1", "--port", str(port),
        "--ws", "websockets-sansio", "--ws-per-message-deflate", "false", "--loop", "uvloop", "--http", "httptools",
        "--no-access-log", "--backlog", "4096", "--log-level", "warning",
    ]
    proc = subprocess.Popen(cmd, env=env, cwd=ROOT, preexec_fn=_pinned(core))
    wait_http(f"http://127.0.0.1:{port}/healthz", proc)
    return proc


def start_raw(port: int, core: int | None) -> subprocess.Popen:
    proc = subprocess.Popen([sys.executable, "-m", "bench.raw_server", "--port", str(port)], cwd=ROOT, preexec_fn=_pinned(core))
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return proc
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("raw server did not start")


def run_loadgen(args: list[str], core: int | None, timeout: float) -> dict:
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as fh:
        out = fh.name
    subprocess.run(
        [sys.executable, "-m", "bench.loadgen", *args, "--out", out], cwd=ROOT, preexec_fn=_pinned(core), check=True, timeout=timeout
    )
    return json.loads(Path(out).read_text())


def stored_votes(database_url: str, question_id: int) -> int:
    from sqlalchemy import create_engine, text

    engine = create_engine(database_url)
    try:
        with engine.connect() as conn:
            return conn.execute(text("select count(*) from vote where question_id = :q"), {"q": question_id}).scalar_one()
    finally:
        engine.dispose()


def bench_app(n: int, *, pin: bool = True, rounds: int = 3, rate: int = 500, backend: str = "sqlite") -> dict:
    from contextlib import nullcontext

    from app.demo import DEMO_PASSWORD, DEMO_USER

    with tempfile.TemporaryDirectory() as tmp, (Postgres() if backend == "postgres" else nullcontext()) as pg_url:
        db_path = Path(tmp) / "bench.db"
        env = app_env(db_path, pg_url, REDIS if backend == "postgres" else "memory://")
        subprocess.run([sys.executable, "-m", "app.cli", "migrate"], env=env, cwd=ROOT, check=True, capture_output=True)
        info = seed(env)
        port = free_port()
        server = start_app(port, env, SERVER_CORE if pin else None)
        try:
            result = run_loadgen(
                [
                    "--target", "app", "--port", str(port), "--pid", str(server.pid), "--n", str(n),
                    "--rounds", str(rounds), "--rate", str(rate), "--code", info["code"], f"--token={info['token']}",
                    "--event-id", str(info["event_id"]), "--secret", SECRET, "--username", DEMO_USER, "--password", DEMO_PASSWORD,
                ],
                LOAD_CORE if pin else None,
                timeout=600,
            )
            time.sleep(0.5)
            result["burst"]["stored"] = stored_votes(env["DATABASE_URL"], result["burst"]["question_id"])
            result["backend"] = backend
            result["server_alive"] = server.poll() is None
        finally:
            server.terminate()
            server.wait(10)
    return result


def bench_raw(n: int, *, pin: bool = True, rounds: int = 3) -> dict:
    port = free_port()
    server = start_raw(port, SERVER_CORE if pin else None)
    try:
        result = run_loadgen(
            ["--target", "raw", "--port", str(port), "--pid", str(server.pid), "--n", str(n), "--rounds", str(rounds)],
            LOAD_CORE if pin else None,
            timeout=600,
        )
        result["server_alive"] = server.poll() is None
    finally:
        server.terminate()
        server.wait(10)
    return result


def machine() -> dict:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {"cpu": cpu, "cores": os.cpu_count(), "python": sys.version.split()[0], "date": time.strftime("%Y-%m-%d %H:%M")}


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, nargs="+", default=[1000, 5000, 10000])
    parser.add_argument("--targets", nargs="+", default=["raw", "app"], choices=["raw", "app"])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--backend", choices=["sqlite", "postgres"], default="sqlite",
                        help="postgres: PostgreSQL + Redis bus (the app only; the raw server has no database)")
    args = parser.parse_args()
    RESULTS.mkdir(parents=True, exist_ok=True)
    info = machine()
    for n in args.n:
        for target in args.targets:
            print(f"› {target} with {n} phones …", flush=True)
            if target == "raw" and args.backend == "postgres":
                continue
            result = bench_app(n, rounds=args.rounds, backend=args.backend) if target == "app" else bench_raw(n, rounds=args.rounds)
            result["machine"] = info
            name = f"{target}-{n}.json" if args.backend == "sqlite" or target == "raw" else f"{target}-pg-{n}.json"
            (RESULTS / name).write_text(json.dumps(result, indent=2))
            push, burst = result["push"], result["burst"]
            print(
                f"  push p50 {push['p50_ms']} ms p99 {push['p99_ms']} ms · burst {burst['votes_per_s']} votes/s, "
                f"ack p99 {burst['ack']['p99_ms']} ms, acked {burst['acked']}/{burst['votes']}"
                + (f", stored {burst.get('stored')}" if "stored" in burst else "")
                + f" · {result['memory']['per_phone_kib']} KiB/phone"
                + (f" · projector p95 {result['projector']['p95_ms']} ms" if "projector" in result else ""),
                flush=True,
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
