"""The server dies mid-event and comes back on the same port and database: every page recovers by itself."""

import re
import time

import pytest
from playwright.sync_api import expect

from tests.e2e.helpers import (
    LIVE_WITHIN_MS,
    Q_INFORMED,
    Q_INFORMED_OPTIONS,
    RECONNECT_MS,
    VOTED,
    bar_texts,
    join_and_open,
    remaining_ms,
)

pytestmark = pytest.mark.e2e

NOT_OPEN = re.compile(r"^(closed|connecting)$")


def test_pages_reconnect_after_server_restart_and_voting_goes_on(app_server, moderator, projector, phones, demo,
                                                                 screenshot):
    a, b, c = phones
    join_and_open(moderator, phones, demo.join_url, Q_INFORMED, "radio", len(Q_INFORMED_OPTIONS))
    a.vote("Ja")
    a.expect_voted()
    projector.expect_counts(bar_texts([1, 0, 0]), 1, timeout=5_000)
    moderator.expect_tally(bar_texts([1, 0, 0]), 1, timeout=5_000)
    moderator.expect_phones(3)

    # The process dies without a goodbye.
    app_server.kill()
    for page in (a.page, b.page, c.page, projector.page, moderator.page):
        expect(page.locator("#conn")).to_have_attribute("data-state", NOT_OPEN, timeout=10_000)
    # Phone B votes while the server is down: it is told so, and the vote is kept.
    b.vote("Teilweise")
    expect(b.page.locator("#offline-note")).to_be_visible()
    expect(b.page.locator("#offline-note")).to_have_text(
        "Keine Verbindung. Ihre Stimme wird gesendet, sobald die Verbindung wieder steht.")
    expect(b.status).not_to_have_text(VOTED)
    screenshot(b.page, "phone-server-down")

    links = app_server.start()
    assert links == demo, "the restarted server must serve the same event, links and codes"

    # Everyone reconnects on their own and shows the current state; B's kept vote is sent and counted once.
    for phone in phones:
        phone.expect_connected(timeout=RECONNECT_MS)
        phone.assert_not_reloaded()
        expect(phone.page.locator("#offline-note")).to_be_hidden()
        phone.expect_question(Q_INFORMED, "radio", len(Q_INFORMED_OPTIONS))
    projector.expect_connected(timeout=RECONNECT_MS)
    moderator.expect_connected(timeout=RECONNECT_MS)
    b.expect_voted(timeout=10_000)
    expect(a.option("Ja")).to_be_checked()
    projector.expect_question(Q_INFORMED, "Abstimmung läuft")
    projector.expect_counts(bar_texts([1, 1, 0]), 2, timeout=10_000)
    moderator.expect_tally(bar_texts([1, 1, 0]), 2, timeout=10_000)
    moderator.expect_phones(3)
    projector.expect_phones(3)
    expect(moderator.page.locator("#changed-note")).to_be_hidden()

    # A phone votes after the restart, and the hall sees it within a second.
    c.vote("Nein")
    started = time.monotonic()
    expected = bar_texts([1, 1, 1])
    projector.expect_counts(expected, 3, timeout=remaining_ms(started, LIVE_WITHIN_MS))
    moderator.expect_tally(expected, 3, timeout=remaining_ms(started, LIVE_WITHIN_MS))
    c.expect_voted()

    # The moderator's controls still work (session survived the restart) and reach every page.
    moderator.press("Abstimmung schließen")
    projector.expect_question(Q_INFORMED, "Abstimmung beendet")
    c.expect_closed_with_result(Q_INFORMED, expected, 3, mine=["Nein"])
