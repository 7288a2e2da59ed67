"""The control page says so when its login ends elsewhere (logout in another tab), instead of "retrying"."""

from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from tests.e2e.helpers import MODERATOR_PASSWORD, MODERATOR_USER, Moderator

pytestmark = pytest.mark.e2e


def test_control_page_says_when_its_login_ended(new_context, demo):
    # A login of its own: ending it must not end the shared login the other browser tests use.
    context = new_context("moderator logout", viewport={"width": 1440, "height": 900}, locale="de-DE")
    page = context.new_page()
    page.goto("/login")
    page.fill("#username", MODERATOR_USER)
    page.fill("#password", MODERATOR_PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="Anmelden").click()
    assert urlsplit(page.url).path == "/moderator"
    control = Moderator(page, demo)
    control.goto()
    other_tab = context.new_page()
    other_tab.goto("/moderator")
    with other_tab.expect_navigation():
        other_tab.get_by_role("button", name="Abmelden").click()
    conn = page.locator("#conn")
    expect(conn).to_have_text("Abgemeldet – bitte laden Sie die Seite neu und melden Sie sich an.", timeout=5_000)
    expect(conn).to_have_attribute("data-state", "closed")
    expect(page.locator("#announce")).to_contain_text("Abgemeldet")
    page.reload()
    assert urlsplit(page.url).path == "/login"  # the old cookie no longer opens the page
