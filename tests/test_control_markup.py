"""The control page's markup (#16): `<time datetime>` without fraction digits, a topic select whose `required`
works (an empty first option), and the presenter keys listed on the page and in their help dialog."""

import re
from datetime import UTC, datetime, timedelta, timezone
from html.parser import HTMLParser

from app.domain import live as live_domain
from app.models import Topic
from app.reports.formatting import iso_utc
from tests.factories import questions_of

# A valid global date and time string as `<time datetime>` wants it here: seconds and a zone, no fraction.
DATETIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(Z|[+-]\d\d:\d\d)")


class Tags(HTMLParser):
    """Start tags with their attributes, and the text of each <option>."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.options: list[tuple[dict[str, str | None], str]] = []
        self._option: dict[str, str | None] | None = None
        self._text = ""

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        if tag == "option":
            self._option, self._text = dict(attrs), ""

    def handle_data(self, data):
        if self._option is not None:
            self._text += data

    def handle_endtag(self, tag):
        if tag == "option" and self._option is not None:
            self.options.append((self._option, self._text.strip()))
            self._option = None


def parse(html: str) -> Tags:
    tags = Tags()
    tags.feed(html)
    return tags


def time_values(html: str) -> list[str]:
    return [str(attrs.get("datetime")) for tag, attrs in parse(html).tags if tag == "time"]


def test_time_values_have_seconds_and_zone_but_no_fraction():
    """The one helper templates use for <time datetime> (formatting.iso_utc): whole seconds, in UTC, zone named."""
    assert iso_utc(datetime(2026, 12, 2, 19, 42, 5, 123456, tzinfo=UTC)) == "2026-12-02T19:42:05Z"
    # The database hands moments back without their zone: they were stored in UTC.
    assert iso_utc(datetime(2026, 12, 2, 19, 42, 5, 999999)) == "2026-12-02T19:42:05Z"
    berlin_winter = timezone(timedelta(hours=1))
    assert iso_utc(datetime(2026, 12, 2, 20, 42, 5, 1, tzinfo=berlin_winter)) == "2026-12-02T19:42:05Z"


def test_control_and_audit_pages_write_no_datetime_with_fraction_digits(mod_client, session, event):
    single, _ = questions_of(session, event)
    base = f"/moderator/events/{event.id}"
    # Actions leave audit entries with microseconds in their time.
    for verb in ("open", "close"):
        mod_client.post(f"{base}/questions/{single.id}/{verb}", data={"csrf": mod_client.csrf})
    for path in (base, f"{base}/audit"):
        html = mod_client.get(path).text
        assert not re.search(r'datetime="[^"]*\.\d', html), f"{path} writes a datetime with fraction digits"
        for value in time_values(html):
            assert DATETIME.fullmatch(value) or re.fullmatch(r"\d{4}-\d\d-\d\d", value), f"{path}: <time datetime={value!r}>"
    assert len(time_values(mod_client.get(f"{base}/audit").text)) >= 2


def _topic_select(html: str) -> list[tuple[dict[str, str | None], str]]:
    match = re.search(r'<select id="q-topic"([^>]*)>(.*?)</select>', html, re.S)
    assert match and " required" in match.group(1), "the topic select is there and required"
    return parse(match.group(2)).options


def test_topic_select_starts_with_an_empty_placeholder(mod_client, session, event):
    topic = session.exec(Topic.__table__.select().where(Topic.__table__.c.event_id == event.id)).first()
    base = f"/moderator/events/{event.id}"

    options = _topic_select(mod_client.get(f"{base}/questions/new").text)
    first, label = options[0]
    assert first.get("value") == "" and label == "Thema wählen …"
    assert "selected" in first, "without a topic in the link the placeholder is chosen, so `required` asks for one"
    assert [o.get("value") for o, _ in options[1:]] == [str(topic.id)]

    options = _topic_select(mod_client.get(f"{base}/questions/new?topic_id={topic.id}").text)
    assert options[0][0].get("value") == "" and "selected" not in options[0][0]
    assert "selected" in options[1][0], "the agenda's „Frage hinzufügen“ keeps its topic chosen"

    single, _ = questions_of(session, event)
    options = _topic_select(mod_client.get(f"{base}/questions/{single.id}/edit").text)
    assert "selected" not in options[0][0] and "selected" in options[1][0]


def test_an_empty_topic_is_refused_with_a_german_message(mod_client, session, event):
    before = len(questions_of(session, event))
    response = mod_client.post(f"/moderator/events/{event.id}/questions", data={
        "topic_id": "", "text": "Ohne Thema?", "kind": "single", "options": "Ja\nNein", "csrf": mod_client.csrf})
    assert response.status_code == 422
    assert "Bitte wählen Sie ein Thema." in response.text
    assert len(questions_of(session, event)) == before


def test_control_page_lists_the_presenter_keys_and_their_help_dialog(mod_client, session, event):
    base = f"/moderator/events/{event.id}"
    for opened in (False, True):
        if opened:
            live_domain.open_question(session=session, question=questions_of(session, event)[0])
        html = mod_client.get(base).text
        tags = parse(html)
        ids = {attrs.get("id"): (tag, attrs) for tag, attrs in tags.tags if attrs.get("id")}
        # The line under the main buttons (shown by the script, which makes the keys work) and the status region.
        assert ids["keys-hint"][0] == "p" and "hidden" in ids["keys-hint"][1]
        assert ids["key-status"][1].get("role") == "status"
        assert ids["keys-open"][1].get("aria-haspopup") == "dialog"
        assert ids["keys-help"][0] == "dialog" and ids["keys-help"][1].get("aria-labelledby") == "keys-help-title"
        dialog = html[html.index('<dialog id="keys-help"'): html.index("</dialog>")]
        for key in ("Bild ↓", "Bild ↑", "N", "P", "O", "E", ".", "Q", "B", "?", "Esc"):
            assert f"<kbd>{key}</kbd>" in dialog, key
        assert 'id="keys-on"' in dialog, "the keys can be switched off (WCAG 2.1.4)"
        assert html.count('id="keys-hint"') == 1
