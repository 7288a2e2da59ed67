"""The help desk (#18) in Chromium: the moderator makes a tablet and a helper link, the helper unlocks the tablet
from a phone, a person votes on the tablet, the tablet returns to a neutral screen with no trace of the choice
and its display settings reset; no second vote without a new unlock; a question closed while the person chooses;
an abandoned ballot warns and expires (a server of its own with BALLOT_TTL_S=8). axe on the Hilfe-Tisch page and
the helper's, neutral, ballot and thanks screens. docs/help-desk.md names this test."""

import re
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import expect

from tests.e2e.conftest import AppServer, _free_port
from tests.e2e.helpers import axe_source, describe_violations, log_in, run_axe
from tests.e2e.helpers import wait_until as _wait_until

pytestmark = pytest.mark.e2e

QUESTION = {"text": "Soll die Buslinie 640 auch am Sonntag fahren?", "kind": "single", "options": ["Ja", "Nein", "Weiß nicht"]}
TABLET = dict(viewport={"width": 1024, "height": 768}, has_touch=True)
PHONE = dict(viewport={"width": 390, "height": 780}, device_scale_factor=2, is_mobile=True, has_touch=True)


@pytest.fixture(scope="module")
def axe_js() -> str:
    return axe_source()


def wait_until(page, expression: str, timeout: float = 10_000):
    """helpers.wait_until across the tablet's own reloads (an unlock, the end of a ballot load the page afresh)."""
    for _ in range(20):
        try:
            return _wait_until(page, expression, timeout=timeout)
        except PlaywrightError as exc:
            if "context was destroyed" not in str(exc) and "navigat" not in str(exc):
                raise
            page.wait_for_load_state()
    raise AssertionError(f"the page kept navigating: {expression}")


def no_violations(page, name: str, axe_js: str) -> None:
    violations = run_axe(page, axe_js)
    assert not violations, describe_violations(name, page.url, violations)


def make_link(page, event_id: int, kind: str, label: str) -> str:
    page.goto(f"/moderator/events/{event_id}/hilfe-tisch")
    page.get_by_label("Tablet (hier stimmen" if kind == "tablet" else "Helferin / Helfer (gibt").check()
    page.get_by_label("Bezeichnung").fill(label)
    with page.expect_navigation():
        page.get_by_role("button", name="Link anlegen").click()
    return page.locator("#new-link-url").get_attribute("href")


def unlock(helper) -> None:
    with helper.expect_navigation():
        helper.get_by_role("button", name="Neue Person, hat nicht per Handy abgestimmt").first.click()
    expect(helper.get_by_text("Tablet 1 ist freigegeben.")).to_be_visible()


def test_the_tablet_flow(new_context, moderator_login, make_event, axe_js, screenshot):
    ev = make_event("Hilfe-Tisch Waldheim", {"Mobilität": [QUESTION]})
    question = ev.questions[0]
    mod = new_context("moderator", viewport={"width": 1440, "height": 900}, storage_state=moderator_login).new_page()
    tablet_url = make_link(mod, ev.links.event_id, "tablet", "Tablet 1")
    no_violations(mod, "Hilfe-Tisch mit neuem Link", axe_js)
    helper_url = make_link(mod, ev.links.event_id, "helper", "Helferin Eingang")
    ev.act(question, "open")

    tablet = new_context("tablet", **TABLET).new_page()
    tablet.goto(urlsplit(tablet_url).path)
    expect(tablet.get_by_text("Bitte wenden Sie sich an die Helferin / den Helfer am Hilfe-Tisch.")).to_be_visible()
    assert tablet.locator("form").count() == 0
    no_violations(tablet, "Tablet, Ruhebildschirm", axe_js)

    helper = new_context("helper", **PHONE).new_page()
    helper.goto(urlsplit(helper_url).path)
    expect(helper.locator("#open-question")).to_have_text(QUESTION["text"])
    unlock(helper)
    no_violations(helper, "Helfer-Seite", axe_js)
    screenshot(helper, "helper", docs=True)

    # The unlock reaches the tablet: the ballot in large type.
    wait_until(tablet, "!!document.getElementById('vote-form')")
    expect(tablet.get_by_role("heading", name=QUESTION["text"])).to_be_visible()
    no_violations(tablet, "Tablet, Stimmzettel", axe_js)
    screenshot(tablet, "tablet-ballot", docs=True)
    tablet.get_by_role("button", name="Größere Schrift").click()
    tablet.get_by_role("button", name="Hoher Kontrast").click()
    assert tablet.evaluate("document.documentElement.className").split() == ["tablet-big", "tablet-contrast"]
    no_violations(tablet, "Tablet, Stimmzettel mit hohem Kontrast", axe_js)
    tablet.get_by_text("Nein", exact=True).click()
    tablet.get_by_role("button", name="Abstimmen").click()
    expect(tablet.get_by_role("heading", name="Ihre Stimme wurde gezählt.")).to_be_visible()
    assert tablet.locator("input").count() == 0 and "Nein" not in tablet.inner_text("body")
    no_violations(tablet, "Tablet, Dank", axe_js)

    # Back to neutral: no form, no trace of the choice, the display settings reset.
    wait_until(tablet, "!!document.getElementById('neutral')", timeout=10_000)
    assert tablet.locator("form, input").count() == 0
    assert "Nein" not in tablet.inner_text("body") and tablet.evaluate("document.documentElement.className") == ""
    expect(helper.locator("[data-state=answered]")).to_have_text("Die Antwort wurde gezählt.")
    mod.goto(f"/moderator/events/{ev.links.event_id}/hilfe-tisch")
    tablet_id = re.search(r"/(\d+)/zurueckziehen", mod.content()).group(1)
    expect(mod.locator(f"#answers-{tablet_id}")).to_have_text("1")
    # No second vote without a new unlock, reload or not.
    tablet.reload()
    assert tablet.locator("form").count() == 0
    result = ev.api.get(f"/api/events/{ev.links.event_id}").json()
    assert result["state"]["results"]["voters"] == 1, result["state"]["results"]

    # Closed while the person chooses: told, nothing stored, then neutral again. The control page's count follows.
    unlock(helper)
    wait_until(tablet, "!!document.getElementById('vote-form')")
    ev.act(question, "close")
    tablet.get_by_text("Ja", exact=True).click()
    tablet.get_by_role("button", name="Abstimmen").click()
    expect(tablet.get_by_role("alert")).to_have_text(
        "Die Abstimmung wurde gerade beendet – Ihre Stimme konnte nicht mehr gezählt werden.")
    assert tablet.locator("form, input").count() == 0
    assert ev.api.get(f"/api/events/{ev.links.event_id}").json()["state"]["results"]["voters"] == 1


def test_an_abandoned_ballot_warns_and_expires(browser, tmp_path, axe_js):
    """A server of its own with BALLOT_TTL_S=8: the warning 4 s before (announced), then neutral; the helper sees it expired."""
    server = AppServer(tmp_path, _free_port())
    env = server._env
    server._env = lambda: {**env(), "BALLOT_TTL_S": "8"}  # type: ignore[method-assign]
    links = server.start()
    try:
        context = browser.new_context(base_url=links.base, viewport={"width": 1440, "height": 900})
        mod = context.new_page()
        log_in(mod)
        tablet_url = make_link(mod, links.event_id, "tablet", "Tablet 1")
        helper_url = make_link(mod, links.event_id, "helper", "")
        assert mod.request.post(f"/api/events/{links.event_id}/next").ok
        tablet = browser.new_context(base_url=links.base, **TABLET).new_page()
        tablet.goto(urlsplit(tablet_url).path)
        page = browser.new_context(base_url=links.base, **PHONE).new_page()
        page.goto(urlsplit(helper_url).path)
        unlock(page)
        wait_until(tablet, "!!document.getElementById('vote-form')")
        warning = tablet.locator("#expiry-warning")
        expect(warning).to_be_visible(timeout=8_000)
        assert warning.get_attribute("role") == "alert" and "Noch 4 Sekunden" in warning.inner_text()
        wait_until(tablet, "!!document.getElementById('neutral')", timeout=10_000)
        assert tablet.locator("form").count() == 0
        expect(page.locator("[data-state=expired]")).to_have_text("Die Freigabe ist abgelaufen, ohne Antwort.", timeout=6_000)
        for ctx in (context, tablet.context, page.context):
            ctx.close()
    finally:
        server.stop()
