"""A calm phone page: nothing on it jumps. Cumulative Layout Shift (CLS) ≤ 0.02 in every state of the phone page,
on a current phone (Pixel 5) and a small old one (iPhone SE, 320 × 568), measured in Chromium with a
PerformanceObserver on `layout-shift` entries.

Each state is measured twice where it can be reached both ways: arriving live (the socket changes the page, as in
the hall) and loaded afresh (the page as served, then enhanced by its scripts). The score of a state is the plain
sum of every layout-shift entry without recent input (`!hadRecentInput`) from the moment the change is triggered
until the page has been still for a while: the total, not Lighthouse's largest 5-second session window, so it is
never smaller than what Lighthouse would report. Every score and the elements that moved go to
test-artifacts/layout-shift.json.
"""

from __future__ import annotations

import json
import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import ARTIFACTS
from tests.e2e.helpers import RECEIVED, RECEIVED_REVIEW, VOTED, Phone, device

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(600)]  # some sixty states, each until the page is still

CLS_LIMIT = 0.02
DEVICES = ("Pixel 5", "iPhone SE")
# After a change: the page counts as still once no shift came for this long (transitions run .3 s).
QUIET_MS = 500
# Lighthouse's mobile profile ("Slow 4G"): 150 ms round trip, 1.6 Mbit/s down, 750 kbit/s up, a CPU four times
# slower. On a fast local link the scripts run before the first paint, and a shift they cause is never seen.
SLOW_4G = {"offline": False, "latency": 150, "downloadThroughput": 1_638_400 / 8, "uploadThroughput": 750_000 / 8}
CPU_SLOWDOWN = 4
SETTLE_MAX_MS = 6_000

# Every layout shift from navigation start (buffered), with what moved; kept across the page's life.
RECORD_SHIFTS = """(() => {
  window.__shifts = [];
  const describe = (node) => {
    if (!node || node.nodeType !== 1) return node ? node.nodeName : '?';
    const id = node.id ? '#' + node.id : '';
    const cls = typeof node.className === 'string' && node.className.trim() ? '.' + node.className.trim().split(/\\s+/).join('.') : '';
    return node.tagName.toLowerCase() + id + cls;
  };
  const box = (r) => [Math.round(r.x), Math.round(r.y), Math.round(r.width), Math.round(r.height)];
  try {
    new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) {
        window.__shifts.push({
          value: entry.value, input: entry.hadRecentInput, at: performance.now(),
          sources: (entry.sources || []).map((s) => ({node: describe(s.node), from: box(s.previousRect), to: box(s.currentRect)})),
        });
      }
    }).observe({type: 'layout-shift', buffered: true});
  } catch (err) {
    window.__shiftsUnsupported = String(err);
  }
})();"""

QUESTIONS = [
    {"text": "Wie kommen Sie meistens zur Arbeit, Schule oder Ausbildung?", "kind": "single",
     "options": ["Auto", "Bus oder Bahn", "Fahrrad", "Zu Fuß", "Ich pendle nicht"]},
    {"text": "Welche Behördengänge möchten Sie künftig online erledigen?", "kind": "multiple", "max_choices": 2,
     "options": ["Kfz-Zulassung", "Bauantrag", "Wohngeld", "Termine im Landratsamt"]},
    {"text": "Sollte es weitere Regionalkonferenzen in der Region geben?", "kind": "yesno"},
    {"text": "Wie wahrscheinlich ist es, dass Sie die Regionalkonferenz weiterempfehlen?", "kind": "scale",
     "scale_min": 0, "scale_max": 10, "scale_label_min": "sehr unwahrscheinlich", "scale_label_max": "sehr wahrscheinlich"},
    {"text": "Was ist Ihnen bei Bus und Bahn am wichtigsten?", "kind": "ranking",
     "options": ["Pünktlichkeit", "Häufiger Takt", "Günstiger Preis", "Haltestelle in der Nähe"]},
    {"text": "Verteilen Sie 100 Punkte auf diese Vorhaben.", "kind": "points",
     "options": ["Radwege", "Rufbus", "Bahnhöfe sanieren", "Carsharing auf dem Land"]},
    {"text": "Was sollte der Landkreis als Erstes anpacken?", "kind": "text"},
    {"text": "Was verbinden Sie mit Digitalisierung im Landkreis?", "kind": "wordcloud", "max_choices": 3},
]
# Beyond the kinds: the interim result under the form (phone_results = live), a result never shown on the
# phones, and a countdown.
LIVE = {"text": "Wie gefällt Ihnen das Format der Regionalkonferenz?", "kind": "scale", "scale_min": 1, "scale_max": 5,
        "scale_label_min": "gar nicht", "scale_label_max": "sehr gut", "phone_results": "live"}
HIDDEN = {"text": "Fühlen Sie sich gut informiert?", "kind": "single", "options": ["Ja", "Teilweise", "Nein"],
          "phone_results": "hidden"}
TIMED = {"text": "Soll die Pause länger werden?", "kind": "yesno", "time_limit_s": 600}


class ShiftMeter:
    """Layout shifts of one page, measured per state."""

    def __init__(self, device_name: str) -> None:
        self.device_name = device_name
        self.scores: list[dict] = []

    @staticmethod
    def mark(page) -> int:
        return page.evaluate("window.__shifts.length")

    def settle(self, page) -> None:
        """Wait until fonts are in and no layout shift came for QUIET_MS (at most SETTLE_MAX_MS)."""
        page.evaluate("document.fonts.ready.then(() => true)")
        waited = 0
        while waited < SETTLE_MAX_MS:
            count = page.evaluate("window.__shifts.length")
            page.wait_for_timeout(QUIET_MS)
            waited += QUIET_MS
            if page.evaluate("window.__shifts.length") == count:
                return

    def record(self, page, state: str, since: int, by_input: bool = False) -> None:
        """Settle, then keep the sum of the shifts since `since` as `state`; `by_input`: the test tapped or typed,
        and entries flagged hadRecentInput (within 500 ms of it) do not count."""
        self.settle(page)
        assert page.evaluate("window.__shiftsUnsupported || ''") == "", "this Chromium reports no layout shifts"
        entries = page.evaluate("(since) => window.__shifts.slice(since)", since)
        counted = [e for e in entries if not (by_input and e["input"])]
        score = sum(e["value"] for e in counted)
        self.scores.append({
            "device": self.device_name, "state": state, "cls": round(score, 4),
            "shifts": [{"value": round(e["value"], 4), "sources": e["sources"]} for e in counted],
            "after_input": round(sum(e["value"] for e in entries if e["input"] and by_input), 4),
        })

    def load(self, page, url: str | None, state: str, ready, navigate=None) -> None:
        """Load `url` afresh (or `navigate()` to a new page) and score the load from navigation start."""
        if navigate is None:
            page.goto(url)
        else:
            with page.expect_navigation():
                navigate()
        ready()
        self.record(page, state + " (geladen)", 0)

    def live(self, page, state: str, change, ready, by_input: bool = False) -> None:
        """Score what the page does while `change()` brings it into a state, until `ready()` holds and it is still."""
        since = self.mark(page)
        change()
        ready()
        self.record(page, state + " (live)", since, by_input)

    def failures(self) -> list[str]:
        lines = []
        for s in self.scores:
            if s["cls"] > CLS_LIMIT:
                moved = sorted({src["node"] for shift in s["shifts"] for src in shift["sources"]})
                lines.append(f"{s['device']}: {s['state']}: CLS {s['cls']:.3f} > {CLS_LIMIT} (moved: {', '.join(moved[:8])})")
        return lines


def save(scores: list[dict], name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / "layout-shift.json"
    data = json.loads(path.read_text("utf-8")) if path.exists() else {}
    data[name] = scores
    path.write_text(json.dumps(data, indent=1, ensure_ascii=False), "utf-8")


def answer(page, question: dict) -> str:
    """Answer the open question through its real fields; returns the receipt the phone should show."""
    kind = question["kind"]
    if kind in ("single", "multiple"):
        page.get_by_label(question["options"][1], exact=True).tap()
    elif kind == "yesno":
        page.get_by_label("Ja", exact=True).tap()
    elif kind == "scale":
        page.get_by_role("radio", name="8", exact=True).tap()
    elif kind == "ranking":
        page.get_by_role("button", name=f"{question['options'][1]} nach oben").tap()
    elif kind == "points":
        for _ in range(10):
            page.get_by_role("button", name=f"+10 Punkte für {question['options'][0]}").tap()
    elif kind == "text":
        page.get_by_label("Ihre Antwort", exact=True).fill("Mehr Busse am Abend.")
    elif kind == "wordcloud":
        page.get_by_label("Begriff 1", exact=True).fill("Glasfaser")
    page.locator("#vote-button").tap()
    return {"text": RECEIVED_REVIEW, "wordcloud": RECEIVED}.get(kind, VOTED)


@pytest.mark.parametrize("device_name", DEVICES)
def test_no_layout_shift_in_any_phone_state(device_name, new_context, devices, make_event, screenshot):
    own = make_event(f"Ruhige Seite {device_name}", {"Mobilität": QUESTIONS, "Format": [LIVE, HIDDEN, TIMED]})
    by_text = {q["text"]: q for q in own.questions}
    context = new_context(f"cls {device_name}", **device(devices, device_name))
    context.add_init_script(RECORD_SHIFTS)
    phone = Phone(device_name, context, context.new_page())
    page = phone.page
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.emulateNetworkConditions", SLOW_4G)
    cdp.send("Emulation.setCPUThrottlingRate", {"rate": CPU_SLOWDOWN})
    # A second phone votes too, so the results have more than one answer (and live tallies arrive).
    other_context = new_context(f"cls other {device_name}", **device(devices, device_name))
    other = Phone("other", other_context, other_context.new_page())
    meter = ShiftMeter(device_name)
    join = own.links.join_url
    slug = re.sub(r"\W+", "-", device_name.lower())

    def connected():
        phone.expect_connected()

    # The start page with its code field, and joining through it.
    meter.load(page, "/", "Startseite", lambda: expect(page.locator("#code")).to_be_visible())
    page.locator("#code").fill(own.links.join_code)
    meter.load(page, None, "Beitritt mit Code", connected, navigate=lambda: page.get_by_role("button", name="Teilnehmen").tap())
    # Waiting for the first question.
    meter.load(page, join, "Warten", lambda: (connected(), phone.expect_waiting()))
    other.join(join)
    screenshot(page, f"cls-{slug}-waiting")

    def one_kind(question: dict) -> None:
        """A question of one kind: opened, answered, closed with its result; live and loaded afresh."""
        q = by_text[question["text"]]
        kind = q["kind"]

        def ready_open():
            expect(page.locator("#vote-form legend")).to_have_text(q["text"])
            expect(page.locator("#vote-form[data-bound]")).to_have_count(1)

        def ready_closed():
            expect(page.locator("#phone .notice.info")).to_have_text("Die Abstimmung ist beendet.")
            expect(page.locator("#results .results-view")).to_have_attribute("data-kind", kind)

        meter.live(page, f"{kind}: Frage offen", lambda: own.act(q, "open"), ready_open)
        meter.load(page, join, f"{kind}: Frage offen", lambda: (connected(), ready_open()))
        receipt = {}
        meter.live(page, f"{kind}: nach dem Abstimmen", lambda: receipt.update(text=answer(page, question)),
                   lambda: expect(phone.status).to_have_text(receipt["text"], timeout=5_000), by_input=True)
        expect(other.page.locator("#vote-form legend")).to_have_text(q["text"])
        answer(other.page, question)
        if kind == "text":
            state = own.api.get(f"/api/events/{own.links.event_id}").json()["state"]
            pending = [a for a in state["results"]["answers"] if a["status"] == "pending"]
            for a in pending[:1]:
                own.api.post(f"/api/events/{own.links.event_id}/questions/{q['id']}/approve", data={"answer_id": a["id"]})
        meter.live(page, f"{kind}: Ergebnis", lambda: own.act(q, "close"), ready_closed)
        screenshot(page, f"cls-{slug}-{kind}-result")
        meter.load(page, join, f"{kind}: Ergebnis", lambda: (connected(), ready_closed()))

    for question in QUESTIONS:
        one_kind(question)

    # The interim result under the form, updated by the other phone's vote.
    live = by_text[LIVE["text"]]
    meter.live(page, "Zwischenstand: Frage offen", lambda: own.act(live, "open"),
               lambda: expect(page.locator("#vote-form legend")).to_have_text(live["text"]))
    meter.live(page, "Zwischenstand: eigene Stimme", lambda: (page.get_by_role("radio", name="4", exact=True).tap(),
                                                              page.locator("#vote-button").tap()),
               lambda: expect(page.locator("#voters")).to_have_text("1 Person hat abgestimmt."), by_input=True)
    meter.live(page, "Zwischenstand: neue Stimmen", lambda: (other.page.get_by_role("radio", name="2", exact=True).tap(),
                                                             other.page.locator("#vote-button").tap()),
               lambda: expect(page.locator("#voters")).to_have_text("2 Personen haben abgestimmt."))
    meter.load(page, join, "Zwischenstand", lambda: (connected(), expect(page.locator("#voters")).to_have_text("2 Personen haben abgestimmt.")))
    screenshot(page, f"cls-{slug}-live-results")

    # Closed, the result not for the phones.
    hidden = by_text[HIDDEN["text"]]
    meter.live(page, "beendet ohne Ergebnis: offen", lambda: own.act(hidden, "open"),
               lambda: expect(page.locator("#vote-form legend")).to_have_text(hidden["text"]))
    meter.live(page, "beendet ohne Ergebnis", lambda: own.act(hidden, "close"),
               lambda: expect(page.locator("#result-soon")).to_be_visible())
    meter.load(page, join, "beendet ohne Ergebnis", lambda: (connected(), expect(page.locator("#result-soon")).to_be_visible()))

    # A countdown.
    timed = by_text[TIMED["text"]]
    meter.live(page, "Countdown", lambda: own.act(timed, "open"), lambda: expect(page.locator("#countdown")).to_be_visible())
    meter.load(page, join, "Countdown", lambda: (connected(), expect(page.locator("#countdown")).to_be_visible()))

    # The connection lost and back (the badge, the offline note), with and without a vote waiting.
    offline_note = page.locator("#offline-note")
    meter.live(page, "Verbindung verloren", lambda: cdp.send("Network.emulateNetworkConditions", dict(SLOW_4G, offline=True)),
               lambda: expect(offline_note).to_be_visible())
    page.wait_for_timeout(2_000)  # a few failed attempts: the badge changes between "Verbinde …" and back
    meter.live(page, "Neuer Versuch läuft", lambda: page.wait_for_timeout(3_000), lambda: expect(offline_note).to_be_visible())
    screenshot(page, f"cls-{slug}-offline")
    meter.live(page, "Stimme offline abgegeben", lambda: (page.get_by_label("Ja", exact=True).tap(), page.locator("#vote-button").tap()),
               lambda: expect(offline_note).to_contain_text("Ihre Stimme wird gesendet"), by_input=True)
    meter.live(page, "Verbindung wieder da", lambda: cdp.send("Network.emulateNetworkConditions", SLOW_4G),
               lambda: (phone.expect_connected(timeout=15_000), expect(offline_note).to_be_hidden(timeout=15_000),
                        expect(phone.status).to_have_text(VOTED, timeout=15_000)))

    # Back to the join screen.
    meter.live(page, "Warten nach der Runde", lambda: own.api.post(f"/api/events/{own.links.event_id}/join-screen"),
               lambda: phone.expect_waiting())

    save(meter.scores, device_name)
    table = "\n".join(f"  {s['cls']:.4f}  {s['state']}" for s in meter.scores)
    failures = meter.failures()
    assert not failures, f"Layout shift above {CLS_LIMIT} on {device_name}:\n" + "\n".join(failures) + "\n\nAll states:\n" + table
