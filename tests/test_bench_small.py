"""The benchmark harness in small: 200 phones against a real server. Checks correctness only, never timing."""

import pytest

from bench.run import bench_app, bench_raw
from tests.helpers import postgres_ok, redis_ok, require


@pytest.mark.timeout(180)
def test_200_phones_every_vote_acknowledged_and_stored():
    result = bench_app(200, pin=False, rounds=2, rate=200)
    assert result["connect"] == {**result["connect"], "connected": 200, "failed": 0}
    assert result["push"]["all_received"], result["push"]
    burst = result["burst"]
    assert burst["acked"] == burst["votes"] == 200
    assert burst["stored"] == 200  # every acknowledged vote is in the database, none twice
    assert burst["errors"] == 0
    assert result["projector"]["seen"] == result["projector"]["votes"]  # the projector counted every vote
    assert result["errors"] == 0 and result["server_alive"]


@pytest.mark.timeout(120)
def test_raw_baseline_runs():
    result = bench_raw(100, pin=False, rounds=1)
    assert result["push"]["all_received"] and result["burst"]["acked"] == 100


@pytest.mark.timeout(180)
def test_200_phones_on_postgresql_and_redis():
    require("PostgreSQL", postgres_ok(), "pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start")
    require("Redis", redis_ok(), "redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save '' --appendonly no")
    result = bench_app(200, pin=False, rounds=2, rate=200, backend="postgres")
    burst = result["burst"]
    assert result["push"]["all_received"] and burst["acked"] == burst["stored"] == 200
    assert result["projector"]["seen"] == result["projector"]["votes"] and result["errors"] == 0
