"""Every route and every websocket message type, against every role: what each may do.

Roles: anonymous, attendee (a device cookie), projector (knows the projector link), the event's moderator,
a moderator of another event, an admin. The routes are read from the app itself, so a new route without a
rule here fails the test instead of slipping through.
"""

import datetime as dt
import json
import re

import httpx
import pytest
from starlette.websockets import WebSocketDisconnect

from app import auth
from app.cookies import DEVICE_COOKIE, new_device_cookie
from app.domain import actions
from app.domain import events as e_domain
from app.domain import questions as q_domain
from app.domain import templates as t_domain
from app.models import ExportJob, ExportStatus, utcnow
from tests import factories
from tests.helpers import csrf_of, login

ROLES = ["anonymous", "attendee", "projector", "own_moderator", "other_moderator", "admin"]
PUBLIC = {"/", "/join", "/j/{code}", "/j/{code}/vote", "/j/{code}/segment", "/j/{code}/karte", "/p/{token}", "/login", "/logout", "/healthz", "/readyz",
          "/openapi.json", "/docs", "/docs/oauth2-redirect", "/docs/assets/{name}",
          # The citizens' results pages (#17): open to all, GET only; the world publishes event A and its series.
          "/ergebnisse/{slug}", "/ergebnisse/{slug}.jsonld", "/ergebnisse/{slug}/dateien/{name}", "/ergebnisse/reihe/{slug}",
          "/ergebnisse/reihe/{slug}.jsonld", "/ergebnisse/reihe/{slug}/dateien/{name}", "/j/{code}/meine-antworten",
          # The help desk (#18): the token in the URL is the credential (the world holds a tablet and a helper link).
          "/hilfe/{helper_token}", "/hilfe/{helper_token}/stand", "/hilfe/{helper_token}/freigeben", "/tablet/{tablet_token}",
          "/tablet/{tablet_token}/abstimmen"}
# Moderator routes that are not about one event: any logged-in moderator may use them.
ANY_MODERATOR = {"/moderator", "/moderator/events", "/moderator/events/from-template", "/api/events", "/api/events/from-template",
                 "/moderator/series"}
# A series' export needs every event of it (the world's series holds one event of the own moderator).
SERIES_EXPORT = {"/moderator/series/{series_id}/export", "/moderator/series/{series_id}/exports/{job_id}",
                 "/moderator/series/{series_id}/exports/{job_id}/download"}
ADMIN_ONLY = {"/admin/users", "/admin/users/{user_id}/{action}"}
# Routes that use a template: its owner, admins and moderators of its series only (the world's template is
# the own moderator's, saved from event A).
TEMPLATE_ROUTES = {"/moderator/events/from-template", "/api/events/from-template", "/moderator/templates/{template_id}/delete"}
# Routes about one series: whoever sees one of its events (or created it) and admins; the world's series holds event A.
SERIES_ROUTES = {"/moderator/series/{series_id}", "/moderator/series/{series_id}/rename"}
# The results of a series: whoever moderates every one of its events, and admins (the world's series holds event A).
SERIES_RESULTS_ROUTES = {"/moderator/series/{series_id}/results", "/moderator/series/{series_id}/compare/{key}",
                         "/moderator/series/{series_id}/publication", "/moderator/series/{series_id}/publication/publish",
                         "/moderator/series/{series_id}/publication/withdraw", "/moderator/series/{series_id}/publication/preview"}
ACTIONS = {
    "/moderator/events/{event_id}/questions/{question_id}/{action}": actions.verbs("question"),
    "/api/events/{event_id}/questions/{question_id}/{action}": actions.verbs("question"),
    "/moderator/events/{event_id}/topics/{topic_id}/{action}": ["rename", "move-up", "move-down", "delete"],
    "/admin/users/{user_id}/{action}": ["deactivate", "activate"],
}


# Valid bodies, so that the answer is about who asks, not about what was sent.
API_BODIES = {
    "/api/events": {"title": "Neue Konferenz"},
    "/api/events/from-template": {"template_id": 1, "title": "Aus Vorlage"},
    "/api/events/{event_id}/topics": {"title": "Neues Thema"},
    "/api/events/{event_id}/topics/{topic_id}/questions": {"text": "Neu?", "kind": "yesno"},
    "/api/events/{event_id}/projector": {"mode": "join"},
    "/api/events/{event_id}/template": {"title": "Vorlage"},
    "/api/events/{event_id}/duplicate": {"title": "Kopie"},
    "/api/events/{event_id}/people-in-hall": {"people_in_hall": 120},
}


def _routes(app):
    def walk(routes):
        for r in routes:
            if hasattr(r, "path"):
                yield r
            else:
                yield from walk((getattr(r, "router", None) or r.original_router).routes)

    for r in walk(app.router.routes):
        if type(r).__name__ == "APIRoute":
            for method in sorted(r.methods - {"HEAD"}):
                yield method, r.path
        elif type(r).__name__ == "Route" and r.path in PUBLIC:
            yield "GET", r.path


@pytest.fixture
def world(session, moderator):
    """Event A (the moderator's), event B (someone else's), an admin, and what each role knows."""
    event = factories.make_event(session, owner=moderator)
    other = factories.make_moderator(session, username="andere", password="andere-geheim-1")
    factories.make_event(session, owner=other, title="Fremde Konferenz")
    auth.create_user(session=session, username="admin", password="admin-geheim-1", is_admin=True)
    target = factories.make_moderator(session, username="ziel", password="ziel-geheim-12")
    question = q_domain.ordered_questions(session=session, event_id=event.id)[0]
    topic = e_domain.topics(session=session, event_id=event.id)[0]
    template = t_domain.save_template(session=session, event=event, title="Agenda der Moderatorin", owner_id=moderator.id)
    job = _export_job(session, event, moderator)
    slugs, note = _published(session, event, moderator, template.series_id)
    from app.domain import desk

    tablet, tablet_token = desk.create_link(session=session, user=moderator, event=event, kind="tablet", label="Tablet 1")
    _helper, helper_token = desk.create_link(session=session, user=moderator, event=event, kind="helper", label="")
    return {
        "event": event, "question": question, "topic": topic, "target": target, "template": template, "job": job, "slugs": slugs,
        "note": note, "desk": {"tablet": tablet, "tablet_token": tablet_token, "helper_token": helper_token},
        "logins": {"own_moderator": (factories.MODERATOR, factories.PASSWORD), "other_moderator": ("andere", "andere-geheim-1"),
                   "admin": ("admin", "admin-geheim-1")},
    }


def _export_job(session, event, user) -> ExportJob:
    """A finished export of event A by its moderator (a download; another person's job id is 404 to them)."""
    now = utcnow()
    job = ExportJob(event_id=event.id, user_id=user.id, format="csv", params=json.dumps({"event_ids": [event.id]}), params_hash="0" * 64,
                    status=ExportStatus.done, done=2, total=2, file_name="x_Ergebnisse.csv", media_type="text/csv", file=b"a;b\r\n",
                    size=5, created_at=now, updated_at=now, expires_at=now + dt.timedelta(hours=24))
    session.add(job)
    session.commit()
    return job


def _published(session, event, moderator, series_id):
    """Event A's first question closed and on its public page, with a note and the CSV released; its series published."""
    from app.domain import followup
    from app.domain import publication as p_domain
    from app.models import QuestionStatus, Series

    question = q_domain.ordered_questions(session=session, event_id=event.id)[0]
    question.status = QuestionStatus.closed
    session.add(question)
    session.commit()
    p_domain.save_event_settings(session=session, user=moderator, event=event, question_ids=[question.id], show_texts=False, downloads=["csv"])
    own = p_domain.publish_event(session=session, user=moderator, event=event, confirmed=True)
    series = session.get(Series, series_id)
    p_domain.save_series_settings(session=session, user=moderator, series=series, events=[event], show_texts=False, downloads=["csv"])
    pub = p_domain.publish_series(session=session, user=moderator, series=series, events=[event], confirmed=True)
    topic = e_domain.topics(session=session, event_id=event.id)[0]
    note = followup.add_note(session=session, user=moderator, event=event, topic_id=topic.id, date="27.03.2024", text="Vorgestellt")
    return {"event": own.slug, "series": pub.slug}, note


def _client_as(client, role, world) -> httpx.Client:
    if role in world["logins"]:
        login(client, *world["logins"][role])
    elif role == "attendee":
        _device, cookie = new_device_cookie()
        client.cookies.set(DEVICE_COOKIE, cookie)
    client.csrf = csrf_of(client.get("/login").text)
    return client


def _expected(path: str, role: str) -> str:
    logged_in = role in ("own_moderator", "other_moderator", "admin")
    if path in PUBLIC or path.startswith("/static"):
        return "allowed"
    if not logged_in:
        return "login"
    if path in ADMIN_ONLY:
        return "allowed" if role == "admin" else "forbidden"
    if path in TEMPLATE_ROUTES or path in SERIES_ROUTES:
        return "forbidden" if role == "other_moderator" else "allowed"
    if path in SERIES_RESULTS_ROUTES:
        return "forbidden" if role == "other_moderator" else "allowed"
    if "{series_id}" in path and path in SERIES_EXPORT:  # every event of the series: event A's moderators
        return "forbidden" if role == "other_moderator" else "allowed"
    if path in ANY_MODERATOR or "{event_id}" not in path:
        return "allowed"
    return "forbidden" if role == "other_moderator" else "allowed"


def _fill(path: str, world: dict, action: str | None) -> str:
    values = {"event_id": world["event"].id, "question_id": world["question"].id, "topic_id": world["topic"].id,
              "user_id": world["target"].id, "code": world["event"].join_code, "token": world["event"].projector_token,
              "action": action, "name": "swagger-ui.css", "series_id": world["template"].series_id,
              "template_id": world["template"].id, "key": world["question"].key, "job_id": world["job"].id,
              "slug": world["slugs"]["series" if "/reihe/" in path else "event"], "note_id": world["note"].id,
              "link_id": world["desk"]["tablet"].id, "tablet_token": world["desk"]["tablet_token"],
              "helper_token": world["desk"]["helper_token"]}
    if "/ergebnisse/" in path:
        values["name"] = "ergebnisse.csv"
    return re.sub(r"\{(\w+)\}", lambda m: str(values[m.group(1)]), path)


def _outcome(response, api: bool) -> str:
    if response.status_code == 401 and api:
        return "login"
    if response.status_code in (302, 303) and "/login" in response.headers.get("location", ""):
        return "login"
    if response.status_code == 403:
        return "forbidden"
    assert response.status_code < 500, response.text[:300]
    return "allowed"


@pytest.mark.parametrize("role", ROLES)
def test_every_route_answers_each_role_as_it_should(client, world, role):
    c = _client_as(client, role, world)
    seen = 0
    for method, path in _routes(client.app):
        if path == "/logout":
            continue  # would end the session for the rest of the loop; covered in test_pages
        for action in ACTIONS.get(path, [None]):
            url = _fill(path, world, action)
            api = path.startswith("/api/")
            if method == "GET":
                response = c.get(url, follow_redirects=False)
            elif api:
                body = API_BODIES.get(path, {})
                if path in TEMPLATE_ROUTES:
                    body = {**body, "template_id": world["template"].id}
                response = c.post(url, json=body, follow_redirects=False)
            else:
                form = {"template_id": str(world["template"].id), "title": "Aus Vorlage"} if path in TEMPLATE_ROUTES else {}
                response = c.post(url, data={"csrf": c.csrf, **form}, follow_redirects=False)
            expected = _expected(path, role)
            got = _outcome(response, api)
            assert got == expected, f"{role} {method} {path} ({action}): expected {expected}, got {response.status_code}"
            seen += 1
    assert seen > 70


def _reply(ws) -> dict:
    """The answer to what was sent, past the pushes that may come in between (phone counts, tallies)."""
    for _ in range(20):
        msg = ws.receive_json()
        if msg["type"] not in ("presence", "tally", "state"):
            return msg
    raise AssertionError("no reply")


def _ws_outcome(c, path: str) -> str:
    try:
        with c.websocket_connect(path) as ws:
            first = ws.receive_json()
            if first["type"] == "error":
                return "refused"
            ws.send_json({"type": "ping"})
            assert _reply(ws)["type"] == "pong"
            ws.send_json({"type": "vote", "question_id": 1, "choices": [1]})
            reply = _reply(ws)
            # Only phones may vote; the others get `unknown_type` and can do nothing else.
            return "vote" if reply["type"] == "error" and reply["code"] != "unknown_type" or reply["type"] == "ack" else "read-only"
    except WebSocketDisconnect:
        return "refused"


@pytest.mark.parametrize("role", ROLES)
def test_every_socket_and_message_type_per_role(client, world, role):
    c = _client_as(client, role, world)
    event = world["event"]
    moderator = _ws_outcome(c, f"/ws/moderator/{event.id}")
    assert moderator == ("read-only" if role in ("own_moderator", "admin") else "refused"), role
    # The projector link is read-only for whoever has it; a wrong token gets nothing.
    assert _ws_outcome(c, f"/ws/p/{event.projector_token}") == "read-only"
    assert _ws_outcome(c, "/ws/p/falsch") == "refused"
    # The phone socket needs the device cookie the phone page sets; with it, voting is all it can do.
    phone = _ws_outcome(c, f"/ws/j/{event.join_code}")
    assert phone == ("vote" if role == "attendee" else "refused"), role
    # A help-desk tablet's link lets whoever holds it vote (with a ballot a helper unlocked); a wrong one gets nothing.
    assert _ws_outcome(c, f"/ws/tablet/{world['desk']['tablet_token']}") == "vote"
    assert _ws_outcome(c, "/ws/tablet/falsch") == "refused"


def test_revoked_projector_link_stops_working_at_once(mod_client, session, event):
    old = event.projector_token
    with mod_client.websocket_connect(f"/ws/p/{old}") as projector:
        assert projector.receive_json()["type"] == "state"
        r = mod_client.post(f"/moderator/events/{event.id}/projector-link", data={"csrf": mod_client.csrf}, follow_redirects=False)
        assert r.status_code == 303
        messages = []
        with pytest.raises(WebSocketDisconnect) as closed:
            while True:
                messages.append(projector.receive_json())
        assert closed.value.code == 4404 and messages[-1]["code"] == "unknown_projector"
    session.refresh(event)
    assert event.projector_token != old
    assert mod_client.get(f"/p/{old}").status_code == 404
    assert mod_client.get(f"/p/{event.projector_token}").status_code == 200


def test_co_moderator_may_drive_but_not_share(client, session, world):
    event = world["event"]
    c = _client_as(client, "own_moderator", world)
    r = c.post(f"/moderator/events/{event.id}/co-moderators", data={"csrf": c.csrf, "username": "andere"}, follow_redirects=False)
    assert r.status_code == 303
    r = c.post(f"/moderator/events/{event.id}/co-moderators", data={"csrf": c.csrf, "username": "niemand"})
    assert r.status_code == 404 and "niemand" in r.text
    c.post("/logout", data={"csrf": c.csrf})
    c = _client_as(client, "other_moderator", world)
    assert c.get(f"/moderator/events/{event.id}").status_code == 200
    assert any(e["id"] == event.id for e in c.get("/api/events").json())
    assert c.post(f"/api/events/{event.id}/next").status_code == 200
    r = c.post(f"/moderator/events/{event.id}/co-moderators", data={"csrf": c.csrf, "username": "ziel"}, follow_redirects=False)
    assert r.status_code == 403
    log = c.get(f"/api/events/{event.id}/audit").json()
    assert [e["action"] for e in log][:2] == ["next", "add-co-moderator"] and log[0]["user"] == "andere"


def test_audit_log_records_who_did_what(mod_client, session, event):
    single = q_domain.ordered_questions(session=session, event_id=event.id)[0]
    for action in ("open", "close"):
        mod_client.post(f"/moderator/events/{event.id}/questions/{single.id}/{action}", data={"csrf": mod_client.csrf})
    mod_client.post(f"/moderator/events/{event.id}/questions/{single.id}/delete", data={"csrf": mod_client.csrf})
    page = mod_client.get(f"/moderator/events/{event.id}/audit").text
    for label in ("Abstimmung geöffnet", "Abstimmung geschlossen", "Frage gelöscht", single.text, factories.MODERATOR):
        assert label in page
    entries = mod_client.get(f"/api/events/{event.id}/audit").json()
    assert [e["action"] for e in entries][:3] == ["delete", "close", "open"]


def test_every_state_changing_form_needs_its_csrf_token(client, session, world):
    """A logged-in moderator's browser, tricked into posting from elsewhere: no token, no change."""
    c = _client_as(client, "admin", world)
    checked = 0
    for method, path in _routes(client.app):
        if method != "POST" or path.startswith("/api/") or path in ("/j/{code}/vote", "/j/{code}/segment", "/j/{code}/karte"):
            # The API takes JSON only (a cross-site form cannot send it); votes are anonymous by design; the card
            # entry is anonymous too and refuses cross-site posts by their Origin (tests/test_cards.py).
            continue
        for action in ACTIONS.get(path, [None]):
            response = c.post(_fill(path, world, action), data={"csrf": "falsch"}, follow_redirects=False)
            assert response.status_code == 403 and "Formular ist abgelaufen" in response.text, (path, action, response.status_code)
            checked += 1
    assert checked > 40
    assert c.get(f"/moderator/events/{world['event'].id}").status_code == 200  # nothing was deleted or changed
    session.expire_all()
    assert len(q_domain.ordered_questions(session=session, event_id=world["event"].id)) == 2
    # And the JSON API refuses what a cross-site form can send (text/plain, form encoding) even with the cookie.
    for content_type in ("text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x"):
        r = c.post("/api/events", content=b'{"title": "Untergeschoben"}', headers={"content-type": content_type})
        assert r.status_code == 422, (content_type, r.status_code)
    assert all(e["title"] != "Untergeschoben" for e in c.get("/api/events").json())


def test_templates_belong_to_their_owner_and_series(client, session, world):
    """A template is seen and used by its owner, admins and moderators of its series; nobody else (finding 5)."""
    template, event = world["template"], world["event"]
    tid = template.id

    def sees(role_or_login) -> bool:
        client.cookies.clear()
        login(client, *role_or_login)
        page = client.get("/moderator").text
        return f'id="template-{tid}"' in page or "Agenda der Moderatorin" in page

    def use(api: bool = False):
        if api:
            return client.post("/api/events/from-template", json={"template_id": tid, "title": "Geborgt"})
        token = csrf_of(client.get("/moderator").text)
        return client.post("/moderator/events/from-template", data={"csrf": token, "template_id": str(tid), "title": "Geborgt"})

    other = world["logins"]["other_moderator"]
    assert not sees(other)
    for api in (False, True):
        r = use(api)
        assert r.status_code == 403 and "Vorlage gehört jemand anderem" in r.text, (api, r.status_code)
    assert all(e["title"] != "Geborgt" for e in client.get("/api/events").json())
    assert sees(world["logins"]["own_moderator"]) and sees(world["logins"]["admin"])
    # The owner makes "andere" a co-moderator of the event the template was saved from: now they share it.
    client.cookies.clear()
    login(client, *world["logins"]["own_moderator"])
    token = csrf_of(client.get("/moderator").text)
    client.post(f"/moderator/events/{event.id}/co-moderators", data={"csrf": token, "username": "andere"})
    assert sees(other)
    assert use(api=True).status_code == 201
    # Someone unrelated still neither sees nor uses it.
    assert not sees(("ziel", "ziel-geheim-12"))
    assert use().status_code == 403


def test_audit_log_tells_what_happened_not_what_was_asked(mod_client, session, event):
    """Logged after the change, in its transaction, with the outcome: a refused delete is never shown as done (finding 8)."""
    topic = e_domain.topics(session=session, event_id=event.id)[0]
    single = q_domain.ordered_questions(session=session, event_id=event.id)[0]
    base = f"/moderator/events/{event.id}"
    r = mod_client.post(f"{base}/topics/{topic.id}/delete", data={"csrf": mod_client.csrf}, follow_redirects=False)
    assert r.status_code == 422 and "Das Thema enthält noch Fragen" in r.text
    mod_client.post(f"{base}/topics/{topic.id}/rename", data={"csrf": mod_client.csrf, "title": "Verkehr"})
    mod_client.post(f"{base}/questions/{single.id}/open", data={"csrf": mod_client.csrf})
    assert mod_client.post(f"/api/events/{event.id}/questions/{single.id}/delete").status_code == 409
    entries = mod_client.get(f"/api/events/{event.id}/audit").json()
    got = [(e["action"], e["outcome"]) for e in entries][:4]
    assert got == [("delete", "refused"), ("open", "done"), ("topic-rename", "done"), ("topic-delete", "refused")], got
    assert "Das Thema enthält noch Fragen" in entries[3]["detail"] and "Mobilität" in entries[3]["detail"]
    assert entries[2]["detail"] == "Mobilität → Verkehr"
    assert single.text in entries[0]["detail"] and "geöffnete Frage" in entries[0]["detail"]
    session.expire_all()
    assert e_domain.topics(session=session, event_id=event.id)[0].title == "Verkehr"  # the topic is still there
    page = mod_client.get(f"{base}/audit").text
    assert "abgelehnt" in page and "ausgeführt" in page and "Thema gelöscht" in page


def test_an_audit_entry_is_committed_with_its_change_or_not_at_all(session, engine, event, moderator):
    from sqlmodel import Session, select

    from app.domain import access
    from app.models import AuditEntry, Topic

    topic = e_domain.topics(session=session, event_id=event.id)[0]
    with access.audited(session=session, event_id=event.id, user=moderator, action="topic-rename", detail="Mobilität"):
        e_domain.rename_topic(session=session, topic=topic, title="Verkehr")
        with Session(engine) as other:  # the rename's own commit wrote the entry too
            assert [e.action for e in other.exec(select(AuditEntry))] == ["topic-rename"]
    with pytest.raises(RuntimeError):
        with access.audited(session=session, event_id=event.id, user=moderator, action="topic-rename", detail="Verkehr"):
            topic.title = "Halb geschrieben"
            session.add(topic)
            session.flush()
            raise RuntimeError("the database went away")
    with Session(engine) as other:
        assert [e.action for e in other.exec(select(AuditEntry))] == ["topic-rename"]
        assert other.get(Topic, topic.id).title == "Verkehr"
