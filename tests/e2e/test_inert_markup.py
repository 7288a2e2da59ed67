"""Markup typed by people runs nowhere: titles, options, word-cloud terms and open answers with <script> and
event handlers render as text on the phone, the projector and the control page, live updates included."""

import pytest
from playwright.sync_api import expect

from tests.e2e.helpers import PHONE_DEVICES, device

pytestmark = pytest.mark.e2e

EVIL = '<img src=x onerror="window.__pwned=1"><script>window.__pwned=1</script>'


def _armed(page):
    """Any dialog or a set flag means markup ran."""
    page.on("dialog", lambda d: (setattr(page, "_dialog", True), d.dismiss()))
    return page


def _assert_inert(page, text_fragment: str):
    assert page.evaluate("() => window.__pwned === undefined"), "injected markup ran"
    assert not getattr(page, "_dialog", False), "a dialog opened"
    assert page.locator("script:not([src]):not([type='application/json'])").count() == 0
    assert page.locator("img[src='x']").count() == 0
    assert text_fragment in page.locator("body").inner_text()


def test_injected_markup_is_shown_as_text_everywhere(make_event, new_context, devices, moderator_login, demo):
    own = make_event("Konferenz " + EVIL, {
        "Thema " + EVIL: [
            {"text": "Frage " + EVIL, "kind": "single", "options": [EVIL, "Nein"]},
            {"text": "Wolke " + EVIL, "kind": "wordcloud"},
            {"text": "Offen " + EVIL, "kind": "text"},
        ],
    })
    choice, cloud, text = own.questions
    projector = _armed(new_context("projector", viewport={"width": 1920, "height": 1080}).new_page())
    projector.goto(own.links.projector_url)
    control = _armed(new_context("moderator", storage_state=moderator_login).new_page())
    control.goto(own.links.moderator_url)
    phone = _armed(new_context("phone", **device(devices, PHONE_DEVICES[0])).new_page())
    phone.goto(own.links.join_url)

    own.act(choice, "open")
    phone.wait_for_selector("#vote-form")
    _assert_inert(phone, "<script>")
    phone.locator("#vote-form label").filter(has_text="onerror").first.click()
    phone.locator("#vote-button").click()
    phone.wait_for_selector("#status .success")
    expect(projector.locator("body")).to_contain_text("1 Stimme", use_inner_text=True)
    _assert_inert(projector, "<img src=x")

    own.act(cloud, "open")
    phone.wait_for_selector("input[name=term]")
    phone.locator("input[name=term]").first.fill("<b onmouseover=x>fett</b>")
    phone.locator("#vote-button").click()
    phone.wait_for_selector("#status .success")
    expect(projector.locator("body")).to_contain_text("fett", use_inner_text=True)
    _assert_inert(projector, "fett")
    assert projector.locator("b[onmouseover]").count() == 0

    own.act(text, "open")
    phone.wait_for_selector("textarea[name=text]")
    phone.locator("textarea[name=text]").fill(EVIL)
    phone.locator("#vote-button").click()
    phone.wait_for_selector("#status .success")
    control.reload()
    expect(control.locator("body")).to_contain_text("onerror", use_inner_text=True)
    _assert_inert(control, "<script>")
    state = own.api.get(f"/api/events/{own.links.event_id}").json()["state"]
    answer_id = state["results"]["answers"][0]["id"]
    response = own.api.post(f"/api/events/{own.links.event_id}/questions/{text['id']}/approve", data={"answer_id": answer_id})
    assert response.ok
    expect(projector.locator("body")).to_contain_text("onerror", use_inner_text=True)
    for page, fragment in ((projector, "<script>"), (phone, "Offen"), (control, "Konferenz")):
        _assert_inert(page, fragment)
