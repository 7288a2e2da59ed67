"""Ballot stuffing made visible in a real browser (issue 12, finding 2): the control page warns, in words and to
screen readers, when there are more voters than devices were connected or people are in the hall; the people
in the hall are entered on the page; a phone's sixth tab is refused without a storm of retries."""

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.helpers import Moderator, Projector, axe_source, describe_violations, device, in_place, run_axe
from tests.e2e.test_moderator_kinds import FormPhone

pytestmark = pytest.mark.e2e

SINGLE = {"text": "Soll der Bürgerbus auch sonntags fahren?", "kind": "single", "options": ["Ja", "Nein", "Egal"]}
WARNING = "Achtung: mehr Stimmen als plausibel."


@pytest.fixture(scope="module")
def axe_js() -> str:
    return axe_source()


def _moderator(new_context, moderator_login, own) -> Moderator:
    context = new_context("moderator plausibility", viewport={"width": 1440, "height": 900}, storage_state=moderator_login,
                          locale="de-DE")
    moderator = Moderator(context.new_page(), own.links)
    moderator.goto()
    return moderator


def test_control_page_warns_when_voters_exceed_devices_and_people(new_context, make_event, moderator_login, axe_js, screenshot):
    own = make_event("Plausibilität", {"Mobilität": [SINGLE]})
    question = own.questions[0]
    yes = question["options"][0]["id"]
    own.act(question, "open")
    moderator = _moderator(new_context, moderator_login, own)
    page = moderator.page
    page.evaluate("window.__e2eLoaded = true")
    alert = page.locator("#check-alert")
    expect(alert).to_have_attribute("role", "alert")
    expect(alert).to_be_empty()
    expect(page.locator("#check-people")).to_have_text("nicht eingetragen")

    # Five phones vote through the plain form, none of them ever connected: more votes than anyone saw.
    for i in range(5):
        FormPhone(new_context, own, f"stuffing {i}").answer(question["id"], [("choice", str(yes))])
    expect(page.locator("#check-voters")).to_have_text("5", timeout=5_000)
    expect(page.locator("#check-devices")).to_have_text("0")
    expect(alert).to_contain_text(WARNING, timeout=5_000)  # live, without a reload, in a role=alert region
    expect(alert).to_contain_text("mehrfach abgestimmt")
    expect(page.get_by_role("alert")).to_contain_text(WARNING)
    expect(alert.locator(".icon")).to_have_attribute("aria-hidden", "true")  # the sign is decoration; the words carry it
    assert page.evaluate("window.__e2eLoaded === true"), "the control page was reloaded"
    page.locator("#check").scroll_into_view_if_needed()
    screenshot(page, "moderator-plausibility-warning")
    reports = []
    violations = run_axe(page, axe_js)
    if violations:
        reports.append(describe_violations("control-plausibility-warning", page.url, violations))

    # The organisers counted 20 people: entered on the page (by keyboard), and the warning is gone.
    page.get_by_label("Personen im Saal", exact=True).fill("20")
    in_place(page, lambda: page.get_by_label("Personen im Saal", exact=True).press("Enter"))
    moderator.expect_connected()
    expect(page.locator("#check-people")).to_have_text("20")
    expect(alert).to_be_empty()
    expect(page.locator("#action-note .flash.success")).to_contain_text("Personen im Saal: 20 gespeichert.")
    violations = run_axe(page, axe_js)
    if violations:
        reports.append(describe_violations("control-plausibility-people", page.url, violations))

    # The audit log says when the warning came and who entered the head count.
    audit = own.api.get(f"/api/events/{own.links.event_id}/audit").json()
    actions = [e["action"] for e in audit]
    assert actions.count("plausibility-warning") == 1 and "people-in-hall" in actions
    assert not reports, "\n\n".join(reports)


def test_a_sixth_tab_of_one_phone_is_refused_without_a_retry_storm(new_context, make_event, devices):
    own = make_event("Viele Tabs", {"Mobilität": [SINGLE]})
    context = new_context("phone with tabs", **device(devices, "Pixel 7"))
    tabs = []
    for _ in range(5):
        tab = context.new_page()
        tab.goto(own.links.join_url)
        expect(tab.locator("#conn")).to_have_attribute("data-state", "open")
        tabs.append(tab)
    sixth = context.new_page()
    attempts = []
    sixth.on("websocket", lambda ws: attempts.append(ws.url))
    sixth.goto(own.links.join_url)
    # Said in words where the connection state is shown (a status region), not just as "no connection".
    note = sixth.locator("#offline-note")
    expect(note).to_have_text(re.compile(r"schon in 5 Fenstern offen"), timeout=5_000)
    expect(note).to_have_attribute("role", "status")
    sixth.wait_for_timeout(4000)  # (not time.sleep: Playwright delivers the websocket events while it waits)
    # A page that retried on every close would have tried several times by now.
    assert 1 <= len(attempts) <= 2, f"{len(attempts)} socket attempts in 4 s"
    expect(sixth.locator("#conn")).not_to_have_attribute("data-state", "open")
    # One phone, one device, however many tabs: the projector counts it once.
    projector = Projector(new_context("projector tabs", viewport={"width": 1920, "height": 1080}).new_page(), own.links)
    projector.goto()
    projector.expect_phones(1)
    tabs[0].close()
    # Closing a tab ends its socket on the server a moment later; a reload that comes first is still the sixth
    # (refused, and the page would wait 15-45 s for its slow retry). So: within 10 s, a reload connects.
    for _attempt in range(5):
        sixth.reload()
        try:
            expect(sixth.locator("#conn")).to_have_attribute("data-state", "open", timeout=2_000)
            break
        except AssertionError:
            continue
    else:
        pytest.fail("the sixth tab did not connect after another tab was closed")
