"""The projector fits every beamer (#16 point 3): at 1920×1080, 1280×720, 1024×768 and 1280×800 the join screen,
the question of every kind with its result shown (long option labels and long answers too) and the topic roll-up
fit without scrolling; the join code stays on one line; no visible text is smaller than 24 CSS px (asserted at all
four sizes; the issue asks it at 1280×720). axe-core finds nothing on these screens. The fullscreen button is there,
labelled, reachable by keyboard, calls the Fullscreen API (stubbed: headless Chromium may refuse the real thing),
hides itself in fullscreen, and the key F does the same; without the API there is no button.

Votes come as the plain form posts (`POST /j/{code}/vote`), so these tests do not depend on the phone page."""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import pytest
from playwright.sync_api import expect

from tests.e2e.helpers import axe_source, describe_violations, run_axe

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
SIZES = {"1920x1080": (1920, 1080), "1280x720": (1280, 720), "1024x768": (1024, 768), "1280x800": (1280, 800)}
SMALLEST_PX = 24
JOIN_SCREENSHOT = ROOT / "docs" / "projector-join-1024x768.png"

# Ten options, several of them long (up to the 200 characters an option may have), under a long question.
LONG_OPTIONS = [
    "Breitband und Mobilfunk in allen Ortsteilen, auch in den kleinen Dörfern am Rand des Landkreises",
    "Bus und Bahn häufiger und auch abends",
    "Radwege zwischen den Gemeinden",
    "Ärztliche Versorgung auf dem Land: Hausärztinnen und Hausärzte, Fachärzte in erreichbarer Nähe, "
    "Medizinische Versorgungszentren und Telemedizin für alle, die nicht mehr so mobil sind",
    "Kitas und Schulen",
    "Bezahlbarer Wohnraum für junge Familien, Auszubildende und ältere Menschen, die im Ort bleiben möchten",
    "Energie sparen in öffentlichen Gebäuden",
    "Regionale Wirtschaft und Handwerk",
    "Online-Dienste des Landratsamts: Anträge, Termine und Bescheide ohne Behördengang, rund um die Uhr, "
    "mit Hilfe vor Ort für alle, die das Internet nicht nutzen können oder wollen",
    "Treffpunkte für Jung und Alt",
]
Q_LONG = {"text": "Welche Vorhaben sollte der Landkreis in den nächsten fünf Jahren vorrangig angehen, damit das Leben "
                  "in den Dörfern und Kleinstädten attraktiv bleibt?", "kind": "single", "options": LONG_OPTIONS}
Q_MULTIPLE = {"text": "Was würde Sie am ehesten zum Umstieg auf Bus und Bahn bewegen?", "kind": "multiple",
              "max_choices": 3, "options": ["Häufigere Takte", "Fahrten abends und am Wochenende", "Günstigere Tickets",
                                            "Rufbus auf Bestellung", "Bessere Anschlüsse an die Bahn in Döbeln und Leisnig",
                                            "Sichere Abstellplätze für Fahrräder"]}
Q_YESNO = {"text": "Würden Sie wieder an einer Regionalkonferenz teilnehmen?", "kind": "yesno"}
Q_SCALE = {"text": "Wie zufrieden sind Sie mit der Anbindung Ihres Ortes an Bus und Bahn?", "kind": "scale",
           "scale_min": 0, "scale_max": 10, "scale_label_min": "überhaupt nicht zufrieden",
           "scale_label_max": "voll und ganz zufrieden"}
Q_RANKING = {"text": "Was ist Ihnen bei Bus und Bahn am wichtigsten? Bringen Sie es in eine Reihenfolge.", "kind": "ranking",
             "options": ["Pünktlichkeit", "Häufiger Takt", "Günstiger Preis", "Haltestelle in der Nähe",
                         "Barrierefreie Fahrzeuge und Haltestellen", "Anschluss an den Fernverkehr", "Sauberkeit",
                         "Sicherheit am Abend"]}
Q_POINTS = {"text": "Verteilen Sie 100 Punkte auf diese Vorhaben.", "kind": "points",
            "options": ["Radwege", "Rufbus", "Bahnhöfe sanieren", "Carsharing auf dem Land",
                        "Mitfahrbänke in allen Ortsteilen", "Schnellbuslinie nach Chemnitz"]}
Q_CLOUD = {"text": "Was verbinden Sie mit Digitalisierung im Landkreis?", "kind": "wordcloud", "max_choices": 3}
Q_TEXT = {"text": "Was sollte der Landkreis als Erstes anpacken?", "kind": "text"}

VOTERS = 12
TERMS = [
    ["Glasfaser", "Funklöcher", "Online-Termine"], ["Glasfaser", "Datenschutz"], ["Glasfaser", "Bürgeramt"],
    ["Funklöcher", "Online-Termine", "Ärzte per Video"], ["Glasfaser", "Breitbandförderungsrichtlinie", "Schule"],
    ["Datenschutz", "Funklöcher", "Homeoffice"], ["Ehrenamt", "Homeoffice", "Glasfaser"], ["Tablets für Schulen", "WLAN"],
    ["Digitale Verwaltung", "Glasfaser", "Funklöcher"], ["Smart Home", "Onlinezugangsgesetz", "Videosprechstunde"],
    ["Glasfaser", "Kein Netz im Zug", "Digitale Bildung"], ["Apps für den Bus", "Glasfaser", "Funklöcher"],
]
ANSWERS = [
    "Mehr Busse am Abend, damit junge Leute ohne Auto wegkommen, und ein Rufbus am Wochenende für die Dörfer, "
    "die heute gar nicht angebunden sind. Dazu sichere Radwege zur nächsten Schule, damit Eltern nicht jeden Tag "
    "fahren müssen, und bessere Anschlüsse an die Bahn, auch spät am Abend und sonntags.",
    "Die Kreisstraßen sanieren.",
    "Bürgerbeteiligungsmöglichkeitenverbesserungsvorschläge ernst nehmen und Ärztinnen und Ärzte aufs Land holen.",
    "Schnelles Internet in jedem Ort, auch in den Außenbereichen, und Mobilfunk ohne Funklöcher auf den Straßen "
    "zwischen den Gemeinden, damit man im Notfall telefonieren kann und Homeoffice möglich wird.",
    "Kitas mit längeren Öffnungszeiten.",
    "Treffpunkte für Jugendliche in den Dörfern.",
]

# What fits: the page's size against the window's, and every text a person can see with its font size.
MEASURE = """() => {
  const root = document.scrollingElement || document.documentElement;
  const small = [];
  let smallest = Infinity;
  const seen = new Set();
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const el = node.parentElement;
    if (!el || seen.has(el) || !node.textContent.trim()) continue;
    if (el.closest('.visually-hidden, .extra, [hidden], script, template')) continue;
    if (!el.checkVisibility({checkOpacity: true, checkVisibilityCSS: true})) continue;
    const range = document.createRange();
    range.selectNodeContents(node);
    const onScreen = [...range.getClientRects()].some((r) => r.width > 1 && r.height > 1 && r.right > 0 &&
      r.bottom > 0 && r.left < innerWidth && r.top < innerHeight);
    if (!onScreen) continue;
    seen.add(el);
    const px = parseFloat(getComputedStyle(el).fontSize);
    smallest = Math.min(smallest, px);
    if (px < MIN_PX) small.push(`${px.toFixed(1)}px <${el.tagName.toLowerCase()} class="${el.className}"> ${node.textContent.trim().slice(0, 40)}`);
  }
  const cut = [...document.querySelectorAll('main *')].filter((e) => {
    if (e.closest('.visually-hidden, .extra, [hidden]') || !e.checkVisibility()) return false;
    const r = e.getBoundingClientRect();
    return r.width > 1 && r.height > 1 && (r.right > innerWidth + 1 || r.bottom > innerHeight + 1 || r.left < -1);
  }).map((e) => `<${e.tagName.toLowerCase()} id="${e.id}" class="${e.className}">`).slice(0, 6);
  const code = document.querySelector('#join-screen:not([hidden]) .join-code');
  let codeLines = null;
  if (code) {
    const range = document.createRange();
    range.selectNodeContents(code);
    const tops = new Set([...range.getClientRects()].filter((r) => r.width > 1).map((r) => Math.round(r.top)));
    const lineHeight = parseFloat(getComputedStyle(code).lineHeight);
    codeLines = {rects: code.getClientRects().length, tops: tops.size, height: code.getBoundingClientRect().height,
                 lineHeight, fits: code.getBoundingClientRect().right <= innerWidth};
  }
  return {scrollHeight: root.scrollHeight, scrollWidth: root.scrollWidth, innerHeight, innerWidth, smallest, small,
          cut, codeLines};
}""".replace("MIN_PX", str(SMALLEST_PX))


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
        response = self.apis[index].post(f"/j/{self.code}/vote", data=body,
                                         headers={"Content-Type": "application/x-www-form-urlencoded"}, max_redirects=0)
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


def act(event, question: dict, action: str, body: dict | None = None) -> dict:
    response = event.api.post(f"/api/events/{event.links.event_id}/questions/{question['id']}/{action}", data=body or {})
    assert response.ok, f"{action}: HTTP {response.status} {response.text()}"
    return response.json()


def projector_mode(event, mode: str, topic_id: int | None = None) -> dict:
    body = {"mode": mode} | ({"topic_id": topic_id} if topic_id else {})
    response = event.api.post(f"/api/events/{event.links.event_id}/projector", data=body)
    assert response.ok, f"projector {mode}: HTTP {response.status} {response.text()}"
    return response.json()


def open_projector(new_context, event, width: int = 1280, height: int = 720, init_script: str | None = None):
    context = new_context("projector fit", viewport={"width": width, "height": height}, device_scale_factor=1)
    if init_script:
        context.add_init_script(init_script)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(urlsplit(event.links.projector_url).path)
    expect(page.locator("#conn")).to_have_attribute("data-state", "open", timeout=10_000)
    page.errors = errors  # type: ignore[attr-defined]
    return page


def ids(question: dict) -> dict[str, int]:
    return {o["label"]: o["id"] for o in question["options"]}


def vote_all(event, people: Voters, question: dict) -> None:
    """Every person answers, so each kind shows a full result."""
    kind = question["kind"]
    options = [o["id"] for o in question["options"]]
    for i in range(VOTERS):
        if kind in ("single", "yesno"):
            fields = [("choice", options[(i * 7) % len(options)])]
        elif kind == "multiple":
            fields = [("choice", options[i % len(options)]), ("choice", options[(i + 2) % len(options)])]
        elif kind == "scale":
            fields = [("value", (i * 3) % 11)]
        elif kind == "ranking":
            order = options[i % len(options):] + options[:i % len(options)]
            fields = [(f"rank-{oid}", place) for place, oid in enumerate(order, start=1)]
        elif kind == "points":
            fields = [(f"points-{oid}", 0) for oid in options]
            fields[i % len(options)] = (f"points-{options[i % len(options)]}", 60)
            fields[(i + 1) % len(options)] = (f"points-{options[(i + 1) % len(options)]}", 40)
        elif kind == "wordcloud":
            fields = [("term", term) for term in TERMS[i]]
        else:
            if i >= len(ANSWERS):
                continue
            fields = [("text", ANSWERS[i])]
        people.vote(i, question["id"], fields)
    if kind == "text":
        state = event.api.get(f"/api/events/{event.links.event_id}").json()["state"]
        for answer in state["results"]["answers"]:
            act(event, question, "approve", {"answer_id": answer["id"]})


def settle(page) -> None:
    """Let the page fit itself to the new window (resize event, ResizeObserver, bars sliding)."""
    page.evaluate("() => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)))")
    page.wait_for_timeout(350)


@pytest.fixture
def fit_check(screenshot):
    """`check(page, name)`: the page at each of the four sizes; problems are collected and reported at the end."""
    problems: list[str] = []
    checked: list[str] = []

    def check(page, name: str) -> None:
        for size, (width, height) in SIZES.items():
            page.set_viewport_size({"width": width, "height": height})
            settle(page)
            info = page.evaluate(MEASURE)
            checked.append(f"{name}@{size}")
            found = []
            if info["scrollHeight"] > info["innerHeight"]:
                found.append(f"scrolls: {info['scrollHeight']}px tall in {info['innerHeight']}px")
            if info["scrollWidth"] > info["innerWidth"]:
                found.append(f"scrolls sideways: {info['scrollWidth']}px wide in {info['innerWidth']}px")
            if info["cut"]:
                found.append(f"outside the screen: {info['cut']}")
            if info["small"]:
                found.append(f"text under {SMALLEST_PX}px: {info['small'][:6]}")
            code = info["codeLines"]
            if name.startswith("join"):
                if not code:
                    found.append("no join code on the join screen")
                elif not (code["tops"] == 1 and code["height"] < 2 * code["lineHeight"] and code["fits"]):
                    found.append(f"the join code is not on one line: {code}")
            if size == "1280x720" or found:
                screenshot(page, f"fit-{name}-{size}")
            if found:
                problems.append(f"{name} at {size}: " + "; ".join(found))
        page.set_viewport_size({"width": 1280, "height": 720})
        settle(page)
        assert not page.errors, f"the projector script failed: {page.errors}"

    yield check
    assert not problems, f"{len(problems)} of {len(checked)} screens do not fit:\n" + "\n".join(problems)


def test_every_screen_fits_every_beamer(new_context, make_event, voters, fit_check, axe_js, screenshot):
    event = make_event("Regionalkonferenz Mobilität und Digitales im Landkreis", {
        "Mobilität und Versorgung": [Q_LONG, Q_MULTIPLE, Q_YESNO, Q_SCALE],
        "Beteiligung und Digitales": [Q_RANKING, Q_POINTS, Q_CLOUD, Q_TEXT],
    })
    page = open_projector(new_context, event)
    people = voters(event, VOTERS)
    axe_reports = []

    def audit(name: str) -> None:
        page.set_viewport_size({"width": 1280, "height": 720})
        settle(page)
        violations = run_axe(page, axe_js)
        if violations:
            axe_reports.append(describe_violations(name, page.url, violations))

    # The join screen, before anything is asked.
    expect(page.locator("#join-screen")).to_be_visible()
    fit_check(page, "join")
    audit("join")
    if os.environ.get("UPDATE_DOCS_SCREENSHOTS") == "1":
        page.set_viewport_size({"width": 1024, "height": 768})
        settle(page)
        page.screenshot(path=str(JOIN_SCREENSHOT), animations="disabled", caret="hide")
        page.set_viewport_size({"width": 1280, "height": 720})

    # Each kind with its result shown, after everyone has answered and the question is closed.
    for question in event.questions:
        act(event, question, "open")
        expect(page.locator("#p-question")).to_have_text(question["text"])
        vote_all(event, people, question)
        act(event, question, "close")
        expect(page.locator("#p-phase")).to_have_text("Abstimmung beendet")
        shown = "#p-results .text-card" if question["kind"] == "text" else "#p-results .results-voters"
        expect(page.locator(shown).first).to_be_visible()
        if question["kind"] != "text":
            expect(page.locator("#p-votes")).not_to_have_text("0 Stimmen abgegeben")
        fit_check(page, f"question-{question['kind']}")
        audit(f"question-{question['kind']}")

    # The topic roll-ups, four questions each.
    topics = sorted({q["topic_id"] for q in event.questions}, key=[q["topic_id"] for q in event.questions].index)
    for number, topic_id in enumerate(topics, start=1):
        projector_mode(event, "topic", topic_id)
        expect(page.locator("#topic-screen")).to_be_visible()
        expect(page.locator("#p-topic-grid > .topic-card")).to_have_count(4)
        fit_check(page, f"topic-{number}")
        audit(f"topic-{number}")

    # The join screen while a question is open (a line for late-comers) and with a question running.
    act(event, event.questions[0], "open")
    projector_mode(event, "join")
    expect(page.locator("#join-live")).to_be_visible()
    fit_check(page, "join-live")
    audit("join-live")
    assert not axe_reports, "axe-core found violations:\n\n" + "\n\n".join(axe_reports)


# ---- fullscreen -------------------------------------------------------------------------------------------------

STUB_FULLSCREEN = """() => {
  window.__fullscreen = [];
  let element = null;
  Object.defineProperty(document, 'fullscreenElement', {configurable: true, get: () => element});
  document.documentElement.requestFullscreen = function () {
    window.__fullscreen.push('request');
    element = document.documentElement;
    document.dispatchEvent(new Event('fullscreenchange'));
    return Promise.resolve();
  };
  document.exitFullscreen = function () {
    window.__fullscreen.push('exit');
    element = null;
    document.dispatchEvent(new Event('fullscreenchange'));
    return Promise.resolve();
  };
}"""


def test_fullscreen_button_and_key_f(new_context, make_event, axe_js):
    event = make_event("Vollbild", {"Format": [Q_YESNO]})
    page = open_projector(new_context, event)
    button = page.get_by_role("button", name="Vollbild", exact=True)
    expect(button).to_be_visible()
    expect(button).to_have_attribute("aria-keyshortcuts", "F")
    assert page.evaluate("document.fullscreenEnabled"), "this Chromium has no Fullscreen API"
    page.evaluate(STUB_FULLSCREEN)

    # By keyboard: Tab reaches it (after the skip link), Enter asks for fullscreen; then the button hides itself.
    page.locator("body").click(position={"x": 5, "y": 300})
    for _ in range(3):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement && document.activeElement.id") == "fullscreen":
            break
    expect(button).to_be_focused()
    page.keyboard.press("Enter")
    assert page.evaluate("window.__fullscreen") == ["request"]
    expect(page.locator("#fullscreen")).to_be_hidden()
    # F leaves fullscreen, and the button is back; F again goes fullscreen; Ctrl+F is the browser's.
    page.keyboard.press("f")
    expect(button).to_be_visible()
    page.keyboard.press("F")
    page.keyboard.press("Control+f")
    assert page.evaluate("window.__fullscreen") == ["request", "exit", "request"]
    page.evaluate("document.exitFullscreen()")
    expect(button).to_be_visible()
    # A mouse click does it too.
    button.click()
    assert page.evaluate("window.__fullscreen")[-1] == "request"
    violations = run_axe(page, axe_js)
    assert not violations, describe_violations("projector-fullscreen", page.url, violations)
    assert not page.errors, page.errors


def test_no_fullscreen_button_without_the_api(new_context, make_event):
    event = make_event("Ohne Vollbild", {"Format": [Q_YESNO]})
    no_api = "Object.defineProperty(Document.prototype, 'fullscreenEnabled', {configurable: true, get: () => false});"
    page = open_projector(new_context, event, init_script=no_api)
    expect(page.locator("#fullscreen")).to_be_hidden()
    page.keyboard.press("f")  # nothing happens, and nothing fails
    assert not page.errors, page.errors
