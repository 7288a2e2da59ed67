"""Turn bench/results/*.json into the tables of docs/benchmarks.md and the plot docs/benchmarks.png."""

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
DOC = ROOT / "docs" / "benchmarks.md"
PLOT = ROOT / "docs" / "benchmarks.png"
START, END = "<!-- results:start -->", "<!-- results:end -->"


def load() -> dict[tuple[str, int], dict]:
    out = {}
    for path in sorted([*RESULTS.glob("app-*.json"), *RESULTS.glob("raw-*.json")]):  # not attack.json, nginx-*.json
        data = json.loads(path.read_text())
        target = "app-pg" if data.get("backend") == "postgres" else data["target"]
        out[(target, data["n"])] = data
    return out


def fmt(value, digits=0) -> str:
    if value is None:
        return "–"
    return f"{value:,.{digits}f}".replace(",", " ")


def tables(results: dict) -> str:
    ns = sorted({n for t, n in results if t != "app-pg"})
    lines = [
        "### Question push (moderator opens a question → every phone has it)",
        "",
        "| phones | app p50 | app p99 | raw p50 | raw p99 | app p99 / raw p99 |",
        "|---:|---:|---:|---:|---:|---:|",
    ]
    for n in ns:
        app, raw = results.get(("app", n)), results.get(("raw", n))
        ratio = app["push"]["p99_ms"] / raw["push"]["p99_ms"] if app and raw else None
        lines.append(
            f"| {n} | {fmt(app and app['push']['p50_ms'], 1)} ms | {fmt(app and app['push']['p99_ms'], 1)} ms "
            f"| {fmt(raw and raw['push']['p50_ms'], 1)} ms | {fmt(raw and raw['push']['p99_ms'], 1)} ms | {fmt(ratio, 2)} |"
        )
    lines += [
        "",
        "### Vote burst (every phone votes at once; durable ack after the batch commit)",
        "",
        "| phones | app votes/s | app ack p50 | app ack p99 | acked / stored | raw votes/s (memory) | app / raw |",
        "|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for n in ns:
        app, raw = results.get(("app", n)), results.get(("raw", n))
        ratio = app["burst"]["votes_per_s"] / raw["burst"]["votes_per_s"] if app and raw and raw["burst"]["votes_per_s"] else None
        stored = f"{app['burst']['acked']} / {app['burst'].get('stored')}" if app else "–"
        lines.append(
            f"| {n} | {fmt(app and app['burst']['votes_per_s'])} | {fmt(app and app['burst']['ack']['p50_ms'], 1)} ms "
            f"| {fmt(app and app['burst']['ack']['p99_ms'], 1)} ms | {stored} | {fmt(raw and raw['burst']['votes_per_s'])} | {fmt(ratio, 2)} |"
        )
    lines += [
        "",
        "### Vote to projector and memory",
        "",
        "| phones | projector p50 | projector p95 | votes paced | RSS idle phones | per phone (app) | per phone (raw) | errors |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for n in ns:
        app, raw = results.get(("app", n)), results.get(("raw", n))
        if not app:
            continue
        pr = app.get("projector", {})
        lines.append(
            f"| {n} | {fmt(pr.get('p50_ms'), 1)} ms | {fmt(pr.get('p95_ms'), 1)} ms | {pr.get('votes', '–')} at {pr.get('rate_per_s', '–')}/s "
            f"| {fmt(app['memory']['rss_after_kib'] / 1024, 1)} MiB | {fmt(app['memory']['per_phone_kib'], 1)} KiB "
            f"| {fmt(raw and raw['memory']['per_phone_kib'], 1)} KiB | {app['errors'] + app['connect']['failed']} |"
        )
    pg = sorted(n for t, n in results if t == "app-pg")
    if pg:
        lines += [
            "",
            "### PostgreSQL + Redis (one worker, the same machine; votes committed to PostgreSQL before the ack)",
            "",
            "| phones | push p50 | push p99 | votes/s | ack p99 | acked / stored | projector p95 | per phone |",
            "|---:|---:|---:|---:|---:|---:|---:|---:|",
        ]
        for n in pg:
            r = results[("app-pg", n)]
            lines.append(
                f"| {n} | {fmt(r['push']['p50_ms'], 1)} ms | {fmt(r['push']['p99_ms'], 1)} ms | {fmt(r['burst']['votes_per_s'])} "
                f"| {fmt(r['burst']['ack']['p99_ms'], 1)} ms | {r['burst']['acked']} / {r['burst'].get('stored')} "
                f"| {fmt(r.get('projector', {}).get('p95_ms'), 1)} ms | {fmt(r['memory']['per_phone_kib'], 1)} KiB |"
            )
    any_result = next(iter(results.values()))
    m = any_result.get("machine", {})
    lines += ["", f"Measured {m.get('date', '?')} on {m.get('cpu', '?')}, {m.get('cores', '?')} cores, Python {m.get('python', '?')}."]
    return "\n".join(lines)


def plot(results: dict) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ns = sorted({n for _t, n in results})
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.2), dpi=110)
    for target, style in (("app", "-o"), ("raw", "--s"), ("app-pg", ":^")):
        xs = [n for n in ns if (target, n) in results]
        if not xs:
            continue
        label = {"app": "Saalumfrage (SQLite)", "raw": "raw websockets", "app-pg": "Saalumfrage (PostgreSQL + Redis)"}[target]
        axes[0].plot(xs, [results[(target, n)]["push"]["p99_ms"] for n in xs], style, label=f"{label} p99")
        axes[0].plot(xs, [results[(target, n)]["push"]["p50_ms"] for n in xs], style, alpha=0.5, label=f"{label} p50")
        axes[1].plot(xs, [results[(target, n)]["burst"]["ack"]["p99_ms"] for n in xs], style, label=f"{label} p99")
        axes[1].plot(xs, [results[(target, n)]["burst"]["ack"]["p50_ms"] for n in xs], style, alpha=0.5, label=f"{label} p50")
    axes[0].set_title("Question push: open → on every phone")
    axes[1].set_title("Vote burst: vote → acknowledgement")
    for ax in axes:
        ax.set_xlabel("phones connected to one worker")
        ax.set_ylabel("milliseconds")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(PLOT)


def main() -> int:
    results = load()
    if not results:
        print("no results in bench/results; run `python -m bench.run` first")
        return 1
    plot(results)
    doc = DOC.read_text()
    start, end = doc.index(START) + len(START), doc.index(END)
    DOC.write_text(doc[:start] + "\n" + tables(results) + "\n" + doc[end:])
    print(f"wrote {DOC.relative_to(ROOT)} and {PLOT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
