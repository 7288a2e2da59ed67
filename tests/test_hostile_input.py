"""Hostile input on the phone socket: garbage, odd types and sizes, floods. The server answers, stays up, and
the other phones in the hall go on voting."""

import json
import random

import pytest
from sqlmodel import select
from starlette.websockets import WebSocketDisconnect

from app.models import Vote
from app.realtime import connection, intake, sockets, ticker
from tests.factories import option_ids, questions_of
from tests.test_realtime import act, phone, until, vote

HOSTILE = [
    "",
    " ",
    "null",
    "true",
    "12",
    '"vote"',
    "{}",
    '{"type": null}',
    '{"type": ["vote"]}',
    '{"type": "VOTE"}',
    '{"type": "vote"}',
    '{"type": "vote", "question_id": 1e309}',
    '{"type": "vote", "question_id": 99999999999999999999999999999999999999}',
    '{"type": "vote", "question_id": -1, "choices": [-1]}',
    '{"type": "vote", "question_id": 1, "choices": {"a": 1}}',
    '{"type": "vote", "question_id": 1, "choices": [1.5]}',
    '{"type": "vote", "question_id": 1, "choices": [NaN]}',
    '{"type": "vote", "question_id": 1, "choices": [Infinity]}',
    '{"type": "vote", "question_id": 1, "choices": [1], "vote_id": "\\u0000\\u202e"}',
    '{"type": "vote", "question_id": 1, "text": "\\ud800"}',
    '{"type": "vote", "question_id": 1, "terms": ["\\u202e\\u0000x"]}',
    '{"type": "vote", "question_id": 1, "points": {"1": 1e400}}',
    '{"type": "vote", "question_id": 1, "ranking": [[[[1]]]]}',
    '{"type": "ping", "extra": "' + "ä" * 1000 + '"}',
    "\U0001F600" * 2000,
    '{"type": "vote", "question_id": 1, "choices": [' + ",".join(["1"] * 1500) + "]}",
    "{" * 2000,
]


def test_every_hostile_message_gets_an_answer_and_other_phones_vote_on(mod_client, session, event):
    single, _ = questions_of(session, event)
    a, b, _c = option_ids(session, single)
    act(mod_client, event, f"questions/{single.id}/open")
    with phone(mod_client, event) as attacker, phone(mod_client, event) as neighbour:
        until(attacker, "state")
        until(neighbour, "state")
        for i, payload in enumerate(HOSTILE):
            if i and i % 15 == 0:  # stay under the flood limit here: this test is about content, not rate
                hub_module_time_travel(mod_client)
            attacker.send_text(payload.replace('"question_id": 1,', f'"question_id": {single.id},'))
            reply = attacker.receive_json()
            assert reply["type"] in ("error", "pong"), (payload[:60], reply)
            if reply["type"] == "error":
                assert reply["message"] and reply["code"], payload[:60]
        # Random bytes and text as well.
        rng = random.Random(7)
        for _ in range(10):
            hub_module_time_travel(mod_client)
            attacker.send_bytes(bytes(rng.randrange(256) for _ in range(rng.randrange(1, 300))))
            assert until(attacker, "error")["code"] == "binary"
        vote(neighbour, single.id, [b])
        assert until(neighbour, "ack")["answer"] == [b]
        vote(attacker, single.id, [a])  # after all that, a proper vote still counts
        assert until(attacker, "ack")["answer"] == [a]
    assert len(session.exec(select(Vote).where(Vote.question_id == single.id)).all()) == 2


def hub_module_time_travel(client):
    """Refill every socket's message bucket, as if a few seconds had passed."""
    for room in client.app.state.hub.rooms.values():
        for conn in room.attendees:
            conn.bucket.tokens = float(connection.MESSAGES_BURST)


def test_a_megabyte_frame_is_refused_and_the_socket_lives(client, event):
    with phone(client, event) as p:
        until(p, "state")
        p.send_text(json.dumps({"type": "vote", "text": "x" * (1024 * 1024)}))
        assert until(p, "error")["code"] == "too_large"
        p.send_json({"type": "ping"})
        until(p, "pong")


def test_a_flood_is_slowed_then_closed_while_other_phones_go_on(mod_client, session, event):
    single, _ = questions_of(session, event)
    a = option_ids(session, single)[0]
    act(mod_client, event, f"questions/{single.id}/open")
    with phone(mod_client, event) as flooder, phone(mod_client, event) as neighbour:
        until(flooder, "state")
        until(neighbour, "state")
        for _ in range(connection.MESSAGES_BURST + sockets.FLOOD_CLOSE_AFTER + 5):
            flooder.send_json({"type": "ping"})
        replies = []
        with pytest.raises(WebSocketDisconnect) as closed:
            while True:
                replies.append(flooder.receive_json())
        assert closed.value.code == 1008
        errors = [r for r in replies if r["type"] == "error"]
        assert [e["code"] for e in errors] == ["too_fast"]  # said once, not a hundred times
        assert "Zu viele Nachrichten" in errors[0]["message"]
        assert sum(r["type"] == "pong" for r in replies) <= connection.MESSAGES_BURST + 1
        vote(neighbour, single.id, [a])
        assert until(neighbour, "ack")


def test_one_device_cannot_vote_endlessly_even_over_several_sockets(mod_client, session, event):
    from app.cookies import new_device_cookie

    single, _ = questions_of(session, event)
    a, b, _c = option_ids(session, single)
    act(mod_client, event, f"questions/{single.id}/open")
    _device, cookie = new_device_cookie()
    acks = errors = 0
    with phone(mod_client, event, cookie) as first, phone(mod_client, event, cookie) as second:
        until(first, "state")
        until(second, "state")
        for i in range(intake.VOTES_BURST + 4):
            ws = first if i % 2 else second
            vote(ws, single.id, [a if i % 2 else b])
            reply = until(ws, "ack") if i < intake.VOTES_BURST else until(ws, "error")
            if reply["type"] == "ack":
                acks += 1
            else:
                errors += 1
                assert reply["code"] == "too_many_votes" and "warten" in reply["message"]
    assert (acks, errors) == (intake.VOTES_BURST, 4)
    assert len(session.exec(select(Vote).where(Vote.question_id == single.id)).all()) == 1


def test_idle_sockets_are_closed(client, event, monkeypatch):
    hub = client.app.state.hub
    with phone(client, event) as p:
        until(p, "state")
        room = next(iter(hub.rooms.values()))
        conn = next(iter(room.attendees))
        conn.last_seen -= ticker.IDLE_TIMEOUT_S + 1
        hub._ticker.last_idle_sweep -= ticker.IDLE_SWEEP_S + 1
        with pytest.raises(WebSocketDisconnect) as closed:
            for _ in range(100):
                p.receive_json()
        assert closed.value.code == 1001


# ---- pages, forms and the JSON API: every route, on every database backend ----------------------------------
#
# The same hostile inputs on every route the app has (read from the app, as in test_access_matrix): ids beyond
# what an INTEGER column holds, NUL characters in the path, the query and every form field, a CSRF token with
# non-ASCII characters, overlong fields. PostgreSQL refuses what SQLite takes (a NUL in text, an id over
# 2^31-1), so scripts/test.sh runs this file on both.

from fastapi.routing import APIRoute  # noqa: E402

from tests.test_access_matrix import ACTIONS, _client_as, _fill, _routes, world  # noqa: E402,F401

# The vote form's fields depend on the question's kind (domain.answers.answer_from_form).
ID_MAX = 2**31 - 1  # the largest value of an INTEGER column (PostgreSQL)
VOTE_FIELDS = ["question_id", "choice", "value", "term", "text", "rank-1", "points-1"]
HUGE_IDS = [ID_MAX + 1, 2**32, 2**40, 2**62, 2**63, 10**30]
NUL_MESSAGE = "Nullzeichen"


def _form_fields(app, path: str) -> list[str]:
    """The names of a route's form fields, from the route itself (a new field is covered without a change here)."""
    names: list[str] = []

    def walk(dependant):
        names.extend(p.alias for p in dependant.body_params)
        for sub in dependant.dependencies:
            walk(sub)

    for route in app.router.routes:
        for r in getattr(getattr(route, "router", None) or getattr(route, "original_router", None) or route, "routes", [route]):
            if isinstance(r, APIRoute) and r.path == path and "POST" in r.methods:
                walk(r.dependant)
    return sorted(set(names) | (set(VOTE_FIELDS) if path == "/j/{code}/vote" else set()))


def _each_route(app, world, method=None):
    """(method, route path, action, filled url) for every route and action, /logout last (it ends the session)."""
    items = []
    for m, path in _routes(app):
        if method and m != method:
            continue
        for action in ACTIONS.get(path, [None]):
            items.append((m, path, action, _fill(path, world, action)))
    return sorted(items, key=lambda item: item[1] == "/logout")


def _assert_clear(response, *, where: str, statuses=(400, 403, 404, 409, 413, 422)) -> None:
    assert response.status_code < 500, f"{where}: {response.status_code} {response.text[:300]}"
    assert response.status_code in statuses, f"{where}: {response.status_code}"
    if response.headers.get("content-type", "").startswith("text/html"):
        assert 'lang="de"' in response.text and "<h1" in response.text, where


def test_ids_beyond_the_integer_columns_are_refused_on_every_route(client, world):
    """2^31 and up: a clear 400/422 on every route with an id in its path, never a server error (on PostgreSQL
    an INTEGER column overflowed with a 500) and never a silent 404."""
    c = _client_as(client, "admin", world)
    checked = 0
    for method, path, action, _url in _each_route(client.app, world):
        names = [n for n in ("event_id", "question_id", "topic_id", "user_id") if "{" + n + "}" in path]
        if not names or path == "/logout":
            continue
        for huge in HUGE_IDS:
            url = _fill(path.replace("{" + names[-1] + "}", str(huge)), world, action)
            if method == "GET":
                response = c.get(url, follow_redirects=False)
            elif path.startswith("/api/"):
                response = c.post(url, json={}, follow_redirects=False)
            else:
                response = c.post(url, data={"csrf": c.csrf}, follow_redirects=False)
            _assert_clear(response, where=f"{method} {url}", statuses=(400, 422))
            checked += 1
    assert checked > 40 * len(HUGE_IDS) // 2


def test_ids_in_form_fields_and_json_bodies_are_bounded(client, world, session):
    c = _client_as(client, "admin", world)
    event, question = world["event"], world["question"]
    for huge in HUGE_IDS:
        for url, data in [
            (f"/moderator/events/{event.id}/projector", {"mode": "topic", "topic_id": str(huge)}),
            (f"/moderator/events/{event.id}/questions/{question.id}/approve", {"answer_id": str(huge)}),
            ("/moderator/events/from-template", {"template_id": str(huge), "title": "X"}),
            (f"/moderator/events/{event.id}/questions", {"topic_id": str(huge), "text": "Neu?", "kind": "yesno"}),
            (f"/j/{event.join_code}/vote", {"question_id": str(huge), "choice": str(huge)}),
        ]:
            response = c.post(url, data={"csrf": c.csrf, **data}, follow_redirects=False)
            assert response.status_code < 500, (url, huge, response.text[:300])
        for url, body in [
            (f"/api/events/{event.id}/projector", {"mode": "topic", "topic_id": huge}),
            (f"/api/events/{event.id}/questions/{question.id}/approve", {"answer_id": huge}),
            ("/api/events/from-template", {"template_id": huge, "title": "X"}),
        ]:
            response = c.post(url, json=body)
            assert response.status_code == 422, (url, huge, response.status_code)


def test_nul_in_path_or_query_is_a_clear_400_on_every_page(client, world):
    c = _client_as(client, "admin", world)
    checked = 0
    for method, path, _action, url in _each_route(client.app, world):
        if path == "/logout":
            continue
        send = c.get if method == "GET" else c.post
        response = send(url + "?next=a%00b", follow_redirects=False)
        # Pages: 400 with an error page; the API: 422, as for any invalid input there.
        _assert_clear(response, where=f"{method} {url}?%00", statuses=(422,) if path.startswith("/api/") else (400,))
        assert NUL_MESSAGE in response.text, url
        checked += 1
    for url in ("/j/a%00b", "/p/a%00b", "/j/a%00b/vote", "/moderator/events/1%00", "/static/a%00.css", "/a%00"):
        response = c.get(url) if "vote" not in url else c.post(url, data={"question_id": "1"})
        _assert_clear(response, where=url, statuses=(400,))
        assert NUL_MESSAGE in response.text
    assert checked > 40


def test_nul_in_any_form_field_is_a_clear_400_and_changes_nothing(client, world, session):
    c = _client_as(client, "admin", world)
    def agenda():
        body = c.get(f"/api/events/{world['event'].id}").json()
        return {k: v for k, v in body.items() if k != "state"}, {k: v for k, v in body["state"].items() if k not in ("version", "now")}

    before = agenda()
    checked = 0
    for _method, path, _action, url in _each_route(client.app, world, "POST"):
        if path.startswith("/api/"):
            continue
        for field in _form_fields(client.app, path):
            data = {"csrf": c.csrf, field: "a\x00b"}
            response = c.post(url, data=data, follow_redirects=False)
            _assert_clear(response, where=f"POST {url} {field}", statuses=(400,))
            assert NUL_MESSAGE in response.text, (url, field)
            checked += 1
    assert checked > 60
    assert agenda() == before


def test_nul_in_json_bodies_is_refused(client, world):
    c = _client_as(client, "admin", world)
    event, topic, question = world["event"], world["topic"], world["question"]
    for url, body in [
        ("/api/events", {"title": "a\u0000b"}),
        ("/api/events", {"title": "ok", "place": "\u0000"}),
        (f"/api/events/{event.id}/topics", {"title": "a\u0000b"}),
        (f"/api/events/{event.id}/topics/{topic.id}/questions", {"text": "a\u0000b?", "kind": "yesno"}),
        (f"/api/events/{event.id}/topics/{topic.id}/questions", {"text": "ok?", "options": ["a", "b\u0000"]}),
        (f"/api/events/{event.id}/questions/{question.id}/hide-term", {"term": "a\u0000b"}),
        (f"/api/events/{event.id}/template", {"title": "\u0000"}),
        (f"/api/events/{event.id}/duplicate", {"title": "\u0000"}),
        ("/api/events/from-template", {"template_id": 1, "title": "\u0000"}),
    ]:
        response = c.post(url, json=body)
        assert response.status_code == 422, (url, response.status_code, response.text[:200])
        assert NUL_MESSAGE in response.json()["detail"], url
    # A backslash and "u0000" typed as text are no NUL character.
    assert c.post("/api/events", json={"title": "C:\\u0000"}).status_code == 201


def test_a_csrf_token_with_non_ascii_characters_is_refused_on_every_form(client, world):
    """hmac.compare_digest refuses str with non-ASCII characters (TypeError): that was a 500 on every form."""
    for role in ("anonymous", "admin"):
        c = _client_as(client, role, world)
        checked = 0
        for _method, path, _action, url in _each_route(client.app, world, "POST"):
            if path.startswith("/api/") or path in ("/j/{code}/vote", "/j/{code}/karte", "/j/{code}/segment"):
                continue  # the API takes no form token; votes (the group answer is one) and card entry are anonymous by design (Origin-checked)
            for token in ("ä", "€" * 32, "\U0001F600", c.csrf[:-1] + "ß"):
                response = c.post(url, data={"csrf": token, "username": "x", "password": "y"}, follow_redirects=False)
                if role == "anonymous" and path not in ("/login", "/logout"):
                    assert response.status_code in (303, 403), (url, response.status_code)
                    continue
                assert response.status_code == 403 and "Formular ist abgelaufen" in response.text, (role, url, token, response.status_code)
                checked += 1
        assert checked >= (8 if role == "anonymous" else 150)


def test_overlong_fields_on_every_form_are_refused_clearly(client, world, session):
    """100,000 characters in every field of every form (with a valid token): a clear answer, never a 500
    (PostgreSQL refuses a value longer than its VARCHAR column where SQLite takes it)."""
    c = _client_as(client, "admin", world)
    long = "x" * 100_000
    checked = 0
    for _method, path, _action, url in _each_route(client.app, world, "POST"):
        if path == "/logout":
            continue
        if path.startswith("/api/"):
            response = c.post(url, json={"title": long, "text": long, "place": long, "term": long, "options": [long, long]})
        else:
            fields = _form_fields(client.app, path)
            response = c.post(url, data={**{f: long for f in fields}, "csrf": c.csrf}, follow_redirects=False)
        assert response.status_code < 500, (url, response.status_code, response.text[:300])
        checked += 1
    assert checked > 40
    # One field at a time as well: each must be checked on its own, not only the first that fails.
    for _method, path, _action, url in _each_route(client.app, world, "POST"):
        if path.startswith("/api/") or path in ("/logout", "/login"):
            continue
        for field in _form_fields(client.app, path):
            if field == "csrf":
                continue
            response = c.post(url, data={"csrf": c.csrf, field: long}, follow_redirects=False)
            assert response.status_code < 500, (url, field, response.status_code, response.text[:300])


def test_hostile_socket_paths_are_refused_without_a_server_error(client, world):
    """The moderator socket's id is checked before the login (a huge id overflowed on PostgreSQL); NUL in a
    socket path is refused for every role's socket."""
    for path in [f"/ws/moderator/{ID_MAX + 1}", f"/ws/moderator/{2**40}", "/ws/moderator/1%00", "/ws/p/a%00b", "/ws/j/a%00b",
                 f"/ws/j/{world['event'].join_code}%00"]:
        for role in ("anonymous", "admin"):
            c = _client_as(client, role, world)
            with pytest.raises(WebSocketDisconnect):
                with c.websocket_connect(path) as ws:
                    first = ws.receive_json()
                    assert first["type"] == "error", (path, first)
                    ws.receive_json()


def test_socket_messages_with_huge_ids_or_nul_are_answered_with_an_error(mod_client, session, event):
    single, _ = questions_of(session, event)
    act(mod_client, event, f"questions/{single.id}/open")
    with phone(mod_client, event) as p:
        until(p, "state")
        for payload in [
            {"type": "vote", "question_id": ID_MAX + 1, "choices": [1]},
            {"type": "vote", "question_id": 2**63, "choices": [2**63]},
            {"type": "vote", "question_id": single.id, "choices": [ID_MAX + 1]},
            {"type": "vote", "question_id": single.id, "choices": [1], "vote_id": "a\u0000"},
            {"type": "ping", "x": "\u0000"},
            {"type": "vote", "question_id": single.id, "text": "a\u0000b"},
        ]:
            hub_module_time_travel(mod_client)
            p.send_text(json.dumps(payload))
            reply = until(p, "error")
            assert reply["message"], payload


def test_hide_term_refuses_control_characters_before_anything_is_written(session, event, moderator):
    """hide-term used to store its change and then fail on PostgreSQL (a NUL in the term or in the audit line):
    the term was hidden and the moderator saw a server error. Now the term is checked before anything is
    written, and the audit line cannot fail on what a form sent."""
    from app.domain import access, review
    from app.domain.errors import Invalid
    from app.models import AuditEntry, Question
    from tests.test_question_kinds import make

    question = make(session, event, "wordcloud")
    before = question.hidden_terms
    for term in ("a\x00b", "a\x07b", "\u202eabc\u0000"):
        with pytest.raises(Invalid):
            review.set_term_hidden(session=session, question=question, term=term, hidden=True)
        session.rollback()
        session.expire_all()
        assert session.get(Question, question.id).hidden_terms == before
    review.set_term_hidden(session=session, question=question, term="Stau!", hidden=True)
    assert "stau" in session.get(Question, question.id).hidden_terms
    access.record(session=session, event_id=event.id, user=moderator, action="hide-term", detail="Frage · term=Stau\x00\x07!")
    entry = session.exec(select(AuditEntry).where(AuditEntry.action == "hide-term")).one()
    assert entry.detail == "Frage · term=Stau!"
