"""A phone without JavaScript joins through the start page's code form and votes with the plain HTML form."""

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.helpers import (
    CLOSED,
    PHONE_DEVICES,
    Q_PRIORITIES,
    Q_PRIORITIES_OPTIONS,
    VOTED,
    bar_texts,
    device,
    voters_text,
)

pytestmark = pytest.mark.e2e


def _wrong_code(code: str) -> str:
    return "123456" if code != "123456" else "654321"


def test_phone_without_javascript_joins_by_code_and_votes(new_context, devices, moderator, projector, phones, demo,
                                                          screenshot):
    moderator.open_question(Q_PRIORITIES)
    projector.expect_question(Q_PRIORITIES, "Abstimmung läuft")
    # Two ordinary phones vote with script, next to the one without.
    a, b = phones[0], phones[1]
    for phone in (a, b):
        phone.join(demo.join_url)
        phone.expect_question(Q_PRIORITIES, "checkbox", len(Q_PRIORITIES_OPTIONS))

    context = new_context("phone without JavaScript", java_script_enabled=False, **device(devices, PHONE_DEVICES[2]))
    page = context.new_page()
    page.goto("/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Bei der Saalumfrage mitmachen")

    # A mistyped code: the page says so and lets the person type again.
    page.get_by_label("Code der Veranstaltung").fill(_wrong_code(demo.join_code))
    page.get_by_role("button", name="Teilnehmen").click()
    alert = page.get_by_role("alert")
    expect(alert).to_be_visible()
    expect(alert).not_to_be_empty()
    expect(page.locator("#code")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#code")).to_have_value(_wrong_code(demo.join_code))
    screenshot(page, "nojs-start-unknown-code")

    page.get_by_label("Code der Veranstaltung").fill(demo.join_code)
    page.get_by_role("button", name="Teilnehmen").click()
    expect(page).to_have_url(demo.join_url)
    expect(page.locator("#vote-form legend")).to_have_text(Q_PRIORITIES)
    expect(page.locator("#vote-form input[name=choice][type=checkbox]")).to_have_count(len(Q_PRIORITIES_OPTIONS))
    expect(page.locator("#conn")).to_be_hidden()  # no script, no live badge
    expect(page.locator("html")).not_to_have_class(re.compile(r"\bjs\b"))  # attendee.js did not run
    screenshot(page, "nojs-question")

    page.get_by_label("Solaranlagen auf Dächern", exact=True).check()
    page.get_by_label("Wasser und Wald", exact=True).check()
    page.get_by_role("button", name="Abstimmen").click()
    expect(page.locator("#status")).to_have_text(VOTED)
    expect(page.get_by_label("Solaranlagen auf Dächern", exact=True)).to_be_checked()
    expect(page.get_by_label("Wasser und Wald", exact=True)).to_be_checked()
    expect(page.locator("#vote-button")).to_have_text("Stimme ändern")
    screenshot(page, "nojs-voted")

    expected = bar_texts([0, 1, 0, 0, 1], voters=1)
    projector.expect_counts(expected, 1, timeout=5_000)
    moderator.expect_tally(expected, 1, timeout=5_000)

    # The plain form can change the vote too: still one voter.
    page.get_by_label("Wasser und Wald", exact=True).uncheck()
    page.get_by_label("Flächen schützen", exact=True).check()
    page.get_by_role("button", name="Stimme ändern").click()
    expect(page.locator("#status")).to_have_text(VOTED)
    expected = bar_texts([0, 1, 0, 1, 0], voters=1)
    projector.expect_counts(expected, 1, timeout=5_000)
    moderator.expect_tally(expected, 1, timeout=5_000)

    # Votes from the script phones add up with it.
    a.vote("Solaranlagen auf Dächern", "Regionale Produkte stärken")
    b.vote("Energie sparen in öffentlichen Gebäuden")
    expected = bar_texts([1, 2, 1, 1, 0], voters=3)
    projector.expect_counts(expected, 3, timeout=5_000)
    moderator.expect_tally(expected, 3, timeout=5_000)

    # Closed: after its (meta-refresh) reload the phone shows the result, its own answers marked.
    moderator.press("Abstimmung schließen")
    page.reload()
    expect(page.locator("#phone .notice.info")).to_have_text(CLOSED)
    expect(page.locator("#bars .bar-value")).to_have_text(expected)
    expect(page.locator("#voters")).to_have_text(voters_text(3))
    expect(page.locator("#bars li.mine .bar-name")).to_have_text(["Solaranlagen auf Dächern", "Flächen schützen"])
    screenshot(page, "nojs-result")
