"""Bad Wi-Fi: a phone loses the network, votes anyway, sees that it is offline, and its vote counts once it is back."""

import time

import pytest
from playwright.sync_api import expect

from tests.e2e.helpers import (
    LIVE_WITHIN_MS,
    Q_ENERGY,
    Q_ENERGY_OPTIONS,
    VOTED,
    bar_texts,
    join_and_open,
    remaining_ms,
)

pytestmark = pytest.mark.e2e

OFFLINE_NOTICE_MS = 5_000  # how long the phone may take to notice it is offline


def test_vote_cast_offline_is_sent_on_reconnect_and_counted_once(moderator, projector, phones, demo, screenshot):
    a, b, c = phones
    join_and_open(moderator, phones, demo.join_url, Q_ENERGY, "radio", len(Q_ENERGY_OPTIONS))

    b.vote("Sehr wichtig")
    c.vote("Eher unwichtig")
    projector.expect_counts(bar_texts([1, 0, 1, 0]), 2, timeout=5_000)
    b.expect_voted()
    c.expect_voted()

    # Phone A drops off the Wi-Fi and votes.
    a.context.set_offline(True)
    a.vote("Sehr wichtig")

    # These checks are collected, so the counting below is checked (and reported) even if they fail.
    problems = []

    def check(what, assertion):
        try:
            assertion()
        except AssertionError as exc:
            problems.append(f"{what}: {str(exc).splitlines()[0]}")

    def offline_shown():
        conn_closed = a.page.locator("#conn[data-state=closed]")
        note = a.page.locator("#offline-note:visible")
        expect(conn_closed.or_(note).first).to_be_visible(timeout=OFFLINE_NOTICE_MS)

    check("phone A shows that it is offline (#conn data-state=closed or #offline-note) after voting offline",
          offline_shown)
    check("the offline note says the vote will be sent later",
          lambda: expect(a.page.locator("#offline-note")).to_have_text(
              "Keine Verbindung. Ihre Stimme wird gesendet, sobald die Verbindung wieder steht.", timeout=1_000))
    check("phone A does not claim its vote was counted while offline",
          lambda: expect(a.status).not_to_have_text(VOTED, timeout=1_000))
    screenshot(a.page, "phone-offline-vote")
    # Nothing reached the hall while the phone was offline.
    projector.expect_counts(bar_texts([1, 0, 1, 0]), 2, timeout=1_000)
    moderator.expect_tally(bar_texts([1, 0, 1, 0]), 2, timeout=1_000)

    # Back online: the phone reconnects by itself, sends the kept vote, and it counts exactly once.
    a.context.set_offline(False)
    started = time.monotonic()
    a.expect_connected(timeout=15_000)
    expect(a.page.locator("#offline-note")).to_be_hidden(timeout=15_000)
    a.expect_voted(timeout=15_000)
    expected = bar_texts([2, 0, 1, 0])
    projector.expect_counts(expected, 3, timeout=remaining_ms(started, 15_000))
    moderator.expect_tally(expected, 3, timeout=remaining_ms(started, 15_000))
    assert a.page.evaluate(f"localStorage.getItem('saal-pending-{demo.join_code}')") is None, (
        "the acknowledged vote is still kept as pending on the phone"
    )

    # Still once after a reload of every page (a resend must not become a second vote).
    a.page.reload()
    a.expect_connected()
    expect(a.option("Sehr wichtig")).to_be_checked()
    projector.page.reload()
    projector.expect_connected()
    projector.expect_counts(expected, 3, timeout=5_000)
    moderator.goto()
    moderator.expect_tally(expected, 3, timeout=5_000)

    # And a vote from a phone that was never offline still goes through in time.
    c.vote("Sehr wichtig")
    started = time.monotonic()
    expected = bar_texts([3, 0, 0, 0])
    projector.expect_counts(expected, 3, timeout=remaining_ms(started, LIVE_WITHIN_MS))
    moderator.expect_tally(expected, 3, timeout=remaining_ms(started, LIVE_WITHIN_MS))

    assert not problems, "Offline state not shown:\n" + "\n".join(problems)
