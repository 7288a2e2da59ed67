"""Segments in Chromium, as a new moderator would use them (#18): 28 phones join, are asked "Ich bin hier als …" once
(one skips with "Weiter ohne Angabe" and is not asked again after a reload), answer and vote; the moderator closes
the question, sees the result by group on the control page with "< 5" and "×" as text, shows it on the projector;
a breakdown that would reveal a small group is refused in German on the control page; axe finds nothing on the
phone's prompt, the control page with the breakdown and the projector's breakdown."""

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.helpers import Moderator, Projector, axe_source, describe_violations, device, run_axe

pytestmark = pytest.mark.e2e

SEGMENT = {"text": "Ich bin hier als …", "kind": "single", "segment": True, "phone_results": "hidden",
           "options": ["Bürger:in", "Politik", "Wirtschaft", "Verwaltung", "Zivilgesellschaft"]}
QUESTION = {"text": "Sollte es weitere Regionalkonferenzen geben?", "kind": "single", "options": ["Ja", "Nein", "Weiß nicht"]}
LATE = {"text": "Wie gefällt Ihnen das Format?", "kind": "single", "options": ["Gut", "Geht so", "Nicht gut"]}
# Who votes what: (group, answer, phones). The table suppression leaves shown, "< 5" and "×" cells.
VOTERS = [("Bürger:in", "Ja", 6), ("Bürger:in", "Nein", 5), ("Bürger:in", "Weiß nicht", 2),
          ("Politik", "Ja", 5), ("Politik", "Nein", 6), ("Politik", "Weiß nicht", 1),
          ("Wirtschaft", "Ja", 1), ("Wirtschaft", "Nein", 1)]
PROMPT_HINT = "Freiwillig – hilft, die Ergebnisse nach Gruppen auszuwerten."


def test_phones_answer_groups_and_the_result_shows_by_group(new_context, make_event, moderator_login, devices, screenshot):
    axe = axe_source()
    reports: list[str] = []

    def check(page, name):
        violations = run_axe(page, axe)
        if violations:
            reports.append(describe_violations(name, page.url, violations))

    own = make_event("Nach Gruppen", {"Zum Format der Konferenz": [SEGMENT, QUESTION, LATE]})
    _segment, question, late = own.questions
    own.next()  # the segment question is passed by: the first question of the agenda opens

    def phone(label: str):
        context = new_context(label, **device(devices, "Pixel 5"))
        page = context.new_page()
        page.goto(own.links.join_url)
        expect(page.locator("#conn")).to_have_attribute("data-state", "open")
        return context, page

    def vote(page, answer: str) -> None:
        page.get_by_label(answer, exact=True).check()
        page.locator("#vote-button").click()
        expect(page.locator("#status")).to_contain_text("gezählt")

    # The first phone: asked once, optional; it skips, and a reload does not ask again; it votes without a group.
    _context, skipper = phone("phone skips")
    prompt = skipper.locator("#segment-prompt")
    expect(prompt.get_by_role("heading", name="Ich bin hier als …")).to_be_visible()
    expect(prompt).to_contain_text(PROMPT_HINT)
    expect(prompt.get_by_role("button")).to_have_text([*SEGMENT["options"], "Weiter ohne Angabe"])
    expect(skipper.locator("#vote-form legend")).to_have_text(QUESTION["text"])  # the question is right below
    check(skipper, "phone-segment-prompt")
    screenshot(skipper, "phone-segment-prompt")
    prompt.get_by_role("button", name="Weiter ohne Angabe").click()
    expect(skipper.locator("#conn")).to_have_attribute("data-state", "open")
    expect(skipper.locator("#segment-prompt")).to_have_count(0)
    skipper.reload()
    expect(skipper.locator("#conn")).to_have_attribute("data-state", "open")
    expect(skipper.locator("#segment-prompt")).to_have_count(0)
    vote(skipper, "Ja")

    # The others answer the prompt (a plain form: the page comes back without it) and vote.
    n = 0
    for group, answer, count in VOTERS:
        for _ in range(count):
            n += 1
            context, page = phone(f"phone {n}")
            page.locator("#segment-prompt").get_by_role("button", name=group, exact=True).click()
            expect(page.locator("#conn")).to_have_attribute("data-state", "open")
            expect(page.locator("#segment-prompt")).to_have_count(0)
            vote(page, answer)
            context.close()
    own.act(question, "close")

    projector_page = new_context("projector segments", viewport={"width": 1920, "height": 1080}, device_scale_factor=1).new_page()
    projector = Projector(projector_page, own.links)
    projector.goto()
    projector.expect_question(QUESTION["text"], "Abstimmung beendet")

    context = new_context("moderator segments", viewport={"width": 1366, "height": 900}, storage_state=moderator_login, locale="de-DE")
    moderator = Moderator(context.new_page(), own.links)
    moderator.goto()
    page = moderator.page
    panel = page.locator("#segments")
    expect(panel.get_by_role("heading", name="Nach Gruppen")).to_be_visible()
    expect(panel.get_by_label("Nach Gruppen anzeigen:")).to_have_value(str(_segment["id"]))
    table = panel.locator("#breakdown-table")
    expect(table.locator("caption")).to_have_text(f"„{QUESTION['text']}“ nach „Ich bin hier als …“")
    expect(table.locator("thead th")).to_have_text(["Antwort", "Bürger:inn = 13", "Politikn = 12", "Wirtschaftn < 5", "Verwaltungn < 5",
                                                    "Zivilgesellschaftn < 5", "ohne Angaben < 5", "Gesamt"])
    rows = table.locator("tbody tr")
    expect(rows.nth(0).locator("th, td")).to_have_text(["Ja", "6", "×", "< 5", "< 5", "< 5", "< 5", "13"])
    expect(rows.nth(1).locator("th, td")).to_have_text(["Nein", "×", "6", "< 5", "< 5", "< 5", "< 5", "12"])
    expect(rows.nth(2).locator("th, td")).to_have_text(["Weiß nicht", "< 5", "< 5", "< 5", "< 5", "< 5", "< 5", "3"])
    expect(table.locator("abbr").first).to_have_attribute("title", re.compile("ausgeblendet|weniger als 5"))
    expect(panel.locator("#breakdown-table-legend")).to_contain_text("„< 5“: weniger als 5 Personen.")
    check(page, "control-breakdown")

    # On the projector: the same table, the marks as text with their meaning; no percentages in suppressed columns.
    panel.get_by_role("button", name="Nach Gruppen auf dem Beamer zeigen").click()
    screen = projector_page.locator("#breakdown-screen")
    expect(screen).to_be_visible()
    expect(projector_page.locator("#question-screen")).to_be_hidden()
    expect(projector_page.locator("#bd-question")).to_have_text(QUESTION["text"])
    expect(projector_page.locator("#bd-segment")).to_have_text("Ich bin hier als …")
    expect(projector_page.locator("#bd-head th")).to_have_text(["Antwort", "Bürger:inn = 13", "Politikn = 12", "Wirtschaftn < 5",
                                                                "Verwaltungn < 5", "Zivilgesellschaftn < 5", "ohne Angaben < 5", "Gesamt"])
    body = projector_page.locator("#bd-body tr")
    expect(body.nth(0).locator("th, td")).to_have_text(["Ja", "6", "×", "< 5", "< 5", "< 5", "< 5", "13"])
    expect(body.nth(1).locator("th, td")).to_have_text(["Nein", "×", "6", "< 5", "< 5", "< 5", "< 5", "12"])
    expect(projector_page.locator("#bd-body td.small abbr").first).to_have_attribute("title", "weniger als 5 Personen")
    expect(projector_page.locator("#bd-body td.hidden abbr").first).to_have_attribute(
        "title", "ausgeblendet, damit sich kleine Gruppen nicht errechnen lassen")
    expect(projector_page.locator("#bd-body .share")).to_have_count(0)
    expect(projector_page.locator("#bd-legend")).to_contain_text("„×“: ausgeblendet")
    # Every column on the screen (seven groups and more shrink the type; long names wrap between words).
    box = projector_page.locator("#breakdown-screen table").bounding_box()
    assert box is not None and box["x"] + box["width"] <= 1920, box
    screenshot(projector_page, "projector-segments", docs=True)
    check(projector_page, "projector-breakdown")

    # The next question: three phones vote, all Bürger:innen; its breakdown would show single people: refused.
    own.next()
    projector.expect_question(LATE["text"], "Abstimmung läuft")
    for i in range(3):
        context, late_phone = phone(f"late phone {i}")
        late_phone.locator("#segment-prompt").get_by_role("button", name="Bürger:in", exact=True).click()
        expect(late_phone.locator("#segment-prompt")).to_have_count(0)
        expect(late_phone.locator("#conn")).to_have_attribute("data-state", "open")
        vote(late_phone, "Gut")
        context.close()
    own.act(late, "close")
    moderator.goto()
    expect(panel.locator("#breakdown-error")).to_have_text(
        "Aufschlüsselung nicht möglich: Mindestens zwei Gruppen brauchen je 5 Antworten, damit niemand erkennbar wird.")
    expect(panel.locator("#breakdown-table")).to_have_count(0)
    expect(panel.get_by_role("button", name="Nach Gruppen auf dem Beamer zeigen")).to_have_count(0)
    expect(projector_page.locator("#breakdown-screen")).to_be_hidden()
    check(page, "control-breakdown-refused")
    assert not reports, "\n\n".join(reports)
