"""Hand counts in Chromium, as a new moderator would do it (#18): one question answered by phones and by raised hands
adds up on the projector (stacked bars told apart by pattern and name, a column per source) and in the CSV export;
the phone that voted is asked to keep its hand down, the other is invited; the count form keeps what was typed after
an error; axe finds nothing on the form (also in its error state), the control page and the projector."""

import csv
import io
import re

import pytest
from playwright.sync_api import expect

from tests.e2e.helpers import Moderator, Projector, axe_source, describe_violations, device, run_axe

pytestmark = pytest.mark.e2e

QUESTION = {"text": "Soll der Kreis einen Rufbus testen?", "kind": "single", "options": ["Ja", "Nein", "Weiß nicht"]}


def test_phones_and_hands_add_up_on_the_projector_and_in_the_export(new_context, make_event, moderator_login, devices, screenshot):
    axe = axe_source()
    reports: list[str] = []

    def check(page, name):
        violations = run_axe(page, axe)
        if violations:
            reports.append(describe_violations(name, page.url, violations))

    own = make_event("Handzeichen", {"Mobilität": [QUESTION]})
    question = own.questions[0]
    assert own.api.post(f"/api/events/{own.links.event_id}/people-in-hall", data={"people_in_hall": 30}).ok
    own.next()  # opens the question

    phones = []
    for name in ("Pixel 5", "iPhone SE"):
        context = new_context(f"phone {name}", **device(devices, name))
        page = context.new_page()
        page.goto(own.links.join_url)
        expect(page.locator("#conn")).to_have_attribute("data-state", "open")
        phones.append(page)
    voter, bystander = phones
    for label in ("Ja",):
        voter.get_by_label(label, exact=True).check()
    voter.locator("#vote-button").click()
    expect(voter.locator("#status")).to_contain_text("gezählt")
    second = new_context("phone 3", **device(devices, "Pixel 5")).new_page()
    second.goto(own.links.join_url)
    second.get_by_label("Nein", exact=True).check()
    second.locator("#vote-button").click()
    expect(second.locator("#status")).to_contain_text("gezählt")
    own.act(question, "close")

    projector_page = new_context("projector counts", viewport={"width": 1366, "height": 768}).new_page()
    projector = Projector(projector_page, own.links)
    projector.goto()
    projector.expect_question(QUESTION["text"], "Abstimmung beendet")

    context = new_context("moderator counts", viewport={"width": 1366, "height": 900}, storage_state=moderator_login, locale="de-DE")
    moderator = Moderator(context.new_page(), own.links)
    moderator.goto()
    page = moderator.page
    counts = page.locator("#counts")
    expect(counts.get_by_role("heading", name="Handzeichen und Stimmzettel")).to_be_visible()
    check(page, "control-counts")

    # "Handzeichen zählen": the form opens; the phone that voted keeps its hand down, the other raises it.
    counts.get_by_role("button", name="Handzeichen zählen").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Handzeichen zählen")
    expect(voter.locator("#counting-note")).to_have_text("Sie haben schon abgestimmt, bitte jetzt nicht die Hand heben.")
    expect(bystander.locator("#counting-note")).to_have_text("Sie haben nicht per Handy abgestimmt? Dann heben Sie jetzt die Hand.")
    expect(projector_page.locator("#p-counting")).to_contain_text("hebt jetzt die Hand")
    screenshot(bystander, "phone-counting-hands", docs=True)
    check(page, "count-form")

    # A typo: refused with the reason beside the field, everything typed is still there.
    page.get_by_label("Ja", exact=True).fill("4")
    page.get_by_label("Nein", exact=True).fill("-1")
    page.get_by_label("Weiß nicht", exact=True).fill("2")
    page.get_by_label("Gezählt von (freiwillig)").fill("Team Empfang")
    page.get_by_role("button", name="Zählung speichern").click()
    expect(page.locator("#count-error")).to_contain_text("„Nein“: Die Zahl darf nicht negativ sein.")
    expect(page.get_by_label("Nein", exact=True)).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_label("Ja", exact=True)).to_have_value("4")
    expect(page.get_by_label("Gezählt von (freiwillig)")).to_have_value("Team Empfang")
    check(page, "count-form-error")

    page.get_by_label("Nein", exact=True).fill("1")
    page.get_by_label("geschätzt").check()
    page.get_by_role("button", name="Zählung speichern").click()
    expect(page).to_have_url(re.compile(rf"/moderator/events/{own.links.event_id}(#live)?$"))
    moderator.expect_connected()
    expect(page.locator("#counts-entered")).to_contain_text("Handzeichen: ca. 7 Personen")
    expect(page.locator("#counts-entered")).to_contain_text("gezählt von Team Empfang")
    check(page, "control-counts-entered")

    # The projector: the bars stack phones and hands, each named; the table has a column per source; "ca.".
    expect(projector_page.locator("#p-counting")).to_be_hidden()
    expect(projector_page.locator("#p-bars .bar-value")).to_have_text(["ca. 5 Stimmen · 56 %", "ca. 2 Stimmen · 22 %",
                                                                          "ca. 2 Stimmen · 22 %"])
    expect(projector_page.locator("#p-bars .bar-detail").first).to_have_text("Handy 1 · Handzeichen ca. 4")
    expect(projector_page.locator(".source-legend li")).to_have_text(["Handy", "Handzeichen (ca.)"])
    expect(projector_page.locator("#p-bars li").first.locator(".bar-part.src-hands")).to_be_visible()
    head = projector_page.locator("#p-table thead th")
    expect(head).to_have_text(["Antwort", "Handy", "Handzeichen", "Zusammen", "Prozent"])
    expect(projector_page.locator("#p-table tbody tr").first.locator("td")).to_have_text(["1", "ca. 4", "ca. 5", "56 %"])
    # Told apart by pattern, not colour alone: the parts' backgrounds differ in kind (solid, dotted).
    images = projector_page.locator("#p-bars li").first.locator(".bar-part").evaluate_all(
        "parts => parts.map(p => getComputedStyle(p).backgroundImage)")
    assert images[0] == "none" and "radial-gradient" in images[1], images
    screenshot(projector_page, "projector-sources", docs=True)
    check(projector_page, "projector-sources")

    # The export says the same.
    page.goto(f"/moderator/events/{own.links.event_id}/export")
    page.get_by_label("CSV (Excel, deutsch)").check()
    page.get_by_role("button", name="Export starten").click()
    expect(page.locator("#export-live")).to_contain_text("fertig", timeout=30_000)
    with page.expect_download() as info:
        page.locator("li.job.shown").get_by_role("link", name=re.compile("Herunterladen")).click()
    rows = list(csv.reader(io.StringIO(open(info.value.path(), "rb").read().decode("utf-8-sig"), newline=""), delimiter=";"))
    header = rows[0]
    yes = next(r for r in rows[1:] if r[header.index("Antwort")] == "Ja")
    assert [yes[header.index(t)] for t in ("Anzahl", "davon Handy", "davon Handzeichen", "geschätzt", "n")] == ["5", "1", "4", "ja", "9"]
    assert not reports, "\n\n".join(reports)
