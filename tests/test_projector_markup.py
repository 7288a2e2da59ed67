"""Markup of the projector and of the control page's projector switch that screen readers and validators accept
(#16): the join code is read digit by digit from a visually hidden text, not from an `aria-label` on a `<p>`
(which is not allowed there and so ignored); the switch's buttons are grouped by a fieldset with a legend, not
by `role="group"` on the form. The fullscreen button is there, labelled, and hidden until the script knows the
browser can go fullscreen."""

import re
from html.parser import HTMLParser

from app.domain import live as live_domain
from tests.factories import questions_of


class Elements(HTMLParser):
    """Every start tag with its attributes, in document order."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


def tags_of(html: str) -> list[tuple[str, dict[str, str | None]]]:
    parser = Elements()
    parser.feed(html)
    return parser.tags


def test_the_join_code_is_read_digit_by_digit_from_text_not_from_an_aria_label(client, event):
    html = client.get(f"/p/{event.projector_token}").text
    code = event.join_code
    # No aria-label on an element that may not have one (p, span, strong, div without a role).
    for tag, attrs in tags_of(html):
        if "aria-label" in attrs:
            assert tag not in {"p", "span", "strong", "div", "b"} or attrs.get("role"), (tag, attrs)
    # The code as the eye sees it, hidden from screen readers; beside it the digits one by one.
    seen = f"{code[:3]} {code[3:]}"
    said = " ".join(code)
    assert re.search(rf'<span class="join-code" aria-hidden="true">{seen}</span><span class="visually-hidden">Code {said}</span>', html)
    # The footers of the question and roll-up screens too.
    assert html.count(f'<span aria-hidden="true">{seen}</span><span class="visually-hidden">{said}</span>') == 2


def test_the_fullscreen_button_is_labelled_and_waits_for_the_script(client, event):
    html = client.get(f"/p/{event.projector_token}").text
    buttons = [attrs for tag, attrs in tags_of(html) if tag == "button"]
    assert len(buttons) == 1
    (button,) = buttons
    assert button["id"] == "fullscreen" and button["type"] == "button"
    assert "hidden" in button, "without the script (or the Fullscreen API) the button would do nothing"
    assert button["aria-keyshortcuts"] == "F"
    assert re.search(r'id="fullscreen"[^>]*>Vollbild</button>', html)


def test_the_projector_switch_is_a_fieldset_in_a_form_without_role_group(mod_client, session, event):
    single, _ = questions_of(session, event)
    live_domain.open_question(session=session, question=single)
    html = mod_client.get(f"/moderator/events/{event.id}").text
    form = re.search(r'<form[^>]*id="projector-switch"[^>]*>(.*?)</form>', html, re.S)
    assert form, "the control page has no projector switch"
    assert "role=" not in form.group(0).split(">", 1)[0], "a form must not have role=group"
    inner = form.group(1)
    assert re.search(r"<fieldset[^>]*>\s*<legend[^>]*>[^<]+</legend>", inner), "the switch's buttons need a fieldset with a legend"
    assert inner.index("<fieldset") < inner.index('name="mode"') < inner.index("</fieldset>")
