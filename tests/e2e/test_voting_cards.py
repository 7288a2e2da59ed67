"""Strict mode with printed voting cards in a real browser: the moderator switches it on and downloads a sheet,
phones enter a card (typed or from the QR code) and vote, the projector counts each card once; a phone without
a card sees the entry form, and one that was already connected is led there. axe and reflow at 320 px on the
card entry page and the moderator's card panel. docs/voting-cards.md names this test."""

import io
import os
import re
from urllib.parse import urlsplit

import pypdfium2
import pytest
import zxingcpp
from playwright.sync_api import expect
from pypdf import PdfReader

from tests.e2e.conftest import DOCS_SCREENSHOTS, SCREENSHOTS
from tests.e2e.helpers import Moderator, Phone, Projector, axe_source, bar_texts, describe_violations, device, run_axe
from tests.e2e.test_reflow import LAYOUT_PROBLEMS

pytestmark = pytest.mark.e2e

QUESTION = {"text": "Soll der Kreistag den Haushaltsentwurf so beschließen?", "kind": "single",
            "options": ["Ja", "Nein", "Enthaltung"]}
CODE_RE = re.compile(r"\b[2-9A-Z]{4}-[2-9A-Z]{4}-[2-9A-Z]{2}\b")
PHONE_320 = dict(viewport={"width": 320, "height": 640}, device_scale_factor=2, is_mobile=True, has_touch=True)


def save_sheet_screenshot(pdf: bytes) -> None:
    """The sheet's first page as PNG (the docs' screenshot, as `pdftoppm -png -f 1 -l 1` would make it)."""
    document = pypdfium2.PdfDocument(pdf)
    try:
        image = document[0].render(scale=1.5).to_pil()
    finally:
        document.close()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    image.save(SCREENSHOTS / "voting-cards-sheet.png")
    if os.environ.get("UPDATE_DOCS_SCREENSHOTS") == "1":
        image.convert("L").save(DOCS_SCREENSHOTS / "voting-cards-sheet.png", optimize=True)


def test_strict_mode_cards_from_sheet_to_projector(new_context, make_event, moderator_login, devices, app_server, screenshot):
    own = make_event("Sitzung des Kreistags Mittelsachsen mit Abstimmkarten: Haushalt 2027", {"Haushalt": [QUESTION]})
    question = own.questions[0]
    axe_js = axe_source()
    reports, layout = [], []

    def audit(name, page, width=None):
        page.wait_for_load_state("load")
        violations = run_axe(page, axe_js)
        if violations:
            reports.append(describe_violations(name, page.url, violations))
        if width:
            problems = page.evaluate(LAYOUT_PROBLEMS, width)
            if problems:
                layout.append(f"{name}: " + "; ".join(problems[:8]))

    # A phone that is already on the page when strict mode starts.
    early_context = new_context("cards early phone", **device(devices, "Pixel 7"))
    early = Phone("early", early_context, early_context.new_page())
    early.join(own.links.join_url)
    early.expect_waiting()

    # The moderator switches strict mode on (the page asks first) and downloads a sheet of 10 cards.
    mod_context = new_context("cards moderator", viewport={"width": 1440, "height": 900}, storage_state=moderator_login)
    moderator = Moderator(mod_context.new_page(), own.links)
    moderator.goto()
    page = moderator.page
    page.on("dialog", lambda dialog: dialog.accept())
    panel = page.locator("#cards")
    with page.expect_navigation():
        panel.get_by_role("button", name="Strengen Modus einschalten").click()
    expect(page.locator(".flash.success")).to_contain_text("Strenger Modus ist an")
    expect(page.locator("#cards-state")).to_contain_text("an")

    # The early phone is told to enter a card, and stops trying to reconnect.
    expect(early.page.locator("#phone-heading")).to_have_text("Abstimmkarte eingeben")
    expect(early.page.locator("#phone .notice.error")).to_contain_text("mit einer Abstimmkarte ab")
    expect(early.page.locator("#conn")).to_be_hidden()

    page.get_by_label("Anzahl Karten").fill("10")
    # The sheet is drawn by a child process: seconds on a quiet machine, more on a busy one.
    with page.expect_download(timeout=120_000) as download_info:
        panel.get_by_role("button", name="Karten erzeugen (PDF herunterladen)").click(timeout=120_000)
    download = download_info.value
    assert download.suggested_filename == f"abstimmkarten-{own.links.join_code}-satz-1.pdf"
    pdf = open(download.path(), "rb").read()
    text = " ".join(" ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages).split())
    codes = CODE_RE.findall(text)
    assert len(codes) == 10 and len(set(codes)) == 10
    save_sheet_screenshot(pdf)
    document = pypdfium2.PdfDocument(pdf)
    links = sorted(b.text for b in zxingcpp.read_barcodes(document[0].render(scale=4).to_pil()))
    document.close()
    assert len(links) == 8 and all(link.startswith(own.links.join_url + "?karte=") for link in links)

    moderator.goto()
    expect(page.locator("#cards-total")).to_have_text("10")
    expect(page.locator("#batch-1")).to_contain_text("10")
    panel.scroll_into_view_if_needed()
    screenshot(page, "moderator-cards")
    audit("moderator card panel", page)

    # A phone without a card sees the entry form; a wrong code is explained; the right one lets it in.
    typed_context = new_context("cards typed phone", **PHONE_320)
    typed = Phone("typed", typed_context, typed_context.new_page())
    typed.page.goto(own.links.join_url)
    expect(typed.page.get_by_role("heading", level=1)).to_have_text("Abstimmkarte eingeben")
    audit("card entry", typed.page, 320)
    screenshot(typed.page, "phone-card-entry-320px")
    shown = new_context("cards docs phone", **device(devices, "Pixel 7")).new_page()
    shown.goto(own.links.join_url)
    expect(shown.get_by_label("Code Ihrer Abstimmkarte")).to_be_visible()
    screenshot(shown, "phone-card-entry", docs=True)
    field = typed.page.get_by_label("Code Ihrer Abstimmkarte")
    field.fill("K7QX-M2PD-9R" if "K7QX-M2PD-9R" not in codes else "K7QX-M2PD-9S")
    with typed.page.expect_navigation():
        typed.page.get_by_role("button", name="Mit dieser Karte abstimmen").click()
    expect(typed.page.get_by_role("alert")).to_contain_text("Diese Karte gilt hier nicht")
    audit("card entry with error", typed.page, 320)
    screenshot(typed.page, "phone-card-entry-error")
    qr_codes = {link.rsplit("=", 1)[1] for link in links}
    typed_code = next(c for c in codes if c.replace("-", "") not in qr_codes)  # a card of page 2
    typed.page.get_by_label("Code Ihrer Abstimmkarte").fill(typed_code.lower().replace("-", " "))
    with typed.page.expect_navigation():
        typed.page.get_by_role("button", name="Mit dieser Karte abstimmen").click()
    assert urlsplit(typed.page.url).path == f"/j/{own.links.join_code}"
    typed.expect_connected()
    typed.expect_waiting()
    expect(typed.page.locator("#card-held")).to_contain_text(typed_code[-2:])
    audit("phone with card", typed.page, 320)

    # Two phones scan the same card's QR code; they land on the clean URL.
    shared = links[0]
    scanned = []
    for name in ("iPhone 13", "Galaxy S9+"):
        context = new_context(f"cards qr phone {name}", **device(devices, name))
        phone = Phone(name, context, context.new_page())
        phone.page.goto(shared)
        assert phone.page.url == own.links.join_url, phone.page.url
        phone.expect_connected()
        scanned.append(phone)

    projector = Projector(new_context("cards projector", viewport={"width": 1920, "height": 1080}).new_page(), own.links)
    projector.goto()
    own.act(question, "open")
    projector.expect_question(QUESTION["text"], "Abstimmung läuft")

    typed.expect_question(QUESTION["text"], "radio", 3)
    typed.vote("Ja")
    typed.expect_voted()
    first, second = scanned
    first.expect_question(QUESTION["text"], "radio", 3)
    first.vote("Nein")
    first.expect_voted()
    projector.expect_counts(bar_texts([1, 1, 0]), 2, timeout=5_000)
    # The same card on another phone: it changes the card's answer, it does not add one.
    second.page.reload()
    second.expect_connected()
    second.expect_question(QUESTION["text"], "radio", 3)
    expect(second.page.locator("#status")).to_contain_text("bereits abgestimmt")
    second.vote("Enthaltung")
    second.expect_voted()
    projector.expect_counts(bar_texts([1, 0, 1]), 2, timeout=5_000)

    moderator.goto()
    expect(page.locator("#cards-voted")).to_have_text("2")
    audit("moderator card panel with votes", page)

    # The same panel on a phone-sized screen: nothing scrolls sideways.
    small = new_context("cards moderator 320", storage_state=moderator_login, **PHONE_320).new_page()
    small.goto(urlsplit(own.links.moderator_url).path + "#cards")
    audit("moderator card panel 320px", small, 320)

    # No card code ever reached the server's log (the access log is off; the QR link is redirected away).
    log = app_server.log_path.read_text("utf-8", "replace")
    for code in codes:
        assert code not in log and code.replace("-", "") not in log

    assert not reports, "\n\n".join(reports)
    assert not layout, "\n".join(layout)
