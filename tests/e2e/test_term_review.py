"""Word-cloud terms the moderator tidies on the control page (#16 point 6), in Chromium: variants counted as one by
themselves, two terms merged by keyboard and split again, the projector, a phone and a second control page
following at once without a reload, a refused merge said in German, axe clean. Also that the page scripts fold a
term exactly as the server does (results.js termKey against wordcloud.term_key).

The rules themselves (refusals, audit, every database) are tests/test_term_review.py.
"""

import re

import pytest
from playwright.sync_api import expect

from app.domain.kinds.wordcloud import term_key
from tests.e2e.helpers import PHONE_DEVICES, Phone, Projector, axe_source, describe_violations, device, run_axe
from tests.e2e.test_moderator_kinds import FormPhone, _assert_not_reloaded, _mark_loaded, _moderator

pytestmark = pytest.mark.e2e

CLOUD = {"text": "Was brauchen Sie für Termine im Amt?", "kind": "wordcloud", "max_choices": 2, "phone_results": "live"}
BALLOTS = [["Online-Termine", "Bus"], ["online termine"], ["digitale Termine", "Radwege"], ["Idiot"],
           ["Online Termine", "Digitale Termine"]]


def _projector(new_context, own) -> Projector:
    projector = Projector(new_context("projector terms", viewport={"width": 1920, "height": 1080}).new_page(), own.links)
    projector.goto()
    return projector


def test_merging_two_terms_on_the_control_page_by_keyboard(new_context, devices, make_event, moderator_login, screenshot):
    own = make_event("Begriffe zusammenführen", {"Bürgeramt": [CLOUD]})
    question = own.questions[0]
    own.act(question, "open")
    projector = _projector(new_context, own)
    first = _moderator(new_context, moderator_login, own)
    second = _moderator(new_context, moderator_login, own)
    page = first.page
    for p in (page, second.page):
        _mark_loaded(p)

    # A phone with script that named "Digitale Termine" and sees the cloud live.
    context = new_context("phone terms", **device(devices, PHONE_DEVICES[0]))
    phone = Phone(PHONE_DEVICES[0], context, context.new_page())
    phone.join(own.links.join_url)
    phone.page.get_by_label("Begriff 1", exact=True).fill("Digitale Termine")
    phone.page.locator("#vote-button").tap()
    expect(phone.page.locator("#vote-button")).to_have_text("Antwort ändern")
    for i, terms in enumerate(BALLOTS):
        FormPhone(new_context, own, f"terms {i}").answer(question["id"], [("term", t) for t in terms])

    # Variants count as one by themselves: three spellings of "Online-Termine", the first one stored shown.
    review = page.locator("#term-review > li")
    expect(review).to_have_count(5, timeout=5_000)
    expect(review.filter(has_text="Online-Termine").locator(".review-n")).to_have_text("3 Personen")
    expect(review.filter(has_text="Digitale Termine").locator(".review-n")).to_have_text("3 Personen")
    proj_terms = projector.page.locator("#p-results .term-list .term-name")
    expect(proj_terms).to_have_text(["Digitale Termine", "Online-Termine", "Bus", "Radwege"], timeout=5_000)
    # A hidden term is no choice for a merge.
    expect(page.locator("#merge-into option")).to_have_text(["– bitte wählen –", "Bus", "Digitale Termine", "Online-Termine", "Radwege"])

    # By keyboard: "Zusammenführen …" beside a term picks it and moves on to the second list.
    pick = review.filter(has_text="Digitale Termine").get_by_role("button", name=re.compile(r"^Zusammenführen …\s*: Digitale Termine$"))
    pick.focus()
    page.keyboard.press("Enter")
    expect(page.locator("#merge-term")).to_have_value(term_key("Digitale Termine"))
    into = page.get_by_label("zählt künftig als")
    expect(into).to_be_focused()
    expect(into.locator("option", has_text="Digitale Termine")).to_be_disabled()  # not into itself
    page.keyboard.type("Online")
    expect(into).to_have_value("onlinetermine")
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Zusammenführen", exact=True)).to_be_focused()
    page.keyboard.press("Enter")

    # At once: projector, the phone (its own term is now inside "Online-Termine"), both control pages.
    expect(proj_terms).to_have_text(["Online-Termine", "Bus", "Radwege"], timeout=5_000)
    expect(projector.page.locator("#p-results .term-list li").first.locator(".term-count")).to_have_text("5")
    mine = phone.page.locator("#live-results .term-list li.mine .term-name")
    expect(mine).to_have_text(["Online-Termine"], timeout=5_000)
    for p in (page, second.page):
        expect(p.locator("#merge-list > li")).to_have_text([re.compile(r"Digitale Termine\s*→\s*zählt als\s*Online-Termine")], timeout=5_000)
        expect(p.locator("#merges-count")).to_have_text("1")
        expect(p.locator("#term-review > li").filter(has_text="Online-Termine").locator(".review-n")).to_have_text("5 Personen")
        expect(p.locator("#merge-term option")).to_have_text(["– bitte wählen –", "Bus", "Online-Termine", "Radwege"])
        _assert_not_reloaded(p)
    expect(page.locator("#merge-term")).to_have_value("")  # the form is ready for the next one
    expect(page.locator("#announce")).to_have_text("„Digitale Termine“ wird jetzt als „Online-Termine“ gezählt.")
    violations = run_axe(page, axe_source())
    assert not violations, describe_violations("control page with a merge", page.url, violations)
    page.set_viewport_size({"width": 1440, "height": 1200})
    page.locator("#terms").evaluate("el => el.scrollIntoView({block: 'start'})")
    screenshot(page, "moderator-term-merge", docs=True)
    page.set_viewport_size({"width": 1440, "height": 900})

    # Bad input from a page that is behind (a term hidden meanwhile): refused, said in German, nothing changed.
    # The stale choice is made and sent in one turn of the page: a tally arriving in between redraws the lists
    # from the server's terms and would take the made-up option away again (a race, not what is tested here).
    page.evaluate("""() => {
        const source = document.getElementById('merge-term');
        source.value = 'bus';
        source.dispatchEvent(new Event('change'));
        const into = document.getElementById('merge-into');
        into.append(new Option('Idiot', 'idiot'));
        into.value = 'idiot';
        document.getElementById('merge-form').requestSubmit();
    }""")
    alert = page.locator("#terms-error")
    expect(alert).to_have_text("„Idiot“ ist ausgeblendet; in einen ausgeblendeten Begriff lässt sich nichts zusammenführen. "
                               "Blenden Sie ihn zuerst ein.")
    expect(alert).to_have_attribute("role", "alert")
    expect(page.locator("#merge-term")).to_have_value("bus")  # what was chosen stays
    expect(proj_terms).to_have_text(["Online-Termine", "Bus", "Radwege"])

    # "Trennen" by keyboard: both terms count on their own again, the focus goes to the list's heading.
    split = page.get_by_role("button", name=re.compile(r"^Trennen\s*: „Digitale Termine“ von „Online-Termine“$"))
    split.focus()
    page.keyboard.press("Enter")
    expect(proj_terms).to_have_text(["Digitale Termine", "Online-Termine", "Bus", "Radwege"], timeout=5_000)
    expect(page.locator("#merges-title")).to_be_focused()
    expect(page.locator("#merges-empty")).to_be_visible()
    expect(second.page.locator("#merge-list > li")).to_have_count(0)
    expect(phone.page.locator("#live-results .term-list li.mine .term-name")).to_have_text(["Digitale Termine"], timeout=5_000)
    _assert_not_reloaded(page)


WORDS = ["Online-Termine", "online termine", "ONLINE_TERMINE", "Online–Termine", "online\u00adtermine", "Straße", "ẞ",
         "Bürger*innen", "BürgerInnen", "Bu\u0308rger", "Café", "ｅ－ｍａｉｌ", "z.B", "1.5", "1,5 Grad", "⑴ Rad", "ΣΊΣΥΦΟΣ",
         "Ärzte–Mangel", "Rock'n'Roll", "ﬁsch", "İstanbul", "Øre", "Kita's", "a.'b", " (x) ", "Bus & Bahn", "Ǆ"]


def test_the_page_scripts_fold_a_term_as_the_server_does(new_context, demo):
    """A phone marks its own term in the cloud by the key results.js computes: it must be the server's."""
    page = new_context("term keys").new_page()
    page.goto(demo.join_url)
    keys = page.evaluate("words => import('/static/js/results.js').then((m) => words.map(m.termKey))", WORDS)
    assert keys == [term_key(w) for w in WORDS]
