"""The control page says so when its login ends elsewhere (logout in another tab), instead of "retrying"."""

from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from tests.e2e.helpers import MODERATOR_PASSWORD, MODERATOR_USER, Moderator, log_in

pytestmark = pytest.mark.e2e


def test_control_page_says_when_its_login_ended_and_shows_the_login(new_context, demo):
    """A login that ends elsewhere (logout in another tab): the control page says so, then shows the login (not a
    broken panel), and logging in again brings the moderator back to the same control page."""
    # A login of its own: ending it must not end the shared login the other browser tests use.
    context = new_context("moderator logout", viewport={"width": 1440, "height": 900}, locale="de-DE")
    page = context.new_page()
    log_in(page)
    assert urlsplit(page.url).path == "/moderator"
    control = Moderator(page, demo)
    control.goto()
    other_tab = context.new_page()
    other_tab.goto("/moderator")
    with other_tab.expect_navigation():
        other_tab.get_by_role("button", name="Abmelden").click()
    conn = page.locator("#conn")
    expect(conn).to_have_text("Abgemeldet – die Anmeldung öffnet sich.", timeout=5_000)
    expect(conn).to_have_attribute("data-state", "closed")
    expect(page.locator("#announce")).to_contain_text("Abgemeldet")
    page.wait_for_url("**/login?**", timeout=10_000)
    expect(page.locator("#login-ended")).to_contain_text("Ihre Anmeldung ist beendet")
    page.fill("#username", MODERATOR_USER)
    page.fill("#password", MODERATOR_PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="Anmelden").click()
    assert urlsplit(page.url).path == control.path
    control.expect_connected()


def test_an_action_after_the_login_ended_shows_the_login(new_context, demo):
    """The session ended while the page stayed open (no socket message came, e.g. it was offline): the next action
    is not lost in a broken panel; the page shows the login."""
    context = new_context("moderator expired", viewport={"width": 1366, "height": 768}, locale="de-DE")
    page = context.new_page()
    log_in(page)
    control = Moderator(page, demo)
    control.goto()
    page.evaluate("window.__samePage = true")
    context.clear_cookies()  # the login cookie is gone, as after it expired
    with page.expect_navigation():
        control.live_button("QR-Code zeigen").or_(control.live_button("Nächste Frage öffnen →")).first.click()
    assert urlsplit(page.url).path == "/login"
    expect(page.get_by_role("heading", level=1)).to_have_text("Anmeldung für Moderation")
    expect(page.locator("#login-ended")).to_contain_text("Ihre Anmeldung ist beendet")
    log_in_again = page.locator("form[action='/login']")
    log_in_again.locator("#username").fill(MODERATOR_USER)
    log_in_again.locator("#password").fill(MODERATOR_PASSWORD)
    with page.expect_navigation():
        log_in_again.get_by_role("button", name="Anmelden").click()
    assert urlsplit(page.url).path == control.path, "after logging in again: back on the control page, not the action's address"


def test_audit_log_with_a_refused_action_and_the_account_log_pass_axe(new_context, make_event, moderator_login, screenshot):
    """The audit page shows the outcome column (a refused delete stays "abgelehnt"); the admin's accounts page
    shows who created or switched off which account. Both pass axe (WCAG 2.1 A + AA)."""
    import uuid

    from tests.e2e.helpers import axe_source, describe_violations, run_axe

    own = make_event("Protokoll-Test", {"Verkehr": [{"text": "Mehr Busse?", "kind": "yesno"}]})
    question = own.questions[0]
    own.act(question, "open")
    refused = own.api.post(f"/api/events/{own.links.event_id}/questions/{question['id']}/delete")
    assert refused.status == 409
    context = new_context("audit pages", viewport={"width": 1280, "height": 800}, storage_state=moderator_login, locale="de-DE")
    page = context.new_page()
    page.goto(f"/moderator/events/{own.links.event_id}/audit")
    rows = page.locator("table.audit tbody tr")
    expect(rows.first).to_contain_text("abgelehnt")
    expect(rows.first).to_contain_text("Frage gelöscht")
    expect(rows.nth(1)).to_contain_text("ausgeführt")
    source = axe_source()
    reports = []
    for name in ("audit-refused", "accounts-log"):
        if name == "accounts-log":
            page.goto("/admin/users")
            page.fill("#u-name", f"e2e-{uuid.uuid4().hex[:6]}")
            page.fill("#u-pass", "e2e-geheim-123")
            with page.expect_navigation():
                page.get_by_role("button", name="Konto anlegen").click()
            expect(page.get_by_role("heading", name="Protokoll der Konten")).to_be_visible()
            expect(page.locator("table.audit").last.locator("tbody tr").first).to_contain_text("Konto angelegt")
        screenshot(page, f"axe-{name}")
        violations = run_axe(page, source)
        if violations:
            reports.append(describe_violations(name, page.url, violations))
    assert not reports, "\n\n".join(reports)
