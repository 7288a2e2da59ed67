"""Time and peak memory of every export format for a series of three events with about 2,000 voters each.

Builds the demo-like series with bench.sample_report's builder in a temporary SQLite database, then makes each
format once in a fresh child process (as the export job does: app.reports.run_export runs one child per job),
so each row's peak memory is that format's alone (the child's maximum resident set, from the OS).

    uv run --frozen python -m bench.export_sizes --voters 2000 [--out bench/results/export_sizes.json]
"""

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from sqlmodel import Session, SQLModel

from app import db
from bench.sample_report import build_series

CHILD = """
import datetime as dt, json, resource, sys, time
from sqlmodel import Session
from app import db
from app.config import settings
from app.models import Series
from app.reports import compare, export
from app.reports.resultset import event_results
engine = db.make_engine(sys.argv[1]); db.set_engine(engine)
t0, c0 = time.perf_counter(), time.process_time()
questions = [0]
with Session(engine) as session:
    series = session.get(Series, int(sys.argv[3]))
    events = compare.series_events(session, series.id)
    results = [event_results(session, e, on_question=lambda: questions.__setitem__(0, questions[0] + 1)) for e in events]
    comparison = compare.series_comparison(session, series, events=events, results=results)
t1 = time.perf_counter()
options = export.Options(licence=settings.report_licence, series=series.title)
data = export.produce(sys.argv[2], results, comparison, options, lambda *a, **k: None)
t2 = time.perf_counter()
print(json.dumps({"format": sys.argv[2], "questions": questions[0], "aggregate_s": round(t1 - t0, 2), "write_s": round(t2 - t1, 2),
                  "total_s": round(t2 - t0, 2), "cpu_s": round(time.process_time() - c0, 2), "bytes": len(data),
                  "peak_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)}))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--voters", type=int, default=2000)
    parser.add_argument("--formats", default="csv-excel,csv,xlsx,pdf,zip")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/export.db"
        engine = db.make_engine(url)
        SQLModel.metadata.create_all(engine)
        db.set_engine(engine)
        started = time.perf_counter()
        with Session(engine, expire_on_commit=False) as session:
            series = build_series(session, args.voters)
            series_id = series.id
        print(f"series with {args.voters} voters per event seeded in {time.perf_counter() - started:.1f} s", flush=True)
        engine.dispose()
        for name in args.formats.split(","):
            out = subprocess.run([sys.executable, "-c", CHILD, url, name, str(series_id)], capture_output=True, text=True, check=False)
            if out.returncode:
                raise SystemExit(f"{name} failed:\n{out.stderr[-2000:]}")
            row = json.loads(out.stdout.strip().splitlines()[-1])
            rows.append(row)
            print(json.dumps(row), flush=True)
    result = {"voters_per_event": args.voters, "events": 3, "cpu": _cpu(), "rows": rows,
              "parent_peak_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)}
    if args.out:
        args.out.write_text(json.dumps(result, indent=1, ensure_ascii=False))


def _cpu() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return "?"


if __name__ == "__main__":
    main()
