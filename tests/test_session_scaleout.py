"""Logins end on every instance: two real uvicorn instances on PostgreSQL + Redis (issue 12, finding 4).

A moderator's control socket on instance B closes at once when, on instance A, they are removed from the
event, log out, or their account is switched off. Login limits are shared through Redis too.
Needs PostgreSQL and Redis (see tests/test_scaleout.py); skipped without them, required under CI=true.
"""

import contextlib
import json
import re
import threading
import time
import uuid

import httpx
import pytest
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import connect as ws_connect

from tests.helpers import redis_ok, require
from tests.test_scaleout import moderator, servers  # noqa: F401 (fixture)

pytestmark = pytest.mark.timeout(240)
HELPER, HELPER_PASSWORD = "helfer", "helfer-geheim-1"


def _csrf(client: httpx.Client, path: str = "/login") -> str:
    return re.search(r'name="csrf" value="([^"]+)"', client.get(path).text).group(1)


def _login(server, username: str, password: str) -> httpx.Client:
    client = httpx.Client(base_url=server.base, timeout=10)
    r = client.post("/login", data={"username": username, "password": password, "csrf": _csrf(client)})
    assert r.status_code in (200, 303) and client.cookies.get("saal_session"), r.status_code
    return client


@contextlib.contextmanager
def _control_socket(server, client: httpx.Client, event_id: int):
    cookie = {"Cookie": f"saal_session={client.cookies.get('saal_session')}"}
    with ws_connect(server.ws(f"/ws/moderator/{event_id}"), open_timeout=10, additional_headers=cookie) as ws:
        first = json.loads(ws.recv(timeout=5))
        assert first["type"] == "state", first
        yield ws


def _closed_within(ws, seconds: float) -> tuple[int, list[dict]]:
    """Read until the server closes the socket; fail if it is still open after `seconds`."""
    seen, deadline = [], time.monotonic() + seconds
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            pytest.fail(f"the control socket was still open after {seconds} s; got {[m['type'] for m in seen]}")
        try:
            seen.append(json.loads(ws.recv(timeout=left)))
        except TimeoutError:
            continue
        except ConnectionClosed as closed:
            return closed.rcvd.code, seen


def test_removal_logout_and_switch_off_close_control_sockets_on_the_other_instance(servers, database):
    require("Redis", redis_ok(), "starten mit: redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save '' --appendonly no")
    prefix = f"saal-test-{uuid.uuid4().hex[:8]}:"
    a, b = servers(prefix=prefix), servers(prefix=prefix)
    event_id = database["event_id"]
    admin = moderator(a)  # the demo account is an admin
    token = _csrf(admin, "/admin/users")
    r = admin.post("/admin/users", data={"csrf": token, "username": HELPER, "password": HELPER_PASSWORD})
    assert r.status_code in (200, 303)
    import psycopg

    with psycopg.connect(database["url"].replace("+psycopg", "")) as conn:
        helper_id = conn.execute('SELECT id FROM "user" WHERE username = %s', (HELPER,)).fetchone()[0]

    def share() -> None:
        r = admin.post(f"/moderator/events/{event_id}/co-moderators", data={"csrf": token, "username": HELPER})
        assert r.status_code in (200, 303)

    # 1. Removed from the event on A: the control socket on B closes (4403) and says why.
    share()
    helper = _login(a, HELPER, HELPER_PASSWORD)
    with _control_socket(b, helper, event_id) as ws:
        admin.post(f"/moderator/events/{event_id}/co-moderators/{helper_id}/remove", data={"csrf": token})
        code, seen = _closed_within(ws, 3)
    assert code == 4403 and seen[-1]["code"] == "not_moderator"
    with pytest.raises(InvalidStatus), _control_socket(b, helper, event_id):
        pass

    # 2. Logged out on A: the same login's socket on B closes (4401); the old cookie is worthless on B too.
    share()
    old_cookie = helper.cookies.get("saal_session")
    with _control_socket(b, helper, event_id) as ws:
        helper.post("/logout", data={"csrf": _csrf(helper, "/moderator")})
        code, seen = _closed_within(ws, 3)
    assert code == 4401 and seen[-1]["code"] == "login_ended"
    replay = httpx.get(b.base + "/moderator", cookies={"saal_session": old_cookie}, follow_redirects=False)
    assert replay.status_code == 303 and replay.headers["location"].startswith("/login")

    # 3. Switched off on A: every login of the account ends, its socket on B closes (4401).
    helper = _login(a, HELPER, HELPER_PASSWORD)
    with _control_socket(b, helper, event_id) as ws:
        admin.post(f"/admin/users/{helper_id}/deactivate", data={"csrf": token})
        code, seen = _closed_within(ws, 3)
    assert code == 4401 and seen[-1]["code"] == "login_ended"
    assert httpx.get(b.base + f"/api/events/{event_id}", cookies={"saal_session": helper.cookies.get("saal_session")}).status_code == 401
    log = admin.get("/admin/users").text
    assert "Konto angelegt" in log and "Konto abgeschaltet" in log


def test_login_pace_is_shared_by_the_instances(servers, database):
    """Five wrong passwords on A: B refuses the next burst for that name too (the budget lives in Redis)."""
    require("Redis", redis_ok(), "starten mit: redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save '' --appendonly no")
    prefix = f"saal-test-{uuid.uuid4().hex[:8]}:"
    a, b = servers(prefix=prefix), servers(prefix=prefix)
    name = f"ziel-{uuid.uuid4().hex[:6]}"
    with httpx.Client(base_url=a.base, timeout=10) as on_a:
        token = _csrf(on_a)
        for i in range(5):
            assert on_a.post("/login", data={"username": name, "password": f"falsch-{i}", "csrf": token}).status_code == 401
    answers: list[int | str] = []

    def attempt(i: int) -> None:
        with httpx.Client(base_url=b.base, timeout=5) as on_b:
            try:
                answers.append(on_b.post("/login", data={"username": name, "password": f"b-{i}", "csrf": _csrf(on_b)}).status_code)
            except httpx.TimeoutException:
                answers.append("waiting")  # the one attempt that got a turn waits its 30 s

    threads = [threading.Thread(target=attempt, args=(i,)) for i in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(15)
    assert answers.count(429) >= 2 and 401 not in answers, answers
