"""Keyboard only: a phone user tabs to the answers, picks one with Space and the arrow keys, and votes with Enter."""

import pytest
from playwright.sync_api import expect

from tests.e2e.helpers import PHONE_DEVICES, Q_FORMAT, Q_FORMAT_OPTIONS, Phone, bar_texts, device

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
