"""A question round as in the hall: open, phones vote, live totals, close, results on phones, hide and show."""

import time

import pytest
from playwright.sync_api import expect

from tests.e2e.helpers import (
    LIVE_WITHIN_MS,
    Q_COMMUTE,
    Q_COMMUTE_OPTIONS,
    Q_INTERNET,
    Q_INTERNET_OPTIONS,
    Q_ONLINE,
    Q_ONLINE_OPTIONS,
    RESULT_SOON,
    VOTED,
    bar_texts,
    device,
    join_and_open,
    remaining_ms,
    votes_given,
)

pytestmark = pytest.mark.e2e


def _expect_live_totals(projector, moderator, texts, voters, started):
    """Projector and moderator both show the totals within one second of the last vote."""
    projector.expect_counts(texts, voters, timeout=remaining_ms(started, LIVE_WITHIN_MS))
    moderator.expect_tally(texts, voters, timeout=remaining_ms(started, LIVE_WITHIN_MS))


def test_single_then_multiple_choice_round(new_context, devices, moderator, projector, phones, demo, screenshot):
    a, b, c = phones
    moderator.show_join_screen()
    projector.expect_join_screen()
    for phone in phones:
        phone.join(demo.join_url)
        phone.expect_waiting()
    moderator.expect_phones(3)

    # ---- single choice: the first question of the agenda ----
    moderator.press("Nächste Frage öffnen →")
    moderator.expect_current(Q_INTERNET, phase_badge="Abstimmung läuft")
    for phone in phones:
        phone.expect_question(Q_INTERNET, "radio", len(Q_INTERNET_OPTIONS))
        expect(phone.page.locator("#choice-hint")).to_have_text("Bitte wählen Sie eine Antwort.")
        phone.assert_not_reloaded()
    projector.expect_question(Q_INTERNET, "Abstimmung läuft")
    projector.expect_counts(bar_texts([0, 0, 0, 0, 0]), 0, timeout=5_000)
    projector.expect_phones(3)
    screenshot(a.page, "phone-question", docs=True)

    a.vote("Sehr zufrieden")
    b.vote("Sehr zufrieden")
    c.vote("Eher unzufrieden")
    started = time.monotonic()
    expected = bar_texts([2, 0, 1, 0, 0])  # 67 % · 0 % · 33 % …
    _expect_live_totals(projector, moderator, expected, 3, started)
    for phone in phones:
        phone.expect_voted()
    expect(moderator.page.locator("#live-voters-text")).to_have_text("3 Personen haben abgestimmt.")
    screenshot(a.page, "phone-voted", docs=True)
    screenshot(projector.page, "projector-question", docs=True)
    moderator.page.evaluate("window.scrollTo(0, 0)")  # the actions land on #live; show the page from its top
    screenshot(moderator.page, "moderator-control", docs=True)

    # Close: phones switch to the closed state with the result, each marking its own answer.
    moderator.press("Abstimmung schließen")
    moderator.expect_current(Q_INTERNET, phase_badge="geschlossen")
    projector.expect_question(Q_INTERNET, "Abstimmung beendet")
    projector.expect_counts(expected, 3, timeout=5_000)
    a.expect_closed_with_result(Q_INTERNET, expected, 3, mine=["Sehr zufrieden"])
    b.expect_closed_with_result(Q_INTERNET, expected, 3, mine=["Sehr zufrieden"])
    c.expect_closed_with_result(Q_INTERNET, expected, 3, mine=["Eher unzufrieden"])
    for phone in phones:
        phone.assert_not_reloaded()
    screenshot(a.page, "phone-result", docs=True)
    screenshot(projector.page, "projector-closed")

    # Hide the result: no counts on the projector (and none on the phones) until it is shown again.
    moderator.press("Ergebnis ausblenden")
    p = projector.page
    expect(p.locator("#p-hidden")).to_be_visible()
    expect(p.locator("#p-hidden")).to_have_text("Das Ergebnis wird später gezeigt.")
    expect(p.locator("#p-bars .bar-value")).to_have_text([""] * len(Q_INTERNET_OPTIONS))
    expect(p.locator("#p-bars .bar-track:visible")).to_have_count(0)
    expect(p.locator("#p-bars")).not_to_contain_text("Stimme")
    expect(p.locator("#p-bars .bar-name")).to_have_text(Q_INTERNET_OPTIONS)
    for phone in phones:
        expect(phone.page.locator("#bars")).to_have_count(0)
        expect(phone.page.locator("#phone")).to_contain_text(RESULT_SOON)
    moderator.expect_tally(expected, 3, timeout=5_000)  # the moderator still sees the numbers
    screenshot(p, "projector-results-hidden")

    moderator.press("Ergebnis zeigen")
    projector.expect_counts(expected, 3, timeout=5_000)
    expect(p.locator("#p-hidden")).to_be_hidden()
    a.expect_closed_with_result(Q_INTERNET, expected, 3, mine=["Sehr zufrieden"])

    # ---- multiple choice with "at most 3": the next question ----
    moderator.press("Nächste Frage →")
    moderator.expect_current(Q_ONLINE, phase_badge="Abstimmung läuft")
    for phone in phones:
        phone.expect_question(Q_ONLINE, "checkbox", len(Q_ONLINE_OPTIONS))
        expect(phone.page.locator("#choice-hint")).to_have_text("Sie können bis zu 3 Antworten wählen.")
        phone.assert_not_reloaded()
    projector.expect_question(Q_ONLINE, "Abstimmung läuft")
    projector.expect_counts(bar_texts([0] * 6, 0), 0, timeout=5_000)

    # The server enforces the limit too: a phone without JavaScript that ticks four boxes is refused, with the reason.
    nojs_context = new_context("phone without JavaScript (over the limit)", java_script_enabled=False,
                               **device(devices, "Pixel 7"))
    nojs = nojs_context.new_page()
    nojs.goto(demo.join_url)
    for label in ("Kfz-Zulassung", "Führerschein", "Bauantrag", "Wohngeld"):
        nojs.get_by_label(label, exact=True).check()
    nojs.get_by_role("button", name="Abstimmen").click()
    expect(nojs.locator("#vote-error")).to_have_text("Bitte wählen Sie höchstens 3 Antworten.")
    expect(nojs.locator("#vote-form input[name=choice]:checked")).to_have_count(4)  # the choice is kept to correct
    expect(nojs.locator("#status")).not_to_have_text(VOTED)
    screenshot(nojs, "nojs-over-limit")

    # A fourth tick is refused on the phone, with the reason; three go through.
    a.choose("Kfz-Zulassung", "Bauantrag", "Wohngeld")
    a.option("Führerschein").click()
    expect(a.option("Führerschein")).not_to_be_checked()
    expect(a.status).to_have_text("Bitte wählen Sie höchstens 3 Antworten.")
    expect(a.page.locator("#vote-form input[name=choice]:checked")).to_have_count(3)
    screenshot(a.page, "phone-multiple-limit")
    a.vote()
    b.vote("Kfz-Zulassung", "Termine im Landratsamt")
    c.vote("Wohngeld")
    started = time.monotonic()
    # Kfz 2 · Führerschein 0 · Bauantrag 1 · Elterngeld 0 · Wohngeld 2 · Termine 1; 3 people voted.
    expected = bar_texts([2, 0, 1, 0, 2, 1], voters=3)
    _expect_live_totals(projector, moderator, expected, 3, started)
    for phone in phones:
        phone.expect_voted()

    moderator.press("Abstimmung schließen")
    projector.expect_question(Q_ONLINE, "Abstimmung beendet")
    a.expect_closed_with_result(Q_ONLINE, expected, 3, mine=["Kfz-Zulassung", "Bauantrag", "Wohngeld"])
    b.expect_closed_with_result(Q_ONLINE, expected, 3, mine=["Kfz-Zulassung", "Termine im Landratsamt"])
    c.expect_closed_with_result(Q_ONLINE, expected, 3, mine=["Wohngeld"])


def test_changing_a_vote_counts_once_and_moves_the_totals(moderator, projector, phones, demo, screenshot):
    a, b, c = phones
    join_and_open(moderator, phones, demo.join_url, Q_COMMUTE, "radio", len(Q_COMMUTE_OPTIONS))
    projector.expect_question(Q_COMMUTE, "Abstimmung läuft")

    a.vote("Auto")
    b.vote("Auto")
    c.vote("Bus oder Bahn")
    started = time.monotonic()
    _expect_live_totals(projector, moderator, bar_texts([2, 1, 0, 0, 0]), 3, started)
    for phone in phones:
        phone.expect_voted()

    # Phone A changes its mind: still three voters, one vote moves from "Auto" to "Fahrrad".
    expect(a.page.locator("#vote-button")).to_have_text("Stimme ändern")
    a.vote("Fahrrad")
    started = time.monotonic()
    _expect_live_totals(projector, moderator, bar_texts([1, 1, 1, 0, 0]), 3, started)
    expect(a.status).to_have_text(VOTED)
    expect(a.option("Fahrrad")).to_be_checked()
    expect(a.option("Auto")).not_to_be_checked()
    expect(projector.page.locator("#p-votes")).to_have_text(votes_given(3))

    # And once more, after a reload: the phone remembers its vote and a second change is again counted once.
    a.page.reload()
    a.expect_connected()
    expect(a.option("Fahrrad")).to_be_checked()
    expect(a.status).to_contain_text("Sie haben bereits abgestimmt.")
    a.vote("Zu Fuß")
    started = time.monotonic()
    _expect_live_totals(projector, moderator, bar_texts([1, 1, 0, 1, 0]), 3, started)
    a.expect_voted()
    screenshot(a.page, "phone-vote-changed")

    moderator.press("Abstimmung schließen")
    a.expect_closed_with_result(Q_COMMUTE, bar_texts([1, 1, 0, 1, 0]), 3, mine=["Zu Fuß"])
