"""Keyboard only: a phone user tabs to the answers, picks one with Space and the arrow keys, and votes with Enter;
a moderator runs an event with Tab and Enter alone, always seeing where the focus is."""

import pytest
from playwright.sync_api import expect

from tests.e2e.helpers import PHONE_DEVICES, Q_FORMAT, Q_FORMAT_OPTIONS, Moderator, Phone, Projector, bar_texts, device, in_place

pytestmark = pytest.mark.e2e

FOCUS_INFO = """() => {
  const el = document.activeElement;
  const px = (s) => s.outlineStyle !== 'none' ? parseFloat(s.outlineWidth) : 0;
  const own = getComputedStyle(el);
  const label = el.closest('label');
  return {
    tag: el.tagName.toLowerCase(),
    id: el.id,
    type: el.type || null,
    name: el.name || null,
    value: el.value || null,
    text: (el.closest('label') || el).textContent.trim().slice(0, 60),
    focusVisible: el.matches(':focus-visible'),
    outline: Math.max(px(own), label ? px(getComputedStyle(label)) : 0),
    onScreen: (() => {
      const r = (label || el).getBoundingClientRect();
      return r.width > 0 && r.height > 0 && r.left >= 0 && r.top >= 0 && r.right <= innerWidth && r.bottom <= innerHeight;
    })(),
  };
}"""


def _focus(page) -> dict:
    return page.evaluate(FOCUS_INFO)


def _assert_focus_visible(info: dict) -> None:
    assert info["focusVisible"], f"focus is not :focus-visible on {info}"
    assert info["outline"] >= 2, f"no visible focus outline (>= 2px) on {info}"


def test_keyboard_only_vote_with_visible_focus(new_context, devices, moderator, projector, demo, screenshot):
    moderator.open_question(Q_FORMAT)
    context = new_context("phone keyboard", **device(devices, PHONE_DEVICES[1]))
    phone = Phone("keyboard", context, context.new_page())
    phone.join(demo.join_url)
    phone.expect_question(Q_FORMAT, "radio", len(Q_FORMAT_OPTIONS))
    page = phone.page

    # Tab from the top of the page to the first answer, passing only a few links on the way.
    visited = []
    for _ in range(10):
        page.keyboard.press("Tab")
        info = _focus(page)
        visited.append(info)
        if info["name"] == "choice":
            break
    assert info["name"] == "choice", f"Tab never reached an answer; focus went through {visited}"
    assert info["text"] == Q_FORMAT_OPTIONS[0], f"the first answer should get focus first, got {info}"
    _assert_focus_visible(info)
    screenshot(page, "keyboard-focus-answer")

    page.keyboard.press("Space")
    expect(phone.option("Sehr gut")).to_be_checked()
    page.keyboard.press("ArrowDown")
    expect(phone.option("Gut")).to_be_checked()
    expect(phone.option("Gut")).to_be_focused()
    expect(phone.option("Sehr gut")).not_to_be_checked()
    _assert_focus_visible(_focus(page))

    page.keyboard.press("Tab")
    expect(page.locator("#vote-button")).to_be_focused()
    _assert_focus_visible(_focus(page))
    screenshot(page, "keyboard-focus-button")
    page.keyboard.press("Enter")
    phone.expect_voted()
    projector.expect_counts(bar_texts([0, 1, 0, 0]), 1, timeout=5_000)
    moderator.expect_tally(bar_texts([0, 1, 0, 0]), 1, timeout=5_000)

    # When the question closes under the keyboard user's focus, focus lands on the new heading, not on <body>.
    page.locator("#vote-button").focus()
    moderator.press("Abstimmung schließen")
    expect(page.locator("#phone .notice.info")).to_be_visible()
    expect(page.locator("#phone-heading")).to_be_focused()


MOD_Q1 = {"text": "Soll der Wochenmarkt auch samstags stattfinden?", "kind": "single", "options": ["Ja", "Nein", "Egal"]}
MOD_Q2 = {"text": "Wie sind Sie heute angereist?", "kind": "single", "options": ["Mit dem Auto", "Mit Bus oder Bahn"]}


def _tab_to(page, name: str, max_tabs: int) -> list[dict]:
    """Press Tab until a button or link whose text starts with `name` has focus; every stop on the way must show
    its focus. Returns the stops."""
    stops = []
    for _ in range(max_tabs):
        page.keyboard.press("Tab")
        info = _focus(page)
        stops.append(info)
        _assert_focus_visible(info)
        assert info["onScreen"], f"the focused element is not on screen: {info}"
        if info["tag"] in ("button", "a") and info["text"].startswith(name):
            return stops
    raise AssertionError(f"{max_tabs} presses of Tab did not reach {name!r}; focus went through "
                         + " → ".join(f"{s['tag']} {s['text']!r}" for s in stops))


def test_moderator_runs_an_event_by_keyboard_with_visible_focus(new_context, make_event, moderator_login, screenshot):
    own = make_event("Tastatur-Moderation", {"Markt und Anreise": [MOD_Q1, MOD_Q2]})
    context = new_context("moderator keyboard", viewport={"width": 1440, "height": 900}, storage_state=moderator_login)
    moderator = Moderator(context.new_page(), own.links)
    page = moderator.page
    projector = Projector(new_context("projector keyboard", viewport={"width": 1920, "height": 1080}).new_page(), own.links)
    projector.goto()
    moderator.goto()
    projector.expect_join_screen()

    # From the top of the control page to "open the next question": skip link, header, the hall's links, then the
    # live panel.
    stops = _tab_to(page, "Nächste Frage öffnen", max_tabs=12)
    assert stops[0]["text"] == "Zum Inhalt springen", f"the first Tab should reach the skip link, got {stops[0]}"
    screenshot(page, "keyboard-moderator-next-open")
    in_place(page, lambda: page.keyboard.press("Enter"))
    moderator.expect_connected()
    moderator.expect_current(MOD_Q1["text"], phase_badge="Abstimmung läuft")
    projector.expect_question(MOD_Q1["text"], "Abstimmung läuft")

    # The page changed in place and the focus stayed on the same action ("Nächste Frage →" now), visibly; the
    # new "Abstimmung schließen" is the stop before it.
    info = _focus(page)
    assert info["tag"] == "button" and info["text"].startswith("Nächste Frage"), f"focus after the update: {info}"
    _assert_focus_visible(info)
    page.keyboard.press("Shift+Tab")
    info = _focus(page)
    assert info["text"].startswith("Abstimmung schließen"), f"Shift+Tab from „Nächste Frage →“ reached {info}"
    _assert_focus_visible(info)
    screenshot(page, "keyboard-moderator-close")
    in_place(page, lambda: page.keyboard.press("Enter"))
    moderator.expect_connected()
    moderator.expect_current(MOD_Q1["text"], phase_badge="geschlossen")
    projector.expect_question(MOD_Q1["text"], "Abstimmung beendet")

    stops = _tab_to(page, "Nächste Frage →", max_tabs=5)
    in_place(page, lambda: page.keyboard.press("Enter"))
    moderator.expect_connected()
    moderator.expect_current(MOD_Q2["text"], phase_badge="Abstimmung läuft")
    projector.expect_question(MOD_Q2["text"], "Abstimmung läuft")
    expect(projector.page.locator("#p-bars .bar-name")).to_have_text(MOD_Q2["options"])
