"""Hostile input on the phone socket: garbage, odd types and sizes, floods. The server answers, stays up, and
the other phones in the hall go on voting."""

import json
import random

import pytest
from sqlmodel import select
from starlette.websockets import WebSocketDisconnect

from app.models import Vote
from app.realtime import hub as hub_module
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
            conn.tokens = float(hub_module.MESSAGES_BURST)


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
        for _ in range(hub_module.MESSAGES_BURST + hub_module.FLOOD_CLOSE_AFTER + 5):
            flooder.send_json({"type": "ping"})
        replies = []
        with pytest.raises(WebSocketDisconnect) as closed:
            while True:
                replies.append(flooder.receive_json())
        assert closed.value.code == 1008
        errors = [r for r in replies if r["type"] == "error"]
        assert [e["code"] for e in errors] == ["too_fast"]  # said once, not a hundred times
        assert "Zu viele Nachrichten" in errors[0]["message"]
        assert sum(r["type"] == "pong" for r in replies) <= hub_module.MESSAGES_BURST + 1
        vote(neighbour, single.id, [a])
        assert until(neighbour, "ack")


def test_one_device_cannot_vote_endlessly_even_over_several_sockets(mod_client, session, event):
    from app.web import new_device_cookie

    single, _ = questions_of(session, event)
    a, b, _c = option_ids(session, single)
    act(mod_client, event, f"questions/{single.id}/open")
    _device, cookie = new_device_cookie()
    acks = errors = 0
    with phone(mod_client, event, cookie) as first, phone(mod_client, event, cookie) as second:
        until(first, "state")
        until(second, "state")
        for i in range(hub_module.VOTES_BURST + 4):
            ws = first if i % 2 else second
            vote(ws, single.id, [a if i % 2 else b])
            reply = until(ws, "ack") if i < hub_module.VOTES_BURST else until(ws, "error")
            if reply["type"] == "ack":
                acks += 1
            else:
                errors += 1
                assert reply["code"] == "too_many_votes" and "warten" in reply["message"]
    assert (acks, errors) == (hub_module.VOTES_BURST, 4)
    assert len(session.exec(select(Vote).where(Vote.question_id == single.id)).all()) == 1


def test_idle_sockets_are_closed(client, event, monkeypatch):
    hub = client.app.state.hub
    with phone(client, event) as p:
        until(p, "state")
        room = next(iter(hub.rooms.values()))
        conn = next(iter(room.attendees))
        conn.last_seen -= hub_module.IDLE_TIMEOUT_S + 1
        hub._last_idle_sweep -= hub_module.IDLE_SWEEP_S + 1
        with pytest.raises(WebSocketDisconnect) as closed:
            for _ in range(100):
                p.receive_json()
        assert closed.value.code == 1001
