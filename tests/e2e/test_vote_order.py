"""A late, older answer never replaces a newer one, in Chromium (#16, point 5).

One phone, two tabs (the same device cookie and storage). Tab 1's socket is slow: its answer "Auto" is held on
the way (Playwright's websocket routing) while tab 2 answers "Bus". When "Auto" finally arrives it is older
(a lower `seq`), so "Bus" stays; tab 1 is acknowledged, shows "Bus" with the note that the newer answer counts,
and the tally counts Bus once. axe-core finds nothing on the page with the note.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.helpers import PHONE_DEVICES, VOTED, axe_source, describe_violations, device, run_axe

pytestmark = pytest.mark.e2e

NEWER_KEPT = "Ihre neuere Antwort gilt. Eine ältere kam verspätet an und wurde nicht übernommen."
SENDING = "Wird gesendet …"
Q_WAY = {"text": "Wie kommen Sie heute nach Hause?", "kind": "single", "options": ["Auto", "Bus", "Rad"]}


def test_a_late_older_answer_from_another_tab_leaves_the_newer_one_and_the_tab_shows_it(
        new_context, devices, make_event, screenshot):
    event = make_event("Bürgerforum Roßwein", {"Mobilität": [Q_WAY]})
    (question,) = event.questions
    event.act(question, "open")
    context = new_context("vote order phone", **device(devices, PHONE_DEVICES[0]))

    held: list[str] = []
    routing = {"hold": False, "server": None}

    def slow_socket(ws) -> None:
        """Tab 1's socket: everything passes, except votes while `hold` is on, which wait in `held`."""
        server = ws.connect_to_server()
        routing["server"] = server

        def to_server(message) -> None:
            if routing["hold"] and '"type":"vote"' in message.replace(" ", ""):
                held.append(message)
            else:
                server.send(message)

        ws.on_message(to_server)

    slow = context.new_page()
    errors: list[str] = []
    slow.on("pageerror", lambda exc: errors.append(str(exc)))
    slow.route_web_socket(re.compile(r"/ws/j/"), slow_socket)
    slow.goto(event.links.join_url)
    expect(slow.locator("#conn")).to_have_attribute("data-state", "open", timeout=10_000)
    quick = context.new_page()
    quick.goto(event.links.join_url)
    expect(quick.locator("#conn")).to_have_attribute("data-state", "open", timeout=10_000)

    routing["hold"] = True
    slow.get_by_label("Auto", exact=True).check()
    slow.locator("#vote-button").click()
    expect(slow.locator("#status")).to_have_text(SENDING)
    assert len(held) == 1 and '"seq":1' in held[0].replace(" ", "")

    quick.get_by_label("Bus", exact=True).check()  # the newer answer, from the other tab
    quick.locator("#vote-button").click()
    expect(quick.locator("#status")).to_have_text(VOTED, timeout=5_000)

    routing["hold"] = False
    for message in held:  # the late delivery
        routing["server"].send(message)

    expect(slow.locator("#status")).to_have_text(NEWER_KEPT, timeout=5_000)
    expect(slow.get_by_label("Bus", exact=True)).to_be_checked()
    expect(slow.get_by_label("Auto", exact=True)).not_to_be_checked()
    expect(slow.locator("#vote-button")).to_have_text("Stimme ändern")
    assert slow.evaluate(f"localStorage.getItem('saal-pending-{event.links.join_code}')") is None
    screenshot(slow, "phone-newer-answer-kept")
    violations = run_axe(slow, axe_source())
    assert not violations, describe_violations("phone, newer answer kept", slow.url, violations)

    state = event.api.get(f"/api/events/{event.links.event_id}").json()["state"]
    bus = next(o["id"] for o in question["options"] if o["label"] == "Bus")
    assert state["results"]["voters"] == 1
    assert state["results"]["counts"] == {str(o["id"]): int(o["id"] == bus) for o in question["options"]}

    # Tab 1 answers again: its next number is above both, so this change counts.
    slow.get_by_label("Rad", exact=True).check()
    slow.locator("#vote-button").click()
    expect(slow.locator("#status")).to_have_text(VOTED, timeout=5_000)
    state = event.api.get(f"/api/events/{event.links.event_id}").json()["state"]
    rad = next(o["id"] for o in question["options"] if o["label"] == "Rad")
    assert state["results"]["voters"] == 1 and state["results"]["counts"][str(rad)] == 1
    assert errors == []
