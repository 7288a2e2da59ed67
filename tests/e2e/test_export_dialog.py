"""The export dialog in Chromium: start a CSV export, follow it to "fertig", download the file; axe finds nothing."""

import re
import time

import pytest
from playwright.sync_api import expect

from tests.e2e.helpers import axe_source, describe_violations, run_axe

pytestmark = pytest.mark.e2e


def test_export_dialog_runs_a_csv_export_to_its_download(moderator, demo, screenshot):
    page = moderator.page
    axe = axe_source()
    page.goto(f"/moderator/events/{demo.event_id}/export")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Ergebnisse exportieren")
    violations = run_axe(page, axe)
    assert not violations, describe_violations("export-dialog", page.url, violations)

    page.get_by_label("CSV (Excel, deutsch)").check()
    page.get_by_label("Vorwort, optional").fill("Für den Kreistag.")
    page.get_by_role("button", name="Export starten").click()
    job = page.locator("li.job.shown")
    expect(job).to_have_count(1)
    # The script follows the job over the moderator socket: the live region says it is done (only the script
    # writes there), and the download link appears without a reload.
    expect(page.locator("#export-live")).to_contain_text("fertig", timeout=30_000)
    link = job.get_by_role("link", name=re.compile("Herunterladen"))
    expect(link).to_be_visible()
    screenshot(page, "export-dialog-done")
    violations = run_axe(page, axe)
    assert not violations, describe_violations("export-dialog-done", page.url, violations)

    with page.expect_download() as info:
        link.click()
    download = info.value
    assert re.fullmatch(r"[\w-]+_Ergebnisse\.csv", download.suggested_filename), download.suggested_filename
    data = open(download.path(), "rb").read().decode("utf-8")
    assert data.startswith("\ufeff") and ";" in data

    # Without the script the page still tells the state on reload, and asking again gives the same job.
    page.reload()
    expect(job.get_by_role("link", name=re.compile("Herunterladen"))).to_be_visible()
    page.get_by_label("CSV (Excel, deutsch)").check()
    page.get_by_label("Vorwort, optional").fill("Für den Kreistag.")
    page.get_by_role("button", name="Export starten").click()
    expect(page.locator("li.job")).to_have_count(1)


def test_series_export_is_followed_by_asking_and_named_after_the_series(moderator, demo, screenshot):
    page = moderator.page
    events = page.request.get("/api/events").json()
    series_id = next(e["series_id"] for e in events if e["id"] == demo.event_id)
    assert series_id, "the demo event belongs to a series"
    page.goto(f"/moderator/series/{series_id}/export")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Reihe exportieren")
    violations = run_axe(page, axe_source())
    assert not violations, describe_violations("export-dialog-series", page.url, violations)
    page.get_by_label("CSV (Standard)").check()
    page.get_by_role("button", name="Export starten").click()
    # A series page has no socket of its own: the script asks the job's state until it is done.
    expect(page.locator("#export-live")).to_contain_text("fertig", timeout=30_000)
    screenshot(page, "export-dialog-series-done")
    with page.expect_download() as info:
        page.locator("li.job.shown").get_by_role("link", name=re.compile("Herunterladen")).click()
    assert re.fullmatch(r"Reihe_[\w-]+_Ergebnisse_Standard\.csv", info.value.suggested_filename), info.value.suggested_filename


def test_without_javascript_the_dialog_shows_the_state_on_reload(new_context, moderator_login, demo):
    page = new_context("export no-js", java_script_enabled=False, storage_state=moderator_login).new_page()
    page.goto(f"/moderator/events/{demo.event_id}/export")
    page.get_by_label("CSV (Standard)").check()
    page.get_by_label("Vorwort, optional").fill("Ohne Skript.")
    page.get_by_role("button", name="Export starten").click()
    job = page.locator("li.job.shown")
    expect(job).to_have_count(1)
    job = page.locator(f"#{job.get_attribute('id')}")
    download = job.get_by_role("link", name=re.compile("Herunterladen"))
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:  # the person reloads with "Aktualisieren" now and then until the file is there
        if download.count() or job.get_attribute("data-status") == "failed":
            break
        page.wait_for_timeout(700)  # a person's pace; a tight loop would starve the (lower-priority) export process
        page.get_by_role("link", name="Aktualisieren").click()
        page.wait_for_load_state("load")
    assert job.get_attribute("data-status") == "done", job.inner_text()
    expect(download).to_be_visible()
    expect(job).to_have_class(re.compile("shown"))  # "Aktualisieren" keeps the person's job marked
