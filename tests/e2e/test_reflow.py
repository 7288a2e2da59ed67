"""Reflow (WCAG 1.4.10), zoom (1.4.4) and text spacing (1.4.12): at 320 CSS pixels and at 200 % zoom nothing
scrolls sideways and no text is cut off; the projector shows a ten-option question at 1920×1080 without scrolling."""

from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from tests.e2e.helpers import (
    MODERATOR_PASSWORD,
    MODERATOR_USER,
    Moderator,
    Phone,
    Projector,
    bar_texts,
    votes_given,
)

pytestmark = pytest.mark.e2e

# German runs to long compound words; a phone at 320 px must wrap them, not scroll.
LONG_QUESTION = {
    "text": "Wie bewerten Sie die Bürgerbeteiligungsmöglichkeiten beim Kreisentwicklungskonzept "
            "und bei der Breitbandausbauförderung im Landkreis?",
    "kind": "single",
    "options": ["Ausgezeichnet", "Verbesserungsbedürftig", "Unzureichend",
                "Informationsveranstaltungsankündigungen fehlen"],
}
SHORT_QUESTION = {"text": "Kommen Sie wieder?", "kind": "single", "options": ["Ja", "Nein"]}

# Ten options, some long, multiple choice (so the projector shows a hint line too): the tallest case.
TEN_OPTIONS = [
    "Breitband und Mobilfunk in allen Ortsteilen",
    "Bus und Bahn häufiger und auch abends",
    "Radwege zwischen den Gemeinden",
    "Ärztliche Versorgung auf dem Land",
    "Kitas und Schulen",
    "Bezahlbarer Wohnraum",
    "Energie sparen in öffentlichen Gebäuden",
    "Regionale Wirtschaft und Handwerk",
    "Online-Dienste des Landratsamts",
    "Treffpunkte für Jung und Alt",
]
TEN_QUESTION = {
    "text": "Welche Vorhaben sollte der Landkreis in den nächsten fünf Jahren vorrangig angehen, "
            "damit das Leben in den Dörfern attraktiv bleibt?",
    "kind": "multiple",
    "options": TEN_OPTIONS,
    "max_choices": 3,
}

# Everything a reader could miss: the page is wider than the window, text sticks out of the window, or a box
# with overflow other than `visible` holds more text than it shows (cut off, or scrolled inside the box).
# `width` is the window's intended CSS width: a phone browser zooms out when a page is too wide, and then
# window.innerWidth grows with the page.
LAYOUT_PROBLEMS = """(width) => {
  const problems = [];
  const root = document.documentElement;
  if (window.innerWidth > width) {
    problems.push(`the browser zoomed out to fit a ${window.innerWidth}px wide page into ${width}px`);
  }
  if (root.scrollWidth > window.innerWidth) {
    problems.push(`page is ${root.scrollWidth}px wide in a ${window.innerWidth}px window (sideways scrolling)`);
  }
  const offscreenOnPurpose = (el) =>
    el.closest('.visually-hidden, [hidden]') || (el.closest('.skip') && !el.closest('.skip').matches(':focus'));
  const describe = (el) => {
    const id = el.id ? '#' + el.id : '';
    const cls = typeof el.className === 'string' && el.className ? '.' + el.className.trim().split(/\\s+/).join('.') : '';
    return `<${el.tagName.toLowerCase()}${id}${cls}> "${el.textContent.trim().replace(/\\s+/g, ' ').slice(0, 50)}"`;
  };
  for (const el of document.body.querySelectorAll('*')) {
    if (offscreenOnPurpose(el)) continue;
    const rect = el.getBoundingClientRect();
    if (!rect.width && !rect.height) continue;
    const style = getComputedStyle(el);
    if (style.visibility === 'hidden') continue;
    const ownText = [...el.childNodes].some((n) => n.nodeType === Node.TEXT_NODE && n.textContent.trim());
    if (ownText && (rect.right > window.innerWidth + 0.5 || rect.left < -0.5)) {
      problems.push(`${describe(el)} reaches ${Math.round(rect.left)}..${Math.round(rect.right)}px, outside the ${window.innerWidth}px window`);
    }
    // Text fields scroll their own content, as they should; everything else must show all of its text.
    if (!el.textContent.trim() || el.matches('textarea, input, select')) continue;
    if (style.overflowX !== 'visible' && el.scrollWidth > el.clientWidth + 1) {
      problems.push(`${describe(el)} cuts off or scrolls its text sideways (overflow-x ${style.overflowX}: ${el.scrollWidth}px in ${el.clientWidth}px)`);
    }
    if (style.overflowY !== 'visible' && el !== document.body && el.scrollHeight > el.clientHeight + 1) {
      problems.push(`${describe(el)} cuts off its text (overflow-y ${style.overflowY}: ${el.scrollHeight}px in ${el.clientHeight}px)`);
    }
  }
  return problems;
}"""

VIEWPORTS = {
    # A small phone (iPhone SE 1st gen, many older Androids): the WCAG 1.4.10 reflow width.
    "320px": dict(viewport={"width": 320, "height": 640}, device_scale_factor=2, is_mobile=True, has_touch=True),
    # A 1280×800 desktop window at 200 % browser zoom: the same layout as a 640×400 CSS-pixel window at scale 2.
    "200pct-zoom": dict(viewport={"width": 640, "height": 400}, device_scale_factor=2),
}


@pytest.mark.parametrize("size", list(VIEWPORTS))
def test_no_sideways_scrolling_and_no_cut_off_text(size, new_context, make_event, moderator_login, screenshot):
    options = VIEWPORTS[size]
    own = make_event(f"Reflow {size}", {"Beteiligung": [LONG_QUESTION, SHORT_QUESTION]})
    long_q = own.questions[0]
    checked, reports = [], []

    def check(name, page):
        page.wait_for_load_state("load")
        problems = page.evaluate(LAYOUT_PROBLEMS, options["viewport"]["width"])
        checked.append(name)
        if problems:
            screenshot(page, f"reflow-{size}-{name}")
            reports.append(f"{name} ({urlsplit(page.url).path}):\n" + "\n".join(f"  - {p}" for p in problems[:12]))

    def report() -> str:
        return f"At {size}, {len(reports)} of {len(checked)} pages scroll sideways or cut text off:\n\n" + "\n\n".join(reports)

    try:
        # Visitor: start page, its error state, login (the error state too).
        visitor = new_context(f"reflow {size} visitor", **options).new_page()
        visitor.goto("/")
        check("start", visitor)
        visitor.get_by_label("Code der Veranstaltung").fill("000000")
        visitor.get_by_role("button", name="Teilnehmen").click()
        expect(visitor.get_by_role("alert")).to_be_visible()
        check("start-unknown-code", visitor)
        visitor.goto("/login")
        visitor.fill("#username", MODERATOR_USER)
        visitor.fill("#password", MODERATOR_PASSWORD + "-wrong")
        visitor.get_by_role("button", name="Anmelden").click()
        expect(visitor.get_by_role("alert")).to_be_visible()
        check("login-error", visitor)

        # The moderator at the same size: events list, control page, question form.
        mod_context = new_context(f"reflow {size} moderator", storage_state=moderator_login, **options)
        moderator = Moderator(mod_context.new_page(), own.links)
        moderator.page.goto("/moderator")
        check("moderator-events", moderator.page)
        moderator.page.goto(f"{moderator.path}/questions/{long_q['id']}/edit")
        check("question-edit-form", moderator.page)
        moderator.goto()
        check("moderator-control-join-screen", moderator.page)

        # Phone and projector on the join screen.
        phone_context = new_context(f"reflow {size} phone", **options)
        phone = Phone(size, phone_context, phone_context.new_page())
        phone.join(own.links.join_url)
        phone.expect_waiting()
        check("phone-waiting", phone.page)
        projector = Projector(new_context(f"reflow {size} projector", **options).new_page(), own.links)
        projector.goto()
        projector.expect_join_screen()
        check("projector-join", projector.page)

        # A question with long words is open.
        moderator.open_question(long_q["text"])
        check("moderator-control-open", moderator.page)
        phone.expect_question(long_q["text"], "radio", 4)
        check("phone-question", phone.page)
        phone.vote("Informationsveranstaltungsankündigungen fehlen")
        phone.expect_voted()
        check("phone-voted", phone.page)
        projector.expect_counts(bar_texts([0, 0, 0, 1]), 1, timeout=5_000)
        check("projector-question", projector.page)

        # Closed, with the result.
        moderator.press("Abstimmung schließen")
        check("moderator-control-closed", moderator.page)
        phone.expect_closed_with_result(long_q["text"], bar_texts([0, 0, 0, 1]), 1,
                                        mine=["Informationsveranstaltungsankündigungen fehlen"])
        check("phone-result", phone.page)

    except Exception as exc:
        if reports:  # a broken layout often makes a later step fail too: say what was seen first
            raise AssertionError(report()) from exc
        raise

    assert len(checked) == 14
    assert not reports, report()


def test_projector_shows_ten_options_at_1920x1080_without_scrolling(new_context, make_event, phones, screenshot):
    own = make_event("Zehn Antworten", {"Zukunft der Dörfer": [TEN_QUESTION]})
    question = own.questions[0]
    context = new_context("projector ten options", viewport={"width": 1920, "height": 1080}, device_scale_factor=1)
    projector = Projector(context.new_page(), own.links)
    projector.goto()
    own.act(question, "open")
    projector.expect_question(TEN_QUESTION["text"], "Abstimmung läuft")

    a, b, _c = phones
    for phone, labels in ((a, TEN_OPTIONS[:3]), (b, [TEN_OPTIONS[0], TEN_OPTIONS[9]])):
        phone.join(own.links.join_url)
        phone.expect_question(TEN_QUESTION["text"], "checkbox", 10)
        phone.vote(*labels)
    expected = bar_texts([2, 1, 1, 0, 0, 0, 0, 0, 0, 1], voters=2)
    projector.expect_counts(expected, 2, timeout=5_000)
    page = projector.page

    fit = """() => {
      const root = document.documentElement;
      const rows = [...document.querySelectorAll('#p-bars li')].map((li) => {
        const r = li.getBoundingClientRect();
        const name = li.querySelector('.bar-name');
        return {top: r.top, bottom: r.bottom, right: r.right, text: name.textContent,
                clipped: name.scrollWidth > name.clientWidth + 1 || name.scrollHeight > name.clientHeight + 1,
                fontPx: parseFloat(getComputedStyle(name).fontSize)};
      });
      const footer = document.querySelector('.p-footer').getBoundingClientRect();
      return {scrollHeight: root.scrollHeight, scrollWidth: root.scrollWidth, innerHeight, innerWidth, rows,
              footerTop: footer.top, footerBottom: footer.bottom};
    }"""

    def assert_fits(state: str) -> None:
        info = page.evaluate(fit)
        assert info["scrollHeight"] <= info["innerHeight"], (
            f"{state}: the projector page is {info['scrollHeight']}px tall in a {info['innerHeight']}px screen"
        )
        assert info["scrollWidth"] <= info["innerWidth"], f"{state}: the projector page scrolls sideways"
        assert [row["text"] for row in info["rows"]] == TEN_OPTIONS
        for row in info["rows"]:
            assert row["top"] >= 0 and row["bottom"] <= info["footerTop"], f"{state}: option off screen or under the footer: {row}"
            assert row["right"] <= info["innerWidth"], f"{state}: option sticks out on the right: {row}"
            assert not row["clipped"], f"{state}: the option's text is cut off: {row}"
            assert row["fontPx"] >= 24, f"{state}: option text too small to read from the back of the hall: {row}"
        assert info["footerBottom"] <= info["innerHeight"], f"{state}: the footer is below the screen: {info}"

    expect(page.locator("#p-bars .bar-name")).to_have_text(TEN_OPTIONS)
    for row in page.locator("#p-bars li").all():
        expect(row).to_be_in_viewport(ratio=1)
    assert_fits("open, 2 voters")
    expect(page.locator("#p-hint")).to_be_visible()
    expect(page.locator("#p-votes")).to_have_text(votes_given(2))
    screenshot(page, "projector-ten-options")

    own.act(question, "close")
    projector.expect_question(TEN_QUESTION["text"], "Abstimmung beendet")
    projector.expect_counts(expected, 2, timeout=5_000)
    assert_fits("closed")

    own.act(question, "hide-results")
    expect(page.locator("#p-hidden")).to_be_visible()
    expect(page.locator("#p-bars .bar-name")).to_have_text(TEN_OPTIONS)
    assert_fits("closed, result hidden")


# WCAG 1.4.12 Text Spacing: the user's own style sheet may set these; no content may be lost. (The page's CSP forbids
# inline styles, so these contexts bypass it, as a browser extension or user style sheet would.)
TEXT_SPACING = """* { line-height: 1.5 !important; letter-spacing: .12em !important; word-spacing: .16em !important; }
p { margin-bottom: 2em !important; }"""


def test_text_spacing_overrides_lose_no_text(new_context, make_event, moderator_login, screenshot):
    own = make_event("Textabstände", {"Beteiligung": [LONG_QUESTION]})
    question = own.questions[0]
    sizes = {"phone": dict(viewport={"width": 390, "height": 800}, is_mobile=True, has_touch=True),
             "desktop": dict(viewport={"width": 1440, "height": 900}),
             "projector": dict(viewport={"width": 1920, "height": 1080})}
    reports = []

    def check(name, page, width):
        page.add_style_tag(content=TEXT_SPACING)
        assert page.evaluate("getComputedStyle(document.body).wordSpacing") != "0px", "the spacing did not apply"
        problems = page.evaluate(LAYOUT_PROBLEMS, width)
        if problems:
            screenshot(page, f"text-spacing-{name}")
            reports.append(f"{name} ({urlsplit(page.url).path}):\n" + "\n".join(f"  - {p}" for p in problems[:12]))

    visitor = new_context("text spacing visitor", bypass_csp=True, **sizes["phone"]).new_page()
    visitor.goto("/")
    check("start", visitor, 390)
    visitor.goto("/login")
    check("login", visitor, 390)

    own.act(question, "open")
    phone_context = new_context("text spacing phone", bypass_csp=True, **sizes["phone"])
    phone = Phone("text spacing", phone_context, phone_context.new_page())
    phone.join(own.links.join_url)
    phone.expect_question(LONG_QUESTION["text"], "radio", 4)
    phone.vote("Verbesserungsbedürftig")
    phone.expect_voted()
    check("phone-voted", phone.page, 390)

    projector = Projector(new_context("text spacing projector", bypass_csp=True, **sizes["projector"]).new_page(), own.links)
    projector.goto()
    projector.expect_counts(bar_texts([0, 1, 0, 0]), 1, timeout=5_000)
    check("projector-question", projector.page, 1920)
    moderator = Moderator(new_context("text spacing moderator", bypass_csp=True, storage_state=moderator_login,
                                      **sizes["desktop"]).new_page(), own.links)
    moderator.goto()
    moderator.expect_tally(bar_texts([0, 1, 0, 0]), 1, timeout=5_000)
    check("moderator-control", moderator.page, 1440)

    own.act(question, "close")
    phone.expect_closed_with_result(LONG_QUESTION["text"], bar_texts([0, 1, 0, 0]), 1, mine=["Verbesserungsbedürftig"])
    check("phone-result", phone.page, 390)

    assert not reports, f"With WCAG 1.4.12 text spacing, {len(reports)} page(s) lose text:\n\n" + "\n\n".join(reports)
