"""The results pages in Chromium: an event's results, a series' overview and one linked question compared across
two events, with real votes cast through the phones' form. axe finds nothing; at 200 % zoom (640 CSS pixels) the
page does not scroll sideways; printed, no navigation, button, form or projector link is on the paper."""

import os
import re
import shutil
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.e2e.helpers import axe_source, describe_violations, run_axe

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
FORMAT = "Wie gefällt Ihnen das Format der Regionalkonferenz?"
OPTIONS = ["Gut", "Geht so", "Schlecht"]
BUSES = "Sollen die Busse zwischen den Gemeinden öfter fahren?"
CLOUD = "Was verbinden Sie mit dem Landkreis in einem Wort?"
# What is on the screen but must not be on paper.
NOT_ON_PAPER = "nav[aria-label], .site-header, button, .button, form, #projector-link, .page-actions, .toc"


@pytest.fixture(scope="module")
def axe_js() -> str:
    return axe_source()


class Hall:
    """Votes cast the way a phone without JavaScript casts them: its own cookies, the join page, the form."""

    def __init__(self, playwright_instance, base: str, code: str, people: int) -> None:
        self.code = code
        self.phones = [playwright_instance.request.new_context(base_url=base) for _ in range(people)]
        for phone in self.phones:
            assert phone.get(f"/j/{code}").ok

    def vote(self, question: dict, labels: list[str]) -> None:
        ids = {o["label"]: o["id"] for o in question.get("options", [])}
        for phone, label in zip(self.phones, labels, strict=False):
            field = {"choice": str(ids[label])} if ids else {"term": label}
            response = phone.post(f"/j/{self.code}/vote", form={"question_id": str(question["id"]), **field}, max_redirects=0)
            assert response.status == 303, f"vote {label}: HTTP {response.status}"

    def leave(self) -> None:
        for phone in self.phones:
            phone.dispose()


@pytest.fixture
def series(playwright_instance, moderator_login, demo):
    """Döbeln (two rounds of the format question) and Frankenberg (made from Döbeln's template, the bus question
    still open): a series of two events with votes. Yields the ids and the format question's key."""
    api = playwright_instance.request.new_context(base_url=demo.base, storage_state=moderator_login)
    halls = []

    def post(path: str, body: dict | None = None) -> dict:
        response = api.post(path, data=body or {})
        assert response.ok, f"POST {path}: HTTP {response.status} {response.text()}"
        return response.json()

    def agenda(event_id: int) -> dict[str, dict]:
        return {q["text"]: q for t in api.get(f"/api/events/{event_id}").json()["topics"] for q in t["questions"]}

    def run(event: dict, question: dict, labels: list[str], hall: Hall, close: bool = True) -> None:
        base = f"/api/events/{event['id']}/questions/{question['id']}"
        post(f"{base}/open")
        hall.vote(question, labels)
        if close:
            post(f"{base}/close")

    dob = post("/api/events", {"title": "Regionalkonferenz Döbeln (Ergebnisse)", "place": "Döbeln", "date": "2023-03-15"})
    fmt_topic = post(f"/api/events/{dob['id']}/topics", {"title": "Zum Format der Konferenz"})
    mob_topic = post(f"/api/events/{dob['id']}/topics", {"title": "Mobilität"})
    post(f"/api/events/{dob['id']}/topics/{fmt_topic['id']}/questions", {"text": FORMAT, "kind": "single", "options": OPTIONS})
    post(f"/api/events/{dob['id']}/topics/{mob_topic['id']}/questions", {"text": BUSES, "kind": "yesno"})
    post(f"/api/events/{dob['id']}/topics/{mob_topic['id']}/questions", {"text": CLOUD, "kind": "wordcloud"})
    questions = agenda(dob["id"])
    hall = Hall(playwright_instance, demo.base, dob["join_code"], 8)
    halls.append(hall)
    run(dob, questions[FORMAT], ["Gut"] * 5 + ["Geht so"] * 2 + ["Schlecht"], hall)
    post(f"/api/events/{dob['id']}/questions/{questions[FORMAT]['id']}/new-round")
    run(dob, questions[FORMAT], ["Gut"] * 6 + ["Geht so", "Schlecht"], hall)
    run(dob, questions[BUSES], ["Ja"] * 6 + ["Nein", "Enthaltung"], hall)
    run(dob, questions[CLOUD], ["Ländlich", "Erzgebirge", "ländlich", "Heimat", "Erzgebirge", "Ruhe", "Ländlich"], hall)
    template = post(f"/api/events/{dob['id']}/template", {"title": "Regionalkonferenzen (Ergebnisse)"})
    fra = post("/api/events/from-template", {"template_id": template["id"], "title": "Regionalkonferenz Frankenberg (Ergebnisse)",
                                             "place": "Frankenberg", "date": "2023-06-14"})
    linked = agenda(fra["id"])
    hall_b = Hall(playwright_instance, demo.base, fra["join_code"], 7)
    halls.append(hall_b)
    run(fra, linked[FORMAT], ["Gut"] * 2 + ["Geht so"] * 3 + ["Schlecht"] * 2, hall_b)
    run(fra, linked[BUSES], ["Ja"] * 3 + ["Nein"] * 3, hall_b, close=False)  # still open: an interim result
    yield {"dob": dob["id"], "fra": fra["id"], "series": template["series_id"], "key": questions[FORMAT]["key"]}
    post(f"/api/events/{fra['id']}/questions/{linked[BUSES]['id']}/close")
    for hall in halls:
        hall.leave()
    api.dispose()


def _docs_screenshot(page, path: Path, name: str) -> None:
    """Into test-artifacts always; into docs/ with UPDATE_DOCS_SCREENSHOTS=1."""
    if os.environ.get("UPDATE_DOCS_SCREENSHOTS") == "1":
        shutil.copyfile(path, ROOT / "docs" / name)


def _no_sideways_scroll(page) -> None:
    wide = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    assert wide[0] <= wide[1], f"{page.url}: the page is {wide[0]}px wide in a {wide[1]}px window"


def test_results_pages_in_the_browser(new_context, moderator_login, series, axe_js, screenshot):
    context = new_context("results pages", viewport={"width": 1280, "height": 900}, storage_state=moderator_login)
    page = context.new_page()
    reports = []

    def audit(name: str) -> None:
        page.wait_for_load_state("load")
        violations = run_axe(page, axe_js)
        if violations:
            reports.append(describe_violations(name, page.url, violations))

    # The event: two rounds side by side, the abstention set apart, the roll-up, charts beside the tables.
    page.goto("/moderator")
    expect(page.locator(f'a[href="/moderator/events/{series["dob"]}/results"]')).to_be_visible()
    screenshot(page, "results-link-overview")
    page.goto(f"/moderator/events/{series['dob']}")
    screenshot(page, "results-link-control")
    page.get_by_role("link", name="Ergebnisse ansehen").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Ergebnisse: Regionalkonferenz Döbeln (Ergebnisse)")
    table = page.get_by_role("table", name=FORMAT)
    expect(table.get_by_role("columnheader", name="Runde 2")).to_be_visible()
    expect(table.get_by_role("row", name="Gut")).to_contain_text("5")
    expect(page.get_by_role("table", name=BUSES).get_by_role("row", name=re.compile("^Enthaltung"))).to_contain_text("eigene Zeile")
    expect(page.get_by_role("table", name="Zum Format der Konferenz")).to_contain_text("Gut – 6 (75\u00a0%)")
    expect(page.get_by_role("table", name=CLOUD).get_by_role("row").nth(1)).to_contain_text("Ländlich")
    expect(page.locator(".charts svg")).to_have_count(4)
    audit("event-results")
    path = screenshot(page, "results-page")
    page.screenshot(path=str(path), full_page=True, animations="disabled", caret="hide")
    _docs_screenshot(page, path, "results-page.png")

    # The series: both events, the roll-up per event, the comparison one click away.
    page.goto(f"/moderator/series/{series['series']}/results")
    expect(page.get_by_role("table", name="Veranstaltungen der Reihe nach Datum").get_by_role("row")).to_have_count(3)
    expect(page.get_by_role("table", name="Mobilität")).to_contain_text("Zwischenstand")
    audit("series-results")
    page.get_by_role("link", name=FORMAT).first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text(FORMAT)
    compared = page.get_by_role("table", name=FORMAT)
    expect(compared.get_by_role("columnheader", name="gepoolt, ungewichtet")).to_be_visible()
    expect(compared.get_by_role("row", name="Gut")).to_contain_text("8")
    expect(page.locator(".charts svg")).to_have_count(3)
    audit("series-compare")
    path = screenshot(page, "series-compare")
    page.screenshot(path=str(path), full_page=True, animations="disabled", caret="hide")
    _docs_screenshot(page, path, "series-compare.png")
    assert not reports, "\n\n".join(reports)


def test_results_pages_reflow_at_200_percent_and_print_clean(new_context, moderator_login, series, screenshot):
    # 1280 pixels at 200 %: 640 CSS pixels.
    context = new_context("results zoom", viewport={"width": 640, "height": 900}, storage_state=moderator_login)
    page = context.new_page()
    pages = [f"/moderator/events/{series['dob']}/results", f"/moderator/series/{series['series']}/results",
             f"/moderator/series/{series['series']}/compare/{series['key']}"]
    for url in pages:
        page.goto(url)
        _no_sideways_scroll(page)
    screenshot(page, "series-compare-640")
    for url in pages:
        page.emulate_media(media="screen")
        page.goto(url)
        expect(page.locator(".page-actions, .no-print").first).to_be_visible()
        page.emulate_media(media="print")
        for element in page.locator(NOT_ON_PAPER).all():
            expect(element).to_be_hidden()
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        expect(page.locator("table").first).to_be_visible()
        paper = ARTIFACTS / f"print-{url.strip('/').replace('/', '-')}.pdf"  # to look at: pypdfium2 renders it
        paper.write_bytes(page.pdf(format="A4"))
    # The control page on paper: its agenda, none of its buttons, never the secret projector link.
    page.emulate_media(media="screen")
    page.goto(f"/moderator/events/{series['fra']}")
    expect(page.locator("#projector-link")).to_be_visible()
    page.emulate_media(media="print")
    expect(page.locator("#projector-link")).to_be_hidden()
    for element in page.locator(NOT_ON_PAPER).all():
        expect(element).to_be_hidden()
    expect(page.get_by_role("heading", name="Ablauf: Themen und Fragen")).to_be_visible()
    expect(page.get_by_text("Die Ergebnisse drucken Sie über „Ergebnisse ansehen“")).to_be_visible()
    pdf = page.pdf(format="A4")
    assert pdf.startswith(b"%PDF")
    (ARTIFACTS / "print-control-page.pdf").write_bytes(pdf)
