"""Screen readers in the hall: the projector says a new question, an interim result at most every 10 seconds and
the result on closing (aria-live), and has the numbers as a table, in step with the bars; the phone says a new
question. Not by colour alone: states carry words. axe checks the new states."""

import pytest
from playwright.sync_api import expect

from tests.e2e.helpers import RECORD_ANNOUNCEMENTS, Projector, axe_source, bar_texts, describe_violations, percent, run_axe

pytestmark = pytest.mark.e2e

Q_BUS = {"text": "Wie oft sollte der Bus in Ihrem Ort fahren?", "kind": "single",
         "options": ["Jede Stunde", "Alle zwei Stunden", "Nur zu Schulzeiten", "Auf Bestellung"]}
Q_PLACES = {"text": "Wo sollen neue Ladesäulen hin?", "kind": "multiple", "max_choices": 2,
            "options": ["Am Markt", "Am Bahnhof", "An der Schule"]}
ANNOUNCE_EVERY_MS = 10_000

# Every text that lands in a page's live region, in order (announce() empties it first, so each counts once).


def announced(page) -> list[str]:
    return page.evaluate("window.__announced")


def expect_table(page, labels: list[str], counts: list[int], voters: int) -> None:
    """The projector's table (option · votes · percent) says what the bars say."""
    body = page.locator("#p-table-body")
    expect(page.locator("#p-table-wrap")).to_be_attached()
    expect(page.locator("#p-table-wrap")).not_to_have_attribute("hidden", "")
    expect(body.locator("tr > th[scope=row]")).to_have_text(labels)
    expect(body.locator("tr > td:nth-child(2)")).to_have_text([str(n) for n in counts])
    expect(body.locator("tr > td:nth-child(3)")).to_have_text([f"{percent(n, voters)} %" for n in counts])
    expect(page.locator("#p-table thead th")).to_have_text(["Antwort", "Stimmen", "Prozent"])
    # Screen readers get the table instead of the bar list, which says the same.
    expect(page.locator("#p-bars")).to_have_attribute("aria-hidden", "true")


def test_projector_announces_and_tabulates_results_phone_announces_question(new_context, make_event, phones, screenshot):
    own = make_event("Ansagen und Tabelle", {"Mobilität": [Q_BUS, Q_PLACES]})
    q_bus, q_places = own.questions
    labels = Q_BUS["options"]

    context = new_context("projector live region", viewport={"width": 1920, "height": 1080})
    context.add_init_script(RECORD_ANNOUNCEMENTS)
    page = context.new_page()
    page.clock.install()  # the page's timers run on a clock the test moves, so "10 seconds" takes no time
    projector = Projector(page, own.links)
    projector.goto()
    projector.expect_join_screen()
    expect(page.locator("#announce")).to_have_attribute("aria-live", "polite")
    page.clock.pause_at(page.evaluate("Date.now()") / 1000 + 1)  # seconds since the epoch

    a, b, c = phones
    for phone in phones:
        phone.context.add_init_script(RECORD_ANNOUNCEMENTS)
        phone.join(own.links.join_url)
        phone.expect_waiting()

    # A new question: the projector and the phones say it.
    own.act(q_bus, "open")
    projector.expect_question(Q_BUS["text"], "Abstimmung läuft")
    page.clock.run_for(100)
    expect(page.locator("#announce")).to_have_text(f"Neue Frage: {Q_BUS['text']}")
    for phone in phones:
        phone.expect_question(Q_BUS["text"], "radio", 4)
        expect(phone.page.locator("#announce")).to_have_text(f"Neue Frage: {Q_BUS['text']}")
        assert announced(phone.page) == [f"Neue Frage: {Q_BUS['text']}"]
    expect_table(page, labels, [0, 0, 0, 0], 0)
    expect(page.locator("#p-table-caption")).to_have_text("Ergebnis in Zahlen")

    # Votes come in: bars and table move together at once, but nothing is said yet (the question was just read out).
    a.vote("Jede Stunde")
    b.vote("Alle zwei Stunden")
    c.vote("Jede Stunde")
    projector.expect_counts(bar_texts([2, 1, 0, 0]), 3, timeout=5_000)
    expect_table(page, labels, [2, 1, 0, 0], 3)
    page.clock.run_for(ANNOUNCE_EVERY_MS - 1_000)
    assert announced(page) == [f"Neue Frage: {Q_BUS['text']}"], "results were announced sooner than 10 s after the question"

    # Ten seconds after the question was read out: one interim result, with the count and who leads.
    page.clock.run_for(1_000)
    interim = "Zwischenstand: 3 Stimmen abgegeben. Vorne: Jede Stunde mit 67 %."
    expect(page.locator("#announce")).to_have_text(interim)
    assert announced(page) == [f"Neue Frage: {Q_BUS['text']}", interim]
    screenshot(page, "projector-announce-interim")

    # More tallies within the next 10 s: the table follows each, the live region stays quiet.
    b.vote("Jede Stunde")
    projector.expect_counts(bar_texts([3, 0, 0, 0]), 3, timeout=5_000)
    expect_table(page, labels, [3, 0, 0, 0], 3)
    a.vote("Auf Bestellung")
    projector.expect_counts(bar_texts([2, 0, 0, 1]), 3, timeout=5_000)
    expect_table(page, labels, [2, 0, 0, 1], 3)
    page.clock.run_for(ANNOUNCE_EVERY_MS - 2_000)
    assert len(announced(page)) == 2, f"announced on every tally: {announced(page)}"

    # Closing says the whole result at once, without waiting; no interim result comes after it.
    own.act(q_bus, "close")
    projector.expect_question(Q_BUS["text"], "Abstimmung beendet")
    page.clock.run_for(100)
    result = ("Abstimmung beendet. Ergebnis: Jede Stunde: 2 Stimmen, 67 %; Alle zwei Stunden: 0 Stimmen, 0 %; "
              "Nur zu Schulzeiten: 0 Stimmen, 0 %; Auf Bestellung: 1 Stimme, 33 %. 3 Stimmen abgegeben.")
    expect(page.locator("#announce")).to_have_text(result)
    page.clock.run_for(2 * ANNOUNCE_EVERY_MS)
    assert announced(page)[2:] == [result], f"after closing: {announced(page)[2:]}"
    for phone in phones:
        expect(phone.page.locator("#announce")).to_have_text("Das Ergebnis wird angezeigt.")
    expect_table(page, labels, [2, 0, 0, 1], 3)
    page.clock.resume()  # axe-core needs the page's timers running

    axe_js = axe_source()
    reports = []

    def audit(name, target):
        violations = run_axe(target, axe_js)
        screenshot(target, f"axe-{name}")
        if violations:
            reports.append(describe_violations(name, target.url, violations))

    audit("projector-closed-with-table", page)

    # Not by colour alone: the phone marks its own answer with words for screen readers, not only a tick.
    mine = a.page.locator("#bars li.mine")
    expect(mine.locator(".bar-name")).to_have_text(["Auf Bestellung"])
    expect(mine.locator(".mine-note")).to_have_text(" (Ihre Antwort)")
    expect(a.page.locator("#bars li:not(.mine) .mine-note")).to_have_count(0)
    audit("phone-closed-own-answer", a.page)

    # Hiding the result: said, the table goes away and the bar list (names only) is readable again.
    own.act(q_bus, "hide-results")
    expect(page.locator("#p-hidden")).to_be_visible()
    expect(page.locator("#announce")).to_have_text("Das Ergebnis wird später gezeigt.")
    expect(page.locator("#p-table-wrap")).to_be_hidden()
    expect(page.locator("#p-bars")).not_to_have_attribute("aria-hidden", "true")
    audit("projector-result-hidden", page)
    own.act(q_bus, "show-results")
    expect(page.locator("#announce")).to_have_text(result.removeprefix("Abstimmung beendet. "))
    expect_table(page, labels, [2, 0, 0, 1], 3)

    # Multiple choice: the table's caption says what the percentages mean.
    own.act(q_places, "open")
    projector.expect_question(Q_PLACES["text"], "Abstimmung läuft")
    expect(page.locator("#announce")).to_have_text(f"Neue Frage: {Q_PLACES['text']}")
    a.vote("Am Markt", "Am Bahnhof")
    b.vote("Am Markt")
    projector.expect_counts(bar_texts([2, 1, 0], voters=2), 2, timeout=5_000)
    expect_table(page, Q_PLACES["options"], [2, 1, 0], 2)
    expect(page.locator("#p-table-caption")).to_have_text(
        "Ergebnis in Zahlen (Mehrfachauswahl: Prozent der Abstimmenden, die diese Antwort gewählt haben.)")
    audit("projector-open-with-table", page)
    audit("phone-question-announced", c.page)

    assert not reports, "axe-core found violations in the new states:\n\n" + "\n\n".join(reports)
