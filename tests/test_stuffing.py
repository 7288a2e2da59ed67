"""Ballot stuffing is costly and visible (issue 12, finding 2).

New device ids are paced per event (never per address), a device counts once however many sockets it opens
and may open only a few, the stored voter identity is per event, a cross-site form post cannot replace a
phone's cookie, and the moderator sees voters against devices seen and people in the hall, with a warning
that is also written to the audit log once per question round.
"""

import asyncio
import math
import re
import threading
import time
from pathlib import Path
from types import SimpleNamespace

import anyio
import httpx
import pytest
from sqlmodel import select
from starlette.websockets import WebSocketDisconnect

from app import limits
from app.config import Settings, settings
from app.cookies import DEVICE_COOKIE, new_device_cookie, read_device_cookie
from app.domain import live as live_domain
from app.domain import plausibility
from app.domain import votes as v_domain
from app.limits import Budgets, Rate
from app.models import AuditEntry, Question, Vote
from app.realtime.sockets import CLOSE_TOO_MANY_SOCKETS, SOCKETS_PER_DEVICE
from tests import factories
from tests.factories import option_ids, questions_of
from tests.helpers import csrf_of
from tests.test_realtime import act, phone, until, vote

NO_WARNING = '<div id="check-alert" role="alert"></div>'
WARNING_SHOWN = ('<div id="check-alert" role="alert"><p class="notice warn check-warning"><span class="icon" aria-hidden="true">⚠</span> '
                 '<strong>Achtung: mehr Stimmen als plausibel.</strong>')
CROWDED = "Gerade treten sehr viele gleichzeitig bei – bitte in einigen Sekunden neu laden."


def _fresh_page(client, code: str):
    """/j/<code> as a phone that has never been here (no cookie), as a cookie-renewing script does it."""
    jar = httpx.Cookies(client.cookies)
    client.cookies.clear()
    try:
        started = time.monotonic()
        response = client.get(f"/j/{code}")
        return response, time.monotonic() - started
    finally:
        client.cookies = jar


def _sets_device(response) -> bool:
    return any(DEVICE_COOKIE in header for header in response.headers.get_list("set-cookie"))


def _pace(monkeypatch, burst: float, per_s: float, max_wait: float) -> None:
    monkeypatch.setattr(settings, "new_devices_burst", burst)
    monkeypatch.setattr(settings, "new_devices_per_s", per_s)
    monkeypatch.setattr(settings, "new_devices_max_wait_s", max_wait)


# ---- pacing new device ids per event ---------------------------------------------------------------


def _frozen_pace(monkeypatch) -> list[float]:
    """Budgets on a clock that moves only when a newcomer waits (the route's asyncio.sleep): no timing flakes.

    Returns the seconds each newcomer was made to wait.
    """
    from app.routes import attendee

    clock = [1000.0]
    waits: list[float] = []
    monkeypatch.setattr(limits, "time", SimpleNamespace(monotonic=lambda: clock[0]))

    async def sleep(seconds):
        waits.append(seconds)
        clock[0] += seconds
        await asyncio.sleep(0)

    monkeypatch.setattr(attendee, "asyncio", SimpleNamespace(sleep=sleep))
    return waits


def test_new_device_ids_are_paced_per_event_and_a_newcomer_waits_its_turn(client, session, event, moderator, monkeypatch):
    _pace(monkeypatch, burst=3, per_s=2.0, max_wait=1.0)
    waits = _frozen_pace(monkeypatch)
    other = factories.make_event(session, owner=moderator, title="Zweite Konferenz")
    for _ in range(3):  # the burst: at once
        response, _took = _fresh_page(client, event.join_code)
        assert response.status_code == 200 and _sets_device(response)
    assert waits == []
    response, _took = _fresh_page(client, event.join_code)  # then: waits its turn (1/2 s) and gets in
    assert response.status_code == 200 and _sets_device(response)
    assert waits == [0.5]
    # The budget is the event's: another event's newcomers are not held up.
    response, _took = _fresh_page(client, other.join_code)
    assert response.status_code == 200 and len(waits) == 1
    # A phone already admitted is never paced, however empty the budget.
    monkeypatch.setattr(settings, "new_devices_max_wait_s", 0.4)
    client.cookies.set(DEVICE_COOKIE, new_device_cookie(event.id)[1])
    response = client.get(f"/j/{event.join_code}")
    assert response.status_code == 200 and not _sets_device(response) and len(waits) == 1
    # Beyond the longest wait: a German page asking to reload, nothing set.
    response, _took = _fresh_page(client, event.join_code)
    assert response.status_code == 503 and CROWDED in response.text
    assert not _sets_device(response) and int(response.headers["retry-after"]) >= 1
    assert f'href="/j/{event.join_code}"' in response.text and len(waits) == 1


def test_a_bigger_hall_entered_by_the_moderator_may_all_arrive_at_once(client, session, event, monkeypatch):
    """People in the hall (entered on the control page) raise the event's burst to 1.2 times that number:
    a hall of 1,000 is never paced while it fills, whatever the configured burst."""
    waits = _frozen_pace(monkeypatch)
    _pace(monkeypatch, burst=3, per_s=0.01, max_wait=0.0)
    event.people_in_hall = 10
    session.add(event)
    session.commit()
    for _ in range(12):  # 1.2 × 10
        response, _took = _fresh_page(client, event.join_code)
        assert response.status_code == 200 and _sets_device(response)
    assert waits == []
    assert _fresh_page(client, event.join_code)[0].status_code == 503


def test_waiting_for_a_new_device_id_does_not_block_the_server(client, event, monkeypatch):
    """The wait is an asyncio.sleep in an async route, not a sleep in a worker thread: with a single worker
    thread, a sync route (/healthz) is answered while a newcomer waits."""
    _pace(monkeypatch, burst=1, per_s=0.5, max_wait=3.0)

    def one_worker_thread():  # runs in the app's event loop
        anyio.to_thread.current_default_thread_limiter().total_tokens = 1

    client.portal.call(one_worker_thread)
    assert _fresh_page(client, event.join_code)[0].status_code == 200
    done: dict[str, float] = {}

    def newcomer():
        assert client.get(f"/j/{event.join_code}").status_code == 200  # the client has no cookie: a newcomer
        done["newcomer"] = time.monotonic()

    started = time.monotonic()
    waiting = threading.Thread(target=newcomer)
    waiting.start()
    time.sleep(0.2)
    assert client.get("/healthz").status_code == 200
    done["healthz"] = time.monotonic()
    waiting.join(10)
    assert done["newcomer"] - started >= 1.5  # it waited its turn (2 s) …
    assert done["healthz"] < done["newcomer"]  # … while the server went on answering


def _arrivals(n: int, spans: list[tuple[float, float, int]]) -> list[float]:
    times = []
    for start, end, count in spans:
        times += [start + (end - start) * i / count for i in range(count)]
    assert len(times) == n
    return sorted(times)


@pytest.mark.parametrize(
    "name,spans",
    [
        ("evenly over 2 minutes", [(0, 120, 500)]),
        ("half in the first 20 s", [(0, 20, 250), (20, 120, 250)]),
        ("all in the first 30 s", [(0, 30, 500)]),
    ],
)
def test_500_people_arriving_within_two_minutes_never_wait_at_the_default_pace(monkeypatch, name, spans):
    """The shipped numbers (NEW_DEVICES_BURST, NEW_DEVICES_PER_S) against a hall filling up, on a simulated clock."""
    clock = [0.0]
    monkeypatch.setattr(limits, "time", SimpleNamespace(monotonic=lambda: clock[0]))
    defaults = Settings.model_fields
    rate = Rate(defaults["new_devices_burst"].default, defaults["new_devices_per_s"].default)
    store = Budgets(None)
    waits = []
    for at in _arrivals(500, spans):
        clock[0] = at
        waits.append(store.take("new-device:1", rate, max_wait=defaults["new_devices_max_wait_s"].default))
    assert None not in waits, name
    assert max(waits) == 0.0, name


def test_a_renewing_loop_gets_no_more_than_the_budget_at_the_default_pace(monkeypatch):
    clock = [0.0]
    monkeypatch.setattr(limits, "time", SimpleNamespace(monotonic=lambda: clock[0]))
    defaults = Settings.model_fields
    burst, per_s = defaults["new_devices_burst"].default, defaults["new_devices_per_s"].default
    store = Budgets(None)
    admitted = 0
    while clock[0] < 60:  # a minute of renewals, 50 a second, each waiting its turn when it may
        wait = store.take("new-device:1", Rate(burst, per_s), max_wait=defaults["new_devices_max_wait_s"].default)
        clock[0] += 0.02 + (wait or 0.0)
        admitted += wait is not None
    assert admitted <= burst + per_s * 60 + 1  # 640 with the shipped numbers, against ~3,000 a minute before


# ---- ids bound to events, voter identity per event ------------------------------------------------------


@pytest.mark.timeout(60)
def test_a_device_id_from_another_event_is_not_admitted_without_its_own_turn(client, session, event, moderator, monkeypatch):
    _pace(monkeypatch, burst=1, per_s=0.01, max_wait=0.0)
    other = factories.make_event(session, owner=moderator, title="Zweite Konferenz")
    single, _ = questions_of(session, event)
    live_domain.open_question(session=session, question=single)
    assert _fresh_page(client, event.join_code)[0].status_code == 200  # event's only new id is spent
    response, _took = _fresh_page(client, other.join_code)
    cookie = response.cookies[DEVICE_COOKIE]
    assert read_device_cookie(cookie).events == (other.id,)
    client.cookies.set(DEVICE_COOKIE, cookie)
    # Socket and form of the first event do not take it …
    with pytest.raises(WebSocketDisconnect) as closed:
        with phone(client, event, cookie) as ws:
            assert until(ws, "error")["code"] == "no_device"
            ws.receive_json()
    assert closed.value.code == 4401
    r = client.post(f"/j/{event.join_code}/vote", data={"question_id": str(single.id), "choice": str(option_ids(session, single)[0])})
    assert r.status_code == 400 and not _sets_device(r)
    assert session.exec(select(Vote)).all() == []
    # … and its page admits it only on the event's own budget (spent here).
    assert client.get(f"/j/{event.join_code}").status_code == 503
    monkeypatch.setattr(settings, "new_devices_burst", 5)
    monkeypatch.setattr(settings, "new_devices_per_s", 100.0)
    time.sleep(0.05)
    r = client.get(f"/j/{event.join_code}")
    admitted = read_device_cookie(r.cookies[DEVICE_COOKIE])
    assert r.status_code == 200 and admitted.events == (other.id, event.id)
    assert admitted.id == read_device_cookie(cookie).id  # the same phone, now admitted to both


def test_voter_identity_is_per_event_so_answers_cannot_be_linked(client, session, event, moderator):
    other = factories.make_event(session, owner=moderator, title="Zweite Konferenz")
    device, cookie = new_device_cookie(event.id, other.id)
    client.cookies.set(DEVICE_COOKIE, cookie)
    for ev in (event, other):
        single, _ = questions_of(session, ev)
        live_domain.open_question(session=session, question=single)
        first = option_ids(session, single)[0]
        r = client.post(f"/j/{ev.join_code}/vote", data={"question_id": str(single.id), "choice": str(first)})
        assert r.status_code == 200 and "Danke!" in r.text
        assert f'value="{first}" checked' in client.get(f"/j/{ev.join_code}").text  # "my vote" finds it again
    hashes = {row.device_hash for row in session.exec(select(Vote)).all()}
    assert hashes == {v_domain.voter_hash(event.id, device, settings.secret_key), v_domain.voter_hash(other.id, device, settings.secret_key)}
    assert len(hashes) == 2 and v_domain.device_hash(device, settings.secret_key) not in hashes
    # The socket path stores under the same per-event identity: a resend there replaces the form's vote.
    single, _ = questions_of(session, event)
    with phone(client, event, cookie) as ws:
        assert until(ws, "state")["my_vote"] == [option_ids(session, single)[0]]
        vote(ws, single.id, [option_ids(session, single)[1]])
        until(ws, "ack")
    assert len(session.exec(select(Vote).where(Vote.question_id == single.id)).all()) == 1


def test_a_cross_site_form_post_without_a_cookie_stores_nothing_and_sets_no_cookie(client, session, event):
    single, _ = questions_of(session, event)
    live_domain.open_question(session=session, question=single)
    client.cookies.clear()
    r = client.post(f"/j/{event.join_code}/vote", data={"question_id": str(single.id), "choice": str(option_ids(session, single)[0])})
    assert r.status_code == 400
    assert not _sets_device(r)
    assert "Bitte laden Sie die Seite neu" in r.text
    assert session.exec(select(Vote)).all() == []
    # A forged cookie is no better.
    client.cookies.set(DEVICE_COOKIE, "gefaelscht.sig")
    r = client.post(f"/j/{event.join_code}/vote", data={"question_id": str(single.id), "choice": str(option_ids(session, single)[0])})
    assert r.status_code == 400 and not _sets_device(r)
    assert session.exec(select(Vote)).all() == []


# ---- one device, one connected phone ----------------------------------------------------------------


@pytest.mark.timeout(60)
def test_a_device_counts_once_and_may_open_only_a_few_sockets(mod_client, session, event):
    _device, cookie = new_device_cookie(event.id)
    with mod_client.websocket_connect(f"/ws/moderator/{event.id}") as moderator:
        until(moderator, "state")
        sockets = [phone(mod_client, event, cookie) for _ in range(SOCKETS_PER_DEVICE)]
        opened = [ws.__enter__() for ws in sockets]
        try:
            for ws in opened:
                until(ws, "state")
            with pytest.raises(WebSocketDisconnect) as closed:
                with phone(mod_client, event, cookie) as extra:
                    error = until(extra, "error")
                    assert error["code"] == "too_many_sockets" and "Fenstern offen" in error["message"]
                    extra.receive_json()
            assert closed.value.code == CLOSE_TOO_MANY_SOCKETS
            with phone(mod_client, event) as someone_else:  # another phone is not affected
                until(someone_else, "state")
                assert until(moderator, "presence", lambda m: m["connected"] == 2)
            assert until(moderator, "presence", lambda m: m["connected"] == 1)  # five sockets, one device
        finally:
            for ws in sockets:
                ws.__exit__(None, None, None)


@pytest.mark.timeout(60)
def test_devices_seen_is_the_peak_while_open_stored_at_close_and_reset_by_a_new_round(mod_client, session, event):
    single, _ = questions_of(session, event)
    shared = new_device_cookie(event.id)[1]
    with mod_client.websocket_connect(f"/ws/moderator/{event.id}") as moderator:
        until(moderator, "state")
        with phone(mod_client, event) as a, phone(mod_client, event) as b, phone(mod_client, event, shared) as c, \
                phone(mod_client, event, shared) as d:
            for ws in (a, b, c, d):
                until(ws, "state")
            act(mod_client, event, f"questions/{single.id}/open")
            assert until(moderator, "state", lambda m: m["phase"] == "open")
            assert until(moderator, "tally", lambda m: m["check"]["devices_seen"] == 3, limit=200)
        act(mod_client, event, f"questions/{single.id}/close")
        state = until(moderator, "state", lambda m: m["phase"] == "closed")
        assert state["check"]["devices_seen"] == 3  # the peak, not the sockets still there
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        session.expire_all()
        if session.get(Question, single.id).devices_seen == 3:
            break
        time.sleep(0.05)
    assert session.get(Question, single.id).devices_seen == 3
    act(mod_client, event, f"questions/{single.id}/new-round")
    session.expire_all()
    assert session.get(Question, single.id).devices_seen in (None, 0)


# ---- what the moderator sees --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "voters,devices,people,warning",
    [
        (3, None, None, False),  # a handful of no-JavaScript voters is no alarm
        (4, None, None, True),  # 3,131 voters with 0 phones: the finding
        (14, 10, None, False),
        (15, 10, None, True),
        (58, 40, 50, False),  # people in the hall raise the reference
        (59, 40, 50, True),
        (120, 200, None, False),
    ],
)
def test_the_warning_rule(voters, devices, people, warning):
    check = plausibility.check(voters=voters, devices_seen=devices, people_in_hall=people)
    assert check["warning"] is warning
    assert check["limit"] == math.floor(max(devices or 0, people or 0) * plausibility.WARN_FACTOR) + plausibility.WARN_SLACK


def _form_voters(client, event, question, option, n):
    for _ in range(n):
        jar = httpx.Cookies(client.cookies)
        client.cookies.clear()
        try:
            assert client.get(f"/j/{event.join_code}").status_code == 200
            r = client.post(f"/j/{event.join_code}/vote", data={"question_id": str(question.id), "choice": str(option)},
                            follow_redirects=False)
            assert r.status_code == 303
        finally:
            client.cookies = jar


def _warnings(session, event) -> list[AuditEntry]:
    session.expire_all()
    return session.exec(
        select(AuditEntry).where(AuditEntry.event_id == event.id, AuditEntry.action == plausibility.WARNING_ACTION)
    ).all()


@pytest.mark.timeout(60)
def test_voters_beyond_devices_and_people_warn_the_moderator_once_per_round(mod_client, session, event):
    single, _ = questions_of(session, event)
    a = option_ids(session, single)[0]
    act(mod_client, event, f"questions/{single.id}/open")
    page = mod_client.get(f"/moderator/events/{event.id}").text
    assert NO_WARNING in page  # there, empty, so that a warning is announced when it comes
    with mod_client.websocket_connect(f"/ws/moderator/{event.id}") as moderator:
        until(moderator, "state")
        _form_voters(mod_client, event, single, a, 5)  # five phones that no one saw connected
        tally = until(moderator, "tally", lambda m: m["voters"] == 5, limit=200)
        assert tally["check"] == {"voters": 5, "devices_seen": 0, "people_in_hall": None, "limit": 3, "warning": True}
        deadline = time.monotonic() + 5
        while not _warnings(session, event) and time.monotonic() < deadline:
            time.sleep(0.05)
        _form_voters(mod_client, event, single, a, 2)
        until(moderator, "tally", lambda m: m["voters"] == 7, limit=200)
        time.sleep(0.3)
    page = mod_client.get(f"/moderator/events/{event.id}").text
    assert WARNING_SHOWN in page and "mehrfach abgestimmt" in page
    assert 'id="check-voters">7<' in page and 'id="check-people">nicht eingetragen<' in page
    logged = _warnings(session, event)
    assert len(logged) == 1 and logged[0].username == "System"
    assert re.match(rf"Frage {single.id}, Runde 1: [45] Stimmen, höchstens 0 Geräte", logged[0].detail)  # from the first excess on
    audit = mod_client.get(f"/moderator/events/{event.id}/audit").text
    assert "Warnung: mehr Stimmen als Geräte bzw. Personen im Saal" in audit
    # People in the hall, counted by the organisers: entered on the control page, audited, and it settles the question.
    token = csrf_of(page)
    r = mod_client.post(f"/moderator/events/{event.id}/people-in-hall", data={"csrf": token, "people": "12"}, follow_redirects=False)
    assert r.status_code == 303
    page = mod_client.get(f"/moderator/events/{event.id}").text
    assert NO_WARNING in page and 'id="check-people">12<' in page
    assert 'id="people-in-hall" name="people" type="number"' in page and 'value="12"' in page
    entries = mod_client.get(f"/api/events/{event.id}/audit").json()
    assert entries[0]["action"] == "people-in-hall" and entries[0]["detail"] == "12"
    # Bad input: a German message, nothing changed.
    r = mod_client.post(f"/moderator/events/{event.id}/people-in-hall", data={"csrf": token, "people": "viele"},
                        headers={"referer": f"http://testserver/moderator/events/{event.id}"})
    assert r.status_code == 200 and "ganze Zahl von 0 bis 100000" in r.text
    session.expire_all()
    assert session.get(type(event), event.id).people_in_hall == 12
    # The API does the same.
    r = mod_client.post(f"/api/events/{event.id}/people-in-hall", json={"people_in_hall": 2})
    assert r.status_code == 200 and r.json()["warning"] is True and r.json()["people_in_hall"] == 2
    assert len(_warnings(session, event)) == 1  # still once for this round


def test_projector_and_phones_never_see_the_check(client, session, event):
    single, _ = questions_of(session, event)
    live_domain.open_question(session=session, question=single)
    with client.websocket_connect(f"/ws/p/{event.projector_token}") as projector:
        assert until(projector, "state").get("check") is None
    with phone(client, event) as p:
        assert "check" not in until(p, "state")


# ---- the attack, against a real server -------------------------------------------------------------------


@pytest.mark.timeout(120)
def test_a_cookie_renewing_loop_is_bounded_by_the_budget_and_warned(tmp_path: Path):
    """bench/stuffing.py for 10 s with a small budget: votes counted ≤ burst + rate × time; the moderator is warned."""
    from bench import stuffing

    burst, per_s, seconds = 20, 2.0, 10.0
    server = stuffing.Server(tmp_path, env={"NEW_DEVICES_BURST": str(burst), "NEW_DEVICES_PER_S": str(per_s)})
    hall_phone = httpx.Client(base_url=server.base, timeout=10)
    try:
        mod = stuffing.moderator(server.base)
        question_id, option_id = stuffing.open_single_question(mod, server.event_id)
        # A phone that joined before the attack: it is never held up by it.
        assert hall_phone.get(f"/j/{server.code}").status_code == 200
        control = stuffing.ControlSocket(server.base, server.event_id, mod)  # the control page is open
        try:
            slowest, statuses = [0.0], []

            def hall():
                while time.monotonic() < started + seconds:
                    t = time.monotonic()
                    statuses.append(hall_phone.get(f"/j/{server.code}").status_code)
                    slowest[0] = max(slowest[0], time.monotonic() - t)
                    time.sleep(0.5)

            started = time.monotonic()
            watcher = threading.Thread(target=hall)
            watcher.start()
            tally = stuffing.attack(server.base, server.code, question_id, option_id, seconds, workers=2)
            elapsed = time.monotonic() - started
            watcher.join(15)
            time.sleep(1.5)  # the hub's next ticks: tally, warning
            seen = stuffing.counted(mod, server.event_id)
            live = control.check
        finally:
            control.close()
        stored = tally.form_votes + tally.socket_votes
        assert seen["voters"] == stored
        assert burst <= seen["voters"] <= burst + per_s * elapsed + 2, (tally, seen, elapsed)
        assert tally.pages <= burst + per_s * elapsed + 2
        assert tally.form_votes > 0 and tally.socket_votes > 0
        assert seen["check"]["warning"] is True
        assert live is not None and live["warning"] is True and live["voters"] == seen["voters"]  # the control socket's tally
        assert seen["warnings_logged"] == 1
        assert statuses and set(statuses) == {200} and slowest[0] < 2.0  # the hall's phones were never held up
        page = mod.get(f"/moderator/events/{server.event_id}").text
        assert WARNING_SHOWN in page
    finally:
        server.stop()
        hall_phone.close()
