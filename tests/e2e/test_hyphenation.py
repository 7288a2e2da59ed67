"""Hyphenation never splits a short word ("Regi-on?", seen in Firefox), and long German compounds still wrap at 320 px.

The stylesheets hyphenate automatically only where the browser honours `hyphenate-limit-chars: 10 4 4` (a word of
10 letters or more, 4 on each side of the break); elsewhere only soft hyphens, and `overflow-wrap: anywhere` breaks
a word too long for its line as the last resort. Chromium is the only engine here: the tests check the computed
styles this relies on, that no rule in any stylesheet turns on automatic hyphenation outside that `@supports`
test, and, on a 320 px phone, that no word under 10 letters is split over two lines and nothing overflows.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.helpers import Phone
from tests.e2e.test_reflow import LAYOUT_PROBLEMS, VIEWPORTS

pytestmark = pytest.mark.e2e

LIMIT = "10 4 4"
SHORT = 10  # a word with fewer letters is never split

QUESTIONS = [
    {"text": "Wie bewerten Sie die Digitalisierungsstrategie der Regionalkonferenz in der Region?", "kind": "single",
     "options": ["Überzeugend für die Region", "Digitalisierungsstrategieentwicklung fehlt", "Weiß nicht"]},
    {"text": "Wie zufrieden sind Sie mit der Breitbandausbauförderung in der Region?", "kind": "scale", "scale_min": 1,
     "scale_max": 5, "scale_label_min": "Regionalentwicklungsziel verfehlt", "scale_label_max": "Region vorbildlich"},
    {"text": "Ordnen Sie die Vorhaben der Regionalkonferenz.", "kind": "ranking",
     "options": ["Straßenunterhaltungsmaßnahmen", "Radwege in der Region", "Kindertagesstättenplätze"]},
    {"text": "Verteilen Sie 100 Punkte auf die Förderschwerpunkte der Region.", "kind": "points",
     "options": ["Energieeffizienzmaßnahmen", "Ortskerne", "Denkmalschutzförderung"]},
    {"text": "Was verbinden Sie mit der Regionalkonferenz?", "kind": "wordcloud", "max_choices": 2},
]

# The elements that may hyphenate, on the phone's question and result views.
HYPHENATED = ("legend", "h1", "h2", ".choice span", ".bar-name", ".scale-pick-ends span", ".scale-ends span", ".rank-name",
              ".points-name", ".term", ".term-name")

STYLES = """(selectors) => {
  const out = [];
  for (const selector of selectors) {
    for (const el of document.querySelectorAll('#phone ' + selector)) {
      if (!el.getClientRects().length || !el.textContent.trim()) continue;
      const s = getComputedStyle(el);
      out.push({selector, text: el.textContent.trim().slice(0, 40), hyphens: s.hyphens,
                limit: s.hyphenateLimitChars, wrap: s.overflowWrap});
    }
  }
  return out;
}"""

# Every word under `short` letters in the page's visible text that the browser laid out over more than one line.
SPLIT_WORDS = """(short) => {
  const split = [];
  const walker = document.createTreeWalker(document.getElementById('main'), NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const el = node.parentElement;
    if (!el || el.closest('.visually-hidden, [hidden], script, noscript') || !el.getClientRects().length) continue;
    for (const match of node.data.matchAll(/[\\p{L}\\p{N}'’-]+[?!.,:;]?/gu)) {
      const letters = match[0].replace(/[^\\p{L}\\p{N}]/gu, '').length;
      if (letters >= short) continue;
      const range = document.createRange();
      range.setStart(node, match.index);
      range.setEnd(node, match.index + match[0].length);
      const tops = new Set([...range.getClientRects()].filter((r) => r.width > 0).map((r) => Math.round(r.top)));
      if (tops.size > 1) split.push(`"${match[0]}" in <${el.tagName.toLowerCase()} class="${el.className}">`);
    }
  }
  return split;
}"""

# Every style rule (in every stylesheet of the page) that turns automatic hyphenation on, and whether it sits
# inside an @supports test for hyphenate-limit-chars.
AUTO_HYPHENATION_RULES = """() => {
  const found = [];
  const walk = (rules, guarded) => {
    for (const rule of rules) {
      const inSupports = rule instanceof CSSSupportsRule;
      const guard = guarded || (inSupports && /hyphenate-limit-chars/.test(rule.conditionText));
      if (rule.cssRules && !(rule instanceof CSSStyleRule)) walk(rule.cssRules, guard);
      if (!(rule instanceof CSSStyleRule)) continue;
      const on = ['hyphens', '-webkit-hyphens', '--hyphens'].filter((p) => rule.style.getPropertyValue(p).trim() === 'auto');
      if (on.length) found.push({selector: rule.selectorText, sheet: (rule.parentStyleSheet.href || 'inline').split('/').pop(), guarded: guard});
      if (rule.cssRules && rule.cssRules.length) walk(rule.cssRules, guard);
    }
  };
  for (const sheet of document.styleSheets) walk(sheet.cssRules, false);
  return found;
}"""

ALL_STYLESHEETS = ["app.css", "results.css", "moderator.css", "results-page.css", "projector.css", "export.css"]


def test_stylesheets_hyphenate_only_where_short_words_are_safe(new_context):
    """No stylesheet turns on `hyphens: auto` outside `@supports (hyphenate-limit-chars …)`, and the limit is 10 4 4."""
    page = new_context("hyphenation stylesheets").new_page()
    page.goto("/login")
    loaded = page.evaluate("""(names) => Promise.all(names.map((name) => new Promise((resolve, reject) => {
        if ([...document.styleSheets].some((s) => s.href && s.href.endsWith('/static/css/' + name))) return resolve(name);
        const link = Object.assign(document.createElement('link'), {rel: 'stylesheet', href: '/static/css/' + name});
        link.onload = () => resolve(name);
        link.onerror = () => reject(new Error(name));
        document.head.append(link);
      })))""", ALL_STYLESHEETS)
    assert sorted(loaded) == sorted(ALL_STYLESHEETS)
    rules = page.evaluate(AUTO_HYPHENATION_RULES)
    unguarded = [r for r in rules if not r["guarded"]]
    assert not unguarded, "automatic hyphenation outside @supports (hyphenate-limit-chars …):\n" + "\n".join(map(str, unguarded))
    assert [r["selector"] for r in rules] == [":root"], f"hyphenation is switched on in one place only: {rules}"
    assert page.evaluate("getComputedStyle(document.documentElement).hyphenateLimitChars") == LIMIT


def test_no_short_word_is_split_and_long_words_wrap_at_320_px(new_context, make_event, screenshot):
    own = make_event("Silbentrennung", {"Regionalkonferenz": QUESTIONS})
    context = new_context("hyphenation 320px", **VIEWPORTS["320px"])
    phone = Phone("320px", context, context.new_page())
    other_context = new_context("hyphenation other", **VIEWPORTS["320px"])
    other = Phone("other", other_context, other_context.new_page())
    page = phone.page
    phone.join(own.links.join_url)
    other.join(own.links.join_url)
    problems, styles_seen = [], set()

    def check(name: str) -> None:
        for style in page.evaluate(STYLES, list(HYPHENATED)):
            styles_seen.add(style["selector"])
            if (style["hyphens"], style["limit"], style["wrap"]) != ("auto", LIMIT, "anywhere"):
                problems.append(f"{name}: {style['selector']} ({style['text']!r}): hyphens {style['hyphens']}, "
                                f"hyphenate-limit-chars {style['limit']}, overflow-wrap {style['wrap']}")
        problems.extend(f"{name}: short word split over two lines: {s}" for s in page.evaluate(SPLIT_WORDS, SHORT))
        problems.extend(f"{name}: {p}" for p in page.evaluate(LAYOUT_PROBLEMS, 320))
        screenshot(page, f"hyphenation-320px-{name}")

    for question, spec in zip(own.questions, QUESTIONS, strict=True):
        kind = question["kind"]
        own.act(question, "open")
        expect(page.locator("#vote-form legend")).to_have_text(question["text"])
        expect(page.locator("#vote-form[data-bound]")).to_have_count(1)
        check(f"{kind}-open")
        if kind == "wordcloud":
            for p, terms in ((phone, ["Digitalisierungsstrategie", "Region"]), (other, ["Regionalkonferenz", "Region"])):
                p.page.get_by_label("Begriff 1", exact=True).fill(terms[0])
                p.page.get_by_label("Begriff 2", exact=True).fill(terms[1])
                p.page.locator("#vote-button").tap()
                expect(p.status).to_contain_text("Danke!")
        elif kind == "single":
            page.get_by_label(spec["options"][1], exact=True).tap()
            page.locator("#vote-button").tap()
            expect(phone.status).to_contain_text("Danke!")
        own.act(question, "close")
        expect(page.locator("#results .results-view")).to_have_attribute("data-kind", kind)
        check(f"{kind}-result")

    assert {"legend", "h1", ".choice span", ".bar-name", ".scale-pick-ends span", ".scale-ends span", ".rank-name",
            ".points-name", ".term", ".term-name"} <= styles_seen, styles_seen
    assert not problems, "\n".join(problems)
