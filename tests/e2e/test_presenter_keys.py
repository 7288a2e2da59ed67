"""Presenter keys on the control page (#16): the keys a presenter clicker sends (PageDown, PageUp, B, period) and
the letters drive the evening through the page's own forms; no key acts in a field, with Ctrl, or while a dialog
is open; a key that needs a question says visibly why it did nothing; "?" opens the help dialog, Esc closes it."""

import pytest
from playwright.sync_api import expect

from tests.e2e.helpers import Moderator, Projector, axe_source, describe_violations, in_place, run_axe

pytestmark = pytest.mark.e2e

Q1 = {"text": "Wie oft fahren Sie mit dem Rufbus?", "kind": "single", "options": ["Jede Woche", "Selten", "Nie"]}
Q2 = {"text": "Soll der Markt samstags länger öffnen?", "kind": "yesno"}
Q3 = {"text": "Wo fehlen Radwege am meisten?", "kind": "single", "options": ["Stadtmitte", "Bahnhof", "Schulen"]}
NO_QUESTION = "Keine Frage geöffnet"


def _state(own) -> dict:
    response = own.api.get(f"/api/events/{own.links.event_id}")
    assert response.ok, response.text()
    return response.json()["state"]


def _current(own) -> tuple[str | None, str | None, bool | None, str]:
    """(question text, phase, results shown, projector screen) as the server has them."""
    state = _state(own)
    q = state.get("question")
    return (q["text"] if q else None, state.get("phase") if q else None, q["results_shown"] if q else None, state["screen"])


def _setup(new_context, make_event, moderator_login, title: str):
    own = make_event(title, {"Verkehr": [Q1, Q2], "Radverkehr": [Q3]})
    context = new_context("moderator keys", viewport={"width": 1366, "height": 768}, storage_state=moderator_login,
                          locale="de-DE")
    moderator = Moderator(context.new_page(), own.links)
    moderator.goto()
    return own, moderator


def _key(moderator: Moderator, key: str) -> None:
    """A key that runs an action: the page posts the form and swaps in the answer, without a reload."""
    page = moderator.page
    in_place(page, lambda: page.keyboard.press(key))
    moderator.expect_connected()


def _mark(page) -> None:
    page.evaluate("window.__keysLoaded = true; window.__swapsBefore = Number(document.body.dataset.swaps || 0)")


def _assert_nothing_happened(moderator: Moderator, own, before) -> None:
    moderator.page.wait_for_timeout(700)  # a submitted form would have been answered and swapped in by now
    assert moderator.page.evaluate("window.__keysLoaded === true"), "the page was reloaded"
    assert moderator.page.evaluate("Number(document.body.dataset.swaps || 0) === window.__swapsBefore"), "the key posted a form"
    assert _current(own) == before


def test_clicker_keys_drive_the_evening(new_context, make_event, moderator_login, screenshot):
    own, moderator = _setup(new_context, make_event, moderator_login, "Tasten am Abend")
    page = moderator.page
    projector = Projector(new_context("projector keys", viewport={"width": 1280, "height": 720}).new_page(), own.links)
    projector.goto()
    status = page.locator("#key-status")
    expect(page.locator("#keys-hint")).to_be_visible()
    expect(page.locator("#keys-hint kbd").first).to_have_text("Bild ↓")

    # Nothing on the projector yet: the keys that need a question say so, on the page, and change nothing.
    before = _current(own)
    assert before == (None, None, None, "join")
    _mark(page)
    for key, text in (("o", NO_QUESTION), ("e", NO_QUESTION), (".", NO_QUESTION), ("PageUp", "Keine vorherige Frage"),
                      ("b", "Der Beamer zeigt schon den QR-Code.")):
        page.keyboard.press(key)
        expect(status).to_contain_text(text)
        expect(status.locator(".notice")).to_be_visible()
    screenshot(page, "presenter-keys-no-question")
    violations = run_axe(page, axe_source())
    assert not violations, describe_violations("control page with a key's note", page.url, violations)
    _assert_nothing_happened(moderator, own, before)

    # PageDown (the clicker's "next") opens the first question.
    _key(moderator, "PageDown")
    moderator.expect_current(Q1["text"], phase_badge="Abstimmung läuft")
    assert _current(own) == (Q1["text"], "open", True, "question")
    projector.expect_question(Q1["text"], "Abstimmung läuft")

    # "." (the clicker's "blank screen") hides the result on the projector, "E" shows it again.
    _key(moderator, ".")
    assert _current(own)[2] is False
    expect(page.locator("#live h3 .badge.draft")).to_have_text("Ergebnis ausgeblendet")
    _key(moderator, "e")
    assert _current(own)[2] is True

    # "B" (the clicker's "black screen") shows the join screen; the vote runs on. "Q" goes back to the question.
    _key(moderator, "b")
    assert _current(own) == (Q1["text"], "open", True, "join")
    projector.expect_join_screen()
    _key(moderator, "q")
    assert _current(own)[3] == "question"
    projector.expect_question(Q1["text"], "Abstimmung läuft")

    # "O" closes and opens again; ArrowRight is "next" as well.
    _key(moderator, "o")
    assert _current(own)[:2] == (Q1["text"], "closed")
    _key(moderator, "ArrowRight")
    moderator.expect_current(Q2["text"], phase_badge="Abstimmung läuft")
    assert _current(own)[:2] == (Q2["text"], "open")
    screenshot(page, "presenter-keys-second-question")

    # PageUp (the clicker's "back") shows the earlier question with its result again, without reopening it.
    _key(moderator, "PageUp")
    moderator.expect_current(Q1["text"], phase_badge="geschlossen")
    assert _current(own)[:2] == (Q1["text"], "closed")
    projector.expect_question(Q1["text"], "Abstimmung beendet")
    _mark(page)
    page.keyboard.press("PageUp")  # nothing closed before the first question
    expect(status).to_contain_text("Keine vorherige Frage")
    _assert_nothing_happened(moderator, own, _current(own))

    # Ctrl, Alt and Meta keep their browser meaning: Ctrl+B, Alt+N do nothing here.
    before = _current(own)
    for key in ("Control+b", "Alt+n", "Control+PageDown"):
        page.keyboard.press(key)
    _assert_nothing_happened(moderator, own, before)


def test_no_key_acts_while_typing_in_a_field(new_context, make_event, moderator_login):
    own, moderator = _setup(new_context, make_event, moderator_login, "Tasten beim Schreiben")
    own.act(own.questions[0], "open")
    moderator.goto()
    page = moderator.page
    # A textarea and an editable area, as a later part of the page might bring them.
    page.evaluate("""() => {
      const area = document.createElement('textarea'); area.id = 'e2e-area'; area.setAttribute('aria-label', 'Notiz');
      const edit = document.createElement('div'); edit.id = 'e2e-edit'; edit.contentEditable = 'true';
      edit.setAttribute('role', 'textbox'); edit.setAttribute('aria-label', 'Notiz 2');
      document.getElementById('agenda').append(area, edit);
    }""")
    before = _current(own)
    _mark(page)
    for field in ("#new-topic", "#tpl-name", "#dup-title", "#e2e-area", "#e2e-edit"):
        page.locator(field).click()
        page.keyboard.press("End")
        for key in ("b", "PageDown", "o", ".", "?", "n", "ArrowLeft", "ArrowRight", "q", "e", "PageUp"):
            page.keyboard.press(key)
        expect(page.locator("#keys-help")).not_to_have_attribute("open", "")
    expect(page.locator("#new-topic")).to_have_value("bo.?nqe")
    expect(page.locator("#e2e-area")).to_have_value("bo.?nqe")
    page.locator("#phone-results").focus()
    page.keyboard.press("b")
    page.locator("#people-in-hall").focus()
    page.keyboard.press("PageDown")
    expect(page.locator("#key-status")).to_be_empty()
    _assert_nothing_happened(moderator, own, before)


def test_help_dialog_opens_with_question_mark_closes_with_escape_and_is_clean(new_context, make_event, moderator_login,
                                                                             screenshot):
    own, moderator = _setup(new_context, make_event, moderator_login, "Tasten-Hilfe")
    own.act(own.questions[0], "open")
    moderator.goto()
    page = moderator.page
    dialog = page.locator("#keys-help")
    next_button = moderator.live_button("Nächste Frage →")

    next_button.focus()
    page.keyboard.press("?")
    expect(dialog).to_be_visible()
    expect(dialog).to_have_attribute("open", "")
    expect(page.locator("#keys-close")).to_be_focused()
    expect(dialog.get_by_role("table")).to_contain_text("Bild ↓")
    screenshot(page, "presenter-keys-help", docs=True)
    violations = run_axe(page, axe_source())
    assert not violations, describe_violations("control page with the keys dialog", page.url, violations)

    # While the dialog is open no key acts; Esc closes it and the focus is back where it was.
    before = _current(own)
    _mark(page)
    for key in ("b", "PageDown", "o"):
        page.keyboard.press(key)
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(next_button).to_be_focused()
    _assert_nothing_happened(moderator, own, before)

    # The button beside the keys opens it too; switched off, the keys do nothing until switched on again.
    page.locator("#keys-open").click()
    expect(dialog).to_be_visible()
    page.locator("#keys-on").uncheck()
    page.locator("#keys-close").click()
    expect(dialog).to_be_hidden()
    expect(page.locator("#keys-open")).to_be_focused()
    expect(page.locator("#keys-off-note")).to_be_visible()
    page.keyboard.press("?")
    page.keyboard.press("PageDown")
    expect(dialog).to_be_hidden()
    _assert_nothing_happened(moderator, own, before)
    moderator.goto()  # the choice holds for this browser
    expect(page.locator("#keys-off-note")).to_be_visible()
    page.locator("#keys-open").click()
    page.locator("#keys-on").check()
    page.keyboard.press("Escape")
    expect(page.locator("#keys-off-note")).to_be_hidden()
    _key(moderator, "PageDown")
    moderator.expect_current(Q2["text"], phase_badge="Abstimmung läuft")

