"""The moderators' JSON API: login required, validation with readable messages, the same rules as the pages."""

import pytest

from tests.factories import questions_of


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/api/events"),
        ("post", "/api/events"),
        ("get", "/api/events/1"),
        ("post", "/api/events/1/topics"),
        ("post", "/api/events/1/topics/1/questions"),
        ("post", "/api/events/1/questions/1/open"),
        ("post", "/api/events/1/next"),
        ("post", "/api/events/1/join-screen"),
    ],
)
def test_api_needs_login(client, method, path):
    response = getattr(client, method)(path)
    assert response.status_code == 401
    assert response.json()["detail"] == "Bitte melden Sie sich an."


def test_api_builds_and_drives_an_event(mod_client):
    c = mod_client
    event = c.post("/api/events", json={"title": "Regionalkonferenz Döbeln", "place": "Döbeln", "date": "2023-03-15"})
    assert event.status_code == 201
    event_id = event.json()["id"]
    assert len(event.json()["join_code"]) == 6
    topic = c.post(f"/api/events/{event_id}/topics", json={"title": "Nachhaltigkeit"}).json()
    question = c.post(
        f"/api/events/{event_id}/topics/{topic['id']}/questions",
        json={"text": "Wie wichtig sind erneuerbare Energien?", "kind": "single", "options": ["Sehr", "Eher", "Kaum"]},
    )
    assert question.status_code == 201
    qid = question.json()["id"]
    state = c.post(f"/api/events/{event_id}/questions/{qid}/open").json()
    assert state["phase"] == "open" and state["question"]["id"] == qid
    state = c.post(f"/api/events/{event_id}/questions/{qid}/close").json()
    assert state["phase"] == "closed" and state["results"]["voters"] == 0
    state = c.post(f"/api/events/{event_id}/join-screen").json()
    assert state["phase"] == "join"
    full = c.get(f"/api/events/{event_id}").json()
    assert full["topics"][0]["questions"][0]["text"] == "Wie wichtig sind erneuerbare Energien?"
    assert any(e["id"] == event_id for e in c.get("/api/events").json())


def test_api_validation_errors_are_readable(mod_client, event, session):
    c = mod_client
    response = c.post("/api/events", json={"title": 5, "date": "kein Datum"})
    assert response.status_code == 422
    body = response.json()
    assert body["detail"].startswith("Die Eingabe ist ungültig")
    assert {e["field"] for e in body["errors"]} >= {"title", "date"}
    response = c.post("/api/events", content=b"{kaputt", headers={"content-type": "application/json"})
    assert response.status_code == 422
    topic_id = c.get(f"/api/events/{event.id}").json()["topics"][0]["id"]
    response = c.post(f"/api/events/{event.id}/topics/{topic_id}/questions", json={"text": "?", "options": ["nur eine"]})
    assert response.status_code == 422
    assert response.json() == {"detail": "Eine Frage braucht mindestens 2 Antwortmöglichkeiten.", "code": "too_few_options"}


def test_api_conflicts_and_unknowns(mod_client, event, session):
    c = mod_client
    single, _ = questions_of(session, event)
    assert c.post(f"/api/events/{event.id}/questions/{single.id}/close").status_code == 409
    assert c.post(f"/api/events/{event.id}/questions/{single.id}/fly").status_code == 404
    assert c.post(f"/api/events/{event.id}/questions/123456/open").status_code == 404
    assert c.get("/api/events/123456").status_code == 404
    other = c.post("/api/events", json={"title": "Andere"}).json()
    # A question of one event cannot be driven through another event's URL.
    assert c.post(f"/api/events/{other['id']}/questions/{single.id}/open").status_code == 404


def test_openapi_schema_is_served(client):
    assert client.get("/openapi.json").json()["info"]["title"] == "Saalumfrage"
