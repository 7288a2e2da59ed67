"""The compose proxy at full size, natively: N phones (default 2,000) through the shipped deploy/nginx.conf
(Debian's nginx, bench/nginx_stack.py) onto two app replicas on PostgreSQL + Redis. While the phones vote
and the moderator POSTs in a loop, replica A is stopped and recreated on a new address. Counts the 502s
(moderator POSTs, page loads, socket handshakes, and every line of nginx's access log) and the lost votes
(phones whose vote was not stored), and writes bench/results/nginx-<n>.json.

    uv run python -m bench.nginx_run --phones 2000
    BENCH_POSTGRES_URL=postgresql://postgres@127.0.0.1:5432/test uv run python -m bench.nginx_run --phones 300 \\
        --app-port 9110 --proxy-port 9111 --bus-prefix mine:

Exit status 0 when nothing was lost and no 502 was seen.
"""

import argparse
import asyncio
import json
import os
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

from bench import nginx_stack
from bench.nginx_stack import AppInstance, DockerDNS, Hall, Nginx

RESULTS = nginx_stack.ROOT / "bench" / "results"
# 2,000 phones arrive within seconds here, unlike a hall's: raise the per-event budget of new device ids as an
# operator would (docs/deployment.md, "New phones per event"); at the default 400 + 4/s the joins take minutes.
os.environ.setdefault("NEW_DEVICES_BURST", "100000")
PG_ADMIN = os.environ.get("BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
REDIS = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")


def count(values) -> dict[str, int]:
    out: dict[str, int] = {}
    for v in values:
        out[str(v)] = out.get(str(v), 0) + 1
    return out


def run(args) -> dict:
    if not nginx_stack.nginx_binary():
        raise SystemExit("nginx fehlt: apt-get install nginx-light")
    db_name, db_url = nginx_stack.create_database(PG_ADMIN)
    dns = DockerDNS()
    apps: dict[str, AppInstance] = {}
    nginx = None
    app_port = args.app_port or nginx_stack.free_port("127.0.0.2")
    env = nginx_stack.app_env(db_url, REDIS, args.bus_prefix or f"saal-nginx-bench-{os.getpid()}:")
    logs = Path(tempfile.mkdtemp(prefix="saal-nginx-bench-"))
    timeline: list[tuple[float, str]] = []
    t0 = time.monotonic()

    def mark(what: str) -> None:
        timeline.append((round(time.monotonic() - t0, 2), what))
        print(f"  {timeline[-1][0]:7.2f} s  {what}", flush=True)

    def start_app(address: str) -> None:
        apps[address] = AppInstance(address, app_port, env, logs)
        dns.set("app", list(apps))

    def stop_app(address: str) -> None:
        apps.pop(address).stop()
        dns.set("app", list(apps))

    try:
        info = nginx_stack.seed_demo(db_url)
        start_app("127.0.0.2")
        start_app("127.0.0.3")
        nginx = Nginx(logs / "nginx", dns=dns, app_port=app_port, port=args.proxy_port)
        mark(f"nginx on 127.0.0.1:{nginx.port}, replicas 127.0.0.2/.3:{app_port}")
        mod = httpx.Client(base_url=nginx.base, timeout=30)
        nginx_stack.moderator_login(mod)
        agenda = mod.get(f"/api/events/{info['event_id']}").json()["topics"]
        question = [q for t in agenda for q in t["questions"] if q["kind"] == "single"][0]
        option = question["options"][0]["id"]
        statuses: list[int] = []
        stop = threading.Event()

        def moderator_loop() -> None:
            actions = ("show-results", "hide-results")
            while not stop.is_set():
                try:
                    r = mod.post(f"/api/events/{info['event_id']}/questions/{question['id']}/{actions[len(statuses) % 2]}")
                    statuses.append(r.status_code)
                except httpx.HTTPError as exc:
                    statuses.append(type(exc).__name__)
                time.sleep(args.post_interval)

        def restart() -> None:
            time.sleep(args.spread / 3)
            mark("stopping replica 127.0.0.2 (SIGTERM, as docker stop)")
            stop_app("127.0.0.2")
            mark("replica 127.0.0.2 stopped; recreating it as 127.0.0.4")
            start_app("127.0.0.4")
            mark("replica 127.0.0.4 up")

        async def phones() -> tuple[Hall, dict]:
            hall = Hall("127.0.0.1", nginx.port, info["code"], args.phones)
            rss_before = nginx.rss_kib()
            t = time.monotonic()
            await hall.join()
            joined = time.monotonic() - t
            mark(f"{args.phones} phones loaded the page ({joined:.1f} s)")
            connected = await hall.connect(timeout=120)
            mark(f"{len(hall.connected)} sockets open")
            rss_after = nginx.rss_kib()
            hall.vote(question["id"], option, spread=args.spread)
            await asyncio.to_thread(lambda: mod.post(f"/api/events/{info['event_id']}/questions/{question['id']}/open").raise_for_status())
            mark(f"question open; votes spread over {args.spread:.0f} s; moderator POSTs every {args.post_interval:.2f} s")
            loop = threading.Thread(target=moderator_loop)
            loop.start()
            try:
                await asyncio.to_thread(restart)
                all_acked = await hall.wait_acked(args.spread + 120)
            finally:
                stop.set()
                await asyncio.to_thread(loop.join)
            mark(f"{hall.acked} votes acknowledged")
            extra = {
                "connected_all": connected, "all_acked": all_acked, "join_seconds": round(joined, 2),
                "nginx_rss_kib": {"before": rss_before, "with_phones": rss_after,
                                  "per_phone_kib": round((rss_after - rss_before) / max(1, args.phones), 2)},
                "app_connections_with_phones": nginx_stack.app_connections(["127.0.0.3", "127.0.0.4"], app_port),
            }
            await hall.close()
            return hall, extra

        hall, extra = asyncio.run(phones())
        time.sleep(1.0)
        stored = nginx_stack.stored_votes(db_url, question["id"])
        access = nginx.access_log()
        workers = {pid: open(f"/proc/{pid}/limits").read().split("Max open files")[1].split()[:2] for pid in nginx.worker_pids()}
        return {
            "phones": args.phones,
            "votes": {"sent": hall.sent, "acked": hall.acked, "stored": stored, "lost": args.phones - stored,
                      "errors": count(hall.errors)},
            "moderator_posts": count(statuses),
            "page_loads": {str(k): v for k, v in hall.page_statuses.items()},
            "socket_handshakes_refused": count(hall.refused_statuses),
            "reconnects": hall.reconnects,
            "nginx_access_log": {
                "lines": len(access),
                "502": sum(" 502 " in line for line in access),
                "504": sum(" 504 " in line for line in access),
                "retried_to_next_replica": sum("upstream=" in line and ", " in line.split("upstream=", 1)[1] for line in access),
            },
            "nginx_error_log_client_addresses": nginx.error_log().count("client:"),
            "nginx_worker_open_files": workers,
            "timeline": timeline,
            **extra,
        }
    finally:
        if nginx:
            nginx.stop()
        for app in apps.values():
            app.stop()
        dns.close()
        nginx_stack.drop_database(PG_ADMIN, db_name)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--phones", type=int, default=2000)
    parser.add_argument("--spread", type=float, default=20.0, help="seconds over which the phones vote")
    parser.add_argument("--post-interval", type=float, default=0.1, help="pause between the moderator's POSTs")
    parser.add_argument("--app-port", type=int, default=0, help="port of every replica (default: a free one)")
    parser.add_argument("--proxy-port", type=int, default=0, help="nginx's port (default: a free one)")
    parser.add_argument("--bus-prefix", default="", help="Redis channel prefix")
    args = parser.parse_args()
    print(f"› {args.phones} phones through nginx, one replica recreated mid-vote …", flush=True)
    result = run(args)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"nginx-{args.phones}.json").write_text(json.dumps(result, indent=2))
    bad_posts = sum(v for k, v in result["moderator_posts"].items() if k != "200")
    print(
        f"  votes: {result['votes']['stored']} of {args.phones} stored, lost {result['votes']['lost']} · "
        f"moderator POSTs {result['moderator_posts']} · 502 in nginx's log: {result['nginx_access_log']['502']} · "
        f"handshakes refused: {result['socket_handshakes_refused'] or 0} · reconnects {result['reconnects']} · "
        f"nginx {result['nginx_rss_kib']['per_phone_kib']} KiB/phone",
        flush=True,
    )
    ok = result["votes"]["lost"] == 0 and bad_posts == 0 and result["nginx_access_log"]["502"] == 0
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
