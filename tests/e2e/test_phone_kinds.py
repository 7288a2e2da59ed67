"""The phone answers every question kind through its real interface: yes/no tiles, the scale row, word-cloud terms,
open text, ranking by keyboard, points by touch; the plain form without JavaScript for ranking and points; the
countdown, rounds and results on the phone. Every answer is checked where it lands (the moderator's JSON API), every
kind's page with axe, and each kind leaves a screenshot (docs/screenshots/phone-<kind>.png with
UPDATE_DOCS_SCREENSHOTS=1)."""

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.helpers import (
    PHONE_DEVICES,
    RECEIVED,
    RECEIVED_REVIEW,
    RECORD_ANNOUNCEMENTS,
    VOTED,
    Phone,
    axe_source,
    describe_violations,
    device,
    run_axe,
    wait_until,
)

pytestmark = pytest.mark.e2e

# The demo agenda's questions of the newer kinds (app/demo.py).
Q_YESNO = "Würden Sie wieder an einer Regionalkonferenz teilnehmen?"
Q_SCALE_5 = "Wie wichtig sind Ihnen Lebensmittel aus der Region?"  # 1–5
Q_SCALE_11 = "Wie wahrscheinlich ist es, dass Sie die Regionalkonferenz weiterempfehlen?"  # 0–10
Q_WORDS = "Was verbinden Sie mit Digitalisierung im Landkreis?"  # up to 3 terms
Q_TEXT = "Was sollte der Landkreis als Erstes anpacken?"
Q_RANKING = "Was ist Ihnen bei Bus und Bahn am wichtigsten? Bringen Sie es in eine Reihenfolge."
Q_RANKING_OPTIONS = ["Pünktlichkeit", "Häufiger Takt", "Günstiger Preis", "Haltestelle in der Nähe"]
Q_POINTS = "Verteilen Sie 100 Punkte auf diese Vorhaben."
Q_POINTS_OPTIONS = ["Radwege", "Rufbus", "Bahnhöfe sanieren", "Carsharing auf dem Land"]



@pytest.fixture(scope="module")
def axe_js() -> str:
    return axe_source()


def make_phone(new_context, devices, n: int, label: str, **options) -> Phone:
    name = PHONE_DEVICES[n % len(PHONE_DEVICES)]
    context = new_context(f"phone {label}", **device(devices, name), **options)
    return Phone(name, context, context.new_page())


def state_of(moderator, event_id: int) -> dict:
    """The event as the moderator's JSON API sees it: the current question and its full results."""
    response = moderator.page.request.get(f"/api/events/{event_id}")
    assert response.ok, response.text()
    return response.json()["state"]


def results_of(moderator, event_id: int, question: str) -> dict:
    state = state_of(moderator, event_id)
    assert state["question"]["text"] == question, state["question"]
    return state["results"]


def option_ids(moderator, event_id: int) -> dict[str, int]:
    return {o["label"]: o["id"] for o in state_of(moderator, event_id)["question"]["options"]}


def expect_ack(phone: Phone, button: str = "Stimme ändern", status: str = VOTED) -> None:
    expect(phone.status).to_have_text(status, timeout=5_000)
    expect(phone.page.locator("#vote-button")).to_have_text(button)


def assert_no_axe(page, axe_js, name: str) -> None:
    violations = run_axe(page, axe_js)
    assert not violations, describe_violations(name, page.url, violations)


def open_on_phone(moderator, phone: Phone, demo, question: str) -> None:
    moderator.open_question(question)
    phone.join(demo.join_url)
    expect(phone.page.locator("#vote-form legend")).to_have_text(question)


def test_yes_no_tiles(new_context, devices, moderator, demo, axe_js, screenshot):
    phone = make_phone(new_context, devices, 0, "yes/no")
    open_on_phone(moderator, phone, demo, Q_YESNO)
    ids = option_ids(moderator, demo.event_id)
    before = results_of(moderator, demo.event_id, Q_YESNO)
    page = phone.page
    tiles = page.locator("#vote-form .yesno-grid label")
    expect(tiles).to_have_text(["Ja", "Nein", "Enthaltung"])
    for box in (tiles.nth(i).bounding_box() for i in range(3)):
        assert box["height"] >= 56 and box["width"] >= 120, box
    # Nothing chosen: the phone says so instead of sending.
    page.locator("#vote-button").tap()
    expect(phone.status).to_have_text("Bitte wählen Sie eine Antwort aus.")
    tiles.nth(1).tap()
    expect(page.get_by_label("Nein", exact=True)).to_be_checked()
    assert_no_axe(page, axe_js, "phone-yesno")
    screenshot(page, "phone-yesno", docs=True)
    page.locator("#vote-button").tap()
    expect_ack(phone)
    after = results_of(moderator, demo.event_id, Q_YESNO)
    assert after["counts"][str(ids["Nein"])] == before["counts"][str(ids["Nein"])] + 1
    assert after["voters"] == before["voters"] + 1


def test_scale_row_with_end_labels_and_large_targets(new_context, devices, moderator, demo, axe_js, screenshot):
    phone = make_phone(new_context, devices, 1, "scale")
    open_on_phone(moderator, phone, demo, Q_SCALE_11)
    before = results_of(moderator, demo.event_id, Q_SCALE_11)
    page = phone.page
    values = page.locator("#vote-form .scale-value")
    expect(values).to_have_count(11)
    expect(page.locator("#vote-form input[name=value][type=radio]")).to_have_count(11)
    boxes = [values.nth(i).bounding_box() for i in range(11)]
    for box in boxes:
        assert box["width"] >= 44 and box["height"] >= 44, f"touch target too small: {box}"
    assert len({round(b["y"]) for b in boxes}) == 2, "0–10 on a phone: two rows"
    width = page.viewport_size["width"]
    assert all(b["x"] + b["width"] <= width for b in boxes), "the row fits the screen"
    # The ends are on screen and belong to the group (its description) and to the end values (their names).
    expect(page.locator("#scale-ends")).to_have_text(re.compile(r"0 = sehr unwahrscheinlich\s*10 = sehr wahrscheinlich"))
    expect(page.locator("#vote-form fieldset")).to_have_attribute("aria-describedby", "choice-hint scale-ends")
    expect(page.get_by_role("radio", name="0 (sehr unwahrscheinlich)")).to_have_count(1)
    expect(page.get_by_role("radio", name="10 (sehr wahrscheinlich)")).to_have_count(1)
    page.locator("#vote-button").tap()
    expect(phone.status).to_have_text("Bitte wählen Sie einen Wert.")
    page.get_by_role("radio", name="8", exact=True).tap()
    expect(page.get_by_role("radio", name="8", exact=True)).to_be_checked()
    expect(phone.status).to_have_text("")  # the message went with the change
    assert_no_axe(page, axe_js, "phone-scale")
    screenshot(page, "phone-scale", docs=True)
    page.locator("#vote-button").tap()
    expect_ack(phone)
    after = results_of(moderator, demo.event_id, Q_SCALE_11)
    assert after["counts"]["8"] == before["counts"]["8"] + 1
    # The 1–5 scale: one row.
    moderator.open_question(Q_SCALE_5)
    expect(page.locator("#vote-form legend")).to_have_text(Q_SCALE_5)
    phone.assert_not_reloaded()
    boxes = [page.locator("#vote-form .scale-value").nth(i).bounding_box() for i in range(5)]
    assert len({round(b["y"]) for b in boxes}) == 1
    page.get_by_role("radio", name="5 (sehr wichtig)").tap()
    page.locator("#vote-button").tap()
    expect_ack(phone)


def test_word_cloud_terms(new_context, devices, moderator, demo, axe_js, screenshot):
    phone = make_phone(new_context, devices, 2, "word cloud")
    open_on_phone(moderator, phone, demo, Q_WORDS)
    page = phone.page
    expect(page.locator("#choice-hint")).to_have_text("Sie können bis zu 3 Begriffe eingeben, je höchstens 30 Zeichen.")
    inputs = [page.get_by_label(f"Begriff {n}", exact=True) for n in (1, 2, 3)]
    for field in inputs:
        expect(field).to_have_attribute("maxlength", "30")
    expect(page.locator("#vote-button")).to_have_text("Absenden")
    # Empty (spaces only): a clear message, nothing sent.
    inputs[0].fill("   ")
    page.locator("#vote-button").tap()
    expect(phone.status).to_have_text("Bitte geben Sie mindestens einen Begriff ein.")
    # Longer than 30 characters: the field stops at 30.
    inputs[2].fill("Breitbandausbauförderprogrammrichtlinie")
    expect(inputs[2]).to_have_value("Breitbandausbauförderprogrammr")
    inputs[2].fill("")
    inputs[0].fill("Glasfaser")
    inputs[1].fill("  Funklöcher! ")
    assert_no_axe(page, axe_js, "phone-wordcloud")
    screenshot(page, "phone-wordcloud", docs=True)
    inputs[1].press("Enter")  # sends the form, as on a phone keyboard's "send" key
    expect_ack(phone, "Antwort ändern", RECEIVED)  # received, not "counted"
    terms = {t["key"]: t for t in results_of(moderator, demo.event_id, Q_WORDS)["terms"]}
    assert terms["glasfaser"]["n"] >= 1 and terms["funkloecher"]["label"] == "Funklöcher", terms
    # After a reload the phone shows its terms again, as stored.
    page.reload()
    phone.expect_connected()
    expect(inputs[0]).to_have_value("Glasfaser")
    expect(inputs[1]).to_have_value("Funklöcher")
    expect(phone.status).to_contain_text("Sie haben bereits geantwortet.")


def test_open_text_with_counter(new_context, devices, moderator, demo, axe_js, screenshot):
    phone = make_phone(new_context, devices, 0, "open text")
    phone.context.add_init_script(RECORD_ANNOUNCEMENTS)
    open_on_phone(moderator, phone, demo, Q_TEXT)
    before = results_of(moderator, demo.event_id, Q_TEXT)
    page = phone.page
    expect(page.locator("#choice-hint")).to_have_text(
        "Ihre Antwort wird von der Moderation geprüft, bevor sie vorne im Saal erscheint.")
    area = page.get_by_label("Ihre Antwort", exact=True)
    counter = page.locator("#text-count")
    expect(area).to_have_attribute("maxlength", "300")
    expect(area).to_have_attribute("aria-describedby", "text-count")
    expect(counter).to_have_text("Noch 300 Zeichen")
    page.locator("#vote-button").tap()
    expect(phone.status).to_have_text("Bitte schreiben Sie eine Antwort.")
    answer = "Mehr Busse am Abend, damit junge Leute ohne Auto zur Ausbildung kommen."
    area.press_sequentially(answer[:20])
    expect(counter).to_have_text("Noch 280 Zeichen")
    assert page.evaluate("window.__announced").count("Noch 280 Zeichen") == 0, "not announced on every key"
    area.fill(answer)
    expect(counter).to_have_text(f"Noch {300 - len(answer)} Zeichen")
    assert_no_axe(page, axe_js, "phone-text")
    screenshot(page, "phone-text", docs=True)
    page.locator("#vote-button").tap()
    expect_ack(phone, "Antwort ändern", RECEIVED_REVIEW)  # waits for the moderator's review
    after = results_of(moderator, demo.event_id, Q_TEXT)
    assert after["counts"]["pending"] == before["counts"]["pending"] + 1
    assert any(a["text"] == answer and a["status"] == "pending" for a in after["answers"]), after["answers"]

    # Typing past the limit: the field stops at 300, and near the limit the count is announced (not per key).
    area.fill("")
    area.press_sequentially("x" * 285, delay=0)
    expect(counter).to_have_text("Noch 15 Zeichen")
    area.press_sequentially("y" * 20, delay=0)
    expect(area).to_have_value("x" * 285 + "y" * 15)
    expect(counter).to_have_text("Keine Zeichen mehr übrig (höchstens 300).")
    wait_until(page, "window.__announced.includes('Keine Zeichen mehr übrig (höchstens 300).')")
    said = page.evaluate("window.__announced")
    assert said == ["Noch 50 Zeichen", "Noch 20 Zeichen", "Keine Zeichen mehr übrig (höchstens 300)."], said
    # A phone that sends more anyway (the limit taken out of the page): the server refuses, with its message.
    page.evaluate("document.getElementById('answer-text').removeAttribute('maxlength')")
    area.fill("z" * 350)
    page.locator("#vote-button").tap()
    expect(phone.status).to_have_text("Ihre Antwort darf höchstens 300 Zeichen lang sein (jetzt: 350).")
    still = results_of(moderator, demo.event_id, Q_TEXT)
    assert any(a["text"] == answer for a in still["answers"]), "the earlier answer stays"


def test_ranking_by_keyboard(new_context, devices, moderator, demo, axe_js, screenshot):
    phone = make_phone(new_context, devices, 1, "ranking")
    phone.context.add_init_script(RECORD_ANNOUNCEMENTS)
    open_on_phone(moderator, phone, demo, Q_RANKING)
    ids = option_ids(moderator, demo.event_id)
    before = results_of(moderator, demo.event_id, Q_RANKING)
    page = phone.page
    names = page.locator("#rank-order .rank-name")
    places = page.locator("#rank-order .rank-place")
    expect(names).to_have_text(Q_RANKING_OPTIONS)
    expect(page.locator("#rank-order select")).to_have_count(0)
    expect(page.get_by_role("button", name="Pünktlichkeit nach oben")).to_have_attribute("aria-disabled", "true")
    for button in page.locator("#rank-order button").all():
        box = button.bounding_box()
        assert box["width"] >= 44 and box["height"] >= 44, box

    def focused() -> str:
        return page.evaluate("""() => { const b = document.activeElement;
            return b && b.matches('button') ? b.textContent.trim() : (b ? b.tagName : ''); }""")

    # Tab from the hint into the list: the first button is Pünktlichkeit's "down" (its "up" is at the top
    # already, but stays reachable so the focus never jumps).
    page.locator("#choice-hint").click()
    page.keyboard.press("Tab")
    assert focused() == "Pünktlichkeit nach oben"
    page.keyboard.press("Tab")
    assert focused() == "Pünktlichkeit nach unten"
    page.keyboard.press("Enter")
    expect(names).to_have_text(["Häufiger Takt", "Pünktlichkeit", "Günstiger Preis", "Haltestelle in der Nähe"])
    assert focused() == "Pünktlichkeit nach unten", "focus goes with the moved item"
    page.keyboard.press("Space")
    expect(names).to_have_text(["Häufiger Takt", "Günstiger Preis", "Pünktlichkeit", "Haltestelle in der Nähe"])
    assert focused() == "Pünktlichkeit nach unten"
    expect(places).to_have_text(["1", "2", "3", "4"])
    expect(page.locator("#announce")).to_have_text("Pünktlichkeit auf Platz 3")
    # "Haltestelle in der Nähe" to the top: the next Tab reaches its "up" button, three presses.
    page.keyboard.press("Tab")
    assert focused() == "Haltestelle in der Nähe nach oben"
    for _ in range(3):
        page.keyboard.press("Enter")
    assert focused() == "Haltestelle in der Nähe nach oben"
    order = ["Haltestelle in der Nähe", "Häufiger Takt", "Günstiger Preis", "Pünktlichkeit"]
    expect(names).to_have_text(order)
    expect(page.locator("#announce")).to_have_text("Haltestelle in der Nähe auf Platz 1")
    page.keyboard.press("Enter")  # at the top already: nothing moves, and it says so
    expect(page.locator("#announce")).to_have_text("Haltestelle in der Nähe ist schon auf Platz 1.")
    expect(names).to_have_text(order)
    said = page.evaluate("window.__announced")
    assert "Haltestelle in der Nähe auf Platz 2" in said, said
    assert_no_axe(page, axe_js, "phone-ranking")
    screenshot(page, "phone-ranking", docs=True)
    page.locator("#vote-button").focus()
    page.keyboard.press("Enter")
    expect_ack(phone)
    after = results_of(moderator, demo.event_id, Q_RANKING)
    # Borda points: n−1 for the first place … 0 for the last.
    for place, label in enumerate(order):
        key = str(ids[label])
        assert after["counts"][key] == before["counts"][key] + (3 - place), (label, after)
    # The stored order comes back after a reload.
    page.reload()
    phone.expect_connected()
    expect(names).to_have_text(order)


def test_points_by_touch(new_context, devices, moderator, demo, axe_js, screenshot):
    phone = make_phone(new_context, devices, 2, "points")
    open_on_phone(moderator, phone, demo, Q_POINTS)
    ids = option_ids(moderator, demo.event_id)
    before = results_of(moderator, demo.event_id, Q_POINTS)
    page = phone.page
    status = page.locator("#points-sum-text")
    button = page.locator("#vote-button")
    reason = page.locator("#points-reason")

    def step(label: str, sign: str, times: int = 1) -> None:
        target = page.get_by_role("button", name=f"{sign}10 Punkte für {label}")
        for _ in range(times):
            target.tap()

    field = {label: page.get_by_label(label, exact=True) for label in Q_POINTS_OPTIONS}
    expect(field["Radwege"]).to_have_attribute("inputmode", "numeric")
    expect(status).to_have_text("Noch 100 von 100 Punkten zu verteilen")
    expect(button).to_be_disabled()
    expect(reason).to_be_visible()
    expect(reason).to_have_text("Abstimmen geht, sobald genau 100 Punkte verteilt sind.")
    step("Radwege", "+", 6)
    expect(field["Radwege"]).to_have_value("60")
    expect(status).to_have_text("Noch 40 von 100 Punkten zu verteilen")
    expect(button).to_be_disabled()
    page.locator("#points-sum").scroll_into_view_if_needed()
    screenshot(page, "phone-points", docs=True)
    step("Rufbus", "+", 4)
    expect(status).to_have_text("Alle 100 Punkte sind verteilt.")
    # The sum is full: "+10" is marked unavailable (focus stays on it) and does nothing.
    plus = page.get_by_role("button", name="+10 Punkte für Rufbus")
    expect(plus).to_have_attribute("aria-disabled", "true")
    plus.tap(force=True)
    expect(field["Rufbus"]).to_have_value("40")
    step("Rufbus", "−")
    step("Bahnhöfe sanieren", "+")
    expect(field["Rufbus"]).to_have_value("30")
    expect(field["Bahnhöfe sanieren"]).to_have_value("10")
    expect(status).to_have_text("Alle 100 Punkte sind verteilt.")
    expect(button).to_be_enabled()
    expect(reason).to_be_hidden()
    # Typed past 100: the phone says by how much, and cannot send.
    field["Carsharing auf dem Land"].fill("5")
    expect(status).to_have_text("5 Punkte zu viel (105 von 100)")
    expect(button).to_be_disabled()
    button.tap(force=True)
    expect(phone.status).not_to_have_text(VOTED)
    field["Carsharing auf dem Land"].fill("0")
    step("Bahnhöfe sanieren", "−")
    step("Rufbus", "+")
    expect(status).to_have_text("Alle 100 Punkte sind verteilt.")
    assert_no_axe(page, axe_js, "phone-points")
    button.tap()
    expect_ack(phone)
    after = results_of(moderator, demo.event_id, Q_POINTS)
    given = {"Radwege": 60, "Rufbus": 40, "Bahnhöfe sanieren": 0, "Carsharing auf dem Land": 0}
    for label, n in given.items():
        key = str(ids[label])
        assert after["totals"][key] == before["totals"][key] + n, (label, after)


def test_plain_form_ranking_and_points_keep_what_was_typed(new_context, devices, moderator, demo, screenshot):
    phone = make_phone(new_context, devices, 0, "no JavaScript", java_script_enabled=False)
    page = phone.page

    moderator.open_question(Q_RANKING)
    page.goto(demo.join_url)
    expect(page.locator("#vote-form legend")).to_have_text(Q_RANKING)
    place = {label: page.get_by_label(f"{label}: Platz", exact=True) for label in Q_RANKING_OPTIONS}
    expect(place["Pünktlichkeit"]).to_have_value("1")
    place["Pünktlichkeit"].select_option("2")  # now two answers on place 2
    page.get_by_role("button", name="Abstimmen").click()
    expect(page.locator("#vote-error")).to_have_text("Jede Antwort darf nur einen Platz bekommen.")
    expect(page.get_by_role("alert")).to_have_text("Jede Antwort darf nur einen Platz bekommen.")
    expect(place["Pünktlichkeit"]).to_have_value("2")
    expect(place["Häufiger Takt"]).to_have_value("2")
    expect(place["Günstiger Preis"]).to_have_value("3")
    expect(page.locator("#vote-error")).to_be_focused()  # the page opens at the message
    screenshot(page, "nojs-ranking-duplicate")
    place["Häufiger Takt"].select_option("1")
    page.get_by_role("button", name="Abstimmen").click()
    expect(page.locator("#status")).to_have_text(VOTED)
    # Shown again in the stored order, each with its place.
    stored = ["Häufiger Takt", "Pünktlichkeit", "Günstiger Preis", "Haltestelle in der Nähe"]
    expect(page.locator("#rank-order .rank-name")).to_have_text([f"{label}: Platz" for label in stored])
    for n, label in enumerate(stored, start=1):
        expect(place[label]).to_have_value(str(n))

    moderator.open_question(Q_POINTS)
    page.goto(demo.join_url)
    expect(page.locator("#vote-form legend")).to_have_text(Q_POINTS)
    field = {label: page.get_by_label(label, exact=True) for label in Q_POINTS_OPTIONS}
    field["Radwege"].fill("50")
    field["Rufbus"].fill("49")
    page.get_by_role("button", name="Abstimmen").click()
    expect(page.locator("#vote-error")).to_contain_text("genau 100 Punkte (jetzt: 99)")
    expect(page.locator("#points-sum-text")).to_have_text("Noch 1 von 100 Punkten zu verteilen")
    expect(field["Radwege"]).to_have_value("50")
    expect(field["Rufbus"]).to_have_value("49")
    expect(field["Bahnhöfe sanieren"]).to_have_value("0")
    screenshot(page, "nojs-points-99")
    field["Bahnhöfe sanieren"].fill("1")
    page.get_by_role("button", name="Abstimmen").click()
    expect(page.locator("#status")).to_have_text(VOTED)
    ids = option_ids(moderator, demo.event_id)
    assert ids  # the question is current
    expect(field["Radwege"]).to_have_value("50")


def test_countdown_on_the_server_clock(new_context, devices, make_event, screenshot):
    own = make_event("Countdown", {"Format": [
        {"text": "Soll die Pause länger werden?", "kind": "yesno", "time_limit_s": 15},
    ]})
    phone = make_phone(new_context, devices, 1, "countdown")
    phone.context.add_init_script(RECORD_ANNOUNCEMENTS)
    page = phone.page
    # The phone's timers run on a clock the test moves: the phone reaches 0 while the server still counts.
    page.clock.install()
    phone.join(own.links.join_url)
    phone.expect_waiting()
    own.act(own.questions[0], "open")
    countdown = page.locator("#countdown")
    expect(countdown).to_have_attribute("role", "timer")
    expect(countdown).to_have_text(re.compile(r"^Noch 0:1[0-5]$"))
    # Without script, the page shows the time left when it was loaded.
    plain = make_phone(new_context, devices, 2, "countdown without JavaScript", java_script_enabled=False).page
    plain.goto(own.links.join_url)
    expect(plain.locator("#countdown")).to_have_text(re.compile(r"^Noch 0:(0\d|1[0-5])$"))
    screenshot(page, "phone-countdown")
    page.get_by_label("Ja", exact=True).check()
    page.clock.run_for(6_000)
    expect(countdown).to_have_text(re.compile(r"^Noch 0:0\d$"))
    expect(page.locator("#announce")).to_have_text("Noch 10 Sekunden.")
    expect(countdown).to_have_class(re.compile(r"\bsoon\b"))
    page.clock.run_for(10_000)
    expect(countdown).to_have_text("Zeit abgelaufen")
    expect(page.locator("#vote-button")).to_be_disabled()
    assert page.evaluate("window.__announced").count("Noch 10 Sekunden.") == 1
    assert not [t for t in page.evaluate("window.__announced") if "30 Sekunden" in t]  # 15 s: never above 30
    # The server closes the question itself when its own clock runs out.
    expect(page.locator("#phone .notice.info")).to_have_text("Die Abstimmung ist beendet.", timeout=20_000)
    expect(countdown).to_have_count(0)


def test_new_round_is_a_fresh_question_on_the_phone(new_context, devices, make_event):
    own = make_event("Zwei Runden", {"Format": [
        {"text": "Wie gut war die Diskussion?", "kind": "scale", "scale_min": 1, "scale_max": 5,
         "scale_label_min": "schlecht", "scale_label_max": "sehr gut"},
    ]})
    question = own.questions[0]
    phone = make_phone(new_context, devices, 2, "rounds")
    phone.join(own.links.join_url)
    own.act(question, "open")
    page = phone.page
    expect(page.locator("#vote-form legend")).to_have_text(question["text"])
    expect(page.locator("#round")).to_have_count(0)
    page.get_by_role("radio", name="2", exact=True).tap()
    page.locator("#vote-button").tap()
    expect_ack(phone)
    own.act(question, "close")
    own.act(question, "new-round")
    expect(page.locator("#round")).to_have_text("Runde 2")
    expect(page.locator("#vote-form input[name=value]:checked")).to_have_count(0)
    expect(page.locator("#vote-button")).to_have_text("Abstimmen")
    expect(phone.status).to_have_text("")
    phone.assert_not_reloaded()
    page.get_by_role("radio", name="4", exact=True).tap()
    page.locator("#vote-button").tap()
    expect_ack(phone)
    stored = page.evaluate(f"JSON.parse(localStorage.getItem('saal-votes-{own.links.join_code}'))")
    assert stored[f"{question['id']}:1"] == [2] and stored[f"{question['id']}:2"] == [4], stored
    page.reload()
    phone.expect_connected()
    expect(page.locator("#round")).to_have_text("Runde 2")
    expect(page.get_by_role("radio", name="4", exact=True)).to_be_checked()


def test_results_on_the_phone_live_and_after_closing(new_context, devices, make_event, axe_js, screenshot):
    own = make_event("Ergebnis am Handy", {"Digitales": [
        {"text": "Was fehlt Ihnen im Ort?", "kind": "wordcloud", "max_choices": 2, "phone_results": "live"},
        {"text": "Wie zufrieden sind Sie mit dem Bus?", "kind": "scale", "scale_min": 1, "scale_max": 5},
    ]})
    words, scale = own.questions
    a = make_phone(new_context, devices, 0, "results A")
    b = make_phone(new_context, devices, 1, "results B")
    for phone in (a, b):
        phone.join(own.links.join_url)
    own.act(words, "open")
    for phone in (a, b):
        expect(phone.page.locator("#vote-form legend")).to_have_text(words["text"])
    a.page.get_by_label("Begriff 1", exact=True).fill("Bäcker")
    a.page.locator("#vote-button").tap()
    expect_ack(a, "Antwort ändern", RECEIVED)
    # Live: the interim result under the form, kept current by the tallies.
    live = a.page.locator("#live-results")
    expect(live.get_by_role("heading", level=2)).to_have_text("Zwischenstand")
    expect(a.page.locator("#voters")).to_have_text("1 Person hat abgestimmt.")
    b.page.get_by_label("Begriff 1", exact=True).fill("bäcker")
    b.page.get_by_label("Begriff 2", exact=True).fill("Arzt")
    b.page.locator("#vote-button").tap()
    expect_ack(b, "Antwort ändern", RECEIVED)
    expect(a.page.locator("#voters")).to_have_text("2 Personen haben abgestimmt.")
    expect(live).to_contain_text("Arzt")
    a.assert_not_reloaded()
    assert_no_axe(a.page, axe_js, "phone-live-results")
    screenshot(a.page, "phone-live-results")

    # After closing (the default): the result once the question is closed and shown.
    own.act(scale, "open")
    for phone, value in ((a, "4"), (b, "5")):
        expect(phone.page.locator("#vote-form legend")).to_have_text(scale["text"])
        expect(phone.page.locator("#live-results")).to_have_count(0)
        phone.page.get_by_role("radio", name=value, exact=True).tap()
        phone.page.locator("#vote-button").tap()
        expect_ack(phone)
    own.act(scale, "close")
    for phone in (a, b):
        expect(phone.page.locator("#phone .notice.info")).to_have_text("Die Abstimmung ist beendet.")
        expect(phone.page.locator("#results .results-view")).to_have_attribute("data-kind", "scale")
        expect(phone.page.locator("#voters")).to_have_text("2 Personen haben abgestimmt.")
    assert_no_axe(a.page, axe_js, "phone-closed-scale-results")
    screenshot(a.page, "phone-closed-scale-results")
    # A reload shows the same, rendered by the server.
    a.page.reload()
    expect(a.page.locator("#results .results-view")).to_have_attribute("data-kind", "scale")
    expect(a.page.locator("#voters")).to_have_text("2 Personen haben abgestimmt.")


LONG_KINDS = [
    {"text": "Würden Sie die Bürgerbeteiligungsmöglichkeiten beim Kreisentwicklungskonzept wieder nutzen?", "kind": "yesno"},
    {"text": "Wie zufrieden sind Sie mit der Breitbandausbauförderung?", "kind": "scale", "scale_min": 0, "scale_max": 10,
     "scale_label_min": "überhaupt nicht zufriedenstellend", "scale_label_max": "außerordentlich zufriedenstellend"},
    {"text": "Welche Begriffe verbinden Sie mit Daseinsvorsorgeeinrichtungen?", "kind": "wordcloud", "max_choices": 3},
    {"text": "Was erwarten Sie von der Kreisentwicklungskonzeptfortschreibung?", "kind": "text"},
    {"text": "Ordnen Sie die Infrastrukturmaßnahmen nach ihrer Dringlichkeit.", "kind": "ranking",
     "options": ["Straßenunterhaltungsmaßnahmen", "Breitbandausbauförderung", "Schülerbeförderungsverbesserung",
                 "Hochwasserschutzmaßnahmen", "Ärztliche Versorgung", "Barrierefreiheitsverbesserungen",
                 "Radwegenetzerweiterung", "Kindertagesstättenplätze"]},
    {"text": "Verteilen Sie 100 Punkte auf die Förderschwerpunkte.", "kind": "points",
     "options": ["Energieeffizienzmaßnahmen", "Nahversorgungsstrukturen", "Gemeinschaftseinrichtungen",
                 "Denkmalschutzförderung"]},
]


def test_every_kind_reflows_at_320_px(new_context, make_event, screenshot):
    """Long German words in every kind's fields wrap at 320 CSS pixels: nothing scrolls sideways, nothing is cut off."""
    from tests.e2e.test_reflow import LAYOUT_PROBLEMS, VIEWPORTS

    own = make_event("Umbruch aller Fragetypen", {"Infrastruktur": LONG_KINDS})
    context = new_context("reflow kinds 320px", **VIEWPORTS["320px"])
    phone = Phone("320px", context, context.new_page())
    phone.join(own.links.join_url)
    problems = []
    for question in own.questions:
        own.act(question, "open")
        expect(phone.page.locator("#vote-form legend")).to_have_text(question["text"])
        expect(phone.page.locator("#vote-form[data-bound]")).to_have_count(1)
        found = phone.page.evaluate(LAYOUT_PROBLEMS, 320)
        problems += [f"{question['kind']}: {p}" for p in found]
        screenshot(phone.page, f"reflow-320px-phone-{question['kind']}")
    assert not problems, "\n".join(problems)
