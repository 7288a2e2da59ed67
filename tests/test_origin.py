"""Cross-site request forgery from the same site (issue 12, finding 3): another port or subdomain of the same
host is "same-site", so the browser sends the login and device cookies with its requests. Every
state-changing request and every socket handshake must therefore come from the app's own origin.

The routes are read from the app, as in test_access_matrix.py, so a new route cannot slip through.
"""

import pytest
from fastapi.testclient import TestClient
from sqlmodel import select
from starlette.websockets import WebSocketDisconnect

from app.config import settings
from app.cookies import DEVICE_COOKIE, new_device_cookie
from app.domain import live as live_domain
from app.models import Event, Question, Vote
from tests.factories import option_ids, questions_of
from tests.test_access_matrix import ACTIONS, API_BODIES, _client_as, _fill, _routes, world  # noqa: F401 (fixture)
from tests.test_realtime import until

OWN = "http://testserver"
FOREIGN = "http://testserver:8081"  # the same host, another port: same-site, cross-origin
REFUSED = "Diese Anfrage kam von einer anderen Seite und wurde deshalb abgelehnt."
UNSAFE = ("POST", "PUT", "PATCH", "DELETE")


def _send(c, method: str, path: str, url: str, headers: dict):
    if path.startswith("/api/"):
        return c.request(method, url, json=API_BODIES.get(path, {}), headers=headers, follow_redirects=False)
    return c.request(method, url, data={"csrf": c.csrf, "title": "Untergeschoben", "username": "x", "password": "y"},
                     headers=headers, follow_redirects=False)


def _state_of(session, event) -> tuple:
    session.expire_all()
    questions = session.exec(select(Question).where(Question.event_id == event.id)).all()
    return (
        session.get(Event, event.id).title,
        len(session.exec(select(Event)).all()),
        sorted((q.id, q.status, q.position, q.results_shown, q.round) for q in questions),
    )


@pytest.mark.parametrize(
    "headers",
    [
        {"origin": FOREIGN},
        {"origin": "null"},
        {"origin": "null", "sec-fetch-site": "cross-site"},
        {"origin": "https://evil.example"},
        {"sec-fetch-site": "same-site"},
        {"sec-fetch-site": "cross-site"},
        {"referer": FOREIGN + "/angriff.html"},
    ],
    ids=["other-port", "null", "null-sandboxed-cross-site", "other-site", "fetch-site-same-site", "fetch-site-cross-site", "referer-other-port"],
)
def test_every_state_changing_route_refuses_other_origins(client, session, world, headers):
    c = _client_as(client, "admin", world)
    before = _state_of(session, world["event"])
    checked = 0
    for method, path in _routes(client.app):
        if method not in UNSAFE:
            continue
        for action in ACTIONS.get(path, [None]):
            response = _send(c, method, path, _fill(path, world, action), headers)
            assert response.status_code == 403, (method, path, action, response.status_code, response.text[:200])
            if path.startswith("/api/"):
                assert response.json()["code"] == "foreign_origin" and REFUSED in response.json()["detail"]
            else:
                assert REFUSED in response.text and "<html" in response.text
            checked += 1
    assert checked > 60
    assert _state_of(session, world["event"]) == before  # nothing was opened, renamed, created or deleted
    assert c.get(f"/moderator/events/{world['event'].id}").status_code == 200  # still logged in (logout refused too)


def test_own_origin_and_clients_without_browser_headers_are_let_through(client, app, session, world):
    c = _client_as(client, "own_moderator", world)
    event, question = world["event"], world["question"]
    base = f"/api/events/{event.id}/questions/{question.id}"
    assert c.post(base + "/open", headers={"origin": OWN}).status_code == 200
    assert c.post(base + "/close", headers={"sec-fetch-site": "same-origin"}).status_code == 200
    assert c.post(base + "/open", headers={"referer": OWN + f"/moderator/events/{event.id}"}).status_code == 200
    assert c.post(base + "/close").status_code == 200  # curl, httpx, scripts: no browser, no one else's cookies
    # The default port may be written or left out; an https page is accepted by an app that sees http behind a proxy.
    assert c.post(base + "/open", headers={"origin": "http://testserver:80"}).status_code == 200
    assert c.post(base + "/close", headers={"origin": "https://testserver"}).status_code == 200
    # An app reached over https does not take orders from a plain-http page of the same name.
    single, _ = questions_of(session, event)
    secure = TestClient(app, base_url="https://testserver")  # the app is already running (the client fixture)
    vote = f"/j/{event.join_code}/vote"
    assert secure.post(vote, data={"question_id": str(single.id)}, headers={"origin": "http://testserver"}).status_code == 403
    assert secure.post(vote, data={"question_id": str(single.id)}, headers={"origin": "https://testserver"}).status_code == 400


def test_public_url_is_an_own_origin(client, world, monkeypatch):
    monkeypatch.setattr(settings, "public_url", "https://umfrage.landkreis.example")
    # With an https PUBLIC_URL every cookie is Secure (app/guards.py), so the client must speak https too.
    c = _client_as(TestClient(client.app, base_url="https://testserver"), "own_moderator", world)
    event, question = world["event"], world["question"]
    url = f"/api/events/{event.id}/questions/{question.id}/open"
    assert c.post(url, headers={"origin": "https://umfrage.landkreis.example"}).status_code == 200
    assert c.post(url, headers={"origin": "https://umfrage.landkreis.example:8443"}).status_code == 403
    assert c.post(url, headers={"origin": "http://umfrage.landkreis.example"}).status_code == 403


def test_a_foreign_page_cannot_cast_or_change_a_phones_vote(client, session, event):
    single, _ = questions_of(session, event)
    live_domain.open_question(session=session, question=single)
    _device, cookie = new_device_cookie(event.id)
    client.cookies.set(DEVICE_COOKIE, cookie)
    data = {"question_id": str(single.id), "choice": str(option_ids(session, single)[0])}
    r = client.post(f"/j/{event.join_code}/vote", data=data, headers={"origin": FOREIGN})
    assert r.status_code == 403 and REFUSED in r.text
    assert session.exec(select(Vote)).all() == []
    r = client.post(f"/j/{event.join_code}/vote", data=data, headers={"origin": OWN}, follow_redirects=False)
    assert r.status_code == 303


@pytest.mark.timeout(60)
def test_sockets_refuse_a_foreign_origin(client, session, world):
    c = _client_as(client, "own_moderator", world)
    event = world["event"]
    status_before = session.get(Question, world["question"].id).status
    _device, cookie = new_device_cookie(event.id)
    paths = [f"/ws/moderator/{event.id}", f"/ws/p/{event.projector_token}", f"/ws/j/{event.join_code}"]
    for path in paths:
        for headers in ({"origin": FOREIGN}, {"origin": "null"}, {"sec-fetch-site": "cross-site"}):
            with pytest.raises(WebSocketDisconnect) as refused:
                with c.websocket_connect(path, headers={**headers, "cookie": f"{DEVICE_COOKIE}={cookie}; " + _session(c)}) as ws:
                    ws.receive_json()
            assert refused.value.code == 4403, (path, headers)
        # From the app's own pages the same handshake is taken.
        with c.websocket_connect(path, headers={"origin": OWN, "cookie": f"{DEVICE_COOKIE}={cookie}; " + _session(c)}) as ws:
            assert until(ws, "state")["type"] == "state"
    session.expire_all()
    assert session.get(Question, world["question"].id).status == status_before  # the refused sockets changed nothing


def _session(c) -> str:
    return "; ".join(f"{k}={v}" for k, v in c.cookies.items() if k != DEVICE_COOKIE)


def test_a_null_origin_from_our_own_no_referrer_page_is_let_through(client, event):
    """Chromium sends `Origin: null` on a POST from a page with `Referrer-Policy: no-referrer` (the card entry
    page), with `Sec-Fetch-Site: same-origin`: that is our own page. Found by tests/e2e/test_voting_cards.py."""
    from app.origin import request_allowed

    scope = {"type": "http", "scheme": "http"}
    own = {"host": "testserver", "origin": "null", "sec-fetch-site": "same-origin"}
    assert request_allowed(own, scope)
    assert not request_allowed({**own, "sec-fetch-site": "cross-site"}, scope)
    assert not request_allowed({**own, "sec-fetch-site": "same-site"}, scope)
    assert not request_allowed({"host": "testserver", "origin": "null"}, scope)
