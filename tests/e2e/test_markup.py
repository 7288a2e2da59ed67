"""Valid markup: the Nu HTML checker (vnu.jar, the W3C's validator) finds no error and no unexplained warning on any
page a person sees, in each of its states, both as the server sent it and as the browser holds it after the page's
scripts ran (page.content()).

One module fixture walks through an evening in Chromium (the phone with every kind open, answered and with its
result, the countdown, the interim result, a lost connection, the plain form's error; the projector's join screen,
questions and topic roll-up; the moderator's pages from the login to the audit log; the error pages), keeps each
page as a file, and runs vnu once over all of them. Each page is then a test of its own. The pages are kept in
test-artifacts/nu/ and every message in test-artifacts/nu-report.json.
"""

from __future__ import annotations

import json
import re
import shutil
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from tests.e2e import nu
from tests.e2e.conftest import ARTIFACTS, create_event
from tests.e2e.helpers import MODERATOR_PASSWORD, MODERATOR_USER, VOTED, device
from tests.e2e.test_layout_shift import HIDDEN, LIVE, QUESTIONS, TIMED, answer

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(900)]

KINDS = [q["kind"] for q in QUESTIONS]

# Warnings vnu may give that are not a fault of the page, as (pattern, the reason it is accepted); none at present.
# Every error, and every warning not listed here, fails the page's test.
ALLOWED_WARNINGS: list[tuple[str, str]] = []

# Every page (and state) checked. The control page is being rebuilt at the moment (the lead's branch): its pages
# are expected to fail until then, strictly, so a fixed page makes this list stale.
PHONE = (["start", "start-unknown-code", "phone-card-entry", "phone-card-error", "phone-waiting"]
         + [f"phone-{kind}-{state}" for kind in KINDS for state in ("open", "voted", "result")]
         + ["phone-live-results", "phone-closed-no-result", "phone-countdown", "phone-offline", "phone-plain-form-error",
            "phone-waiting-again"])
PROJECTOR = ["projector-join", "projector-question"] + [f"projector-{kind}-result" for kind in KINDS] + ["projector-topic"]
MODERATOR = ["login", "login-failed", "moderator-events", "moderator-events-with-template", "question-form-new",
             "question-form-error", "question-form-edit", "results", "series-list", "series", "series-results", "compare",
             "export-event", "export-series", "audit", "users", "delete-event", "delete-template"]
CONTROL = ["control-join"] + [f"control-{kind}" for kind in KINDS]
ERRORS = ["not-found", "forbidden"]
COUNTS = ["count-form", "count-form-error", "control-counted", "phone-counting", "projector-counting", "projector-sources",
          "phone-sources-result", "desk-tablet-link", "desk-helper-link", "tablet-neutral", "desk-helper", "desk-helper-unlocked",
          "tablet-ballot"]
SEGMENTS = ["phone-segment-prompt", "control-breakdown", "projector-breakdown"]
# Segments (#18): 10 phones in two groups and one without: the least a breakdown shows.
SEGMENT = {"text": "Ich bin hier als …", "kind": "single", "segment": True, "phone_results": "hidden",
           "options": ["Bürger:in", "Politik", "Wirtschaft", "Verwaltung", "Zivilgesellschaft"]}
PUBLIC = ["publication", "publication-saved", "publication-published", "publication-preview", "public-event", "my-answers"]
ALL_PAGES = PHONE + PROJECTOR + MODERATOR + CONTROL + ERRORS + PUBLIC + COUNTS + SEGMENTS
LEAD_REBUILDS: set[str] = set()


class Walk:
    """Keeps pages for the check: `visit` loads a URL (or follows a navigation) and keeps what was served and
    what the browser made of it; `keep` keeps the page's present state only."""

    def __init__(self, pages: nu.Pages) -> None:
        self.pages = pages

    @staticmethod
    def settle(page) -> None:
        page.wait_for_load_state("load")
        if page.locator("#conn").count() and page.evaluate("document.documentElement.classList.contains('js')"):
            expect(page.locator("#conn")).to_have_attribute("data-state", "open")
        page.wait_for_timeout(150)  # a tally or an import still on its way

    def visit(self, page, name: str, url: str | None = None, navigate=None, ready=None, status: int = 200) -> None:
        if navigate is None:
            response = page.goto(url)
        else:
            with page.expect_navigation() as nav:
                navigate()
            response = nav.value
        assert response is not None, name
        assert response.status == status, f"{name}: HTTP {response.status} at {page.url}, expected {status}"
        if ready:
            ready()
        self.settle(page)
        self.pages.keep(name, "served", response.text())
        self.pages.keep(name, "rendered", page.content())

    def keep(self, page, name: str) -> None:
        self.settle(page)
        self.pages.keep(name, "rendered", page.content())


def walk_the_evening(walk: Walk, context, api, base: str, devices) -> None:
    """One evening, in order: every page of ALL_PAGES kept once."""
    own = create_event(api, base, "Gültiges Markup", {"Mobilität": QUESTIONS, "Format": [LIVE, HIDDEN, TIMED]})
    event_id, join = own.links.event_id, own.links.join_url
    by_text = {q["text"]: q for q in own.questions}
    control = f"/moderator/events/{event_id}"

    def post(path: str, body: dict | None = None) -> dict:
        response = api.post(path, data=body or {})
        assert response.ok, f"POST {path}: HTTP {response.status} {response.text()}"
        return response.json()

    # ---- a visitor: the start page, the login, the error pages ----
    visitor = context("nu visitor", viewport={"width": 1280, "height": 800}).new_page()
    walk.visit(visitor, "start", "/")
    visitor.get_by_label("Code der Veranstaltung").fill("000000" if own.links.join_code != "000000" else "999999")
    walk.visit(visitor, "start-unknown-code", navigate=lambda: visitor.get_by_role("button", name="Teilnehmen").click(),
               status=404, ready=lambda: expect(visitor.get_by_role("alert")).to_be_visible())
    walk.visit(visitor, "phone-card-entry", f"/j/{own.links.join_code}/karte")
    visitor.locator("input[name=karte]").fill("AAAA-BBBB-CC")
    walk.visit(visitor, "phone-card-error", navigate=lambda: visitor.locator("form button[type=submit]").first.click(),
               status=403, ready=lambda: expect(visitor.locator("[role=alert]").first).to_be_visible())
    walk.visit(visitor, "login", "/login")
    visitor.fill("#username", MODERATOR_USER)
    visitor.fill("#password", "falsch-" + MODERATOR_PASSWORD)
    walk.visit(visitor, "login-failed", navigate=lambda: visitor.get_by_role("button", name="Anmelden").click(), status=401,
               ready=lambda: expect(visitor.get_by_role("alert").first).to_be_visible())
    walk.visit(visitor, "not-found", "/gibt-es-nicht", status=404)

    # ---- the hall: two phones, one without script, the projector, the moderator ----
    phones = [context(f"nu phone {n}", **device(devices, "Pixel 7")).new_page() for n in (1, 2)]
    phone, other = phones
    plain = context("nu phone without script", **device(devices, "Pixel 7"), java_script_enabled=False).new_page()
    projector = context("nu projector", viewport={"width": 1920, "height": 1080}).new_page()
    moderator = context("nu moderator", viewport={"width": 1440, "height": 900}, storage=True).new_page()
    walk.visit(phone, "phone-waiting", join, ready=lambda: expect(phone.locator("#phone-heading")).to_have_text("Sie sind dabei!"))
    other.goto(join)
    walk.visit(projector, "projector-join", own.links.projector_url)
    walk.visit(moderator, "moderator-events", "/moderator")
    walk.visit(moderator, "control-join", control)

    def one_kind(question: dict, spec: dict) -> None:
        """A question of one kind: open on the phone and the control page, answered, closed with its result."""
        kind = question["kind"]
        post(f"/api/events/{event_id}/questions/{question['id']}/open")
        walk.visit(phone, f"phone-{kind}-open", join, ready=lambda: expect(phone.locator("#vote-form legend")).to_have_text(question["text"]))
        expect(phone.locator("#vote-form[data-bound]")).to_have_count(1)
        receipt = answer(phone, spec)
        expect(phone.locator("#status")).to_have_text(receipt, timeout=5_000)
        walk.keep(phone, f"phone-{kind}-voted")
        expect(other.locator("#vote-form legend")).to_have_text(question["text"])
        answer(other, spec)
        expect(other.locator("#status")).to_have_text(receipt, timeout=5_000)
        if kind == "single":
            walk.visit(projector, "projector-question", own.links.projector_url,
                       ready=lambda: expect(projector.locator("#p-question")).to_have_text(question["text"]))
        walk.visit(moderator, f"control-{kind}", control)
        if kind == "text":
            pending = [a for a in api.get(f"/api/events/{event_id}").json()["state"]["results"]["answers"] if a["status"] == "pending"]
            post(f"/api/events/{event_id}/questions/{question['id']}/approve", {"answer_id": pending[0]["id"]})
        post(f"/api/events/{event_id}/questions/{question['id']}/close")
        result = phone.locator("#results .results-view")
        expect(result).to_have_attribute("data-kind", kind)
        walk.visit(phone, f"phone-{kind}-result", join, ready=lambda: expect(result).to_have_attribute("data-kind", kind))
        expect(projector.locator("#p-results .results-view")).to_have_attribute("data-kind", kind)
        walk.keep(projector, f"projector-{kind}-result")

    for question, spec in zip(own.questions[:len(QUESTIONS)], QUESTIONS, strict=True):
        one_kind(question, spec)

    # Hand counts (#18): the count form and its error, the phone and the projector during the count, the result by source.
    first = own.questions[0]
    post(f"/api/events/{event_id}/questions/{first['id']}/show")
    post(f"/api/events/{event_id}/questions/{first['id']}/count-start", {"source": "hands"})
    walk.visit(moderator, "count-form", f"{control}/questions/{first['id']}/zaehlen?quelle=hands")
    expect(phone.locator("#counting-note")).to_be_visible()
    walk.keep(phone, "phone-counting")
    expect(projector.locator("#p-counting")).to_be_visible()
    walk.keep(projector, "projector-counting")
    counted = moderator.locator("#count-form input[name^='n-']")
    for i in range(counted.count()):
        counted.nth(i).fill("-1" if i == 0 else "1")
    walk.visit(moderator, "count-form-error", navigate=lambda: moderator.get_by_role("button", name="Zählung speichern").click(),
               status=422, ready=lambda: expect(moderator.locator("#count-error")).to_be_visible())
    counted.nth(0).fill("2")
    walk.visit(moderator, "control-counted", navigate=lambda: moderator.get_by_role("button", name="Zählung speichern").click(),
               ready=lambda: expect(moderator.locator("#counts-entered")).to_be_visible())
    expect(projector.locator(".source-legend")).to_be_visible()
    walk.keep(projector, "projector-sources")
    walk.visit(phone, "phone-sources-result", join, ready=lambda: expect(phone.locator(".source-legend")).to_be_visible())

    # The help desk (#18): its page with a new link, the helper's phone, the tablet at rest and with a ballot.
    desk_ev = create_event(api, base, "Hilfe-Tisch Markup", {"Format": [QUESTIONS[0]]})
    desk_control = f"/moderator/events/{desk_ev.links.event_id}"
    links = {}
    for kind, label, choice in (("tablet", "Tablet 1", "Tablet (hier stimmen"), ("helper", "Empfang", "Helferin / Helfer (gibt")):
        moderator.goto(f"{desk_control}/hilfe-tisch")
        moderator.get_by_label(choice).check()
        moderator.get_by_label("Bezeichnung").fill(label)
        walk.visit(moderator, f"desk-{kind}-link", navigate=lambda: moderator.get_by_role("button", name="Link anlegen").click())
        links[kind] = urlsplit(moderator.locator("#new-link-url").get_attribute("href")).path
    post(f"/api/events/{desk_ev.links.event_id}/questions/{desk_ev.questions[0]['id']}/open")
    tablet = context("nu tablet", viewport={"width": 1024, "height": 768}).new_page()
    walk.visit(tablet, "tablet-neutral", links["tablet"])
    helper = context("nu helper", **device(devices, "Pixel 7")).new_page()
    walk.visit(helper, "desk-helper", links["helper"])
    walk.visit(helper, "desk-helper-unlocked",
               navigate=lambda: helper.get_by_role("button", name="Neue Person, hat nicht per Handy abgestimmt").first.click())
    walk.visit(tablet, "tablet-ballot", links["tablet"], ready=lambda: expect(tablet.locator("#vote-form")).to_be_visible())

    # Segments (#18): the phone's prompt; after the close the control page's table and the projector's breakdown.
    seg_ev = create_event(api, base, "Gruppen Markup", {"Format": [SEGMENT, {"text": "Gut so?", "kind": "single", "options": ["Ja", "Nein"]}]})
    segment, asked = seg_ev.questions
    post(f"/api/events/{seg_ev.links.event_id}/questions/{asked['id']}/open")
    for n, group in enumerate(["Weiter ohne Angabe"] + ["Bürger:in"] * 5 + ["Politik"] * 5):
        seg_context = context(f"nu segment phone {n}", **device(devices, "Pixel 7"))
        seg_phone = seg_context.new_page()
        if n == 0:
            walk.visit(seg_phone, "phone-segment-prompt", seg_ev.links.join_url, ready=lambda p=seg_phone: expect(p.locator("#segment-prompt")).to_be_visible())
        else:
            seg_phone.goto(seg_ev.links.join_url)
        seg_phone.locator("#segment-prompt").get_by_role("button", name=group, exact=True).click()
        expect(seg_phone.locator("#segment-prompt")).to_have_count(0)
        expect(seg_phone.locator("#conn")).to_have_attribute("data-state", "open")
        answer(seg_phone, {"kind": "single", "options": ["Ja", "Nein"]})
        expect(seg_phone.locator("#status")).to_have_text(VOTED)
        seg_context.close()
    post(f"/api/events/{seg_ev.links.event_id}/questions/{asked['id']}/close")
    walk.visit(moderator, "control-breakdown", f"/moderator/events/{seg_ev.links.event_id}",
               ready=lambda: expect(moderator.locator("#breakdown-table")).to_be_visible())
    seg_projector = context("nu segment projector", viewport={"width": 1920, "height": 1080}).new_page()
    seg_projector.goto(seg_ev.links.projector_url)
    post(f"/api/events/{seg_ev.links.event_id}/questions/{asked['id']}/show-breakdown", {"segment": segment["id"]})
    expect(seg_projector.locator("#breakdown-screen")).to_be_visible()
    walk.keep(seg_projector, "projector-breakdown")

    post(f"/api/events/{event_id}/projector", {"mode": "topic", "topic_id": own.questions[0]["topic_id"]})
    expect(projector.locator("#topic-screen")).to_be_visible()
    walk.keep(projector, "projector-topic")

    # The interim result under the form, a result kept from the phones, a countdown, a lost connection.
    live = by_text[LIVE["text"]]
    post(f"/api/events/{event_id}/questions/{live['id']}/open")
    for p, value in ((phone, "4"), (other, "2")):
        expect(p.locator("#vote-form legend")).to_have_text(live["text"])
        p.get_by_role("radio", name=value, exact=True).tap()
        p.locator("#vote-button").tap()
        expect(p.locator("#status")).to_have_text(VOTED)
    walk.visit(phone, "phone-live-results", join, ready=lambda: expect(phone.locator("#voters")).to_have_text("2 Personen haben abgestimmt."))
    hidden = by_text[HIDDEN["text"]]
    post(f"/api/events/{event_id}/questions/{hidden['id']}/open")
    post(f"/api/events/{event_id}/questions/{hidden['id']}/close")
    walk.visit(phone, "phone-closed-no-result", join, ready=lambda: expect(phone.locator("#result-soon")).to_be_visible())
    timed = by_text[TIMED["text"]]
    post(f"/api/events/{event_id}/questions/{timed['id']}/open")
    walk.visit(phone, "phone-countdown", join, ready=lambda: expect(phone.locator("#countdown")).to_be_visible())
    phone.context.set_offline(True)
    expect(phone.locator("#offline-note")).to_be_visible()
    walk.pages.keep("phone-offline", "rendered", phone.content())
    phone.context.set_offline(False)
    plain.goto(join)
    walk.visit(plain, "phone-plain-form-error", navigate=lambda: plain.get_by_role("button", name="Abstimmen").click(), status=422,
               ready=lambda: expect(plain.locator("#vote-error")).to_be_visible())
    post(f"/api/events/{event_id}/join-screen")
    expect(phone.locator("#phone-heading")).to_have_text("Sie sind dabei!", timeout=15_000)
    walk.keep(phone, "phone-waiting-again")

    # ---- the moderator's pages ----
    walk.visit(moderator, "question-form-new", f"{control}/questions/new")
    moderator.evaluate("document.getElementById('question-form').noValidate = true")  # past the browser's own checks
    walk.visit(moderator, "question-form-error", navigate=lambda: moderator.get_by_role("button", name="Frage speichern").click(),
               status=422, ready=lambda: expect(moderator.locator(".field-error, [role=alert]").first).to_be_visible())
    walk.visit(moderator, "question-form-edit", f"{control}/questions/{own.questions[0]['id']}/edit")
    moderator.evaluate("document.querySelector('#question-form input[name=csrf]').value = 'abgelaufen'")
    walk.visit(moderator, "forbidden", navigate=lambda: moderator.get_by_role("button", name="Frage speichern").click(), status=403)
    walk.visit(moderator, "results", f"{control}/results")
    # The public results (#17): the settings, one closed question ticked and published, the citizens' page, its
    # preview, and "Meine Antworten" on the phone that answered.
    walk.visit(moderator, "publication", f"{control}/publication")
    moderator.locator(f"#question-{own.questions[0]['id']}").check()
    walk.visit(moderator, "publication-saved",
               navigate=lambda: moderator.get_by_role("button", name="Einstellungen speichern").click())
    moderator.locator("#confirm-publish").check()
    walk.visit(moderator, "publication-published", navigate=lambda: moderator.get_by_role("button", name="Veröffentlichen", exact=True).click())
    public_url = moderator.locator("#public-url").input_value()
    walk.visit(moderator, "publication-preview", f"{control}/publication/preview")
    walk.visit(visitor, "public-event", public_url)
    walk.visit(phone, "my-answers", f"/j/{own.links.join_code}/meine-antworten")
    template = post(f"/api/events/{event_id}/template", {"title": "Gültiges Markup (Reihe)"})
    series_id = template["series_id"]
    follow = post("/api/events/from-template", {"template_id": template["id"], "title": "Gültiges Markup, Folgetermin",
                                                "place": "Rochlitz", "date": "2024-05-02"})
    linked = api.get(f"/api/events/{follow['id']}").json()["topics"][0]["questions"][0]
    post(f"/api/events/{follow['id']}/questions/{linked['id']}/open")
    voter = context("nu late voter", **device(devices, "Pixel 7")).new_page()
    voter.goto(f"/j/{follow['join_code']}")
    answer(voter, QUESTIONS[0])
    expect(voter.locator("#status")).to_have_text(VOTED)
    post(f"/api/events/{follow['id']}/questions/{linked['id']}/close")
    walk.visit(moderator, "moderator-events-with-template", "/moderator")
    walk.visit(moderator, "series-list", "/moderator/series")
    walk.visit(moderator, "series", f"/moderator/series/{series_id}")
    walk.visit(moderator, "series-results", f"/moderator/series/{series_id}/results")
    walk.visit(moderator, "compare", f"/moderator/series/{series_id}/compare/{own.questions[0]['key']}")
    walk.visit(moderator, "export-event", f"{control}/export")
    walk.visit(moderator, "export-series", f"/moderator/series/{series_id}/export")
    walk.visit(moderator, "audit", f"{control}/audit")
    walk.visit(moderator, "users", "/admin/users")
    walk.visit(moderator, "delete-event", f"/moderator/events/{follow['id']}/delete")
    walk.visit(moderator, "delete-template", f"/moderator/templates/{template['id']}/delete")


@pytest.fixture(scope="module")
def nu_report(browser, app_server, moderator_login, playwright_instance, devices, traffic, tmp_path_factory):
    """Every page of ALL_PAGES checked by one vnu run: (the pages kept, every message by page name)."""
    java, jar = nu.checker()  # before the walk: without Java there is nothing to wait for
    if not app_server.running():
        app_server.start()
    base = app_server.links.base
    pages = nu.Pages(tmp_path_factory.mktemp("nu"))
    contexts = []

    def context(label: str, storage: bool = False, **options):
        if storage:
            options["storage_state"] = moderator_login
        made = browser.new_context(base_url=base, **options)
        made.set_default_timeout(10_000)
        traffic.watch(made, label)
        contexts.append(made)
        return made

    api = playwright_instance.request.new_context(base_url=base, storage_state=moderator_login)
    try:
        walk_the_evening(Walk(pages), context, api, base, devices)
    finally:
        for made in contexts:
            made.close()
        api.dispose()
    messages = nu.check(java, jar, pages.files())
    kept = ARTIFACTS / "nu"
    shutil.rmtree(kept, ignore_errors=True)
    shutil.copytree(pages.folder, kept)
    (ARTIFACTS / "nu-report.json").write_text(
        json.dumps([m.__dict__ for m in messages], indent=1, ensure_ascii=False), "utf-8")
    by_page: dict[str, list[nu.Message]] = {}
    for m in messages:
        by_page.setdefault(m.page, []).append(m)
    return pages, by_page


def test_every_page_a_person_sees_was_checked(nu_report):
    pages, _messages = nu_report
    assert sorted(pages.kept) == sorted(ALL_PAGES)


def _allowed(message: nu.Message) -> bool:
    return message.type == "warning" and any(re.search(pattern, message.text) for pattern, _reason in ALLOWED_WARNINGS)


@pytest.mark.parametrize(
    "name",
    [pytest.param(name, marks=pytest.mark.xfail(strict=True, reason="control.html/moderator.js: the lead's rebuild fixes these"))
     if name in LEAD_REBUILDS else name for name in ALL_PAGES],
)
def test_no_nu_error_or_warning(name, nu_report):
    pages, by_page = nu_report
    assert name in pages.kept, f"{name} was not reached"
    found = [m for m in by_page.get(name, []) if m.type in ("error", "warning") and not _allowed(m)]
    assert not found, f"Nu HTML checker on {name} ({', '.join(sorted(pages.kept[name]))}):\n  " + "\n  ".join(map(str, found))
