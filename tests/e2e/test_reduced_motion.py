"""prefers-reduced-motion (WCAG 2.3.3, and 2.2.2 for the pulsing dot): with "reduce" nothing pulses or slides;
without it, the same elements do animate (so the check can fail), and the dot stops within 5 seconds."""

import pytest
from playwright.sync_api import expect

from tests.e2e.helpers import Phone, Projector, bar_texts

pytestmark = pytest.mark.e2e

MOTION = """(selector) => {
  const el = document.querySelector(selector);
  if (!el) return null;
  const s = getComputedStyle(el);
  const seconds = (list) => Math.max(...list.split(',').map((t) => parseFloat(t) * (t.trim().endsWith('ms') ? 0.001 : 1)));
  return {animationName: s.animationName, animation: seconds(s.animationDuration),
          iterations: s.animationIterationCount === 'infinite' ? Infinity : parseFloat(s.animationIterationCount),
          transitionProperty: s.transitionProperty, transition: seconds(s.transitionDuration)};
}"""

QUESTION = {"text": "Sollen die Ortsteile eigene Bürgerbusse bekommen?", "kind": "single", "options": ["Ja", "Nein"]}


def test_reduced_motion_turns_off_pulse_and_bar_transitions(new_context, make_event):
    own = make_event("Bewegung reduziert", {"Mobilität": [QUESTION]})
    pages = {}
    for motion in ("reduce", "no-preference"):
        phone_context = new_context(f"phone motion={motion}", reduced_motion=motion, viewport={"width": 390, "height": 800},
                                    is_mobile=True, has_touch=True)
        phone = Phone(motion, phone_context, phone_context.new_page())
        phone.join(own.links.join_url)
        phone.expect_waiting()
        projector_context = new_context(f"projector motion={motion}", reduced_motion=motion,
                                        viewport={"width": 1920, "height": 1080})
        projector = Projector(projector_context.new_page(), own.links)
        projector.goto()
        pages[motion] = (phone, projector)

    # The waiting screen's pulsing dot.
    for _motion, (phone, _projector) in pages.items():
        expect(phone.page.locator(".pulse")).to_be_attached()
    still = pages["reduce"][0].page.evaluate(MOTION, ".pulse")
    moving = pages["no-preference"][0].page.evaluate(MOTION, ".pulse")
    assert moving["animationName"] == "pulse" and moving["animation"] > 0, f"the check is void: no pulse at all {moving}"
    assert still["animationName"] == "none" or still["animation"] == 0, f"the dot still pulses with reduced motion: {still}"
    # And even without the setting it stops by itself within 5 seconds (WCAG 2.2.2 Pause, Stop, Hide).
    assert moving["animation"] * moving["iterations"] <= 5, f"the dot pulses for longer than 5 s: {moving}"

    # The result bars on the projector and (after closing) on the phone.
    question = own.questions[0]
    own.act(question, "open")
    for _motion, (phone, _projector) in pages.items():
        phone.expect_question(QUESTION["text"], "radio", 2)
    pages["reduce"][0].vote("Ja")
    pages["no-preference"][0].vote("Ja")
    for _motion, (_phone, projector) in pages.items():
        projector.expect_counts(bar_texts([2, 0]), 2, timeout=5_000)
    still = pages["reduce"][1].page.evaluate(MOTION, "#p-bars .bar-fill")
    moving = pages["no-preference"][1].page.evaluate(MOTION, "#p-bars .bar-fill")
    assert moving["transition"] > 0, f"the check is void: the projector's bars do not slide at all {moving}"
    assert still["transition"] == 0, f"the projector's bars still slide with reduced motion: {still}"

    own.act(question, "close")
    for _motion, (phone, _projector) in pages.items():
        expect(phone.page.locator("#bars .bar-fill").first).to_be_visible()
    still = pages["reduce"][0].page.evaluate(MOTION, "#bars .bar-fill")
    moving = pages["no-preference"][0].page.evaluate(MOTION, "#bars .bar-fill")
    assert moving["transition"] > 0, f"the check is void: the phone's bars do not slide at all {moving}"
    assert still["transition"] == 0, f"the phone's bars still slide with reduced motion: {still}"
    # Nothing on the reduced-motion pages moves at all.
    for page in (pages["reduce"][0].page, pages["reduce"][1].page):
        running = page.evaluate("document.getAnimations().filter((a) => a.playState === 'running').length")
        assert running == 0, f"{page.url}: {running} animation(s) still running with reduced motion"
