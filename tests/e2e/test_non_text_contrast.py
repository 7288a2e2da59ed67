"""Non-text contrast (WCAG 1.4.11), which axe-core does not check: the edges of fields, answer boxes and
secondary buttons, the bars against their track, and the focus ring all stand out at least 3:1 from what is
around them."""

from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from tests.e2e.helpers import Moderator, Phone, bar_texts

pytestmark = pytest.mark.e2e

COLOUR = """
const parse = (text) => {
  const m = text && text.match(/rgba?\\(([\\d.]+),\\s*([\\d.]+),\\s*([\\d.]+)(?:,\\s*([\\d.]+))?\\)/);
  return m ? {r: +m[1], g: +m[2], b: +m[3], a: m[4] === undefined ? 1 : +m[4]} : null;
};
const lum = (c) => {
  const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
  return 0.2126 * f(c.r) + 0.7152 * f(c.g) + 0.0722 * f(c.b);
};
const ratio = (a, b) => { const [x, y] = [lum(a), lum(b)].sort((p, q) => q - p); return (x + 0.05) / (y + 0.05); };
const backgroundOf = (el) => {
  for (let e = el; e; e = e.parentElement) {
    const c = parse(getComputedStyle(e).backgroundColor);
    if (c && c.a > 0) return c;
  }
  return {r: 255, g: 255, b: 255, a: 1};
};
const name = (el) => `<${el.tagName.toLowerCase()}${el.id ? '#' + el.id : ''}${el.className && typeof el.className === 'string' ? '.' + el.className.trim().split(/\\s+/).join('.') : ''}> "${(el.textContent || el.value || '').trim().slice(0, 40)}"`;
"""  # noqa: E501 (the script above)

# Every component's edge (or its fill, if that differs enough) against the background around it.
COMPONENT_EDGES = "() => {" + COLOUR + """
  const problems = [];
  const selector = 'input:not([type=hidden]):not([type=radio]):not([type=checkbox]), select, textarea, .choice, ' +
                   'button.secondary, .button.secondary, button.danger, .bars .bar-track';
  for (const el of document.querySelectorAll(selector)) {
    const box = el.getBoundingClientRect();
    if (!box.width || !box.height || el.closest('.visually-hidden')) continue;
    const s = getComputedStyle(el);
    const around = backgroundOf(el.parentElement);
    const edge = parseFloat(s.borderTopWidth) > 0 ? ratio(parse(s.borderTopColor), around) : 0;
    const fill = ratio(backgroundOf(el), around);
    if (Math.max(edge, fill) < 3) problems.push(`${name(el)}: edge ${edge.toFixed(2)}:1, fill ${fill.toFixed(2)}:1`);
  }
  for (const fill of document.querySelectorAll('.bars .bar-fill')) {
    if (!fill.getBoundingClientRect().width) continue;
    const r = ratio(backgroundOf(fill), backgroundOf(fill.parentElement));
    if (r < 3) problems.push(`bar ${name(fill.closest('li'))} against its track: ${r.toFixed(2)}:1`);
  }
  return problems;
}"""

# The focused element's ring: its outline or its box-shadow ring must stand out 3:1 from the background around it.
FOCUS_RING = "() => {" + COLOUR + """
  const el = document.activeElement;
  const s = getComputedStyle(el);
  const around = backgroundOf(el.parentElement);
  const outline = s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 2 ? ratio(parse(s.outlineColor), around) : 0;
  const shadow = s.boxShadow !== 'none' ? ratio(parse(s.boxShadow), around) : 0;
  return {what: name(el), best: Math.max(outline, shadow), outline, shadow};
}"""


def test_edges_bars_and_focus_ring_have_3_to_1_contrast(new_context, make_event, moderator_login):
    own = make_event("Kontrast", {"Alltag": [{"text": "Wie finden Sie die neuen Bänke am Markt?", "kind": "single",
                                             "options": ["Gut", "Geht so", "Nicht gut"]}]})
    question = own.questions[0]
    reports = []

    def check(label, page, tabs=0):
        problems = page.evaluate(COMPONENT_EDGES)
        for _ in range(tabs):
            page.keyboard.press("Tab")
            ring = page.evaluate(FOCUS_RING)
            if ring["best"] < 3:
                problems.append(f"focus ring on {ring['what']}: {ring['best']:.2f}:1")
        if problems:
            reports.append(f"{label} ({urlsplit(page.url).path}):\n" + "\n".join(f"  - {p}" for p in problems[:12]))

    visitor = new_context("contrast visitor", viewport={"width": 1280, "height": 800}).new_page()
    visitor.goto("/")
    check("start", visitor, tabs=5)
    visitor.goto("/login")
    check("login", visitor, tabs=5)

    own.act(question, "open")
    phone_context = new_context("contrast phone", viewport={"width": 390, "height": 800}, is_mobile=True, has_touch=True)
    phone = Phone("contrast", phone_context, phone_context.new_page())
    phone.join(own.links.join_url)
    phone.expect_question("Wie finden Sie die neuen Bänke am Markt?", "radio", 3)
    check("phone-question", phone.page, tabs=4)
    phone.vote("Gut")
    phone.expect_voted()

    moderator = Moderator(new_context("contrast moderator", viewport={"width": 1440, "height": 900},
                                      storage_state=moderator_login).new_page(), own.links)
    moderator.goto()
    moderator.expect_tally(bar_texts([1, 0, 0]), 1, timeout=5_000)
    check("moderator-control", moderator.page, tabs=12)
    moderator.page.goto(f"{moderator.path}/questions/{question['id']}/edit")
    check("question-form", moderator.page)

    own.act(question, "close")
    expect(phone.page.locator("#bars .bar-fill").first).to_be_visible()
    check("phone-result", phone.page)

    assert not reports, "Parts of the interface stand out less than 3:1 (WCAG 1.4.11):\n\n" + "\n\n".join(reports)
