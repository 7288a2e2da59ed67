"""The moderator's pages for every question kind: the question form, the open-text queue, word-cloud terms, the
countdown, rounds, the projector switch, templates and duplicates; by mouse and by keyboard, checked with axe."""

import re
from urllib.parse import urlencode, urlsplit

import pytest
from playwright.sync_api import expect

from tests.e2e.helpers import Moderator, Projector, axe_source, describe_violations, in_place, run_axe

pytestmark = pytest.mark.e2e

SINGLE = {"text": "Wie oft nutzen Sie den Bürgerbus?", "kind": "single", "options": ["Oft", "Selten", "Nie"]}
TEXT_Q = {"text": "Was wünschen Sie sich für den Marktplatz?", "kind": "text"}
CLOUD_Q = {"text": "Welches Wort fällt Ihnen zu Ihrem Ort ein?", "kind": "wordcloud", "max_choices": 3}


@pytest.fixture(scope="module")
def axe_js() -> str:
    return axe_source()


def _axe(page, name, axe_js, reports):
    violations = run_axe(page, axe_js)
    if violations:
        reports.append(describe_violations(name, page.url, violations))


def _moderator(new_context, moderator_login, own) -> Moderator:
    context = new_context("moderator kinds", viewport={"width": 1440, "height": 900}, storage_state=moderator_login,
                          locale="de-DE")
    moderator = Moderator(context.new_page(), own.links)
    moderator.goto()
    return moderator


def _projector(new_context, own) -> Projector:
    projector = Projector(new_context("projector kinds", viewport={"width": 1920, "height": 1080}).new_page(), own.links)
    projector.goto()
    return projector


def _state(own) -> dict:
    response = own.api.get(f"/api/events/{own.links.event_id}")
    assert response.ok, response.text()
    return response.json()


class FormPhone:
    """A phone that answers through the plain form (POST /j/{code}/vote), as without JavaScript."""

    def __init__(self, new_context, own, name: str) -> None:
        self.context = new_context(f"form phone {name}")
        self.code = own.links.join_code
        response = self.context.request.get(f"/j/{self.code}")  # sets the device cookie
        assert response.ok, response.status

    def answer(self, question_id: int, fields: list[tuple[str, str]]) -> None:
        response = self.context.request.post(
            f"/j/{self.code}/vote",
            data=urlencode([("question_id", str(question_id)), *fields]),
            headers={"content-type": "application/x-www-form-urlencoded"},
            max_redirects=0,
        )
        assert response.status == 303, f"the form vote was refused: HTTP {response.status} {response.text()[:300]}"


def _scroll_to(page, selector: str) -> None:
    page.locator(selector).evaluate("el => el.scrollIntoView({block: 'start'})")


def _mark_loaded(page) -> None:
    page.evaluate("window.__e2eLoaded = true")


def _assert_not_reloaded(page) -> None:
    assert page.evaluate("window.__e2eLoaded === true"), "the control page was reloaded"


# ---- the question form ------------------------------------------------------------------------------------


def _new_question(page, own, topic_id: int):
    page.goto(f"{urlsplit(own.links.moderator_url).path}/questions/new?topic_id={topic_id}")
    expect(page.get_by_role("heading", level=1)).to_have_text("Neue Frage")


def _save(moderator: Moderator) -> None:
    with moderator.page.expect_navigation(wait_until="domcontentloaded"):
        moderator.page.get_by_role("button", name="Frage speichern").click()
    moderator.expect_connected()


def _agenda_item(page, text: str):
    return page.locator("#agenda li", has=page.locator(".q-text", has_text=text))


def test_every_new_kind_through_the_form(new_context, make_event, moderator_login, axe_js, screenshot):
    own = make_event("Fragetypen im Formular", {"Ortsentwicklung": [SINGLE]})
    topic_id = _state(own)["topics"][0]["id"]
    moderator = _moderator(new_context, moderator_login, own)
    page = moderator.page
    reports = []
    options = page.locator("#q-options")
    max_field = page.locator("#q-max")

    # Yes/no: no fields to fill; the options field is gone, the fixed answers are named.
    _new_question(page, own, topic_id)
    expect(options).to_be_visible()
    page.fill("#q-text", "Soll der Wochenmarkt bleiben?")
    page.get_by_label("Ja/Nein").check()
    expect(options).to_be_hidden()
    expect(max_field).to_be_hidden()
    expect(page.get_by_text("Die Antworten stehen fest: Ja · Nein · Enthaltung.")).to_be_visible()
    _save(moderator)
    expect(_agenda_item(page, "Soll der Wochenmarkt bleiben?").locator(".q-kind")).to_have_text("Ja/Nein")
    expect(_agenda_item(page, "Soll der Wochenmarkt bleiben?").locator(".q-options")).to_contain_text("Ja · Nein · Enthaltung")

    # Scale 0–10 with end labels, a time limit, results on the phones live, not on the projector live.
    _new_question(page, own, topic_id)
    page.fill("#q-text", "Wie gern leben Sie hier?")
    page.get_by_label("Skala", exact=True).check()
    expect(options).to_be_hidden()
    expect(page.locator("#scale-presets")).to_be_visible()
    expect(page.get_by_label("1 bis 5")).to_be_checked()
    expect(page.locator("#scale-range")).to_be_hidden()  # a preset: no numbers to type
    page.get_by_label("0 bis 10").check()
    page.fill("#q-label-min", "gar nicht gern")
    page.fill("#q-label-max", "sehr gern")
    page.fill("#q-time", "90")
    page.get_by_label("live schon während der Abstimmung").check()
    page.get_by_label("Ergebnis auf dem Beamer live zeigen").uncheck()
    page.get_by_label("Eigene Spanne").check()
    expect(page.locator("#scale-range")).to_be_visible()
    expect(page.locator("#q-scale-min")).to_have_value("0")
    expect(page.locator("#q-scale-max")).to_have_value("10")
    page.get_by_label("0 bis 10").check()
    _axe(page, "question-form-scale", axe_js, reports)
    page.set_viewport_size({"width": 1280, "height": 1800})  # the whole form in one picture
    page.evaluate("window.scrollTo(0, 0)")
    screenshot(page, "moderator-question-form", docs=True)
    page.set_viewport_size({"width": 1440, "height": 900})
    _save(moderator)
    item = _agenda_item(page, "Wie gern leben Sie hier?")
    expect(item.locator(".q-kind")).to_have_text("Skala")
    expect(item.locator(".q-options")).to_contain_text("0 bis 10 (gar nicht gern – sehr gern)")
    expect(item.locator(".q-options")).to_contain_text("Zeitlimit 90 s")

    # Word cloud with two terms per person.
    _new_question(page, own, topic_id)
    page.fill("#q-text", "Was fehlt im Ort?")
    page.get_by_label("Wortwolke").check()
    expect(options).to_be_hidden()
    expect(max_field).to_be_visible()
    expect(page.get_by_label("Begriffe pro Person")).to_have_attribute("max", "3")
    page.get_by_label("Begriffe pro Person").fill("2")
    _save(moderator)
    item = _agenda_item(page, "Was fehlt im Ort?")
    expect(item.locator(".q-kind")).to_have_text("Wortwolke")
    expect(item.locator(".q-options")).to_contain_text("bis zu 2 Begriffe pro Person")

    # Open text.
    _new_question(page, own, topic_id)
    page.fill("#q-text", "Was möchten Sie dem Ortschaftsrat sagen?")
    page.get_by_label("Offene Antwort").check()
    expect(options).to_be_hidden()
    expect(max_field).to_be_hidden()
    _save(moderator)
    expect(_agenda_item(page, "Was möchten Sie dem Ortschaftsrat sagen?").locator(".q-kind")).to_have_text("Offene Antwort")

    # Ranking: too few options is explained and nothing typed is lost; then with four.
    _new_question(page, own, topic_id)
    page.fill("#q-text", "Was soll zuerst saniert werden?")
    page.get_by_label("Rangfolge").check()
    expect(options).to_be_visible()
    expect(page.locator("#q-options-hint")).to_contain_text("3 bis 8")
    expect(max_field).to_be_hidden()
    options.fill("Schule\nTurnhalle")
    page.get_by_role("button", name="Frage speichern").click()
    expect(page.get_by_role("alert")).to_contain_text("mindestens 3 Antwortmöglichkeiten")
    expect(page.get_by_label("Rangfolge")).to_be_checked()
    expect(page.locator("#q-text")).to_have_value("Was soll zuerst saniert werden?")
    expect(options).to_have_value("Schule\nTurnhalle")
    expect(options).to_be_visible()
    options.fill("Schule\nTurnhalle\nFeuerwehr\nFriedhofsmauer")
    _save(moderator)
    item = _agenda_item(page, "Was soll zuerst saniert werden?")
    expect(item.locator(".q-kind")).to_have_text("Rangfolge")
    expect(item.locator(".q-options")).to_contain_text("Schule · Turnhalle · Feuerwehr · Friedhofsmauer")

    # Points.
    _new_question(page, own, topic_id)
    page.fill("#q-text", "Verteilen Sie 100 Punkte auf die Vorhaben.")
    page.get_by_label("Punkte verteilen").check()
    expect(page.locator("#q-options-hint")).to_contain_text("100 Punkte")
    options.fill("Spielplatz\nRadweg\nDorfladen")
    _save(moderator)
    expect(_agenda_item(page, "Verteilen Sie 100 Punkte").locator(".q-kind")).to_have_text("Punkte verteilen")

    # Multiple choice keeps its "at most" field.
    _new_question(page, own, topic_id)
    page.fill("#q-text", "Welche Feste besuchen Sie?")
    page.get_by_label("Mehrfachauswahl").check()
    expect(page.get_by_label("Höchstens wählbar")).to_be_visible()
    options.fill("Maifest\nKirmes\nWeihnachtsmarkt")
    page.get_by_label("Höchstens wählbar").fill("2")
    _save(moderator)
    expect(_agenda_item(page, "Welche Feste besuchen Sie?").locator(".q-options")).to_contain_text("(höchstens 2)")

    # What was stored is what was chosen.
    stored = {q["text"]: q for q in _state(own)["topics"][0]["questions"]}
    assert stored["Soll der Wochenmarkt bleiben?"]["kind"] == "yesno"
    scale = stored["Wie gern leben Sie hier?"]
    assert scale["kind"] == "scale"
    assert scale["scale"] == {"min": 0, "max": 10, "label_min": "gar nicht gern", "label_max": "sehr gern"}
    assert scale["time_limit_s"] == 90 and scale["phone_results"] == "live" and scale["results_shown"] is False
    assert stored["Was fehlt im Ort?"]["kind"] == "wordcloud" and stored["Was fehlt im Ort?"]["max_choices"] == 2
    assert stored["Was möchten Sie dem Ortschaftsrat sagen?"]["kind"] == "text"
    assert [o["label"] for o in stored["Was soll zuerst saniert werden?"]["options"]] == ["Schule", "Turnhalle", "Feuerwehr", "Friedhofsmauer"]
    assert stored["Verteilen Sie 100 Punkte auf die Vorhaben."]["kind"] == "points"
    assert stored["Welche Feste besuchen Sie?"]["max_choices"] == 2

    # A question with votes keeps its kind and options: the edit form shows them read-only.
    qid = stored["Soll der Wochenmarkt bleiben?"]["id"]
    own.act(qid, "open")
    FormPhone(new_context, own, "locked").answer(qid, [("choice", str(stored["Soll der Wochenmarkt bleiben?"]["options"][0]["id"]))])
    own.act(qid, "close")
    page.goto(f"{moderator.path}/questions/{qid}/edit")
    expect(page.locator("#kind-locked")).to_be_visible()
    expect(page.get_by_label("Ja/Nein")).to_be_disabled()
    expect(page.get_by_label("Ja/Nein")).to_be_checked()
    page.fill("#q-text", "Soll der Wochenmarkt samstags bleiben?")
    _save(moderator)
    expect(_agenda_item(page, "Soll der Wochenmarkt samstags bleiben?").locator(".q-kind")).to_have_text("Ja/Nein")

    assert not reports, "\n\n".join(reports)


# ---- the open-text queue -------------------------------------------------------------------------------


def test_open_text_queue_live_flagged_and_by_keyboard(new_context, make_event, moderator_login, axe_js, screenshot):
    own = make_event("Offene Antworten", {"Marktplatz": [TEXT_Q]})
    question = own.questions[0]
    own.act(question, "open")
    projector = _projector(new_context, own)
    moderator = _moderator(new_context, moderator_login, own)
    page = moderator.page
    _mark_loaded(page)
    expect(page.locator("#queue-pending-empty")).to_be_visible()

    answers = ["Mehr Bänke und Schatten.", "Einen Brunnen für die Kinder.", "So ein Scheiß, macht doch was ihr wollt."]
    for i, text in enumerate(answers):
        FormPhone(new_context, own, str(i)).answer(question["id"], [("text", text)])

    # The queue fills up live, oldest first; the flagged answer is marked with an icon and in words.
    pending = page.locator("#queue-pending > li")
    expect(pending.locator(".answer-text")).to_have_text(answers, timeout=5_000)
    flagged = pending.filter(has_text=answers[2])
    expect(flagged).to_have_class(re.compile(r"\bflagged\b"))
    expect(flagged.locator(".flag")).to_have_text(re.compile(r"Verdacht auf beleidigende Sprache"))
    expect(pending.filter(has_text=answers[0]).locator(".flag")).to_have_count(0)
    expect(page.locator("#live-voters")).to_have_text("3")
    _assert_not_reloaded(page)
    expect(projector.page.locator("#p-results .text-body")).to_have_count(0)

    # By keyboard: Enter on "Freigeben" of the first answer; focus moves on to the next waiting answer.
    first = pending.filter(has_text=answers[0]).get_by_role("button", name=re.compile(r"^Freigeben"))
    first.focus()
    page.keyboard.press("Enter")
    approved = page.locator("#queue-approved > li")
    expect(approved.locator(".answer-text")).to_have_text([answers[0]])
    expect(approved.locator(".status-pill")).to_have_text(["freigegeben"])
    expect(page.locator("#queue-pending > li .answer-text")).to_have_text(answers[1:])
    focused = page.locator(":focus")
    expect(focused).to_have_text(re.compile(r"^Freigeben: " + re.escape(answers[1])))
    expect(projector.page.locator("#p-results .text-body")).to_have_text([answers[0]], timeout=5_000)
    page.set_viewport_size({"width": 1440, "height": 1200})
    _scroll_to(page, "#live")
    screenshot(page, "moderator-text-queue", docs=True)
    page.set_viewport_size({"width": 1440, "height": 900})

    # Tab to "Ablehnen" of the flagged one and reject it.
    page.keyboard.press("Tab")  # "Ablehnen" of the second answer
    page.keyboard.press("Tab")  # "Freigeben" of the flagged one
    page.keyboard.press("Tab")  # "Ablehnen" of the flagged one
    expect(page.locator(":focus")).to_have_text(re.compile(r"^Ablehnen: So ein Scheiß"))
    page.keyboard.press("Enter")
    expect(page.locator("#queue-rejected > li .answer-text")).to_have_text([answers[2]])
    expect(page.locator("#queue-pending > li .answer-text")).to_have_text([answers[1]])
    _assert_not_reloaded(page)
    reports = []
    _axe(page, "control-text-queue", axe_js, reports)

    # Back into the queue: the projector no longer shows it. The API says the same.
    approved.first.get_by_role("button", name=re.compile(r"^Zurück in die Warteschlange")).click()
    expect(page.locator("#queue-approved > li")).to_have_count(0)
    expect(page.locator("#queue-approved-empty")).to_be_visible()
    expect(projector.page.locator("#p-results .text-body")).to_have_count(0, timeout=5_000)
    statuses = {a["text"]: a["status"] for a in _state(own)["state"]["results"]["answers"]}
    assert statuses == {answers[0]: "pending", answers[1]: "pending", answers[2]: "rejected"}
    _assert_not_reloaded(page)

    # A new answer arrives while the moderator works: it joins the end of the queue without a reload.
    FormPhone(new_context, own, "late").answer(question["id"], [("text", "Öfter Markt am Abend.")])
    expect(page.locator("#queue-pending > li .answer-text")).to_have_text(
        [answers[0], answers[1], "Öfter Markt am Abend."], timeout=5_000
    )
    _assert_not_reloaded(page)
    assert not reports, "\n\n".join(reports)


# ---- word-cloud terms -----------------------------------------------------------------------------------


def test_word_cloud_terms_hidden_and_shown(new_context, make_event, moderator_login, screenshot):
    own = make_event("Wortwolke prüfen", {"Ort": [CLOUD_Q]})
    question = own.questions[0]
    own.act(question, "open")
    projector = _projector(new_context, own)
    moderator = _moderator(new_context, moderator_login, own)
    page = moderator.page
    _mark_loaded(page)

    ballots = [["Glasfaser", "Bäcker"], ["glasfaser", "Spielplatz"], ["Bäcker", "Idiot"], ["Glasfaser"],
               ["Dorfladen", "Glasfaser", "Natur"], ["Busverbindung", "Dorfladen"], ["Kita", "Natur"], ["Ruhe"]]
    for i, terms in enumerate(ballots):
        FormPhone(new_context, own, str(i)).answer(question["id"], [("term", t) for t in terms])

    review = page.locator("#term-review > li")
    expect(review).to_have_count(9, timeout=5_000)
    # The flagged term comes first, marked, and hidden until shown.
    expect(review.first.locator(".review-label")).to_have_text("Idiot")
    expect(review.first).to_have_class(re.compile(r"(?=.*\bflagged\b)(?=.*\bhidden-term\b)"))
    expect(review.first.locator(".review-state")).to_contain_text("Verdacht auf beleidigende Sprache")
    expect(review.first.get_by_role("button")).to_have_text(re.compile(r"^Einblenden"))
    expect(review.filter(has_text="Glasfaser").locator(".review-n")).to_have_text("4 Personen")
    proj_terms = projector.page.locator("#p-results .term-list .term-name")
    expect(proj_terms).to_have_text(
        ["Glasfaser", "Bäcker", "Dorfladen", "Natur", "Busverbindung", "Kita", "Ruhe", "Spielplatz"], timeout=5_000
    )

    # Hide "Bäcker" (by keyboard): it leaves the projector's list; the button now says "Einblenden".
    button = review.filter(has_text="Bäcker").get_by_role("button", name=re.compile(r"^Ausblenden"))
    button.focus()
    page.keyboard.press("Enter")
    expect(proj_terms).to_have_text(["Glasfaser", "Dorfladen", "Natur", "Busverbindung", "Kita", "Ruhe", "Spielplatz"],
                                    timeout=5_000)
    baecker = review.filter(has_text="Bäcker")
    expect(baecker).to_have_class(re.compile(r"\bhidden-term\b"))
    expect(page.locator(":focus")).to_have_text(re.compile(r"^Einblenden: Bäcker"))
    expect(page.locator("#terms-summary")).to_contain_text("9 Begriffe, davon 2 ausgeblendet")
    page.set_viewport_size({"width": 1440, "height": 1200})
    _scroll_to(page, "#live")
    screenshot(page, "moderator-wordcloud", docs=True)
    page.set_viewport_size({"width": 1440, "height": 900})

    # Show the flagged one after all: the projector gets it.
    review.filter(has_text="Idiot").get_by_role("button", name=re.compile(r"^Einblenden")).click()
    expect(proj_terms).to_have_text(["Glasfaser", "Dorfladen", "Natur", "Busverbindung", "Idiot", "Kita", "Ruhe",
                                     "Spielplatz"], timeout=5_000)
    _assert_not_reloaded(page)


# ---- countdown and rounds --------------------------------------------------------------------------------


def _seconds(text: str) -> int:
    minutes, seconds = text.split(":")
    return int(minutes) * 60 + int(seconds)


def test_countdown_and_a_new_round(new_context, make_event, moderator_login, screenshot):
    own = make_event("Countdown und Runden", {"Verkehr": [SINGLE]})
    question = own.questions[0]
    own.act(question, "open")
    FormPhone(new_context, own, "round1").answer(question["id"], [("choice", str(question["options"][0]["id"]))])
    moderator = _moderator(new_context, moderator_login, own)
    page = moderator.page
    expect(page.locator("#countdown")).to_have_count(0)

    moderator.press("30 s")
    time_left = page.locator("#countdown-time")
    expect(time_left).to_be_visible()
    first = _seconds(time_left.text_content())
    assert 25 <= first <= 30, first
    page.wait_for_timeout(2_200)
    later = _seconds(time_left.text_content())
    assert later < first, f"the countdown does not run: {first} → {later}"
    assert _state(own)["state"]["question"]["closes_at"] is not None
    screenshot(page, "moderator-countdown")

    moderator.press("Countdown stoppen")
    expect(page.locator("#countdown")).to_have_count(0)
    assert _state(own)["state"]["question"]["closes_at"] is None
    moderator.expect_current(SINGLE["text"], phase_badge="Abstimmung läuft")

    # Close, then a new round: round 2, and round 1's vote is kept apart.
    moderator.press("Abstimmung schließen")
    expect(page.locator("#new-round-hint")).to_contain_text("Die Stimmen von Runde 1 bleiben erhalten")
    moderator.press("Neue Runde starten")
    moderator.expect_current(SINGLE["text"], phase_badge="Abstimmung läuft")
    expect(page.locator("#live-round")).to_have_text("Runde 2")
    expect(page.locator("#live-voters")).to_have_text("0")
    state = _state(own)["state"]
    assert state["question"]["round"] == 2
    assert [(r["round"], r["results"]["voters"]) for r in state["rounds"]] == [(1, 1)]
    expect(page.locator("#earlier-rounds summary")).to_have_text("Frühere Runden (1)")

    # On the projector: both rounds side by side, and back.
    moderator.press("Abstimmung schließen")
    moderator.press("Runden vergleichen")
    assert _state(own)["state"]["question"]["compare_rounds"] is True
    moderator.press("Nur aktuelle Runde")
    assert _state(own)["state"]["question"]["compare_rounds"] is False
    expect(_agenda_item(page, SINGLE["text"]).locator(".tag.round")).to_have_text("Runde 2")


# ---- the projector switch ----------------------------------------------------------------------------------


def test_projector_switch_by_keyboard(new_context, make_event, moderator_login):
    second = {"text": "Wie finden Sie die neuen Radständer?", "kind": "yesno"}
    own = make_event("Beamer umschalten", {"Verkehr": [SINGLE], "Radverkehr": [second]})
    own.act(own.questions[0], "open")
    projector = _projector(new_context, own)
    moderator = _moderator(new_context, moderator_login, own)
    page = moderator.page
    projector.expect_question(SINGLE["text"], "Abstimmung läuft")
    expect(page.locator("#projector-switch").get_by_role("button", name="Frage")).to_have_attribute("aria-current", "true")
    expect(page.locator("#screen-now")).to_contain_text("die Frage")

    # Tab from "QR-Code" to the topic list, pick the second topic with the arrow key, Tab on and press Enter.
    page.locator("#projector-switch").get_by_role("button", name="QR-Code").focus()
    page.keyboard.press("Tab")
    expect(page.locator("#projector-topic")).to_be_focused()
    page.keyboard.press("ArrowDown")
    expect(page.locator("#projector-topic option:checked")).to_have_text("Radverkehr")
    page.keyboard.press("Tab")
    expect(page.locator(":focus")).to_have_text("Themenübersicht zeigen")
    in_place(page, lambda: page.keyboard.press("Enter"))
    moderator.expect_connected()
    expect(projector.page.locator("#topic-screen")).to_be_visible(timeout=5_000)
    expect(projector.page.locator("#p-topic-title")).to_have_text("Radverkehr")
    expect(page.locator("#screen-now")).to_contain_text("Themenübersicht „Radverkehr“")
    expect(page.get_by_role("button", name="Themenübersicht zeigen")).to_have_attribute("aria-current", "true")
    assert _state(own)["state"]["screen"] == "topic"

    # The join code while the question stays open, then back to the question.
    moderator.press("QR-Code")
    projector.expect_join_screen()
    assert _state(own)["state"]["phase"] == "open"
    moderator.press("Frage")
    projector.expect_question(SINGLE["text"], "Abstimmung läuft")


# ---- templates and duplicates -------------------------------------------------------------------------------


def test_template_new_event_from_it_and_duplicate(new_context, make_event, moderator_login, axe_js, screenshot):
    agenda = {
        "Ortsmitte": [SINGLE, TEXT_Q],
        "Feste": [CLOUD_Q, {"text": "Welches Fest soll bleiben?", "kind": "ranking", "options": ["Maifest", "Kirmes", "Advent"]}],
    }
    own = make_event("Vorlagen-Test", agenda)
    moderator = _moderator(new_context, moderator_login, own)
    page = moderator.page
    name = "Ortsteilgespräche Mittelsachsen"
    series = page.locator("#series")
    expect(series).to_contain_text("noch zu keiner Reihe")
    series.get_by_label("Name der Vorlage").fill(name)
    with page.expect_navigation(wait_until="domcontentloaded"):  # outside the live panel: an ordinary form post
        series.get_by_role("button", name="Als Vorlage speichern").click()
    expect(page.locator(".flash.success")).to_contain_text(f"Vorlage „{name}“ gespeichert")
    expect(series.locator(".series-name")).to_have_text(name)

    # The events page lists the template with its topics; a new event is made from it.
    page.goto("/moderator")
    template = page.locator(".template-list > li", has=page.get_by_role("heading", name=name))
    expect(template).to_contain_text("2 Themen · 4 Fragen")
    expect(template.locator(".template-topics li")).to_have_text(["Ortsmitte", "Feste"])
    reports = []
    _axe(page, "events-with-templates", axe_js, reports)
    page.set_viewport_size({"width": 1280, "height": 1500})  # events, both forms and the templates
    page.evaluate("window.scrollTo(0, 0)")
    screenshot(page, "moderator-templates", docs=True)
    page.set_viewport_size({"width": 1440, "height": 900})

    form = page.locator("#from-template-form")
    form.get_by_label("Vorlage").select_option(form.locator("option", has_text=name).get_attribute("value"))
    form.get_by_label("Titel").fill("Ortsteilgespräch Hainichen")
    form.get_by_label("Ort").fill("Hainichen")
    form.get_by_label("Datum").fill("2027-04-20")
    with page.expect_navigation(wait_until="domcontentloaded"):
        form.get_by_role("button", name="Aus Vorlage anlegen").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Ortsteilgespräch Hainichen")
    expect(page.locator(".flash.success")).to_contain_text("aus der Vorlage angelegt")
    original = [[q["text"] for q in t["questions"]] for t in _state(own)["topics"]]
    expect(page.locator("#agenda .agenda-topic h3")).to_have_text(["Ortsmitte", "Feste"])
    expect(page.locator("#agenda .q-text")).to_have_text([t for topic in original for t in topic])
    expect(page.locator("#agenda .q-kind")).to_have_text(["Einfachauswahl", "Offene Antwort", "Wortwolke", "Rangfolge"])
    expect(page.locator("#series .series-name")).to_have_text(name)

    # Duplicate the original: same agenda, no votes, a title of its own.
    moderator.goto()
    page.locator("#series").get_by_label("Titel der Kopie").fill("Vorlagen-Test, zweiter Termin")
    with page.expect_navigation(wait_until="domcontentloaded"):
        page.locator("#series").get_by_role("button", name="Veranstaltung duplizieren").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Vorlagen-Test, zweiter Termin")
    expect(page.locator("#agenda .q-text")).to_have_text([t for topic in original for t in topic])
    expect(page.locator("#agenda .badge.draft")).to_have_count(4)

    # The events list names the series of each.
    page.goto("/moderator")
    for title in ("Ortsteilgespräch Hainichen", "Vorlagen-Test, zweiter Termin"):
        entry = page.locator(".event-list li", has=page.get_by_role("link", name=title))
        expect(entry.locator(".series-tag")).to_have_text(f"Reihe: {name}")
    assert not reports, "\n\n".join(reports)
