"""Series pages in Chromium: the series with its events and templates, the next event from the template, moving an
event out, and the delete confirmations of an event and a template; every page passes axe (WCAG 2.1 A + AA)."""

import uuid

from playwright.sync_api import expect

from tests.e2e.helpers import axe_source, describe_violations, run_axe


def test_series_page_next_event_move_and_delete_pass_axe(new_context, make_event, moderator_login, screenshot):
    tag = uuid.uuid4().hex[:6]
    own = make_event(f"Reihen-Test {tag}", {"Verkehr": [{"text": "Mehr Busse?", "kind": "yesno"}]})
    saved = own.api.post(f"/api/events/{own.links.event_id}/template", data={"title": f"Reihe E2E {tag}"})
    assert saved.ok, saved.text()
    series_id, template_id = saved.json()["series_id"], saved.json()["id"]
    context = new_context("series pages", viewport={"width": 1280, "height": 900}, storage_state=moderator_login, locale="de-DE")
    page = context.new_page()
    source = axe_source()
    reports: list[str] = []

    def axe(name: str) -> None:
        screenshot(page, f"series-{name}")
        violations = run_axe(page, source)
        if violations:
            reports.append(describe_violations(name, page.url, violations))

    # From the header to the list, from the list to the series.
    page.goto("/moderator")
    page.get_by_role("navigation", name="Moderation").get_by_role("link", name="Reihen").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Reihen")
    axe("list")
    page.get_by_role("link", name=f"Reihe E2E {tag}").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(f"Reihe E2E {tag}")

    # The next event from the series' template: it lands on its control page, and the series lists both by date.
    card = page.locator(f"#template-{template_id}")
    card.get_by_label("Titel").fill(f"Folgetermin {tag}")
    card.get_by_label("Ort").fill("Rochlitz")
    card.get_by_label("Datum").fill("2024-05-02")
    with page.expect_navigation():
        card.get_by_role("button", name="Veranstaltung anlegen").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Folgetermin {tag}")
    next_url = page.url
    page.goto(f"/moderator/series/{series_id}")
    rows = page.locator("table.series-table tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.first).to_contain_text(f"Folgetermin {tag}")  # dated first, the undated event last
    expect(rows.first).to_contain_text("02.05.2024")
    expect(rows.nth(1)).to_contain_text(f"Reihen-Test {tag}")
    axe("series")

    # Moving the new event out of the series, on its control page.
    page.goto(next_url)
    page.get_by_label("Reihe", exact=True).select_option(label="ohne Reihe")
    with page.expect_navigation():
        page.get_by_role("button", name="Reihe übernehmen").click()
    expect(page.locator(".flash")).to_contain_text("gehört jetzt zu keiner Reihe")
    page.goto(f"/moderator/series/{series_id}")
    expect(rows).to_have_count(1)

    # Deleting the first event: the confirmation names what is lost and wants the title.
    page.goto(f"/moderator/events/{own.links.event_id}")
    page.get_by_text("Angaben zur Veranstaltung ändern").click()
    page.get_by_role("link", name="Veranstaltung löschen …").click()
    expect(page.locator("#losses")).to_have_text(
        f"Sie löschen „Reihen-Test {tag}“ mit 1 Thema, 1 Frage und 0 Antworten. Das lässt sich nicht rückgängig machen.")
    axe("delete-event")
    confirm = page.get_by_label(f"Zum Bestätigen den Titel eintippen: „Reihen-Test {tag}“")
    confirm.fill("falsch")
    with page.expect_navigation():
        page.get_by_role("button", name="Endgültig löschen").click()
    expect(page.get_by_role("alert")).to_contain_text("genau so eintippen")
    axe("delete-event-error")
    page.get_by_label(f"Zum Bestätigen den Titel eintippen: „Reihen-Test {tag}“").fill(f"Reihen-Test {tag}")
    with page.expect_navigation():
        page.get_by_role("button", name="Endgültig löschen").click()
    expect(page.locator(".flash")).to_contain_text(f"Veranstaltung „Reihen-Test {tag}“ gelöscht.")
    expect(page.get_by_text("Diese Reihe hat noch keine Veranstaltung.")).to_be_visible()

    # The template's confirmation: a checkbox, and the event made from it stays.
    page.get_by_role("link", name=f"Vorlage löschen … Reihe E2E {tag}").click()
    expect(page.locator("#losses")).to_contain_text(f"Sie löschen die Vorlage „Reihe E2E {tag}“ mit 1 Thema und 1 Frage.")
    expect(page.get_by_text("Die 1 Veranstaltung, die aus ihr angelegt wurde, bleibt")).to_be_visible()
    axe("delete-template")
    page.get_by_label(f"Ja, die Vorlage „Reihe E2E {tag}“ endgültig löschen.").check()
    with page.expect_navigation():
        page.get_by_role("button", name="Vorlage löschen").click()
    expect(page.locator(".flash")).to_contain_text("Die daraus angelegten Veranstaltungen bleiben.")
    assert page.goto(next_url).status == 200
    assert not reports, "\n\n".join(reports)
