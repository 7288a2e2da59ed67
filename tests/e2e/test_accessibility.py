"""axe-core (WCAG 2.0/2.1, levels A and AA) finds nothing on any page a person sees, in each of its states."""

import pytest
from playwright.sync_api import expect

from tests.e2e.helpers import (
    Q_MORE,
    Q_MORE_OPTIONS,
    axe_source,
    bar_texts,
    describe_violations,
    run_axe,
)

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def axe_js() -> str:
    return axe_source()


def test_no_axe_violations_on_any_page(new_context, moderator, projector, phones, demo, axe_js, screenshot):
    reports = []
    checked = []

    def audit(name, page):
        page.wait_for_load_state("load")
        violations = run_axe(page, axe_js)
        checked.append(name)
        screenshot(page, f"axe-{name}")
        if violations:
            reports.append(describe_violations(name, page.url, violations))

    # Anonymous visitor: start page, start page with an unknown code, login page.
    visitor = new_context("axe visitor", viewport={"width": 1280, "height": 800}).new_page()
    visitor.goto("/")
    audit("start", visitor)
    wrong = "123456" if demo.join_code != "123456" else "654321"
    visitor.get_by_label("Code der Veranstaltung").fill(wrong)
    visitor.get_by_role("button", name="Teilnehmen").click()
    expect(visitor.get_by_role("alert")).to_be_visible()
    audit("start-unknown-code", visitor)
    visitor.goto("/login")
    expect(visitor.locator("#username")).to_be_visible()
    audit("login", visitor)

    # Moderator: events list.
    mpage = moderator.page
    mpage.goto("/moderator")
    expect(mpage.get_by_role("heading", level=1)).to_have_text("Veranstaltungen")
    audit("moderator-events", mpage)

    # Join screen: phone waiting, projector with QR code.
    moderator.goto()
    moderator.show_join_screen()
    a, b, c = phones
    for phone in phones:
        phone.join(demo.join_url)
    a.expect_waiting()
    audit("phone-waiting", a.page)
    projector.expect_join_screen()
    audit("projector-join", projector.page)

    # A question is open: moderator control page, the question's edit form, phone with the question.
    moderator.open_question(Q_MORE)
    a.expect_question(Q_MORE, "radio", len(Q_MORE_OPTIONS))
    audit("phone-question-open", a.page)
    b.vote("Ja")
    c.vote("Nein")
    a.vote("Ja")
    a.expect_voted()
    audit("phone-after-voting", a.page)
    expected = bar_texts([2, 1, 0])
    projector.expect_counts(expected, 3, timeout=5_000)
    audit("projector-question-results", projector.page)
    moderator.expect_tally(expected, 3, timeout=5_000)
    audit("moderator-control-open", mpage)
    question_id = moderator.question_id(Q_MORE)
    mpage.goto(f"{moderator.path}/questions/{question_id}/edit")
    expect(mpage.get_by_role("heading", level=1)).to_have_text("Frage bearbeiten")
    audit("question-edit-form", mpage)

    # Closed, with the result: phone and projector.
    moderator.goto()
    moderator.press("Abstimmung schließen")
    a.expect_closed_with_result(Q_MORE, expected, 3, mine=["Ja"])
    audit("phone-closed-results", a.page)
    projector.expect_question(Q_MORE, "Abstimmung beendet")
    projector.expect_counts(expected, 3, timeout=5_000)
    audit("projector-closed-results", projector.page)

    assert len(checked) == 13
    assert not reports, (
        f"axe-core (tags wcag2a, wcag2aa, wcag21a, wcag21aa) found violations on {len(reports)} of {len(checked)} "
        f"pages:\n\n" + "\n\n".join(reports)
    )
