"""Hand counts in Chromium, as a new moderator would do it (#18): one question answered by phones, the help-desk
tablet and raised hands adds up on the projector (stacked bars told apart by pattern and name, a column per source) and in the CSV export;
the phone that voted is asked to keep its hand down, the other is invited; the count form keeps what was typed after
an error; axe finds nothing on the form (also in its error state), the control page and the projector."""

import csv
import io
import re
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from tests.e2e.helpers import Moderator, Projector, axe_source, describe_violations, device, run_axe
from tests.e2e.test_help_desk import TABLET, make_link, unlock, wait_until

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
    # A person without a phone answers at the help desk: the helper unlocks the tablet, the person votes there.
    desk = new_context("moderator desk", viewport={"width": 1440, "height": 900}, storage_state=moderator_login).new_page()
    tablet_url = make_link(desk, own.links.event_id, "tablet", "Tablet 1")
    helper_url = make_link(desk, own.links.event_id, "helper", "Empfang")
    tablet = new_context("tablet counts", **TABLET).new_page()
    tablet.goto(urlsplit(tablet_url).path)
    helper = new_context("helper counts", **device(devices, "Pixel 5")).new_page()
    helper.goto(urlsplit(helper_url).path)
    unlock(helper)
    wait_until(tablet, "!!document.getElementById('vote-form')")
    tablet.get_by_text("Weiß nicht", exact=True).click()
    tablet.get_by_role("button", name="Abstimmen").click()
    expect(tablet.get_by_role("heading", name="Ihre Stimme wurde gezählt.")).to_be_visible()
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
    expect(projector_page.locator("#p-bars .bar-value")).to_have_text(["ca. 5 Stimmen · 50 %", "ca. 2 Stimmen · 20 %",
                                                                          "ca. 3 Stimmen · 30 %"])
    expect(projector_page.locator("#p-bars .bar-detail")).to_have_text(["Handy 1 · Hilfe-Tablet 0 · Handzeichen ca. 4",
                                                                        "Handy 1 · Hilfe-Tablet 0 · Handzeichen ca. 1",
                                                                        "Handy 0 · Hilfe-Tablet 1 · Handzeichen ca. 2"])
    expect(projector_page.locator(".source-legend li")).to_have_text(["Handy", "Hilfe-Tablet", "Handzeichen (ca.)"])
    expect(projector_page.locator("#p-bars li").first.locator(".bar-part.src-hands")).to_be_visible()
    head = projector_page.locator("#p-table thead th")
    expect(head).to_have_text(["Antwort", "Handy", "Hilfe-Tablet", "Handzeichen", "Zusammen", "Prozent"])
    expect(projector_page.locator("#p-table tbody tr").first.locator("td")).to_have_text(["1", "0", "ca. 4", "ca. 5", "50 %"])
    # Told apart by pattern, not colour alone: each source's part has a background of its own kind.
    images = dict(projector_page.locator("#p-bars li").last.locator(".bar-part").evaluate_all(
        "parts => parts.map(p => [p.dataset.source, getComputedStyle(p).backgroundImage])"))
    assert images["phone"] == "none" and "repeating-linear-gradient" in images["tablet"] and "radial-gradient" in images["hands"], images
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
    assert [yes[header.index(t)] for t in ("Anzahl", "davon Handy", "davon Hilfe-Tablet", "davon Handzeichen", "geschätzt", "n")] == \
        ["5", "1", "0", "4", "ja", "10"]
    unsure = next(r for r in rows[1:] if r[header.index("Antwort")] == "Weiß nicht")
    assert [unsure[header.index(t)] for t in ("Anzahl", "davon Hilfe-Tablet", "davon Handzeichen")] == ["3", "1", "2"]
    assert not reports, "\n\n".join(reports)
