"""The projector shows every question kind with its numbers written out, live within a second: scale (mean and
median), ranking (order and average place), points (averages), word cloud (the ranked list beside the cloud),
open text (only approved answers); the topic roll-up; a countdown that closes the question by itself, whatever
the projector computer's clock says; two rounds side by side. axe-core finds nothing on the new screens.

Votes come from phones that post the plain form (`POST /j/{code}/vote`) or send the websocket message
directly, so these tests do not depend on the phone page's inputs."""

from __future__ import annotations

import re
import time
import uuid
from collections import Counter
from decimal import ROUND_HALF_UP, Decimal
from urllib.parse import urlencode, urlsplit

import pytest
from playwright.sync_api import expect

from app.domain.kinds.wordcloud import term_key
from tests.e2e.helpers import LIVE_WITHIN_MS, RECORD_ANNOUNCEMENTS, axe_source, bar_texts, describe_violations, run_axe, votes_given, wait_until

pytestmark = pytest.mark.e2e


# A projector computer whose clock is two hours fast: the countdown must not care.
WRONG_CLOCK = """(() => {
  const realNow = Date.now.bind(Date);
  Date.now = () => realNow() + 2 * 3600 * 1000;
})();"""

# One vote over the phone's websocket, resolved with the stored answer once the server acknowledges it.
WS_VOTE = """async ([code, message]) => new Promise((resolve, reject) => {
  const ws = new WebSocket((location.protocol === 'https:' ? 'wss:' : 'ws:') + '//' + location.host + '/ws/j/' + code);
  const timer = setTimeout(() => { ws.close(); reject(new Error('no ack within 5 s')); }, 5000);
  ws.onopen = () => ws.send(JSON.stringify(message));
  ws.onmessage = (event) => {
    const msg = JSON.parse(event.data);
    if (msg.type === 'ack' && msg.vote_id === message.vote_id) { clearTimeout(timer); ws.close(); resolve(msg.answer); }
    if (msg.type === 'error') { clearTimeout(timer); ws.close(); reject(new Error(msg.code + ': ' + msg.message)); }
  };
})"""


def de(value: float) -> str:
    """A number as the page writes it in German: at most one decimal, rounded once, half up, from the exact value
    (its shortest decimal, as Intl.NumberFormat reads it), decimal comma."""
    rounded = Decimal(repr(value)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    text = f"{rounded:f}"
    return text.removesuffix(".0").replace(".", ",")


class Voters:
    """People in the hall, each with their own device cookie; they vote with the plain form (no JavaScript)."""

    def __init__(self, playwright, base: str, code: str, n: int) -> None:
        self.code = code
        self.apis = []
        for _ in range(n):
            api = playwright.request.new_context(base_url=base)
            response = api.get(f"/j/{code}", max_redirects=0)
            assert response.ok, f"phone page: HTTP {response.status}"
            self.apis.append(api)

    def vote(self, index: int, question_id: int, fields: list[tuple[str, object]]) -> None:
        body = urlencode([("question_id", question_id), *fields])
        response = self.apis[index].post(
            f"/j/{self.code}/vote",
            data=body,
            headers={"Content-Type": "application/x-www-form-urlencoded"},
            max_redirects=0,
        )
        assert response.status == 303, f"vote {fields}: HTTP {response.status} {response.text()[:600]}"

    def dispose(self) -> None:
        for api in self.apis:
            api.dispose()


@pytest.fixture
def voters(playwright_instance):
    made = []

    def make(event, n: int) -> Voters:
        v = Voters(playwright_instance, event.links.base, event.links.join_code, n)
        made.append(v)
        return v

    yield make
    for v in made:
        v.dispose()


@pytest.fixture(scope="module")
def axe_js() -> str:
    return axe_source()


@pytest.fixture
def audit(axe_js, screenshot):
    """`audit(name, page)`: axe-core on the page; every violation is collected and reported at the end."""
    reports = []

    def run(name: str, page) -> None:
        violations = run_axe(page, axe_js)
        screenshot(page, f"axe-{name}")
        if violations:
            reports.append(describe_violations(name, page.url, violations))

    yield run
    assert not reports, "axe-core found violations:\n\n" + "\n\n".join(reports)


def open_projector(new_context, event, *init_scripts: str):
    context = new_context("projector", viewport={"width": 1920, "height": 1080}, device_scale_factor=1)
    for script in (RECORD_ANNOUNCEMENTS, *init_scripts):
        context.add_init_script(script)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(urlsplit(event.links.projector_url).path)
    expect(page.locator("#conn")).to_have_attribute("data-state", "open", timeout=10_000)
    page.errors = errors  # type: ignore[attr-defined]
    return page


def act(event, question: dict, action: str, body: dict | None = None) -> dict:
    response = event.api.post(f"/api/events/{event.links.event_id}/questions/{question['id']}/{action}", data=body or {})
    assert response.ok, f"{action}: HTTP {response.status} {response.text()}"
    return response.json()


def projector_mode(event, mode: str, topic_id: int | None = None) -> dict:
    body = {"mode": mode} | ({"topic_id": topic_id} if topic_id else {})
    response = event.api.post(f"/api/events/{event.links.event_id}/projector", data=body)
    assert response.ok, f"projector {mode}: HTTP {response.status} {response.text()}"
    return response.json()


def expect_question(page, question: dict, phase: str = "Abstimmung läuft") -> None:
    expect(page.locator("#question-screen")).to_be_visible()
    expect(page.locator("#p-question")).to_have_text(question["text"])
    expect(page.locator("#p-phase")).to_have_text(phase)


def option_id(question: dict, label: str) -> int:
    return next(o["id"] for o in question["options"] if o["label"] == label)


def expect_reflow(page) -> None:
    """Someone follows along on a phone (320 px) or zooms in: one column, nothing scrolls sideways."""
    page.set_viewport_size({"width": 320, "height": 640})
    page.wait_for_timeout(100)
    wide = page.evaluate("""() => [...document.querySelectorAll('main *')].filter((e) => {
      const r = e.getBoundingClientRect();
      if (e.closest('.visually-hidden, .extra')) return false;  // clipped to 1 px for screen readers
      return r.width && (r.right > window.innerWidth + 1 || r.left < -1);
    }).map((e) => e.className || e.tagName)""")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), wide
    assert not wide, f"wider than 320 px: {wide}"
    page.set_viewport_size({"width": 1920, "height": 1080})


def no_page_errors(page) -> None:
    assert not page.errors, f"the projector script failed: {page.errors}"


# ---- scale ------------------------------------------------------------------------------------------

Q_SCALE = {"text": "Wie wichtig sind Ihnen Lebensmittel aus der Region?", "kind": "scale", "scale_min": 1, "scale_max": 5,
           "scale_label_min": "gar nicht wichtig", "scale_label_max": "sehr wichtig"}
SCALE_VOTES = [5, 5, 5, 5, 5, 5, 4, 4, 4, 4, 4, 4, 4, 3, 3, 3, 2, 2, 1, 4]


def scale_stats(values: list[int]) -> str:
    ordered = sorted(values)
    mid = len(ordered) // 2
    median = ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2
    mean = sum(values) / len(values)  # the server sends it exact; the page rounds it once
    return f"Mittelwert {de(mean)} · Median {de(median)}"


def test_scale_mean_median_and_columns(new_context, make_event, voters, audit, screenshot):
    event = make_event("Skala auf dem Beamer", {"Nachhaltigkeit": [Q_SCALE]})
    (q,) = event.questions
    page = open_projector(new_context, event)
    people = voters(event, len(SCALE_VOTES))
    act(event, q, "open")
    expect_question(page, q)
    expect(page.locator("#p-hint")).to_have_text("Bitte wählen Sie einen Wert von 1 bis 5.")
    expect(page.locator("#p-results .scale-stats")).to_have_text("Noch keine Stimmen.")

    # Live: two votes, then the rest; each time the numbers are there within a second.
    for i, value in enumerate(SCALE_VOTES[:2]):
        people.vote(i, q["id"], [("value", value)])
    expect(page.locator("#p-results .scale-stats")).to_have_text(scale_stats(SCALE_VOTES[:2]), timeout=LIVE_WITHIN_MS)
    for i, value in enumerate(SCALE_VOTES[2:], start=2):
        people.vote(i, q["id"], [("value", value)])
    counts = Counter(SCALE_VOTES)
    expect(page.locator("#p-results .scale-stats")).to_have_text(scale_stats(SCALE_VOTES), timeout=LIVE_WITHIN_MS)
    assert scale_stats(SCALE_VOTES) == "Mittelwert 3,8 · Median 4"
    expect(page.locator("#p-results .col-num")).to_have_text([str(counts[v]) for v in range(1, 6)])
    expect(page.locator("#p-results .col-label")).to_have_text([str(v) for v in range(1, 6)])
    expect(page.locator("#p-votes")).to_have_text(votes_given(len(SCALE_VOTES)))
    expect(page.locator("#p-results .scale-ends")).to_have_text("1 = gar nicht wichtig5 = sehr wichtig")
    expect(page.locator("#p-results .scale-mean-mark")).to_have_text("Ø 3,8")
    # Screen readers: the table has every value with its votes and share.
    body = page.locator("#p-table-body")
    expect(body.locator("th")).to_have_text(["1 (gar nicht wichtig)", "2", "3", "4", "5 (sehr wichtig)"])
    expect(body.locator("td:nth-child(2)")).to_have_text([str(counts[v]) for v in range(1, 6)])
    expect(body.locator("td:nth-child(3)")).to_have_text([f"{round(counts[v] * 100 / 20)} %" for v in range(1, 6)])
    expect(page.locator("#p-table-caption")).to_have_text("Ergebnis in Zahlen (Mittelwert 3,8 · Median 4)")
    expect(page.locator("#p-results")).to_have_attribute("aria-hidden", "true")
    audit("projector-scale-open", page)

    act(event, q, "close")
    expect_question(page, q, "Abstimmung beendet")
    expect(page.locator("#announce")).to_have_text("Abstimmung beendet. Mittelwert 3,8, Median 4, 20 Stimmen.")
    no_page_errors(page)
    screenshot(page, "projector-scale", docs=True)

    # Hidden results: only the note, no numbers anywhere on the screen.
    act(event, q, "hide-results")
    expect(page.locator("#p-hidden")).to_be_visible()
    expect(page.locator("#p-results .col-num")).to_have_count(0)
    expect(page.locator("#p-table-wrap")).to_be_hidden()
    expect(page.locator("#question-screen")).not_to_contain_text("Mittelwert")


# ---- ranking ----------------------------------------------------------------------------------------

Q_RANKING = {"text": "Was ist Ihnen bei Bus und Bahn am wichtigsten? Bringen Sie es in eine Reihenfolge.", "kind": "ranking",
             "options": ["Pünktlichkeit", "Häufiger Takt", "Günstiger Preis", "Haltestelle in der Nähe"]}
RANKINGS = [
    ["Günstiger Preis", "Pünktlichkeit", "Häufiger Takt", "Haltestelle in der Nähe"],
    ["Pünktlichkeit", "Günstiger Preis", "Haltestelle in der Nähe", "Häufiger Takt"],
    ["Günstiger Preis", "Haltestelle in der Nähe", "Pünktlichkeit", "Häufiger Takt"],
    ["Günstiger Preis", "Pünktlichkeit", "Häufiger Takt", "Haltestelle in der Nähe"],
    ["Häufiger Takt", "Günstiger Preis", "Pünktlichkeit", "Haltestelle in der Nähe"],
    ["Pünktlichkeit", "Häufiger Takt", "Günstiger Preis", "Haltestelle in der Nähe"],
    ["Günstiger Preis", "Pünktlichkeit", "Haltestelle in der Nähe", "Häufiger Takt"],
]


def ranking_rows(rankings: list[list[str]], labels: list[str]) -> list[tuple[str, str]]:
    """(bar name, bar value) in result order: Borda points, ties by the options' order (none here)."""
    n = len(labels)
    points = {label: sum(n - 1 - r.index(label) for r in rankings) for label in labels}
    places = {label: sum(r.index(label) + 1 for r in rankings) / len(rankings) for label in labels}  # exact, as sent
    order = sorted(labels, key=lambda label: (-points[label], labels.index(label)))
    assert len(set(points.values())) == n, "the test data must have no ties"
    return [(f"{i}. {label}", f"Ø Platz {de(places[label])} · {points[label]} Punkt{'' if points[label] == 1 else 'e'}")
            for i, label in enumerate(order, start=1)]


def test_ranking_order_and_average_place(new_context, make_event, voters, screenshot):
    event = make_event("Rangfolge auf dem Beamer", {"Mobilität": [Q_RANKING]})
    (q,) = event.questions
    labels = Q_RANKING["options"]
    page = open_projector(new_context, event)
    people = voters(event, len(RANKINGS))
    act(event, q, "open")
    expect_question(page, q)
    bars = page.locator("#p-bars")

    people.vote(0, q["id"], [(f"rank-{option_id(q, label)}", place) for place, label in enumerate(RANKINGS[0], start=1)])
    expected = ranking_rows(RANKINGS[:1], labels)
    expect(bars.locator(".bar-name")).to_have_text([name for name, _ in expected], timeout=LIVE_WITHIN_MS)
    for i, ranking in enumerate(RANKINGS[1:], start=1):
        people.vote(i, q["id"], [(f"rank-{option_id(q, label)}", place) for place, label in enumerate(ranking, start=1)])
    expected = ranking_rows(RANKINGS, labels)
    expect(bars.locator(".bar-value")).to_have_text([value for _, value in expected], timeout=LIVE_WITHIN_MS)
    expect(bars.locator(".bar-name")).to_have_text([name for name, _ in expected])
    assert expected[0] == ("1. Günstiger Preis", "Ø Platz 1,6 · 17 Punkte")
    expect(page.locator("#p-votes")).to_have_text(votes_given(len(RANKINGS)))
    expect(page.locator("#p-table thead th")).to_have_text(["Antwort", "Platz", "Ø Platz", "Punkte"])
    expect(page.locator("#p-table-body th")).to_have_text([name.split(". ", 1)[1] for name, _ in expected])
    act(event, q, "close")
    expect(page.locator("#announce")).to_contain_text("Abstimmung beendet. Ergebnis: 1. Günstiger Preis, Ø Platz 1,6;")
    no_page_errors(page)
    screenshot(page, "projector-ranking", docs=True)


# ---- points -----------------------------------------------------------------------------------------

Q_POINTS = {"text": "Verteilen Sie 100 Punkte auf diese Vorhaben.", "kind": "points",
            "options": ["Radwege", "Rufbus", "Bahnhöfe sanieren", "Carsharing auf dem Land"]}
POINTS = [
    {"Radwege": 55, "Rufbus": 45},
    {"Radwege": 20, "Rufbus": 40, "Bahnhöfe sanieren": 40},
    {"Radwege": 10, "Rufbus": 30, "Bahnhöfe sanieren": 30, "Carsharing auf dem Land": 30},
    {"Bahnhöfe sanieren": 100},
    {"Radwege": 25, "Rufbus": 25, "Bahnhöfe sanieren": 25, "Carsharing auf dem Land": 25},
    {"Radwege": 70, "Carsharing auf dem Land": 30},
]


def points_values(votes: list[dict[str, int]], labels: list[str]) -> list[str]:
    return [f"Ø {de(sum(v.get(label, 0) for v in votes) / len(votes))} Punkte" for label in labels]


def test_points_averages(new_context, make_event, voters, screenshot):
    event = make_event("Punkte auf dem Beamer", {"Mobilität": [Q_POINTS]})
    (q,) = event.questions
    labels = Q_POINTS["options"]
    page = open_projector(new_context, event)
    people = voters(event, len(POINTS))
    act(event, q, "open")
    expect_question(page, q)
    bars = page.locator("#p-bars")
    expect(bars.locator(".bar-name")).to_have_text(labels)

    people.vote(0, q["id"], [(f"points-{option_id(q, label)}", POINTS[0].get(label, 0)) for label in labels])
    expect(bars.locator(".bar-value")).to_have_text(points_values(POINTS[:1], labels), timeout=LIVE_WITHIN_MS)
    for i, vote in enumerate(POINTS[1:], start=1):
        people.vote(i, q["id"], [(f"points-{option_id(q, label)}", vote.get(label, 0)) for label in labels])
    expected = points_values(POINTS, labels)
    expect(bars.locator(".bar-value")).to_have_text(expected, timeout=LIVE_WITHIN_MS)
    assert expected == ["Ø 30 Punkte", "Ø 23,3 Punkte", "Ø 32,5 Punkte", "Ø 14,2 Punkte"]
    expect(page.locator("#p-table thead th")).to_have_text(["Antwort", "Ø Punkte", "Punkte insgesamt"])
    expect(page.locator("#p-table-body td:nth-child(3)")).to_have_text(
        [str(sum(v.get(label, 0) for v in POINTS)) for label in labels])
    act(event, q, "close")
    expect(page.locator("#announce")).to_have_text(
        "Abstimmung beendet. Ergebnis: Radwege: Ø 30 Punkte; Rufbus: Ø 23,3 Punkte; Bahnhöfe sanieren: Ø 32,5 Punkte; "
        "Carsharing auf dem Land: Ø 14,2 Punkte. 6 Personen haben abgestimmt.")
    no_page_errors(page)
    screenshot(page, "projector-points", docs=True)


# ---- word cloud -------------------------------------------------------------------------------------

Q_CLOUD = {"text": "Was verbinden Sie mit Digitalisierung im Landkreis?", "kind": "wordcloud", "max_choices": 3}
# (sent over the websocket?, terms)
CLOUD_VOTES = [
    (True, ["Glasfaser", "Funklöcher", "Online-Termine"]),
    (True, ["glasfaser", "Datenschutz"]),
    (True, ["Glasfaser", "Bürgeramt"]),
    (False, ["Funklöcher", "Online-Termine", "Ärzte per Video"]),
    (False, ["Glasfaser", "Online-Termine", "Breitbandförderungsrichtlinie"]),
    (False, ["Schule", "Glasfaser"]),
    (False, ["Datenschutz", "Funklöcher", "Scheiße"]),  # a flagged term stays hidden until the moderator shows it
    (False, ["Ehrenamt", "Homeoffice", "Glasfaser"]),
]


def cloud_list(votes: list[list[str]], hidden: set[str] = frozenset()) -> list[tuple[str, int]]:
    """(label, people) most frequent first, ties by key (wordcloud.term_key: case-folded, ß is ss, ä is ae, no
    spaces); the label is the spelling most people used (these votes have no tie between spellings)."""
    people: Counter[str] = Counter()
    spellings: dict[str, Counter[str]] = {}
    for terms in votes:
        for term in terms:
            people[term_key(term)] += 1
            spellings.setdefault(term_key(term), Counter())[term] += 1
    rows = []
    for key, n in sorted(people.items(), key=lambda kv: (-kv[1], kv[0])):
        label = sorted(spellings[key].items(), key=lambda kv: (-kv[1], kv[0]))[0][0]
        if key not in hidden:
            rows.append((label, n))
    return rows


def test_wordcloud_list_and_cloud(new_context, make_event, voters, audit, screenshot):
    event = make_event("Wortwolke auf dem Beamer", {"Digitalisierung": [Q_CLOUD]})
    (q,) = event.questions
    page = open_projector(new_context, event)
    people = voters(event, len(CLOUD_VOTES))
    phone = new_context("phone (websocket)").new_page()
    phone.goto(f"/j/{event.links.join_code}")
    act(event, q, "open")
    expect_question(page, q)
    expect(page.locator("#p-hint")).to_have_text("Bis zu 3 Begriffe pro Person.")
    expect(page.locator("#p-results .results-empty")).to_have_text("Noch keine Begriffe.")

    for i, (over_socket, terms) in enumerate(CLOUD_VOTES):
        if over_socket:
            # One device, one answer per question: each socket vote comes from a fresh device cookie.
            phone.context.clear_cookies()
            phone.goto(f"/j/{event.links.join_code}")
            message = {"type": "vote", "vote_id": uuid.uuid4().hex, "question_id": q["id"], "terms": terms}
            assert phone.evaluate(WS_VOTE, [event.links.join_code, message]) == terms
        else:
            people.vote(i, q["id"], [("term", t) for t in terms])
    expected = cloud_list([terms for _, terms in CLOUD_VOTES], hidden={"scheisse"})
    items = page.locator("#p-results .term-list li")
    expect(items.locator(".term-name")).to_have_text([label for label, _ in expected], timeout=LIVE_WITHIN_MS)
    expect(items.locator(".term-count")).to_have_text([str(n) for _, n in expected])
    expect(items.first.locator(".term-sr")).to_have_text(": 6 Personen")
    assert expected[0] == ("Glasfaser", 6)
    # The cloud draws the same terms (for the eye; screen readers read the list).
    expect(page.locator("#p-results .cloud")).to_have_attribute("aria-hidden", "true")
    expect(page.locator("#p-results .cloud .term")).to_have_count(len(expected))
    sizes = page.eval_on_selector_all(
        "#p-results .cloud .term", "els => Object.fromEntries(els.map(e => [e.textContent, parseFloat(getComputedStyle(e).fontSize)]))")
    assert sizes["Glasfaser"] == max(sizes.values()) and sizes["Glasfaser"] > 2 * sizes["Schule"], sizes
    expect(page.locator("#question-screen")).not_to_contain_text("Scheiße")
    # The long compound wraps inside the screen instead of running off it.
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    expect(page.locator("#p-votes")).to_have_text(votes_given(len(CLOUD_VOTES)))
    audit("projector-wordcloud", page)

    # The moderator shows the flagged term: now the projector has it too.
    act(event, q, "show-term", {"term": "scheiße"})
    expect(items.locator(".term-name")).to_contain_text(["Scheiße"], timeout=LIVE_WITHIN_MS)
    act(event, q, "hide-term", {"term": "scheiße"})
    expect(items.locator(".term-name")).to_have_text([label for label, _ in expected], timeout=LIVE_WITHIN_MS)
    act(event, q, "close")
    expect(page.locator("#announce")).to_have_text(
        "Abstimmung beendet. Vorne: Glasfaser (6), Funklöcher (3), Online-Termine (3). 8 Personen haben abgestimmt.")
    no_page_errors(page)
    screenshot(page, "projector-wordcloud", docs=True)
    expect_reflow(page)


# ---- open text --------------------------------------------------------------------------------------

Q_TEXT = {"text": "Was sollte der Landkreis als Erstes anpacken?", "kind": "text"}
ANSWERS = [
    "Mehr Busse am Abend, damit junge Leute ohne Auto wegkommen.",
    "Die Kreisstraßen sanieren.",
    "Bürgerbeteiligungsmöglichkeitenverbesserungsvorschläge ernst nehmen und Ärztinnen und Ärzte aufs Land holen.",
    "Schnelles Internet in jedem Ort.",
]


def test_open_text_shows_only_approved_answers(new_context, make_event, voters, screenshot):
    event = make_event("Offene Antworten auf dem Beamer", {"Ermöglichung": [Q_TEXT]})
    (q,) = event.questions
    page = open_projector(new_context, event)
    people = voters(event, len(ANSWERS))
    act(event, q, "open")
    expect_question(page, q)
    for i, text in enumerate(ANSWERS):
        people.vote(i, q["id"], [("text", text)])
    voters_line = page.locator("#p-results .results-voters")
    expect(voters_line).to_have_text("4 Antworten eingegangen, 0 freigegeben.", timeout=LIVE_WITHIN_MS)
    expect(page.locator("#p-votes")).to_have_text("4 Antworten eingegangen")
    expect(page.locator("#p-results .results-empty")).to_have_text("Noch keine freigegebenen Antworten.")
    for text in ANSWERS:
        expect(page.locator("#question-screen")).not_to_contain_text(text)

    # The moderator approves three (the API gives the moderator every answer with its id).
    state = event.api.get(f"/api/events/{event.links.event_id}").json()["state"]
    ids = {a["text"]: a["id"] for a in state["results"]["answers"]}
    for text in ANSWERS[:3]:
        act(event, q, "approve", {"answer_id": ids[text]})
    cards = page.locator("#p-results .text-card .text-body")
    # Newest first (answers are ordered by when they were given).
    expect(cards).to_have_text(list(reversed(ANSWERS[:3])), timeout=LIVE_WITHIN_MS)
    expect(voters_line).to_have_text("4 Antworten eingegangen, 3 freigegeben.")
    expect(page.locator("#question-screen")).not_to_contain_text(ANSWERS[3])
    # Long words wrap inside their card.
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert page.eval_on_selector_all("#p-results .text-card", "els => els.every(e => e.scrollWidth <= e.clientWidth + 1)")
    act(event, q, "reject", {"answer_id": ids[ANSWERS[1]]})
    expect(cards).to_have_text([ANSWERS[2], ANSWERS[0]], timeout=LIVE_WITHIN_MS)
    act(event, q, "approve", {"answer_id": ids[ANSWERS[1]]})
    act(event, q, "close")
    expect(cards).to_have_count(3)
    no_page_errors(page)
    screenshot(page, "projector-text", docs=True)


# ---- choice kinds (for the docs) --------------------------------------------------------------------

Q_SINGLE = {"text": "Wie kommen Sie meistens zur Arbeit, Schule oder Ausbildung?", "kind": "single",
            "options": ["Auto", "Bus oder Bahn", "Fahrrad", "Zu Fuß", "Ich pendle nicht"]}
Q_MULTIPLE = {"text": "Was würde Sie am ehesten zum Umstieg auf Bus und Bahn bewegen?", "kind": "multiple", "max_choices": 2,
              "options": ["Häufigere Takte", "Fahrten abends und am Wochenende", "Günstigere Tickets", "Rufbus auf Bestellung"]}
Q_YESNO = {"text": "Würden Sie wieder an einer Regionalkonferenz teilnehmen?", "kind": "yesno"}


def test_choice_kinds(new_context, make_event, voters, screenshot):
    event = make_event("Auswahlfragen auf dem Beamer", {"Mobilität": [Q_SINGLE, Q_MULTIPLE], "Format": [Q_YESNO]})
    single, multiple, yesno = event.questions
    page = open_projector(new_context, event)
    people = voters(event, 12)
    plan = [
        (single, "single", [["Auto"]] * 5 + [["Bus oder Bahn"]] * 3 + [["Fahrrad"]] * 2 + [["Zu Fuß"], ["Ich pendle nicht"]]),
        (multiple, "multiple", [["Häufigere Takte", "Günstigere Tickets"]] * 4 + [["Fahrten abends und am Wochenende"]] * 3
         + [["Rufbus auf Bestellung", "Häufigere Takte"]] * 5),
        (yesno, "yesno", [["Ja"]] * 8 + [["Nein"]] * 3 + [["Enthaltung"]]),
    ]
    for question, kind, picks in plan:
        act(event, question, "open")
        expect_question(page, question)
        labels = [o["label"] for o in question["options"]]
        assert kind != "yesno" or labels == ["Ja", "Nein", "Enthaltung"]
        for i, chosen in enumerate(picks):
            people.vote(i, question["id"], [("choice", option_id(question, label)) for label in chosen])
        counts = [sum(label in chosen for chosen in picks) for label in labels]
        page.locator("#p-bars").wait_for()
        expect(page.locator("#p-bars .bar-value")).to_have_text(bar_texts(counts, voters=len(picks)), timeout=LIVE_WITHIN_MS)
        act(event, question, "close")
        expect(page.locator("#p-phase")).to_have_text("Abstimmung beendet")
        screenshot(page, f"projector-{kind}", docs=True)
    no_page_errors(page)


# ---- topic roll-up ----------------------------------------------------------------------------------


def test_topic_view_shows_every_question_of_the_topic_live(new_context, make_event, voters, audit, screenshot):
    event = make_event("Überblick auf dem Beamer", {
        "Mobilität": [Q_SINGLE, Q_SCALE | {"text": "Wie zufrieden sind Sie mit Bus und Bahn?", "scale_label_min": "gar nicht",
                                           "scale_label_max": "sehr"}, Q_CLOUD | {"text": "Was fehlt Ihnen unterwegs?"}, Q_POINTS],
        "Format": [Q_YESNO],
    })
    single, scale, cloud, points, yesno = event.questions
    mobility = [single, scale, cloud, points]
    page = open_projector(new_context, event)
    people = voters(event, 10)
    act(event, single, "open")
    for i, label in enumerate(["Auto"] * 4 + ["Bus oder Bahn"] * 3 + ["Fahrrad"] * 2 + ["Zu Fuß"]):
        people.vote(i, single["id"], [("choice", option_id(single, label))])
    act(event, single, "close")
    act(event, scale, "open")
    for i, value in enumerate([2, 3, 3, 4, 4, 4, 5, 1]):
        people.vote(i, scale["id"], [("value", value)])
    act(event, scale, "close")
    act(event, cloud, "open")  # stays open: its card updates live
    for i, terms in enumerate([["Funkloch", "WLAN"], ["Funkloch"], ["Toiletten"]]):
        people.vote(i, cloud["id"], [("term", t) for t in terms])

    state = projector_mode(event, "topic", single["topic_id"])
    assert state["screen"] == "topic"
    expect(page.locator("#topic-screen")).to_be_visible()
    expect(page.locator("#question-screen")).to_be_hidden()
    expect(page.locator("#p-topic-title")).to_have_text("Mobilität")
    cards = page.locator("#p-topic-grid > .topic-card")
    expect(cards.locator(".topic-card-question")).to_have_text([q["text"] for q in mobility])
    expect(cards.locator(".topic-card-status")).to_have_text(
        ["Abstimmung beendet", "Abstimmung beendet", "Abstimmung läuft", "Noch nicht gestellt"])
    expect(cards.nth(0).locator(".bar-value")).to_have_text(bar_texts([4, 3, 2, 1, 0]))
    expect(cards.nth(1).locator(".scale-stats")).to_have_text("Mittelwert 3,3 · Median 3,5")
    expect(cards.nth(2).locator(".term-name")).to_have_text(["Funkloch", "Toiletten", "WLAN"])
    expect(cards.nth(3).locator(".results-view")).to_have_count(0)
    expect(page.locator("#p-topic-count")).to_have_text("3 von 4 Fragen gestellt")
    expect(page.locator("#topic-screen")).not_to_contain_text(yesno["text"])
    expect(page.locator("#announce")).to_have_text("Überblick: Mobilität, 4 Fragen.")

    # A vote on the open question shows up in its card within a second.
    people.vote(3, cloud["id"], [("term", "Funkloch"), ("term", "Toiletten")])
    expect(cards.nth(2).locator(".term-count")).to_have_text(["3", "2", "1"], timeout=LIVE_WITHIN_MS)
    expect(cards.nth(2).locator(".results-voters")).to_have_text("4 Personen haben abgestimmt.")
    assert page.evaluate("document.documentElement.scrollHeight <= window.innerHeight"), "the roll-up does not fit 1080p"
    audit("projector-topic", page)
    no_page_errors(page)
    screenshot(page, "projector-topic", docs=True)

    expect_reflow(page)
    # The join screen while a question is open tells late-comers what they can still answer.
    projector_mode(event, "join")
    expect(page.locator("#join-screen")).to_be_visible()
    expect(page.locator("#join-live")).to_have_text(f"Gerade läuft: {cloud['text']}")
    assert page.evaluate("document.documentElement.scrollHeight <= window.innerHeight"), "the join screen does not fit"
    projector_mode(event, "question")
    expect_question(page, cloud)
    expect(page.locator("#join-live")).to_be_hidden()


# ---- countdown --------------------------------------------------------------------------------------


def test_countdown_closes_the_question_whatever_the_projector_clock(new_context, make_event, voters):
    event = make_event("Countdown auf dem Beamer", {"Format": [Q_YESNO]})
    (q,) = event.questions
    page = open_projector(new_context, event, WRONG_CLOCK)
    assert page.evaluate("Math.abs(Date.now() - performance.timeOrigin - performance.now()) > 3600 * 1000")
    act(event, q, "open")
    expect_question(page, q)
    expect(page.locator("#p-countdown")).to_be_hidden()
    started = time.monotonic()
    act(event, q, "timer", {"seconds": 10})
    countdown = page.locator("#p-countdown-time")
    expect(page.locator("#p-countdown")).to_be_visible(timeout=LIVE_WITHIN_MS)
    expect(countdown).to_have_text(re.compile(r"^0:(10|0[7-9])$"))
    expect(page.locator("#announce")).to_have_text("Noch 10 Sekunden zum Abstimmen.")
    # It counts down (and is not a still picture).
    expect(countdown).to_have_text(re.compile(r"^0:0[0-6]$"), timeout=6_000)
    assert time.monotonic() - started >= 3.0, "the countdown ran fast"
    # The server closes the question by itself when the time is up.
    expect(page.locator("#p-phase")).to_have_text("Abstimmung beendet", timeout=9_000)
    assert time.monotonic() - started >= 9.5, "closed before the time was up"
    expect(page.locator("#p-countdown")).to_be_hidden()
    # The live region is cleared and refilled 50 ms later (so a repeated text is spoken again): wait for it.
    closed = ("Abstimmung beendet. Ergebnis: Ja: 0 Stimmen, 0 %; Nein: 0 Stimmen, 0 %; "
              "Enthaltung: 0 Stimmen, 0 %. 0 Stimmen abgegeben.")
    spoken = wait_until(page, f"(() => {{ const s = window.__announced; "
                              f"return s.length && s[s.length - 1].endsWith({closed!r}) ? s : null; }})()", timeout=3_000)
    assert any(text.startswith("Zeit abgelaufen") for text in spoken), spoken
    no_page_errors(page)


def test_countdown_from_a_time_limit_is_big_and_urgent_at_the_end(new_context, make_event, audit, screenshot):
    event = make_event("Zeitlimit auf dem Beamer", {"Format": [Q_SINGLE | {"time_limit_s": 12}]})
    (q,) = event.questions
    page = open_projector(new_context, event)
    act(event, q, "open")
    expect_question(page, q)
    box = page.locator("#p-countdown")
    expect(box).to_be_visible()
    expect(box).to_have_attribute("data-urgent", "false")
    height = box.bounding_box()["height"]
    assert height >= 100, f"the countdown is {height}px high: too small for the back of the hall"
    screenshot(page, "projector-countdown", docs=True)
    audit("projector-countdown", page)
    expect(box).to_have_attribute("data-urgent", "true", timeout=6_000)
    expect(page.locator("#p-phase")).to_have_text("Abstimmung beendet", timeout=12_000)
    no_page_errors(page)


# ---- rounds -----------------------------------------------------------------------------------------


def test_rounds_side_by_side(new_context, make_event, voters, audit, screenshot):
    event = make_event("Runden auf dem Beamer", {"Format": [Q_SINGLE]})
    (q,) = event.questions
    labels = Q_SINGLE["options"]
    page = open_projector(new_context, event)
    people = voters(event, 8)
    first = ["Auto"] * 5 + ["Bus oder Bahn"] * 2 + ["Fahrrad"]
    second = ["Auto"] * 2 + ["Bus oder Bahn"] * 4 + ["Fahrrad"] * 2
    act(event, q, "open")
    for i, label in enumerate(first):
        people.vote(i, q["id"], [("choice", option_id(q, label))])
    expect(page.locator("#p-votes")).to_have_text(votes_given(8), timeout=LIVE_WITHIN_MS)
    act(event, q, "close")
    state = act(event, q, "new-round")
    assert state["question"]["round"] == 2 and state["phase"] == "open"
    expect(page.locator("#announce")).to_have_text("Runde 2 beginnt. Abstimmung läuft.")
    expect(page.locator("#p-votes")).to_have_text(votes_given(0))
    for i, label in enumerate(second):
        people.vote(i, q["id"], [("choice", option_id(q, label))])
    act(event, q, "close")
    counts_first = [first.count(label) for label in labels]
    counts_second = [second.count(label) for label in labels]
    expect(page.locator("#p-bars .bar-value")).to_have_text(bar_texts(counts_second))
    expect(page.locator(".p-round")).to_have_count(0)

    act(event, q, "compare-rounds")
    rounds = page.locator("#p-stage .p-round-title:visible")
    expect(rounds).to_have_text(["Runde 1 · 8 Stimmen abgegeben", "Runde 2 · aktuell"])
    expect(page.locator(".p-round .bar-value")).to_have_text(bar_texts(counts_first))
    expect(page.locator("#p-bars .bar-value")).to_have_text(bar_texts(counts_second))
    # Side by side: the earlier round on the left, the current one on the right.
    left = page.locator(".p-round").bounding_box()
    right = page.locator("#p-current").bounding_box()
    assert left["x"] + left["width"] <= right["x"] and abs(left["y"] - right["y"]) < 2, (left, right)
    assert page.evaluate("document.documentElement.scrollHeight <= window.innerHeight")
    expect(page.locator("#announce")).to_have_text("Die Runden werden nebeneinander gezeigt.")
    audit("projector-rounds", page)
    no_page_errors(page)
    screenshot(page, "projector-rounds", docs=True)

    act(event, q, "single-round")
    expect(page.locator(".p-round")).to_have_count(0)
    expect(page.locator("#p-current-title")).to_be_hidden()
