"""One table of moderator actions (domain/actions.py, domain/control.py): form and API cannot drift apart.

Issue 14 found the form's add-question published the new state and the API's did not, and an unknown action
was 422 in forms and 404 in the API. Both now run `control.perform`; these tests hold them together.
"""

import pytest

from app.domain import actions
from tests.factories import questions_of
from tests.helpers import csrf_of
from tests.test_realtime import until


def _csrf(client, event):
    return csrf_of(client.get(f"/moderator/events/{event.id}").text)


def _topic_titles(state):
    return [t["title"] for t in state["topics"]]


def test_a_new_topic_reaches_the_control_page_live_from_form_and_api_alike(mod_client, event):
    with mod_client.websocket_connect(f"/ws/moderator/{event.id}") as moderator:
        first = until(moderator, "state")
        response = mod_client.post(f"/api/events/{event.id}/topics", json={"title": "Mobilität"})
        assert response.status_code == 201, response.text
        by_api = until(moderator, "state", lambda m: "Mobilität" in _topic_titles(m))
        assert by_api["version"] > first["version"]

        response = mod_client.post(f"/moderator/events/{event.id}/topics",
                                   data={"csrf": _csrf(mod_client, event), "title": "Ermöglichung"}, follow_redirects=False)
        assert response.status_code == 303, response.text
        by_form = until(moderator, "state", lambda m: "Ermöglichung" in _topic_titles(m))
        assert by_form["version"] > by_api["version"]


def test_a_new_question_from_the_api_is_published_like_one_from_the_form(mod_client, session, event):
    topic_id = questions_of(session, event)[0].topic_id
    with mod_client.websocket_connect(f"/ws/moderator/{event.id}") as moderator:
        first = until(moderator, "state")
        response = mod_client.post(f"/api/events/{event.id}/topics/{topic_id}/questions",
                                   json={"text": "Wie kommen Sie zur Arbeit?", "options": ["Bus", "Rad", "Auto"]})
        assert response.status_code == 201, response.text
        assert until(moderator, "state")["version"] > first["version"]


@pytest.mark.parametrize("verb", ["explode", "OPEN", "open-all"])
def test_an_unknown_action_is_not_found_in_form_and_api_alike(mod_client, session, event, verb):
    single, _ = questions_of(session, event)
    form = mod_client.post(f"/moderator/events/{event.id}/questions/{single.id}/{verb}",
                           data={"csrf": _csrf(mod_client, event)}, follow_redirects=False)
    api = mod_client.post(f"/api/events/{event.id}/questions/{single.id}/{verb}", json={})
    assert form.status_code == api.status_code == 404
    assert "Unbekannte Aktion" in form.text and "Unbekannte Aktion" in api.text


def test_every_question_action_of_the_table_is_known_to_form_and_api(mod_client, session, event):
    """Each verb reaches the action (it may be refused by the rules: 409/422), never 404 in either route."""
    single, _ = questions_of(session, event)
    for verb in actions.verbs("question"):
        if verb == "delete":
            continue  # would remove the question for the verbs after it
        form = mod_client.post(f"/moderator/events/{event.id}/questions/{single.id}/{verb}",
                               data={"csrf": _csrf(mod_client, event)}, follow_redirects=False)
        api = mod_client.post(f"/api/events/{event.id}/questions/{single.id}/{verb}", json={})
        assert form.status_code != 404 and api.status_code != 404, (verb, form.status_code, api.status_code)
        assert form.status_code < 500 and api.status_code < 500, verb


def test_the_state_names_the_agenda_so_a_second_page_sees_it_change(mod_client, session, event):
    """The control page compares the state's agenda fingerprint with the one it was rendered with (control-live.js):
    the page carries it, a moving question changes it, a vote does not, and projector and phones never get it."""
    import re

    page = mod_client.get(f"/moderator/events/{event.id}").text
    rendered = re.search(r'data-agenda="([0-9a-f]{16})"', page)
    assert rendered, "the control page names its agenda fingerprint"
    first, second = questions_of(session, event)[:2]
    with mod_client.websocket_connect(f"/ws/moderator/{event.id}") as moderator:
        state = until(moderator, "state")
        assert state["agenda"] == rendered.group(1), "an unchanged agenda: the page needs no refresh"
        mod_client.post(f"/api/events/{event.id}/questions/{first.id}/open")
        opened = until(moderator, "state", lambda m: m["phase"] == "open")
        assert opened["agenda"] != state["agenda"], "a question's status is part of the agenda"
        mod_client.post(f"/api/events/{event.id}/questions/{second.id}/move-up")
        moved = until(moderator, "state", lambda m: m["agenda"] != opened["agenda"])
        assert moved["version"] > opened["version"]
        # Renaming a topic changes it as well; the same agenda twice gives the same fingerprint.
        page = mod_client.get(f"/moderator/events/{event.id}").text
        assert f'data-agenda="{moved["agenda"]}"' in page
    with mod_client.websocket_connect(f"/ws/p/{event.projector_token}") as projector:
        assert until(projector, "state").get("agenda") is None
