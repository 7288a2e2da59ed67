"""The public results pages (#17) in Chromium, as the people who use them: phones vote, the moderator chooses the
questions, previews, publishes and adds a follow-up note; a citizen reads the page with and without JavaScript and
at 320 px; the phone that voted opens "Meine Antworten"; the series page; every page passes axe (WCAG 2.1 A + AA)."""

import re
import uuid

import pytest
from playwright.sync_api import expect

from tests.e2e.helpers import axe_source, describe_violations, device, run_axe


def _vote(context, join_url: str, label: str) -> None:
    page = context.new_page()
    page.goto(join_url)
    page.get_by_label(label, exact=True).check()
    with page.expect_navigation():
        page.locator("#vote-button").click()
    page.close()


@pytest.mark.timeout(300)  # one scenario from the first vote to the withdrawal, on a shared machine
def test_publish_read_without_script_at_320_px_and_my_answers(new_context, make_event, moderator_login, devices, screenshot):
    tag = uuid.uuid4().hex[:6]
    own = make_event(f"Bürgerforum {tag}", {
        "Mobilität": [{"text": "Wie kommen Sie zur Arbeit?", "kind": "single", "options": ["Auto", "Bus", "Rad"]}],
        "Bildung": [{"text": "Mehr Schulbusse?", "kind": "yesno"}],
    })
    commute, buses = own.questions
    mine = new_context("my phone", **device(devices, "iPhone 13"), locale="de-DE")
    others = [new_context(f"phone {i}", java_script_enabled=False, locale="de-DE") for i in range(5)]
    own.act(commute, "open")
    for context, label in zip(others, ["Bus", "Bus", "Auto", "Rad", "Bus"], strict=True):
        _vote(context, own.links.join_url, label)
    phone = mine.new_page()
    phone.goto(own.links.join_url)
    phone.get_by_label("Rad", exact=True).check()
    phone.locator("#vote-button").click()
    expect(phone.locator("#status")).to_contain_text("gezählt")
    own.act(commute, "close")
    own.act(buses, "open")
    _vote(others[0], own.links.join_url, "Nein")
    phone.reload()
    phone.get_by_label("Ja", exact=True).check()
    phone.locator("#vote-button").click()
    expect(phone.locator("#status")).to_contain_text("gezählt")
    own.act(buses, "close")
    phone.reload()
    expect(phone.get_by_role("link", name="Meine Antworten")).to_have_count(0)  # nothing published yet

    source = axe_source()
    reports: list[str] = []

    def axe(page, name: str) -> None:
        violations = run_axe(page, source)
        if violations:
            reports.append(describe_violations(name, page.url, violations))

    # The moderator: from the results page to "Veröffentlichen", choose, preview, publish, add a note.
    mod = new_context("publisher", viewport={"width": 1280, "height": 900}, storage_state=moderator_login, locale="de-DE").new_page()
    mod.goto(f"/moderator/events/{own.links.event_id}/results")
    mod.get_by_role("link", name="Veröffentlichen …").click()
    expect(mod.get_by_role("heading", level=1)).to_contain_text("Ergebnisse veröffentlichen")
    axe(mod, "publication settings")
    mod.get_by_label("Wie kommen Sie zur Arbeit?").check()
    mod.get_by_label("Mehr Schulbusse?").check()
    mod.get_by_label("CSV-Tabellen (Excel und Standard) mit Metadaten").check()
    with mod.expect_navigation():
        mod.get_by_role("button", name="Einstellungen speichern").click()
    expect(mod.locator(".flash")).to_contain_text("gespeichert")
    public_url = mod.locator("#public-url").input_value()
    assert re.search(r"/ergebnisse/[a-z0-9-]+$", public_url) and own.links.join_code not in public_url
    mod.get_by_role("link", name="Vorschau ansehen").click()
    expect(mod.locator(".preview-banner")).to_contain_text("Vorschau")
    axe(mod, "preview")
    mod.go_back()
    mod.get_by_label(re.compile("Ich habe die Vorschau geprüft")).check()
    with mod.expect_navigation():
        mod.get_by_role("button", name="Veröffentlichen", exact=True).click()
    expect(mod.locator(".flash")).to_contain_text("Veröffentlicht")
    notes = mod.locator(".notes-topic", has=mod.get_by_role("heading", name="Mobilität"))
    notes.get_by_text("Notiz zu „Mobilität“ hinzufügen").click()  # a closed <details>: opens without script too
    notes.get_by_label("Datum").fill("2024-03-27")
    notes.get_by_label(re.compile("Neue Notiz")).fill("Im Kreistag am 27.03.2024 vorgestellt, Drucksache 123/2024")
    with mod.expect_navigation():
        notes.get_by_role("button", name="Notiz hinzufügen").click()
    expect(mod.locator(".flash")).to_contain_text("Notiz hinzugefügt")

    # A citizen, without JavaScript and with it, wide and at 320 px. The page has no script of its own (only the
    # JSON-LD data block), so both render the same DOM; the width check needs script, so it runs with it.
    path = re.sub(r"^https?://[^/]+", "", public_url)
    for label, options in (("citizen without script", {"viewport": {"width": 1280, "height": 900}, "java_script_enabled": False}),
                           ("citizen 320 px without script", {"viewport": {"width": 320, "height": 640}, "java_script_enabled": False}),
                           ("citizen", {"viewport": {"width": 1280, "height": 900}}),
                           ("citizen 320 px", {"viewport": {"width": 320, "height": 640}})):
        page = new_context(label, locale="de-DE", **options).new_page()
        page.goto(path)
        assert page.locator("script:not([type='application/ld+json'])").count() == 0
        expect(page.get_by_role("heading", level=1)).to_contain_text(f"Bürgerforum {tag}")
        expect(page.locator(".followup")).to_contain_text("Drucksache 123/2024")
        expect(page.get_by_text("Stimmungsbild der Anwesenden").first).to_be_visible()
        table = page.get_by_role("table", name="Wie kommen Sie zur Arbeit?")
        expect(table).to_contain_text("50 %")  # Bus: 3 of 6
        expect(page.get_by_role("link", name=re.compile("^Tabelle \\(CSV"))).to_have_count(2)
        assert "/j/" not in page.content() and "/p/" not in page.content()
        if "without script" in label:
            # axe needs script: the DOM this browser got without it is checked in a page that has script.
            html = page.content()
            checker = new_context(f"axe for {label}", locale="de-DE", viewport=options["viewport"]).new_page()
            checker.goto(path)
            checker.set_content(html)
            axe(checker, label)
            continue
        if "320" in label:
            assert page.evaluate("document.documentElement.scrollWidth") <= 320, "the page scrolls sideways at 320 px"
        axe(page, label)
    screenshot(page, "public-event-320")
    page.emulate_media(media="print")
    for hidden in (".site-header", ".toc"):
        expect(page.locator(hidden)).to_be_hidden()
    expect(page.locator(".followup")).to_be_visible()

    # The phone that voted: "Meine Antworten", its own answers beside the hall's.
    phone.goto(own.links.join_url)
    phone.get_by_role("link", name="Meine Antworten").click()
    expect(phone.get_by_role("heading", level=1)).to_have_text("Meine Antworten")
    first = phone.locator("article.question").first
    expect(first.locator(".my-answer")).to_contain_text("Rad")
    expect(phone.locator("article.question").nth(1).locator(".my-answer")).to_contain_text("Ja")
    expect(phone.get_by_text("Weniger als 5 Antworten")).to_be_visible()  # "Mehr Schulbusse?": n = 2, counts only
    axe(phone, "my answers")
    phone.evaluate("window.scrollTo(0, document.querySelector('article.question').getBoundingClientRect().top + window.scrollY - 8)")
    screenshot(phone, "meine-antworten", docs=True)
    stranger = others[1].new_page()
    stranger.goto(own.links.join_url + "/meine-antworten")
    expect(stranger.locator("article.question").first.locator(".my-answer")).to_contain_text("Bus")
    expect(stranger.locator("article.question").first.locator(".my-answer")).not_to_contain_text("Rad")

    # The series: saved as a template, the event's series gets a page of its own.
    saved = own.api.post(f"/api/events/{own.links.event_id}/template", data={"title": f"Reihe Öffentlich {tag}"})
    assert saved.ok, saved.text()
    mod.goto(f"/moderator/series/{saved.json()['series_id']}/publication")
    axe(mod, "series publication settings")
    mod.get_by_label(re.compile("Ich habe die Vorschau geprüft")).check()
    with mod.expect_navigation():
        mod.get_by_role("button", name="Veröffentlichen", exact=True).click()
    series_url = re.sub(r"^https?://[^/]+", "", mod.locator("#public-url").input_value())
    series_page = new_context("citizen series", locale="de-DE", viewport={"width": 320, "height": 640}).new_page()
    series_page.goto(series_url)
    expect(series_page.get_by_role("link", name=f"Bürgerforum {tag}")).to_be_visible()
    assert series_page.evaluate("document.documentElement.scrollWidth") <= 320
    axe(series_page, "series page at 320 px")

    # Withdrawn: gone at once.
    mod.goto(f"/moderator/events/{own.links.event_id}/publication")
    mod.get_by_label(re.compile("sofort zurückziehen")).check()
    with mod.expect_navigation():
        mod.get_by_role("button", name="Zurückziehen").click()
    gone = series_page.goto(path)
    assert gone is not None and gone.status == 404
    assert not reports, "\n\n".join(reports)
