"""Page helpers for the browser tests: the moderator, the projector and the phones, as a person uses them."""

from __future__ import annotations

import math
import re
import time
from pathlib import Path
from urllib.parse import urlsplit

try:
    from playwright.sync_api import Page, expect
except ImportError:  # pragma: no cover - the conftest skips (or fails under CI) before any helper runs
    Page = object  # type: ignore[assignment,misc]
    expect = None  # type: ignore[assignment]

MODERATOR_USER = "moderation"
MODERATOR_PASSWORD = "saalumfrage-demo"
PHONE_DEVICES = ("Pixel 7", "iPhone 13", "Galaxy S9+")

# The demo agenda (app/demo.py). Each scenario uses its own questions, so the tests do not depend on each other.
Q_INTERNET = "Wie zufrieden sind Sie mit dem Internet an Ihrem Wohnort?"
Q_INTERNET_OPTIONS = ["Sehr zufrieden", "Eher zufrieden", "Eher unzufrieden", "Sehr unzufrieden", "Weiß nicht"]
Q_ONLINE = "Welche Behördengänge möchten Sie künftig online erledigen?"  # multiple, at most 3
Q_ONLINE_OPTIONS = ["Kfz-Zulassung", "Führerschein", "Bauantrag", "Elterngeld und Kita", "Wohngeld", "Termine im Landratsamt"]
Q_COMMUTE = "Wie kommen Sie meistens zur Arbeit, Schule oder Ausbildung?"
Q_COMMUTE_OPTIONS = ["Auto", "Bus oder Bahn", "Fahrrad", "Zu Fuß", "Ich pendle nicht"]
Q_TRANSIT = "Was würde Sie am ehesten zum Umstieg auf Bus und Bahn bewegen?"  # multiple, at most 2
Q_TRANSIT_OPTIONS = ["Häufigere Takte", "Fahrten abends und am Wochenende", "Günstigere Tickets", "Rufbus auf Bestellung",
                     "Bessere Anschlüsse"]
Q_ENERGY = "Wie wichtig ist Ihnen der Ausbau erneuerbarer Energien im Landkreis?"
Q_ENERGY_OPTIONS = ["Sehr wichtig", "Eher wichtig", "Eher unwichtig", "Unwichtig"]
Q_PRIORITIES = "Wo sollte der Landkreis zuerst ansetzen?"  # multiple, no limit
Q_PRIORITIES_OPTIONS = ["Energie sparen in öffentlichen Gebäuden", "Solaranlagen auf Dächern", "Regionale Produkte stärken",
                        "Flächen schützen", "Wasser und Wald"]
Q_INFORMED = "Fühlen Sie sich gut über Entscheidungen des Landkreises informiert?"
Q_INFORMED_OPTIONS = ["Ja", "Teilweise", "Nein"]
Q_PARTICIPATE = "Wie möchten Sie sich künftig beteiligen?"  # multiple, no limit
Q_PARTICIPATE_OPTIONS = ["Regionalkonferenzen", "Online-Umfragen", "Bürgerwerkstätten", "Sprechstunden vor Ort", "Gar nicht"]
Q_FORMAT = "Wie gefällt Ihnen das Format der Regionalkonferenz?"
Q_FORMAT_OPTIONS = ["Sehr gut", "Gut", "Geht so", "Nicht gut"]
Q_MORE = "Sollte es weitere Regionalkonferenzen geben?"
Q_MORE_OPTIONS = ["Ja", "Nein", "Weiß nicht"]

VOTED = "Danke! Ihre Stimme wurde gezählt."
RECEIVED = "Danke! Ihre Antwort ist eingegangen."  # word cloud
RECEIVED_REVIEW = "Danke! Ihre Antwort ist eingegangen. Sie erscheint nach Prüfung durch die Moderation."  # open text
CLOSED = "Die Abstimmung ist beendet."
WAITING = "Sie sind dabei!"
RESULT_SOON = "Das Ergebnis wird gleich vorne im Saal gezeigt."
LIVE_WITHIN_MS = 1000  # "projector and moderator show the new totals within 1 second"
RECONNECT_MS = 25_000


def wait_until(page: Page, expression: str, timeout: float = 10_000, interval: float = 100):
    """Poll a JavaScript expression from Python until it is truthy; returns its value.

    Not a string wait_for_function: Playwright compiles a string predicate inside the page when it has to
    poll, and the app's CSP (script-src 'self', no 'unsafe-eval') forbids that, so such a wait only passes
    when the condition is already true. page.evaluate runs outside the page's CSP.
    """
    deadline = time.monotonic() + timeout / 1000
    while True:
        value = page.evaluate(expression)
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"not true within {timeout:.0f} ms: {expression}")
        page.wait_for_timeout(interval)


def device(devices: dict, name: str) -> dict:
    """A Playwright device descriptor for use with Chromium (iPhone descriptors default to WebKit)."""
    options = dict(devices[name])
    options.pop("default_browser_type", None)
    return options


def percent(n: int, voters: int) -> int:
    """As charts.js: Math.round(n * 100 / voters)."""
    return math.floor(n * 100 / voters + 0.5) if voters else 0


def bar_texts(counts: list[int], voters: int | None = None) -> list[str]:
    """The `.bar-value` text of each option, e.g. "2 Stimmen · 67 %" (voters defaults to the sum: single choice)."""
    voters = sum(counts) if voters is None else voters
    return [("1 Stimme" if n == 1 else f"{n} Stimmen") + f" · {percent(n, voters)} %" for n in counts]


def votes_given(voters: int) -> str:
    return "1 Stimme abgegeben" if voters == 1 else f"{voters} Stimmen abgegeben"


def voters_text(voters: int) -> str:
    return "1 Person hat abgestimmt." if voters == 1 else f"{voters} Personen haben abgestimmt."


def remaining_ms(started: float, budget_ms: int) -> float:
    """What is left of a time budget that started at `started` (time.monotonic()), at least 1 ms."""
    return max(1.0, budget_ms - (time.monotonic() - started) * 1000)


def log_in(page: Page) -> None:
    """Log in through the form as the demo moderator (a login of this page's context alone)."""
    page.goto("/login")
    page.fill("#username", MODERATOR_USER)
    page.fill("#password", MODERATOR_PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="Anmelden").click()


def in_place(page: Page, act, timeout: float = 10_000) -> None:
    """An action on the control page: the page posts it with fetch and swaps in the server's answer, no reload.

    Waits for the swap (control-live.js counts them in body[data-swaps]) and fails if the page was loaded anew."""
    before = page.evaluate("window.__samePage = true; Number(document.body.dataset.swaps || 0)")
    act()
    wait_until(page, f"Number(document.body.dataset.swaps || 0) > {int(before)}", timeout=timeout)
    assert page.evaluate("window.__samePage === true"), "the control page was reloaded instead of updated in place"


class Moderator:
    """The control page on a desktop browser."""

    def __init__(self, page: Page, demo) -> None:
        self.page = page
        self.demo = demo
        self.live = page.locator("#live")

    @property
    def path(self) -> str:
        return urlsplit(self.demo.moderator_url).path

    def goto(self) -> None:
        self.page.goto(self.path)
        self.expect_connected()

    def expect_connected(self, timeout: float = 10_000) -> None:
        expect(self.page.locator("#conn")).to_have_attribute("data-state", "open", timeout=timeout)

    def _press(self, button) -> None:
        """The actions are POST forms the page sends with fetch: click, wait until the page swapped in the answer."""
        in_place(self.page, button.click)
        self.expect_connected()

    def live_button(self, name: str):
        return self.live.get_by_role("button", name=name, exact=True)

    def press(self, name: str) -> None:
        self._press(self.live_button(name))

    def show_join_screen(self) -> None:
        """Back to the join screen (QR code on the projector, waiting page on the phones)."""
        if self.live_button("QR-Code zeigen").count():
            self.press("QR-Code zeigen")
        expect(self.live_button("Nächste Frage öffnen →")).to_be_visible()

    def open_question(self, text: str) -> None:
        """Open one question of the agenda by its text (the agenda's "Öffnen"/"Erneut öffnen" button)."""
        item = self.page.locator("#agenda li", has=self.page.locator(".q-text", has_text=text))
        button = item.get_by_role("button", name=re.compile(r"^(Öffnen|Erneut öffnen)\s*: "))
        self._press(button)
        self.expect_current(text, phase_badge="Abstimmung läuft")

    def expect_current(self, text: str, phase_badge: str) -> None:
        heading = self.live.locator("h3")
        expect(heading).to_contain_text(text)
        expect(heading.locator(".badge").first).to_have_text(phase_badge)

    def expect_tally(self, texts: list[str], voters: int, timeout: float = LIVE_WITHIN_MS) -> None:
        expect(self.page.locator("#live-bars .bar-value")).to_have_text(texts, timeout=timeout)
        expect(self.page.locator("#live-voters")).to_have_text(str(voters), timeout=timeout)

    def expect_phones(self, n: int, timeout: float = 10_000) -> None:
        expect(self.page.locator("#live-phones")).to_have_text(str(n), timeout=timeout)

    def question_id(self, text: str) -> int:
        item = self.page.locator("#agenda li", has=self.page.locator(".q-text", has_text=text))
        return int(item.get_attribute("id").removeprefix("question-"))


class Projector:
    """The projector page at 1920×1080."""

    def __init__(self, page: Page, demo) -> None:
        self.page = page
        self.demo = demo

    def goto(self) -> None:
        self.page.goto(urlsplit(self.demo.projector_url).path)
        self.expect_connected()

    def expect_connected(self, timeout: float = 10_000) -> None:
        expect(self.page.locator("#conn")).to_have_attribute("data-state", "open", timeout=timeout)

    def expect_join_screen(self, timeout: float = 5_000) -> None:
        expect(self.page.locator("#join-screen")).to_be_visible(timeout=timeout)
        expect(self.page.locator("#question-screen")).to_be_hidden(timeout=timeout)

    def expect_question(self, text: str, phase: str, timeout: float = 5_000) -> None:
        expect(self.page.locator("#question-screen")).to_be_visible(timeout=timeout)
        expect(self.page.locator("#p-question")).to_have_text(text, timeout=timeout)
        expect(self.page.locator("#p-phase")).to_have_text(phase, timeout=timeout)

    def expect_counts(self, texts: list[str], voters: int, timeout: float = LIVE_WITHIN_MS) -> None:
        expect(self.page.locator("#p-bars .bar-value")).to_have_text(texts, timeout=timeout)
        expect(self.page.locator("#p-votes")).to_have_text(votes_given(voters), timeout=timeout)

    def expect_phones(self, n: int, timeout: float = 10_000) -> None:
        text = "1 Gerät verbunden" if n == 1 else f"{n} Geräte verbunden"
        expect(self.page.locator("#p-phones")).to_have_text(text, timeout=timeout)


class Phone:
    """One attendee's phone: its own browser context (cookies, localStorage) with a device descriptor."""

    def __init__(self, name: str, context, page: Page) -> None:
        self.name = name
        self.context = context
        self.page = page
        self.status = page.locator("#status")

    def __repr__(self) -> str:
        return f"<Phone {self.name}>"

    def join(self, url: str) -> None:
        self.page.goto(url)
        self.expect_connected()
        # Set once per page load: still there later means the page updated itself without a reload.
        self.page.evaluate("window.__e2eLoaded = true")

    def expect_connected(self, timeout: float = 10_000) -> None:
        expect(self.page.locator("#conn")).to_have_attribute("data-state", "open", timeout=timeout)

    def assert_not_reloaded(self) -> None:
        assert self.page.evaluate("window.__e2eLoaded === true"), f"{self.name}: the page was reloaded"

    def expect_waiting(self, timeout: float = 5_000) -> None:
        expect(self.page.locator("#phone-heading")).to_have_text(WAITING, timeout=timeout)

    def expect_question(self, text: str, kind: str, n_options: int, timeout: float = 5_000) -> None:
        expect(self.page.locator("#vote-form legend")).to_have_text(text, timeout=timeout)
        expect(self.page.locator(f"#vote-form input[name=choice][type={kind}]")).to_have_count(n_options)

    def option(self, label: str):
        return self.page.get_by_label(label, exact=True)

    def choose(self, *labels: str) -> None:
        for label in labels:
            self.option(label).check()

    def vote(self, *labels: str) -> None:
        """Pick the options and press the vote button (does not wait for the acknowledgement)."""
        self.choose(*labels)
        self.page.locator("#vote-button").click()

    def expect_voted(self, timeout: float = 5_000) -> None:
        expect(self.status).to_have_text(VOTED, timeout=timeout)
        expect(self.page.locator("#vote-button")).to_have_text("Stimme ändern", timeout=timeout)

    def expect_closed_with_result(self, question: str, texts: list[str], voters: int, mine: list[str],
                                  timeout: float = 5_000) -> None:
        page = self.page
        expect(page.locator("#phone-heading")).to_have_text(question, timeout=timeout)
        expect(page.locator("#phone .notice.info")).to_have_text(CLOSED, timeout=timeout)
        expect(page.locator("#vote-form")).to_have_count(0)
        expect(page.locator("#bars .bar-value")).to_have_text(texts, timeout=timeout)
        expect(page.locator("#voters")).to_have_text(voters_text(voters), timeout=timeout)
        expect(page.locator("#bars li.mine .bar-name")).to_have_text(mine, timeout=timeout)


def axe_source() -> str:
    import axe_playwright_python

    return (Path(axe_playwright_python.__file__).parent / "axe.min.js").read_text("utf-8")


AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


def run_axe(page: Page, source: str) -> list[dict]:
    """Inject axe-core (through the DevTools protocol, so the page's CSP does not block it) and run WCAG 2.0/2.1 A+AA."""
    if not page.evaluate("typeof window.axe === 'object'"):
        page.evaluate(source)
    result = page.evaluate(
        """tags => axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})""",
        AXE_TAGS,
    )
    return result["violations"]


def describe_violations(name: str, url: str, violations: list[dict]) -> str:
    lines = [f"{name} ({url}): {len(violations)} violation(s)"]
    for v in violations:
        lines.append(f"  [{v['impact']}] {v['id']}: {v['help']} ({v['helpUrl']})")
        for node in v["nodes"][:8]:
            lines.append(f"    - {' '.join(map(str, node['target']))}")
            lines.append(f"      {node['html'][:200]}")
            summary = (node.get("failureSummary") or "").replace("\n", " ")
            if summary:
                lines.append(f"      {summary[:400]}")
        if len(v["nodes"]) > 8:
            lines.append(f"    … and {len(v['nodes']) - 8} more")
    return "\n".join(lines)


def join_and_open(moderator: Moderator, phones: list[Phone], join_url: str, question: str, kind: str,
                  n_options: int) -> None:
    """Every phone joins, the moderator opens the question, every phone shows it without reloading."""
    for phone in phones:
        phone.join(join_url)
    moderator.open_question(question)
    for phone in phones:
        phone.expect_question(question, kind, n_options)

RECORD_ANNOUNCEMENTS = """(() => {
  window.__announced = [];
  new MutationObserver(() => {
    const region = document.getElementById('announce');
    const text = region ? region.textContent.trim() : '';
    const list = window.__announced;
    if (text && region.__last !== text) list.push(text);
    if (region) region.__last = text;
  }).observe(document, {subtree: true, childList: true, characterData: true});
})();"""
