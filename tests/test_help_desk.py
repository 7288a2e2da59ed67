"""The help desk (#18): tablet and helper links, single-use ballots through the one vote writer, revocation."""

import datetime as dt
import hashlib
import re

import pytest
from sqlmodel import Session, select
from starlette.websockets import WebSocketDisconnect

from app.domain import deletion
from app.domain import desk as d_domain
from app.domain.errors import DomainError
from app.models import AuditEntry, BallotToken, DeskLink, Vote, utcnow
from tests.factories import option_ids, questions_of
from tests.helpers import csrf_of


def make_links(session, moderator, event):
    tablet, tablet_token = d_domain.create_link(session=session, user=moderator, event=event, kind="tablet", label="Tablet 1")
    helper, helper_token = d_domain.create_link(session=session, user=moderator, event=event, kind="helper", label="")
    return tablet, tablet_token, helper, helper_token


def act(client, event, question, action):
    r = client.post(f"/moderator/events/{event.id}/questions/{question.id}/{action}", data={"csrf": client.csrf}, follow_redirects=False)
    assert r.status_code == 303, r.text


def unlock(client, helper_token, tablet_id):
    page = client.get(f"/hilfe/{helper_token}")
    assert page.status_code == 200
    return client.post(f"/hilfe/{helper_token}/freigeben", data={"csrf": csrf_of(page.text), "tablet": str(tablet_id)},
                       follow_redirects=True)


def ballot_form(client, tablet_token) -> dict:
    page = client.get(f"/tablet/{tablet_token}")
    assert page.status_code == 200
    found = re.search(r'name="ballot" value="([^"]+)"', page.text)
    assert found, "no ballot on the tablet"
    return {"csrf": csrf_of(page.text), "ballot": found.group(1),
            "question_id": re.search(r'name="question_id" value="(\d+)"', page.text).group(1)}


def until(ws, type_, limit=30):
    for _ in range(limit):
        msg = ws.receive_json()
        if msg["type"] == type_:
            return msg
    pytest.fail(f"no {type_}")


def tablet_votes(session, question) -> list[Vote]:
    session.expire_all()
    return list(session.exec(select(Vote).where(Vote.question_id == question.id)))


@pytest.fixture
def desk(session, moderator, event, mod_client):
    tablet, tablet_token, helper, helper_token = make_links(session, moderator, event)
    single = questions_of(session, event)[0]
    act(mod_client, event, single, "open")
    return {"tablet": tablet, "tablet_token": tablet_token, "helper": helper, "helper_token": helper_token, "question": single}


# ---- links -----------------------------------------------------------------------------------------


def test_a_link_is_shown_once_only_its_hash_is_stored_and_its_creation_audited(mod_client, session, event):
    base = f"/moderator/events/{event.id}/hilfe-tisch"
    r = mod_client.post(base, data={"csrf": mod_client.csrf, "kind": "tablet", "label": "Tablet am Eingang"}, follow_redirects=False)
    assert r.status_code == 303
    page = mod_client.get(base)
    url = re.search(r'id="new-link-url" href="([^"]+)"', page.text).group(1)
    token = url.rsplit("/", 1)[1]
    assert url.startswith("http://testserver/tablet/") and "<svg" in page.text
    assert page.headers["cache-control"] == "no-store"
    assert token not in mod_client.get(base).text  # shown once
    link = session.exec(select(DeskLink)).one()
    assert link.token_hash == hashlib.sha256(token.encode()).hexdigest() and token not in link.token_hash
    assert link.label == "Tablet am Eingang" and link.kind == "tablet"
    assert [e.action for e in session.exec(select(AuditEntry))] == ["desk-link-create"]
    assert "Hilfe-Tisch: Link angelegt" in mod_client.get(f"/moderator/events/{event.id}/audit").text
    assert f'href="/moderator/events/{event.id}/hilfe-tisch"' in mod_client.get(f"/moderator/events/{event.id}").text


@pytest.mark.parametrize("form, message", [
    ({"kind": "drucker", "label": "x"}, "Tablet oder für eine Helferin"),
    ({"kind": "tablet", "label": "x" * 81}, "zu lang"),
])
def test_bad_link_input_is_explained_and_stores_nothing(mod_client, session, event, form, message):
    r = mod_client.post(f"/moderator/events/{event.id}/hilfe-tisch", data={"csrf": mod_client.csrf, **form})
    assert r.status_code == 422 and message in r.text
    assert session.exec(select(DeskLink)).all() == []


def test_revoking_needs_a_confirmation_is_audited_and_works_at_once_everywhere(mod_client, client, session, moderator, event, desk):
    tablet = desk["tablet"]
    unlock(client, desk["helper_token"], tablet.id)
    url = f"/moderator/events/{event.id}/hilfe-tisch/{tablet.id}/zurueckziehen"
    with client.websocket_connect(f"/ws/tablet/{desk['tablet_token']}") as ws:
        assert until(ws, "ballot_state")["ballot"] is not None
        r = mod_client.post(url, data={"csrf": mod_client.csrf})
        assert r.status_code == 422 and "bestätigen" in r.text
        assert mod_client.get(f"/tablet/{desk['tablet_token']}").status_code == 200
        r = mod_client.post(url, data={"csrf": mod_client.csrf, "confirm": "1"}, follow_redirects=False)
        assert r.status_code == 303
        messages = []
        with pytest.raises(WebSocketDisconnect) as closed:
            for _ in range(20):
                messages.append(ws.receive_json())
        assert closed.value.code == 4404 and messages[-1]["code"] == "link_revoked"
    page = client.get(f"/tablet/{desk['tablet_token']}")
    assert page.status_code == 403 and "zurückgezogen" in page.text
    assert session.exec(select(AuditEntry.action).where(AuditEntry.action == "desk-link-revoke")).all() == ["desk-link-revoke"]
    session.expire_all()
    assert all(b.expires_at <= utcnow() for b in session.exec(select(BallotToken)))  # its pending ballot ended too
    # The helper's link still works, but the revoked tablet is gone from it; a revoked helper link is refused.
    assert "Tablet 1" not in client.get(f"/hilfe/{desk['helper_token']}").text
    mod_client.post(f"/moderator/events/{event.id}/hilfe-tisch/{desk['helper'].id}/zurueckziehen",
                    data={"csrf": mod_client.csrf, "confirm": "1"})
    assert client.get(f"/hilfe/{desk['helper_token']}").status_code == 403
    with client.websocket_connect(f"/ws/tablet/{desk['tablet_token']}") as ws:
        assert ws.receive_json()["code"] == "link_revoked"


# ---- ballots -----------------------------------------------------------------------------------------


def test_unlock_vote_once_without_javascript_nothing_about_the_person(client, session, event, desk):
    r = unlock(client, desk["helper_token"], desk["tablet"].id)
    assert "Tablet 1 ist freigegeben." in r.text and "wartet auf die Antwort" in r.text
    assert r.headers["referrer-policy"] == "no-referrer" and r.headers["x-robots-tag"] == "noindex"
    form = ballot_form(client, desk["tablet_token"])
    first = option_ids(session, desk["question"])[0]
    r = client.post(f"/tablet/{desk['tablet_token']}/abstimmen", data={**form, "choice": str(first)}, follow_redirects=True)
    assert "Ihre Stimme wurde gezählt." in r.text and 'name="ballot"' not in r.text and 'checked' not in r.text
    votes = tablet_votes(session, desk["question"])
    assert len(votes) == 1 and votes[0].device_hash.startswith(f"desk:{desk['tablet'].id}:") and votes[0].answer == f"[{first}]"
    assert "saal_device" not in client.cookies
    # The same ballot again: refused, nothing stored; and without a new unlock the tablet rests.
    r = client.post(f"/tablet/{desk['tablet_token']}/abstimmen", data={**form, "choice": str(first)})
    assert r.status_code == 409 and "verbraucht oder abgelaufen" in r.text
    assert len(tablet_votes(session, desk["question"])) == 1
    assert 'name="ballot"' not in client.get(f"/tablet/{desk['tablet_token']}").text
    assert "Die Antwort wurde gezählt." in client.get(f"/hilfe/{desk['helper_token']}").text
    status = client.get(f"/hilfe/{desk['helper_token']}/stand").json()
    assert status["tablets"][0]["state"] == "answered" and status["question"] == desk["question"].text


def test_a_wrong_answer_keeps_the_ballot_and_an_older_page_token_stops_working(client, session, event, desk):
    unlock(client, desk["helper_token"], desk["tablet"].id)
    older = ballot_form(client, desk["tablet_token"])
    form = ballot_form(client, desk["tablet_token"])  # a reload: a fresh token, the older page's is void
    r = client.post(f"/tablet/{desk['tablet_token']}/abstimmen", data=form)
    assert r.status_code == 422 and 'name="ballot"' in r.text  # nothing chosen: said, the ballot stays
    first = option_ids(session, desk["question"])[0]
    r = client.post(f"/tablet/{desk['tablet_token']}/abstimmen", data={**older, "choice": str(first)})
    assert r.status_code == 409 and tablet_votes(session, desk["question"]) == []
    form = ballot_form(client, desk["tablet_token"])
    r = client.post(f"/tablet/{desk['tablet_token']}/abstimmen", data={**form, "choice": str(first)}, follow_redirects=False)
    assert r.status_code == 303 and len(tablet_votes(session, desk["question"])) == 1


def test_an_expired_ballot_is_refused_and_stores_nothing(client, session, event, desk):
    unlock(client, desk["helper_token"], desk["tablet"].id)
    form = ballot_form(client, desk["tablet_token"])
    ballot = session.exec(select(BallotToken)).one()
    ballot.expires_at = utcnow() - dt.timedelta(seconds=1)
    session.add(ballot)
    session.commit()
    first = option_ids(session, desk["question"])[0]
    r = client.post(f"/tablet/{desk['tablet_token']}/abstimmen", data={**form, "choice": str(first)})
    assert r.status_code == 409 and "abgelaufen" in r.text and tablet_votes(session, desk["question"]) == []
    assert "abgelaufen, ohne Antwort" in client.get(f"/hilfe/{desk['helper_token']}").text


def test_a_ballot_of_an_earlier_round_is_refused(client, mod_client, session, event, desk):
    unlock(client, desk["helper_token"], desk["tablet"].id)
    form = ballot_form(client, desk["tablet_token"])
    act(mod_client, event, desk["question"], "close")
    act(mod_client, event, desk["question"], "new-round")
    first = option_ids(session, desk["question"])[0]
    r = client.post(f"/tablet/{desk['tablet_token']}/abstimmen", data={**form, "choice": str(first)})
    assert r.status_code == 409 and tablet_votes(session, desk["question"]) == []


def test_the_question_closed_while_the_person_chose_is_told(client, mod_client, session, event, desk):
    unlock(client, desk["helper_token"], desk["tablet"].id)
    form = ballot_form(client, desk["tablet_token"])
    act(mod_client, event, desk["question"], "close")
    first = option_ids(session, desk["question"])[0]
    r = client.post(f"/tablet/{desk['tablet_token']}/abstimmen", data={**form, "choice": str(first)})
    assert r.status_code == 409 and "Die Abstimmung wurde gerade beendet – Ihre Stimme konnte nicht mehr gezählt werden." in r.text
    assert tablet_votes(session, desk["question"]) == []
    # Without an open question a helper cannot unlock.
    r = unlock(client, desk["helper_token"], desk["tablet"].id)
    assert "Gerade ist keine Frage offen." in r.text


def test_the_writer_refuses_a_closed_round_even_when_memory_says_open(app, session, engine, event, desk, mod_client, client):
    """The database decides: a ballot of a round closed behind the instance's back stores nothing and stays unused."""
    from app.models import Question, QuestionStatus

    unlock(client, desk["helper_token"], desk["tablet"].id)
    form = ballot_form(client, desk["tablet_token"])
    with Session(engine) as other:
        q = other.get(Question, desk["question"].id)
        q.status = QuestionStatus.closed
        other.add(q)
        other.commit()
    first = option_ids(session, desk["question"])[0]
    r = client.post(f"/tablet/{desk['tablet_token']}/abstimmen", data={**form, "choice": str(first)})
    assert r.status_code == 409 and "gerade beendet" in r.text
    session.expire_all()
    assert tablet_votes(session, desk["question"]) == [] and session.exec(select(BallotToken)).one().used_at is None


# ---- sockets -----------------------------------------------------------------------------------------


def test_unlock_reaches_the_tablet_the_vote_is_acked_once_and_the_control_page_learns_of_it(client, mod_client, session, event, desk):
    tablet_id = desk["tablet"].id
    with mod_client.websocket_connect(f"/ws/moderator/{event.id}") as moderator, \
            client.websocket_connect(f"/ws/tablet/{desk['tablet_token']}") as ws:
        assert until(ws, "ballot_state")["ballot"] is None
        unlock(client, desk["helper_token"], tablet_id)
        ballot = until(ws, "unlock")["ballot"]
        assert ballot == session.exec(select(BallotToken)).one().id
        assert until(moderator, "desk") == {"type": "desk", "desk_id": tablet_id, "what": "unlock", "answers": 0}
        token = ballot_form(client, desk["tablet_token"])["ballot"]
        first = option_ids(session, desk["question"])[0]
        vote = {"type": "vote", "vote_id": "v1", "question_id": desk["question"].id, "choices": [first], "ballot": token}
        ws.send_json(vote)
        ack = until(ws, "ack")
        assert ack["vote_id"] == "v1" and "answer" not in ack  # the tablet keeps no trace of the choice
        assert until(moderator, "desk")["answers"] == 1
        ws.send_json({**vote, "vote_id": "v2"})
        error = until(ws, "error")
        assert error["code"] == "ballot_used" and error["vote_id"] == "v2"
        for bad in ({**vote, "ballot": 5}, {**vote, "ballot": "x" * 500}, {**vote, "ballot": None}):
            ws.send_json(bad)
            assert until(ws, "error")["code"] == "no_ballot"
        ws.send_json({"type": "state"})
        assert until(ws, "error")["code"] == "unknown_type"
    assert len(tablet_votes(session, desk["question"])) == 1
    assert re.search(rf'id="answers-{tablet_id}">1<', mod_client.get(f"/moderator/events/{event.id}/hilfe-tisch").text)


def test_a_ballot_belongs_to_its_tablet(client, session, moderator, event, desk):
    other, other_token = d_domain.create_link(session=session, user=moderator, event=event, kind="tablet", label="Tablet 2")
    unlock(client, desk["helper_token"], desk["tablet"].id)
    token = ballot_form(client, desk["tablet_token"])["ballot"]
    first = option_ids(session, desk["question"])[0]
    with client.websocket_connect(f"/ws/tablet/{other_token}") as ws:
        until(ws, "ballot_state")
        ws.send_json({"type": "vote", "question_id": desk["question"].id, "choices": [first], "ballot": token})
        assert until(ws, "error")["code"] == "ballot_used"
    assert tablet_votes(session, desk["question"]) == []


# ---- hostile input, other events, deletion ------------------------------------------------------------


def test_bad_tokens_and_ids_are_refused_with_a_german_page(client, session, moderator, event, desk):
    for url in ("/tablet/falsch", "/hilfe/falsch", "/hilfe/" + "x" * 5000, f"/tablet/{desk['helper_token']}",
                f"/hilfe/{desk['tablet_token']}", "/hilfe/falsch/stand"):
        r = client.get(url)
        assert r.status_code == 404 and ("Diesen Link gibt es nicht" in r.text or "gibt es nicht" in r.json().get("detail", "")), url
    with client.websocket_connect("/ws/tablet/falsch") as ws:
        assert ws.receive_json()["code"] == "unknown_link"
    page = client.get(f"/hilfe/{desk['helper_token']}")
    for tablet in ("99999999999999999999", "-1", "abc", str(2**31), ""):
        r = client.post(f"/hilfe/{desk['helper_token']}/freigeben", data={"csrf": csrf_of(page.text), "tablet": tablet})
        assert r.status_code == 200 and "Dieses Tablet gibt es bei dieser Veranstaltung nicht." in r.text
    # A tablet of another event cannot be unlocked from this helper link.
    from tests import factories

    foreign_event = factories.make_event(session, owner=moderator, title="Andere")
    foreign, _t = d_domain.create_link(session=session, user=moderator, event=foreign_event, kind="tablet", label="Fremd")
    r = client.post(f"/hilfe/{desk['helper_token']}/freigeben", data={"csrf": csrf_of(page.text), "tablet": str(foreign.id)})
    assert "gibt es bei dieser Veranstaltung nicht" in r.text
    assert session.exec(select(BallotToken)).all() == []
    r = client.post(f"/tablet/{desk['tablet_token']}/abstimmen", data={"csrf": csrf_of(page.text), "ballot": "x", "question_id": "1" * 30})
    assert r.status_code in (409, 422) and tablet_votes(session, desk["question"]) == []


def test_deleting_the_event_deletes_its_links_and_ballots(client, mod_client, session, moderator, event, desk):
    unlock(client, desk["helper_token"], desk["tablet"].id)
    act(mod_client, event, desk["question"], "close")
    deletion.delete_event(session=session, user=moderator, event=event, typed_title=event.title)
    session.expire_all()
    assert session.exec(select(DeskLink)).all() == [] and session.exec(select(BallotToken)).all() == []


def test_domain_refusals(session, moderator, event):
    tablet, _t, helper, _h = make_links(session, moderator, event)
    with pytest.raises(DomainError) as refused:
        d_domain.unlock(session=session, helper=helper, tablet_id=tablet.id)
    assert refused.value.code == "no_open_question"
    with pytest.raises(DomainError):
        d_domain.unlock(session=session, helper=helper, tablet_id=helper.id)  # a helper link is no tablet
    with pytest.raises(DomainError):
        d_domain.find_link(session=session, token="", kind="tablet")
    assert d_domain.links(session=session, event_id=event.id)[0].link.kind == "tablet"  # tablets first
