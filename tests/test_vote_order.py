"""The order of one phone's answers (#16): a late resend of an older answer never replaces a newer one.

Every vote carries the phone's `seq`; the writer's upsert keeps the stored answer when the incoming one is older
(tests/test_writer.py holds the writer itself). Here: the phone socket, its acknowledgements and state, the
tally, and the plain form whose page renders the next number.
"""

import json
import re

from app.cookies import new_device_cookie
from app.domain import live as live_domain
from app.models import Vote
from tests.factories import option_ids, questions_of
from tests.test_realtime import act, phone, until


def _stored(session):
    session.expire_all()
    return [(json.loads(r.choices), r.seq) for r in session.exec(Vote.__table__.select()).fetchall()]


def _send(ws, question_id, choices, vote_id, seq):
    ws.send_json({"type": "vote", "vote_id": vote_id, "question_id": question_id, "seq": seq, "choices": choices})
    return until(ws, "ack", lambda m: m["vote_id"] == vote_id)


def test_vote_a_vote_b_resend_a_keeps_b_tells_the_phone_and_counts_b_once(mod_client, session, event):
    single, _ = questions_of(session, event)
    a, b, c = option_ids(session, single)
    act(mod_client, event, f"questions/{single.id}/open")
    _device, cookie = new_device_cookie()
    with mod_client.websocket_connect(f"/ws/moderator/{event.id}") as moderator:
        until(moderator, "state")
        with phone(mod_client, event, cookie) as p:
            state = until(p, "state")
            assert state["my_vote"] is None and state["my_seq"] == 0
            ack_a = _send(p, single.id, [a], "vote-a", 1)
            assert (ack_a["answer"], ack_a["seq"], ack_a["superseded"]) == ([a], 1, False)
            ack_b = _send(p, single.id, [b], "vote-b", 2)
            assert (ack_b["answer"], ack_b["seq"], ack_b["superseded"]) == ([b], 2, False)
            # A from the outbox again (a socket that delivered late, a second tab): acknowledged, so the phone
            # stops sending it, with the answer that stands.
            late = _send(p, single.id, [a], "vote-a", 1)
            assert (late["answer"], late["seq"], late["superseded"]) == ([b], 2, True)
        tally = until(moderator, "tally", lambda m: m["voters"] == 1 and m["counts"][str(b)] == 1)
        assert tally["counts"] == {str(a): 0, str(b): 1, str(c): 0}
    assert _stored(session) == [([b], 2)]
    with phone(mod_client, event, cookie) as p:  # back after a reload: the stored answer and its number
        state = until(p, "state")
        assert (state["my_vote"], state["my_seq"]) == ([b], 2)


def test_a_newer_answer_in_the_same_batch_wins_whatever_arrives_last(app, mod_client, session, event, monkeypatch):
    """Both reach the writer in one batch (as after a reconnect that sends the outbox while a late frame of the
    old socket arrives): the higher seq wins, not the later arrival."""
    single, _ = questions_of(session, event)
    a, b, _c = option_ids(session, single)
    act(mod_client, event, f"questions/{single.id}/open")
    monkeypatch.setattr(app.state.hub.writer, "_batch_s", 0.3)  # one batch for both
    with phone(mod_client, event) as p:
        until(p, "state")
        p.send_json({"type": "vote", "vote_id": "vote-b", "question_id": single.id, "seq": 2, "choices": [b]})
        p.send_json({"type": "vote", "vote_id": "vote-a", "question_id": single.id, "seq": 1, "choices": [a]})
        acks = {m["vote_id"]: m for m in (until(p, "ack"), until(p, "ack"))}
    assert (acks["vote-b"]["answer"], acks["vote-b"]["superseded"]) == ([b], False)
    assert (acks["vote-a"]["answer"], acks["vote-a"]["superseded"]) == ([b], True)
    assert _stored(session) == [([b], 2)]


def test_a_vote_without_seq_stays_valid_and_a_bad_seq_is_refused(mod_client, session, event):
    single, _ = questions_of(session, event)
    a, b, _c = option_ids(session, single)
    act(mod_client, event, f"questions/{single.id}/open")
    with phone(mod_client, event) as p:
        until(p, "state")
        p.send_json({"type": "vote", "vote_id": "old-1", "question_id": single.id, "choices": [a]})
        assert until(p, "ack")["seq"] == 0
        p.send_json({"type": "vote", "vote_id": "old-2", "question_id": single.id, "choices": [b]})
        assert until(p, "ack")["answer"] == [b]  # an older page that numbers nothing can still change its answer
        for bad in (-1, "drei", 1.5, True, 10**12):
            p.send_json({"type": "vote", "vote_id": "bad", "question_id": single.id, "seq": bad, "choices": [a]})
            error = until(p, "error")
            assert error["code"] == "bad_seq" and error["vote_id"] == "bad"
            assert "ungültig" in error["message"]
    assert _stored(session) == [([b], 0)]


def _form_seq(html: str) -> int:
    found = re.search(r'<input type="hidden" name="seq" value="(\d+)">', html)
    assert found, "the plain form carries its number"
    return int(found.group(1))


def test_the_plain_form_of_an_older_page_does_not_replace_the_newer_answer(client, session, event):
    single, _ = questions_of(session, event)
    a, b, _c = option_ids(session, single)
    live_domain.open_question(session=session, question=single)
    url = f"/j/{event.join_code}"
    first_page = client.get(url).text
    assert _form_seq(first_page) == 1
    answered = client.post(f"{url}/vote", data={"question_id": str(single.id), "choice": str(a), "seq": _form_seq(first_page)})
    assert "Danke! Ihre Stimme wurde gezählt." in answered.text
    second_page = answered.text
    assert _form_seq(second_page) == 2
    changed = client.post(f"{url}/vote", data={"question_id": str(single.id), "choice": str(b), "seq": _form_seq(second_page)})
    assert re.search(rf'value="{b}" checked', changed.text)
    # The back button: the first page again, sent once more (with A, or anything else chosen on it).
    stale = client.post(f"{url}/vote", data={"question_id": str(single.id), "choice": str(a), "seq": _form_seq(first_page)},
                        follow_redirects=False)
    assert stale.status_code == 303 and "newer=1" in stale.headers["location"]
    page = client.get(stale.headers["location"])
    assert "Ihre neuere Antwort gilt." in page.text and "Danke! Ihre Stimme wurde gezählt." not in page.text
    assert re.search(rf'value="{b}" checked', page.text) and not re.search(rf'value="{a}" checked', page.text)
    assert _form_seq(page.text) == 3
    assert _stored(session) == [([b], 2)]


def test_a_bad_seq_in_the_plain_form_is_explained_and_stores_nothing(client, session, event):
    single, _ = questions_of(session, event)
    a = option_ids(session, single)[0]
    live_domain.open_question(session=session, question=single)
    client.get(f"/j/{event.join_code}")
    response = client.post(f"/j/{event.join_code}/vote", data={"question_id": str(single.id), "choice": str(a), "seq": "-3"})
    assert response.status_code == 422
    assert "Die laufende Nummer der Antwort ist ungültig." in response.text
    assert re.search(rf'value="{a}" checked', response.text)  # what was chosen stays chosen
    assert _stored(session) == []
