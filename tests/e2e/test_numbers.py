"""Numbers and words that are right, in Chromium (#16, points 4 and 5).

A scale mean of 7.3469 (49 real votes: 17 × 8 and 32 × 7 make 360) reads "7,3" on the phone, the projector and the
control page: the server sends it exact and every page rounds it once, half up (rounded to 7.35 first, it used to
read "7,4"). The control page says "1 Gerät verbunden" and "2 Geräte verbunden". An open-text answer is received
and waits for review, a word-cloud answer is received, neither is "counted". A phone whose device cookie is lost
is refused for good: it says to reload, with a button, and no "neuer Versuch läuft". axe-core finds nothing."""

from __future__ import annotations

from urllib.parse import urlencode, urlsplit

import pytest
from playwright.sync_api import expect

from tests.e2e.helpers import (
    LIVE_WITHIN_MS,
    PHONE_DEVICES,
    RECEIVED,
    RECEIVED_REVIEW,
    axe_source,
    describe_violations,
    device,
    run_axe,
)

pytestmark = pytest.mark.e2e

SCALE_49 = [8] * 17 + [7] * 32  # sum 360: mean 360 / 49 = 7.346938…; the 25th of 49 sorted values: median 7
STATS = "Mittelwert 7,3 · Median 7"
Q_SCALE = {"text": "Wie zufrieden sind Sie mit dem Busangebot?", "kind": "scale", "scale_min": 1, "scale_max": 10,
           "phone_results": "live"}
Q_TEXT = {"text": "Was möchten Sie dem Kreistag mitgeben?", "kind": "text"}
Q_WORDS = {"text": "Was fehlt Ihnen im Ort?", "kind": "wordcloud", "max_choices": 1}


@pytest.fixture(scope="module")
def axe_js() -> str:
    return axe_source()


def _no_axe(page, axe_js, name: str) -> None:
    violations = run_axe(page, axe_js)
    assert not violations, describe_violations(name, page.url, violations)


def _form_votes(playwright_instance, base: str, code: str, question_id: int, values: list[int]) -> None:
    """Each value from a person of its own (own cookie), through the plain form: real votes, stored by the writer."""
    for value in values:
        api = playwright_instance.request.new_context(base_url=base)
        try:
            assert api.get(f"/j/{code}").ok
            response = api.post(f"/j/{code}/vote", data=urlencode({"question_id": question_id, "value": value}),
                                 headers={"Content-Type": "application/x-www-form-urlencoded"}, max_redirects=0)
            assert response.status == 303, f"vote {value}: HTTP {response.status} {response.text()[:300]}"
        finally:
            api.dispose()


def _phone(new_context, devices, index: int, url: str, **options):
    context = new_context(f"numbers phone {index}", **device(devices, PHONE_DEVICES[index]), **options)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(url)
    page.errors = errors  # type: ignore[attr-defined]
    return context, page


def test_a_mean_of_7_3469_reads_7_3_everywhere_and_words_are_right(
        new_context, devices, make_event, moderator_login, playwright_instance, axe_js, screenshot):
    event = make_event("Bürgerforum Waldheim", {"Mobilität": [Q_SCALE, Q_TEXT, Q_WORDS]})
    scale, text, words = event.questions
    links = event.links

    control_context = new_context("numbers control", viewport={"width": 1366, "height": 768}, storage_state=moderator_login)
    control = control_context.new_page()

    def show_control() -> None:
        """The control page as it is now (an action through the API does not rebuild its panel)."""
        control.goto(urlsplit(links.moderator_url).path)
        expect(control.locator("#conn")).to_have_attribute("data-state", "open", timeout=10_000)

    show_control()
    # The title names the place (Waldheim): the header does not say it again.
    expect(control.locator("h1")).to_have_text("Bürgerforum Waldheim")
    assert "Waldheim ·" not in control.locator("main").inner_text()

    projector = new_context("numbers projector", viewport={"width": 1920, "height": 1080}).new_page()
    projector.goto(urlsplit(links.projector_url).path)
    expect(projector.locator("#conn")).to_have_attribute("data-state", "open", timeout=10_000)
    expect(projector.locator(".event-name")).to_have_text("Bürgerforum Waldheim")

    # One phone, then two: "1 Gerät verbunden", "2 Geräte verbunden".
    _ctx_a, phone = _phone(new_context, devices, 0, links.join_url)
    expect(phone.locator("#conn")).to_have_attribute("data-state", "open", timeout=10_000)
    expect(control.locator("#live-phones")).to_have_text("1", timeout=10_000)
    expect(control.locator("#live-phones-unit")).to_have_text("Gerät verbunden")
    ctx_b, second = _phone(new_context, devices, 1, links.join_url)
    expect(control.locator("#live-phones")).to_have_text("2", timeout=10_000)
    expect(control.locator("#live-phones-unit")).to_have_text("Geräte verbunden")

    # ---- the scale: 49 real votes, mean 7.3469 ----
    event.act(scale, "open")
    expect(phone.locator("#vote-form legend")).to_have_text(Q_SCALE["text"])
    show_control()
    _form_votes(playwright_instance, links.base, links.join_code, scale["id"], SCALE_49)
    expect(phone.locator("#results .scale-stats")).to_have_text(STATS, timeout=5_000)  # live on the phone while voting
    expect(phone.locator("#results .scale-mean-mark")).to_have_text("Ø 7,3")
    expect(projector.locator("#p-results .scale-stats")).to_have_text(STATS, timeout=LIVE_WITHIN_MS)
    expect(projector.locator("#p-table-caption")).to_contain_text(f"({STATS})")
    expect(control.locator("#live-results .scale-stats")).to_have_text(STATS, timeout=LIVE_WITHIN_MS)
    expect(control.locator("#live-results .scale-mean-mark")).to_have_text("Ø 7,3")
    expect(control.locator("#live-voters")).to_have_text("49")
    expect(control.locator("#live-voters-unit")).to_have_text("Stimmen")
    expect(control.locator(f"#votes-unit-{scale['id']}")).to_have_text("Stimmen")
    for page in (phone, projector, control):
        assert "7,4" not in page.locator("body").inner_text(), page.url  # the old double rounding
    screenshot(phone, "numbers-phone-scale")
    screenshot(projector, "numbers-projector-scale")
    screenshot(control, "numbers-control-scale")
    _no_axe(phone, axe_js, "numbers-phone-scale")
    _no_axe(control, axe_js, "numbers-control-scale")
    # The same page without JavaScript (server-rendered _results.html) rounds the same way.
    _ctx_nojs, nojs = _phone(new_context, devices, 2, links.join_url, java_script_enabled=False)
    expect(nojs.locator("#results .scale-stats")).to_have_text(STATS)
    expect(nojs.locator("#results .scale-mean-mark")).to_have_text("Ø 7,3")

    # ---- open text: received, waiting for review ----
    event.act(scale, "close")
    event.act(text, "open")
    expect(phone.locator("#vote-form legend")).to_have_text(Q_TEXT["text"], timeout=5_000)
    show_control()
    expect(control.locator("#live-voters-unit")).to_have_text("Antworten")  # 0 Antworten
    phone.get_by_label("Ihre Antwort", exact=True).fill("Abends fährt kein Bus mehr nach Hause.")
    phone.locator("#vote-button").click()
    expect(phone.locator("#status")).to_have_text(RECEIVED_REVIEW, timeout=5_000)
    expect(control.locator("#live-voters")).to_have_text("1", timeout=LIVE_WITHIN_MS)
    expect(control.locator("#live-voters-unit")).to_have_text("Antwort")
    screenshot(phone, "numbers-phone-text-received")
    _no_axe(phone, axe_js, "numbers-phone-text-received")

    # ---- word cloud: received ----
    event.act(text, "close")
    event.act(words, "open")
    expect(phone.locator("#vote-form legend")).to_have_text(Q_WORDS["text"], timeout=5_000)
    phone.get_by_label("Ihr Begriff", exact=True).fill("Bäcker")
    phone.locator("#vote-button").click()
    expect(phone.locator("#status")).to_have_text(RECEIVED, timeout=5_000)

    # ---- a socket refused for good: the device cookie is lost, the page says what to do ----
    ctx_b.clear_cookies()
    expect(second.locator("#conn")).to_have_attribute("data-state", "open")
    second.evaluate("window.dispatchEvent(new Event('offline'))")  # drops the socket; the page reconnects without a cookie
    note = second.locator("#offline-note")
    expect(note).to_contain_text("Bitte laden Sie die Seite neu", timeout=10_000)
    expect(note).to_contain_text("Cookie")
    expect(second.locator("#conn")).to_have_text("Keine Verbindung")
    second.wait_for_timeout(1500)  # no retry follows: the words stay
    expect(second.locator("#conn")).to_have_text("Keine Verbindung")
    assert "neuer Versuch" not in second.locator("body").inner_text()
    expect(second.get_by_text("Ihr Gerät wurde nicht erkannt", exact=False)).to_have_count(1)  # said once, in the note
    screenshot(second, "numbers-phone-refused")
    _no_axe(second, axe_js, "numbers-phone-refused")
    note.get_by_role("button", name="Seite neu laden").click()  # a reload admits the phone again
    expect(second.locator("#conn")).to_have_attribute("data-state", "open", timeout=10_000)
    expect(note).to_be_hidden()

    for page in (phone, second):
        assert not page.errors, page.errors  # type: ignore[attr-defined]
