"""Pages: login, moderator forms, the attendee's plain form, and friendly errors for bad input."""

import re

import pytest

from app.domain import live as live_domain
from app.models import Event, Question, Topic, Vote
from tests import factories
from tests.factories import option_ids, questions_of
from tests.helpers import csrf_of, login


@pytest.mark.parametrize("path", ["/moderator", "/moderator/events/1", "/moderator/events/1/questions/new"])
def test_moderator_pages_redirect_to_login(client, path):
    response = client.get(path, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login?next=")


def test_login_wrong_password_says_so(client, moderator):
    token = csrf_of(client.get("/login").text)
    response = client.post("/login", data={"username": moderator.username, "password": "falsch", "csrf": token})
    assert response.status_code == 401
    assert "Benutzername oder Passwort ist falsch." in response.text
    assert 'value="moderatorin"' in response.text  # the name stays typed


def test_login_then_logout(client, moderator):
    response = login(client)
    assert "Veranstaltungen" in client.get("/moderator").text
    token = csrf_of(client.get("/moderator").text)
    client.post("/logout", data={"csrf": token})
    assert client.get("/moderator", follow_redirects=False).status_code == 303
    assert response is not None


def test_login_redirects_only_to_own_pages(client, moderator):
    token = csrf_of(client.get("/login").text)
    response = client.post(
        "/login",
        data={"username": moderator.username, "password": "richtig-geheim-1", "csrf": token, "next": "//evil.example/"},
        follow_redirects=False,
    )
    assert response.headers["location"] == "/moderator"


def test_forms_without_csrf_token_are_refused(mod_client, event):
    response = mod_client.post("/moderator/events", data={"title": "Ohne Token"})
    assert response.status_code == 403
    assert "Formular ist abgelaufen" in response.text


def test_create_event_and_topic_and_question_through_forms(mod_client, session):
    c = mod_client
    response = c.post("/moderator/events", data={"title": "Regionalkonferenz Frankenberg", "place": "Frankenberg", "date": "2023-06-14", "csrf": c.csrf})
    assert response.status_code == 200 and "Regionalkonferenz Frankenberg" in response.text
    event = session.exec(Event.__table__.select().where(Event.__table__.c.title == "Regionalkonferenz Frankenberg")).one()
    base = f"/moderator/events/{event.id}"
    c.post(f"{base}/topics", data={"title": "Digitalisierung", "csrf": c.csrf})
    topic = session.exec(Topic.__table__.select().where(Topic.__table__.c.event_id == event.id)).one()
    response = c.post(
        f"{base}/questions",
        data={"topic_id": str(topic.id), "text": "Wie gut ist Ihr Internet?", "kind": "single", "options": "Gut\nMittel\nSchlecht\n", "csrf": c.csrf},
    )
    assert response.status_code == 200
    assert "Wie gut ist Ihr Internet?" in response.text
    assert "Gut · Mittel · Schlecht" in response.text


def test_bad_event_input_keeps_what_was_typed(mod_client):
    c = mod_client
    response = c.post("/moderator/events", data={"title": "  ", "place": "Döbeln", "date": "2023-02-31", "csrf": c.csrf})
    assert response.status_code == 422
    assert "Datum" in response.text
    assert 'value="Döbeln"' in response.text
    response = c.post("/moderator/events", data={"title": "", "place": "Döbeln", "csrf": c.csrf})
    assert "Bitte füllen Sie das Feld „Titel“ aus." in response.text


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"options": "Nur eine"}, "mindestens 2 Antwortmöglichkeiten"),
        ({"text": ""}, "„Frage“ aus"),
        ({"kind": "multiple", "max_choices": "zwei"}, "ganze Zahl"),
        ({"kind": "multiple", "max_choices": "9"}, "zwischen 1 und 3"),
        ({"topic_id": "999"}, "Thema gibt es nicht"),
        ({"topic_id": ""}, "Bitte wählen Sie ein Thema"),
        ({"kind": "hack"}, "Unbekannter Fragetyp"),
    ],
)
def test_bad_question_input_is_explained_and_nothing_stored(mod_client, session, event, fields, message):
    topic = session.exec(Topic.__table__.select()).first()
    data = {"topic_id": str(topic.id), "text": "Neue Frage?", "kind": "single", "options": "A\nB\nC", "csrf": mod_client.csrf, **fields}
    before = len(session.exec(Question.__table__.select()).fetchall())
    response = mod_client.post(f"/moderator/events/{event.id}/questions", data=data)
    assert response.status_code in (404, 409, 422)
    assert message in response.text
    if fields.get("text", "x"):
        assert data["text"] in response.text  # the typed question is still there
    assert len(session.exec(Question.__table__.select()).fetchall()) == before


def test_refused_action_returns_to_page_with_message(mod_client, session, event):
    topic = session.exec(Topic.__table__.select()).first()
    response = mod_client.post(
        f"/moderator/events/{event.id}/topics/{topic.id}/delete",
        data={"csrf": mod_client.csrf},
        headers={"referer": f"http://testserver/moderator/events/{event.id}"},
    )
    assert response.status_code == 200
    assert "Das Thema enthält noch Fragen." in response.text


def test_unknown_action_and_ids_are_404_or_422_not_500(mod_client, event, session):
    single, _ = questions_of(session, event)
    c = mod_client
    # A URL naming no action names nothing: 404, as in the JSON API.
    assert c.post(f"/moderator/events/{event.id}/questions/{single.id}/explode", data={"csrf": c.csrf}).status_code == 404
    assert c.post(f"/moderator/events/{event.id}/questions/99999/open", data={"csrf": c.csrf}).status_code == 404
    assert c.get("/moderator/events/99999").status_code == 404
    assert c.get("/moderator/events/abc").status_code == 400


def test_control_page_shows_links_and_live_tally(mod_client, session, event):
    single, _ = questions_of(session, event)
    live_domain.open_question(session=session, question=single)
    page = mod_client.get(f"/moderator/events/{event.id}").text
    assert f"/p/{event.projector_token}" in page
    assert f"/j/{event.join_code}" in page
    assert 'id="live-bars"' in page and "Abstimmung schließen" in page


# ---- attendee ------------------------------------------------------------------------------


def test_join_by_code_and_unknown_code(client, event):
    response = client.get("/join", params={"code": f"{event.join_code[:3]} {event.join_code[3:]}"}, follow_redirects=False)
    assert response.headers["location"] == f"/j/{event.join_code}"
    response = client.get("/join", params={"code": "12345"})
    assert response.status_code == 404
    assert "Zum Code „12345“ gibt es keine Veranstaltung." in response.text
    assert 'value="12345"' in response.text  # can be corrected in place
    assert client.get("/j/000000").status_code == 404


def test_phone_page_waits_then_shows_question_as_plain_form(client, session, event):
    response = client.get(f"/j/{event.join_code}")
    assert "Sie sind dabei!" in response.text
    assert "saal_device" in response.headers.get("set-cookie", "")
    assert "HttpOnly" in response.headers["set-cookie"] and "SameSite=lax" in response.headers["set-cookie"]
    single, _ = questions_of(session, event)
    live_domain.open_question(session=session, question=single)
    page = client.get(f"/j/{event.join_code}").text
    assert f'action="/j/{event.join_code}/vote"' in page
    assert page.count('type="radio" name="choice"') == 3


def test_form_vote_without_javascript(client, session, event):
    single, _ = questions_of(session, event)
    a, b, _c = option_ids(session, single)
    live_domain.open_question(session=session, question=single)
    client.get(f"/j/{event.join_code}")  # gets the device cookie
    response = client.post(f"/j/{event.join_code}/vote", data={"question_id": str(single.id), "choice": str(a)})
    assert response.status_code == 200
    assert "Danke! Ihre Stimme wurde gezählt." in response.text
    assert re.search(rf'value="{a}" checked', response.text)
    response = client.post(f"/j/{event.join_code}/vote", data={"question_id": str(single.id), "choice": str(b)})
    assert re.search(rf'value="{b}" checked', response.text)
    rows = session.exec(Vote.__table__.select()).fetchall()
    assert len(rows) == 1 and rows[0].choices == f"[{b}]"


@pytest.mark.parametrize(
    ("data", "message", "status"),
    [
        ({"choice": []}, "Bitte wählen Sie eine Antwort aus.", 422),
        ({"choice": ["abc"]}, "Die Auswahl ist ungültig.", 422),
        ({"choice": ["999999"]}, "gehört nicht zur Frage", 422),
        ({"question_id": "x"}, "Die Auswahl ist ungültig.", 422),
    ],
)
def test_bad_form_votes_are_explained_and_not_stored(client, session, event, data, message, status):
    single, _ = questions_of(session, event)
    live_domain.open_question(session=session, question=single)
    client.get(f"/j/{event.join_code}")
    response = client.post(f"/j/{event.join_code}/vote", data={"question_id": str(single.id), **data})
    assert response.status_code == status
    assert message in response.text
    assert session.exec(Vote.__table__.select()).fetchall() == []


def test_form_vote_on_closed_question(client, session, event):
    single, _ = questions_of(session, event)
    live_domain.open_question(session=session, question=single)
    client.get(f"/j/{event.join_code}")
    live_domain.close_question(session=session, question=single)
    response = client.post(f"/j/{event.join_code}/vote", data={"question_id": str(single.id), "choice": str(option_ids(session, single)[0])})
    assert response.status_code == 409
    assert "Die Abstimmung zu dieser Frage ist beendet." in response.text
    assert session.exec(Vote.__table__.select()).fetchall() == []


def test_form_vote_without_device_cookie_stores_nothing(client, session, event):
    single, _ = questions_of(session, event)
    live_domain.open_question(session=session, question=single)
    client.cookies.clear()
    response = client.post(f"/j/{event.join_code}/vote", data={"question_id": str(single.id), "choice": str(option_ids(session, single)[0])})
    assert "Ihr Gerät wurde noch nicht erkannt" in response.text
    assert session.exec(Vote.__table__.select()).fetchall() == []


def test_projector_page_is_read_only_and_shows_qr(client, event):
    page = client.get(f"/p/{event.projector_token}")
    assert page.status_code == 200
    assert "<svg" in page.text and event.join_code[:3] in page.text
    assert "csrf" not in page.text and "<form" not in page.text
    assert client.get("/p/wrong-token").status_code == 404


def test_every_page_has_security_headers(client, event):
    for path in ["/", f"/j/{event.join_code}", "/login", f"/p/{event.projector_token}", "/nope"]:
        headers = client.get(path).headers
        assert "script-src 'self'" in headers["content-security-policy"]
        assert "frame-ancestors 'none'" in headers["content-security-policy"]
        assert headers["x-content-type-options"] == "nosniff"


def test_pages_load_nothing_from_other_hosts(client, event):
    for path in ["/", f"/j/{event.join_code}", "/login", f"/p/{event.projector_token}"]:
        html = client.get(path).text
        for url in re.findall(r'(?:src|href)="([^"]+)"', html):
            assert url.startswith("/") or url.startswith("#") or url.startswith("http://testserver"), url


def test_not_found_and_method_not_allowed_pages_are_friendly(client):
    response = client.get("/gibt-es-nicht")
    assert response.status_code == 404 and "Diese Seite gibt es nicht." in response.text
    assert client.delete("/").status_code == 405


def test_edit_question_form_saves_and_refuses_option_change_after_votes(mod_client, session, event):
    from app.domain import votes as v_domain

    single, _ = questions_of(session, event)
    url = f"/moderator/events/{event.id}/questions/{single.id}/edit"
    assert 'name="text"' in mod_client.get(url).text
    data = {"topic_id": str(single.topic_id), "text": "Wie kommen Sie meistens zur Arbeit?", "kind": "single", "options": "Auto\nBus\nRad",
            "csrf": mod_client.csrf}
    response = mod_client.post(url, data=data)
    assert response.status_code == 200 and "Wie kommen Sie meistens zur Arbeit?" in response.text
    a = option_ids(session, single)[0]
    v_domain.insert_votes_directly(session=session, rows=[v_domain.VoteRow(single.id, event.id, "d1", (a,), "v")])
    response = mod_client.post(url, data={**data, "options": "Auto\nBus\nZu Fuß"})
    assert response.status_code == 409
    assert "Zu dieser Frage gibt es schon Stimmen." in response.text
    assert "Zu Fuß" in response.text  # what was typed is still in the form


def test_accessibility_statement_linked_on_every_page_when_configured(client, event, monkeypatch):
    from app import pages

    assert "Erklärung zur Barrierefreiheit" not in client.get("/").text
    monkeypatch.setitem(pages.templates.env.globals, "accessibility_url", "https://www.landkreis-mittelsachsen.de/barrierefreiheit")
    # Every page people use; the projector is a wall display without navigation.
    for path in ["/", f"/j/{event.join_code}", "/login", "/join?code=1"]:
        assert 'href="https://www.landkreis-mittelsachsen.de/barrierefreiheit"' in client.get(path).text, path


def test_inline_stylesheet_of_phone_page_is_exactly_what_the_csp_admits(client, event):
    import base64
    import hashlib

    response = client.get(f"/j/{event.join_code}")
    css = response.text.split("<style>", 1)[1].split("</style>", 1)[0]
    digest = base64.b64encode(hashlib.sha256(css.encode()).digest()).decode()
    policy = response.headers["content-security-policy"]
    assert f"'sha256-{digest}'" in policy
    assert "'unsafe-inline'" not in policy and response.text.count("<style>") == 1


def test_login_attempts_are_limited_per_account_not_per_address(client, session, moderator, monkeypatch):
    from app import auth

    monkeypatch.setattr(auth, "LOGIN_MAX_WAIT_S", 0.0)  # refused at once instead of waiting its turn (see test_login_sessions)
    factories.make_moderator(session, username="zweite", password="auch-geheim-1")
    token = csrf_of(client.get("/login").text)
    for _ in range(int(auth.LOGIN_RATE.burst)):
        r = client.post("/login", data={"username": moderator.username, "password": "falsch-falsch", "csrf": token})
        assert r.status_code == 401
    r = client.post("/login", data={"username": moderator.username, "password": "falsch-falsch", "csrf": token})
    assert r.status_code == 429 and "Zu viele Fehlversuche" in r.text and "Sekunden" in r.text
    # Even the right password waits now (from a browser the name never logged in from; see
    # test_login_sessions.py for the real user's own lane); another account from the same address is not affected.
    r = client.post("/login", data={"username": moderator.username, "password": factories.PASSWORD, "csrf": token})
    assert r.status_code == 429
    r = client.post("/login", data={"username": "zweite", "password": "auch-geheim-1", "csrf": token}, follow_redirects=False)
    assert r.status_code == 303


def test_switched_off_account_cannot_log_in_and_is_logged_out(client, session, moderator):
    from tests.helpers import login

    login(client)
    assert client.get("/moderator", follow_redirects=False).status_code == 200
    moderator.is_active = False
    session.add(moderator)
    session.commit()
    assert client.get("/moderator", follow_redirects=False).status_code == 303  # back to the login page
    token = csrf_of(client.get("/login").text)
    r = client.post("/login", data={"username": moderator.username, "password": factories.PASSWORD, "csrf": token})
    assert r.status_code == 401


@pytest.mark.parametrize("public_url", ["", "https://umfrage.landkreis.example"])
def test_session_and_device_cookies_are_httponly_samesite_and_secure_behind_https(session, event, monkeypatch, public_url):
    from fastapi.testclient import TestClient

    from app.config import settings
    from app.main import create_app

    monkeypatch.setattr(settings, "auto_migrate", False)
    monkeypatch.setattr(settings, "public_url", public_url)
    with TestClient(create_app(), base_url="https://testserver" if public_url else "http://testserver") as client:
        token = csrf_of(client.get("/login").text)
        r = client.post("/login", data={"username": factories.MODERATOR, "password": factories.PASSWORD, "csrf": token},
                        follow_redirects=False)
        session_cookie = r.headers["set-cookie"].lower()
        device_cookie = client.get(f"/j/{event.join_code}").headers["set-cookie"].lower()
    for cookie in (session_cookie, device_cookie):
        assert "httponly" in cookie and "samesite=lax" in cookie
        assert ("secure" in cookie) == bool(public_url), cookie
