"""The live control page: every action updates the page in place (no reload), two moderators see the same state,
the countdown's end changes badge, buttons and message at once, and the page is laid out so that the current
question and the next step are on screen at 1366×768 and on a tablet."""

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.helpers import Moderator, Projector, axe_source, describe_violations, in_place, run_axe

pytestmark = pytest.mark.e2e

Q1 = {"text": "Soll die Buslinie 7 abends öfter fahren?", "kind": "yesno"}
Q2 = {"text": "Wie sicher fühlen Sie sich auf dem Radweg?", "kind": "scale", "scale_min": 1, "scale_max": 5}
Q3 = {"text": "Welche Haltestelle braucht ein Dach?", "kind": "single", "options": ["Markt", "Bahnhof", "Schule"]}
TIMED = {"text": "Kurz gefragt: Mehr Sitzbänke am Markt?", "kind": "yesno", "time_limit_s": 10}


def _control(new_context, moderator_login, own, label: str, **options) -> Moderator:
    options.setdefault("viewport", {"width": 1366, "height": 768})
    context = new_context(label, storage_state=moderator_login, locale="de-DE", **options)
    moderator = Moderator(context.new_page(), own.links)
    moderator.goto()
    return moderator


def _badge(moderator: Moderator):
    return moderator.page.locator("#now h3 .badge").first


def test_the_countdown_ending_changes_badge_buttons_and_message_at_once_without_reload(
    new_context, make_event, moderator_login, screenshot
):
    own = make_event("Countdown live", {"Markt": [TIMED, Q1]})
    moderator = _control(new_context, moderator_login, own, "control countdown")
    page = moderator.page
    item = page.locator("#agenda li", has=page.locator(".q-text", has_text=TIMED["text"]))
    in_place(page, lambda: item.get_by_role("button", name=re.compile(r"^Öffnen\s*:")).click())
    expect(_badge(moderator)).to_have_text("Abstimmung läuft")
    expect(page.locator("#countdown")).to_be_visible()
    page.evaluate("window.__samePage = true")
    # The server closes the question when the time is up; the page follows from the socket.
    expect(_badge(moderator)).to_have_text("geschlossen", timeout=20_000)
    expect(moderator.live_button("Erneut öffnen")).to_be_visible()
    expect(moderator.live_button("Abstimmung schließen")).to_have_count(0)
    expect(page.locator("#countdown")).to_have_count(0)
    expect(page.locator("#action-note")).to_have_text("Die Zeit ist um: Die Abstimmung wurde geschlossen.")
    expect(page.locator("#announce")).to_have_text("Die Zeit ist um: Die Abstimmung wurde geschlossen.")
    expect(page.locator("#changed-note")).to_be_hidden()
    agenda_badge = page.locator(f"#question-{own.questions[0]['id']} .q-badges .badge").first
    expect(agenda_badge).to_have_text("geschlossen")
    assert page.evaluate("window.__samePage === true"), "the page was reloaded"
    screenshot(page, "control-countdown-over")


def test_two_moderator_pages_stay_in_sync_and_a_typed_field_survives(new_context, make_event, moderator_login):
    own = make_event("Zwei am Pult", {"Verkehr": [Q1, Q2], "Radverkehr": [Q3]})
    first = _control(new_context, moderator_login, own, "control first")
    second = _control(new_context, moderator_login, own, "control second", viewport={"width": 1024, "height": 768})
    for page in (first.page, second.page):
        page.evaluate("window.__samePage = true")

    # The first opens the next question: both pages show it open, with the same buttons.
    first.press("Nächste Frage öffnen →")
    for moderator in (first, second):
        expect(moderator.page.locator("#now h3")).to_contain_text(Q1["text"])
        expect(_badge(moderator)).to_have_text("Abstimmung läuft")
        expect(moderator.live_button("Abstimmung schließen")).to_be_visible()
        expect(moderator.page.locator("#next-step")).to_contain_text(Q2["text"])

    # The second types a new topic; meanwhile the first closes the vote. The second's live panel follows, and
    # what they typed is still there.
    field = second.page.locator("#new-topic")
    field.fill("Parken am Bahnhof")
    first.press("Abstimmung schließen")
    expect(_badge(second)).to_have_text("geschlossen")
    expect(second.live_button("Erneut öffnen")).to_be_visible()
    expect(field).to_have_value("Parken am Bahnhof")
    expect(field).to_be_focused()

    # The second adds the topic (its own action, in place): the first page's agenda shows it too.
    in_place(second.page, lambda: field.press("Enter"))
    expect(second.page.locator("#agenda .agenda-topic h3")).to_have_text(["Verkehr", "Radverkehr", "Parken am Bahnhof"])
    expect(first.page.locator("#agenda .agenda-topic h3")).to_have_text(["Verkehr", "Radverkehr", "Parken am Bahnhof"])
    expect(second.page.locator("#action-note")).to_contain_text("Thema „Parken am Bahnhof“ hinzugefügt.")

    # The second shows the result hidden: the first sees the badge and the other button.
    second.press("Ergebnis ausblenden")
    expect(first.page.locator("#now h3 .badge.draft")).to_have_text("Ergebnis ausgeblendet")
    expect(first.live_button("Ergebnis zeigen")).to_be_visible()
    for page in (first.page, second.page):
        assert page.evaluate("window.__samePage === true"), "a control page was reloaded"


def test_a_second_close_at_the_same_moment_does_not_break_the_page(new_context, make_event, moderator_login):
    """Two moderators press "Abstimmung schließen" at the same moment: the question is closed once, and both
    pages show it closed without an error page."""
    own = make_event("Gleichzeitig schließen", {"Verkehr": [Q1]})
    own.act(own.questions[0], "open")
    first = _control(new_context, moderator_login, own, "close first")
    second = _control(new_context, moderator_login, own, "close second")
    buttons = [m.live_button("Abstimmung schließen") for m in (first, second)]
    for page in (first.page, second.page):
        page.evaluate("window.__samePage = true")
    # Both clicks are dispatched before either answer can arrive.
    first.page.evaluate("document.querySelectorAll('#now .main-actions form')[0].requestSubmit()")
    second.page.evaluate("document.querySelectorAll('#now .main-actions form')[0].requestSubmit()")
    for moderator in (first, second):
        expect(_badge(moderator)).to_have_text("geschlossen")
        expect(moderator.live_button("Erneut öffnen")).to_be_visible()
        assert moderator.page.evaluate("window.__samePage === true")
    assert buttons[0].count() == 0 and buttons[1].count() == 0
    audit = first.page
    audit.goto(f"/moderator/events/{own.links.event_id}/audit")
    done = audit.locator("table.audit tbody tr", has_text="Abstimmung geschlossen").filter(has_text="ausgeführt")
    expect(done).to_have_count(1)  # closed once; a second close, if it arrived after, is at most "abgelehnt"


@pytest.mark.parametrize(
    ("label", "options"),
    [
        ("1366x768", {"viewport": {"width": 1366, "height": 768}}),
        ("tablet", {"device": "iPad Mini"}),
    ],
)
def test_the_current_question_and_the_next_step_fit_without_scrolling(
    new_context, make_event, moderator_login, devices, screenshot, label, options
):
    own = make_event(f"Saalumfrage Layout {label}", {"Verkehr": [Q1, Q2], "Radverkehr": [Q3]})
    own.next()  # Q1 open, with the agenda around it
    context_options = dict(devices[options["device"]]) if "device" in options else dict(options)
    context_options.pop("default_browser_type", None)
    moderator = _control(new_context, moderator_login, own, f"control layout {label}", **context_options)
    page = moderator.page
    viewport = page.viewport_size
    expect(_badge(moderator)).to_have_text("Abstimmung läuft")
    # On screen at once without scrolling: the question, its state, the main buttons and what comes next.
    for selector in ("#now h3", "#now .main-actions", "#next-step", "#live-phones"):
        box = page.locator(selector).first.bounding_box()
        assert box is not None, selector
        assert box["y"] >= 0 and box["y"] + box["height"] <= viewport["height"], (
            f"{selector} is not on screen at {viewport}: {box}"
        )
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), "the page scrolls sideways"
    live = page.locator("#live").bounding_box()
    agenda = page.locator("#agenda").bounding_box()
    if viewport["width"] >= 1200:
        assert agenda["x"] >= live["x"] + live["width"] - 1, "the agenda should stand beside the live panel"
        assert agenda["y"] < viewport["height"], "the agenda starts on screen"
    else:
        assert agenda["y"] >= live["y"] + live["height"] - 1, "on a narrow screen the agenda follows the live panel"
    # Touch targets: every control of the live panel and the agenda is at least 44 × 44 CSS px.
    small = page.evaluate(
        """() => [...document.querySelectorAll(
                  '.control-layout button, .control-layout .button, .control-layout select, ' +
                  '.control-layout summary, .control-layout input:not([type=hidden])')]
            .filter((e) => e.getClientRects().length)
            .map((e) => ({ text: (e.textContent || e.id).trim().slice(0, 40), w: e.getBoundingClientRect().width,
                           h: e.getBoundingClientRect().height }))
            .filter((b) => b.w < 44 || b.h < 44)"""
    )
    assert not small, f"touch targets under 44 px at {label}: {small}"
    screenshot(page, f"control-{label}", docs=True)
    violations = run_axe(page, axe_source())
    assert not violations, describe_violations(f"control page {label}", page.url, violations)


def test_the_projector_follows_actions_taken_in_place(new_context, make_event, moderator_login):
    own = make_event("Beamer folgt", {"Verkehr": [Q1, Q2]})
    projector = Projector(new_context("projector in place", viewport={"width": 1280, "height": 720}).new_page(), own.links)
    projector.goto()
    moderator = _control(new_context, moderator_login, own, "control projector")
    moderator.press("Nächste Frage öffnen →")
    projector.expect_question(Q1["text"], "Abstimmung läuft")
    in_place(moderator.page, lambda: moderator.page.locator("#projector-switch").get_by_role("button", name="QR-Code").click())
    projector.expect_join_screen()
    expect(moderator.page.locator("#projector-switch button[aria-current=true]")).to_have_text("QR-Code")
    moderator.press("Nächste Frage →")
    projector.expect_question(Q2["text"], "Abstimmung läuft")


def test_without_script_every_action_is_a_form_and_a_reload(new_context, make_event, moderator_login):
    own = make_event("Ohne Skript am Pult", {"Verkehr": [Q1, Q2]})
    context = new_context("control no script", viewport={"width": 1366, "height": 768}, storage_state=moderator_login,
                          java_script_enabled=False, locale="de-DE")
    page = context.new_page()
    page.goto(f"/moderator/events/{own.links.event_id}")
    with page.expect_navigation():
        page.locator("#live").get_by_role("button", name="Nächste Frage öffnen →").click()
    expect(page.locator("#now h3")).to_contain_text(Q1["text"])
    expect(page.locator("main > .flash.success")).to_have_text("Nächste Frage geöffnet.")
    with page.expect_navigation():
        page.locator("#live").get_by_role("button", name="Abstimmung schließen", exact=True).click()
    expect(page.locator("#now h3 .badge").first).to_have_text("geschlossen")
