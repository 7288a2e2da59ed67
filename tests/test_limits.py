"""Budgets (app.limits): one token bucket for every limit, in memory or shared through Redis."""

import os
import time
import uuid

import pytest

from app.limits import MEMORY_KEYS_MAX, Budgets, Rate

REDIS_URL = os.environ.get("SCALEOUT_REDIS_URL", "redis://127.0.0.1:6379/0")


def _redis_ok() -> bool:
    try:
        import redis

        return bool(redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping())
    except Exception:
        return False


@pytest.fixture(params=["memory", "redis"])
def store(request):
    if request.param == "memory":
        return Budgets(None)
    if not _redis_ok():
        if os.environ.get("CI") == "true":
            pytest.fail("Redis nicht erreichbar unter " + REDIS_URL)
        pytest.skip("Redis nicht erreichbar – starten: redis-server --daemonize yes --port 6379")
    return Budgets(REDIS_URL, prefix=f"test-{uuid.uuid4().hex[:8]}:")


def test_burst_then_refused(store):
    rate = Rate(burst=3, per_s=1)
    assert [store.take("k", rate) for _ in range(3)] == [0.0, 0.0, 0.0]
    assert store.take("k", rate) is None  # refused: nothing spent
    assert store.take("other", rate) == 0.0  # keys are separate


def test_waiting_callers_are_paced_in_order(store):
    rate = Rate(burst=1, per_s=10)
    assert store.take("k", rate, max_wait=1) == 0.0
    waits = [store.take("k", rate, max_wait=1) for _ in range(3)]
    assert waits[0] == pytest.approx(0.1, abs=0.03)
    assert waits[1] == pytest.approx(0.2, abs=0.03)
    assert waits[2] == pytest.approx(0.3, abs=0.03)
    assert store.take("k", rate, max_wait=0.2) is None  # would wait 0.4 s


def test_refills_over_time(store):
    rate = Rate(burst=1, per_s=20)
    assert store.take("k", rate) == 0.0
    assert store.take("k", rate) is None
    time.sleep(0.1)
    assert store.take("k", rate) == 0.0


def test_two_processes_share_one_redis_bucket():
    if not _redis_ok():
        if os.environ.get("CI") == "true":
            pytest.fail("Redis nicht erreichbar unter " + REDIS_URL)
        pytest.skip("Redis nicht erreichbar – starten: redis-server --daemonize yes --port 6379")
    prefix = f"test-{uuid.uuid4().hex[:8]}:"
    a, b = Budgets(REDIS_URL, prefix=prefix), Budgets(REDIS_URL, prefix=prefix)
    rate = Rate(burst=4, per_s=0.01)
    spent = [a.take("k", rate), b.take("k", rate), a.take("k", rate), b.take("k", rate)]
    assert spent == [0.0] * 4
    assert a.take("k", rate) is None and b.take("k", rate) is None


def test_redis_down_falls_back_to_memory(caplog):
    budgets = Budgets("redis://127.0.0.1:1/0")  # nothing listens there
    rate = Rate(burst=1, per_s=0.01)
    assert budgets.take("k", rate) == 0.0
    assert budgets.take("k", rate) is None
    assert "Grenzwerte gelten vorübergehend je Instanz" in caplog.text


def test_memory_stays_bounded_without_a_reset():
    budgets = Budgets(None)
    rate = Rate(burst=1, per_s=1000)  # refills within a millisecond
    locked = Rate(burst=1, per_s=0.001)
    budgets.take("victim", locked)
    for i in range(MEMORY_KEYS_MAX + 10):
        budgets.take(f"spray-{i}", rate)
    time.sleep(0.01)
    budgets.take("one-more", rate)
    assert len(budgets._memory) <= MEMORY_KEYS_MAX + 11
    assert budgets.take("victim", locked) is None  # a spray of other keys never resets a spent bucket
