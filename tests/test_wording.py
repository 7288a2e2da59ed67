"""Words that are right (#16, point 4): words are received (not counted), counts have their singular, a socket
refused for good says what to do, the audit log speaks local time with the zone named, and the event header
does not repeat the place the title names.

The phone's acknowledgement and the refused socket in a real browser: tests/e2e/test_numbers.py."""

import datetime as dt
import re

from sqlmodel import select

from app.domain import access
from app.domain import live as live_domain
from app.i18n import ntranslate
from app.models import AuditEntry
from app.pages import place_beside
from app.pagestrings import js_strings
from app.routes import events as event_routes
from app.routes.attendee import NO_DEVICE
from tests.factories import make_event, option_ids, questions_of
from tests.test_question_kinds import make, store

RECEIVED = "Danke! Ihre Antwort ist eingegangen."
RECEIVED_REVIEW = "Danke! Ihre Antwort ist eingegangen. Sie erscheint nach Prüfung durch die Moderation."
COUNTED = "Ihre Stimme wurde gezählt"


def _status(page: str) -> str:
    """The phone page's status line as text (the page's script strings hold every wording, so look only here)."""
    match = re.search(r'<p id="status"[^>]*>(.*?)</p>', page, re.S)
    assert match, "no status line"
    return re.sub(r"<[^>]+>", "", match.group(1))


def _form_vote(client, event, question, fields):
    client.get(f"/j/{event.join_code}")  # the device cookie
    return client.post(f"/j/{event.join_code}/vote", data={"question_id": str(question.id), **fields})


def test_open_text_and_word_cloud_answers_are_received_not_counted(client, session, event):
    text = make(session, event, "text")
    live_domain.open_question(session=session, question=text)
    page = _form_vote(client, event, text, {"text": "Mehr Busse am Abend"}).text  # the page without JavaScript
    assert _status(page) == RECEIVED_REVIEW
    again = _status(client.get(f"/j/{event.join_code}").text)
    assert again == "Sie haben bereits geantwortet. Sie können Ihre Antwort ändern, solange die Abstimmung läuft."

    # Each on an event of its own: the hub keeps the first event's live question in memory.
    other = make_event(session, title="Bürgerdialog")
    words = make(session, other, "wordcloud")
    live_domain.open_question(session=session, question=words)
    assert _status(_form_vote(client, other, words, {"term": "Glasfaser"}).text) == RECEIVED

    # The script says the same (attendee.js receivedText); a choice is still counted.
    strings = js_strings("attendee")
    assert (strings["ph_received"], strings["ph_received_review"]) == (RECEIVED, RECEIVED_REVIEW)
    assert strings["voted"] == "Danke! Ihre Stimme wurde gezählt."
    third = make_event(session, title="Einwohnerversammlung")
    single = questions_of(session, third)[0]
    live_domain.open_question(session=session, question=single)
    assert _status(_form_vote(client, third, single, {"choice": str(option_ids(session, single)[0])}).text) == "Danke! " + COUNTED + "."


def test_counts_of_devices_and_votes_have_their_singular(mod_client, session, event, monkeypatch):
    def with_phones(n):
        monkeypatch.setattr(event_routes, "snapshot", lambda **kw: {**real(**kw), "connected": n})
        return mod_client.get(f"/moderator/events/{event.id}").text

    real = event_routes.snapshot
    single, multiple = questions_of(session, event)
    live_domain.open_question(session=session, question=single)
    store(session, single, "d1", (option_ids(session, single)[0],))
    page = with_phones(1)
    assert re.search(r'<strong id="live-phones">1</strong> <span id="live-phones-unit">Gerät verbunden</span>', page)
    assert re.search(r'<strong id="live-voters">1</strong> <span id="live-voters-unit">Stimme</span>', page)
    assert re.search(rf'<span id="votes-{single.id}">1</span> <span id="votes-unit-{single.id}">Stimme</span>', page)
    assert re.search(rf'<span id="votes-{multiple.id}">0</span> <span id="votes-unit-{multiple.id}">Stimmen</span>', page)
    store(session, single, "d2", (option_ids(session, single)[1],))
    page = with_phones(2)
    assert re.search(r'<strong id="live-phones">2</strong> <span id="live-phones-unit">Geräte verbunden</span>', page)
    assert re.search(r'<strong id="live-voters">2</strong> <span id="live-voters-unit">Stimmen</span>', page)
    # The script has the same words for the numbers it updates (moderator.js setPhones, updateResults).
    strings = js_strings("moderator")
    assert [strings[k] for k in ("mod_phones_unit_1", "mod_phones_unit_n", "mod_answers_unit_1", "mod_answers_unit_n")] == [
        "Gerät verbunden", "Geräte verbunden", "Antwort", "Antworten"]
    assert strings["mod_terms_summary_1"].startswith("1 Begriff,") and strings["answers_more_1"] == "… und 1 weitere Antwort"
    # The catalogue's plural rule (i18n.ntranslate, also the templates' ngettext).
    assert [ntranslate("{n} Gerät verbunden", "{n} Geräte verbunden", n) for n in (1, 2)] == ["1 Gerät verbunden", "2 Geräte verbunden"]


def test_a_socket_refused_for_good_says_what_to_do(client, event):
    client.cookies.clear()
    with client.websocket_connect(f"/ws/j/{event.join_code}") as ws:
        error = ws.receive_json()
    assert error["code"] == "no_device" and error["message"] == NO_DEVICE
    assert "Bitte laden Sie die Seite neu" in NO_DEVICE and "Cookies" in NO_DEVICE
    strings = js_strings("attendee")
    # The badge of a socket that will not retry (socket.js FINAL_CLOSE_CODES) promises no new attempt.
    assert strings["conn_stopped"] == "Keine Verbindung" and "Versuch" not in strings["refused"]
    assert "Bitte laden Sie die Seite neu" in strings["refused"] and strings["reload"] == "Seite neu laden"


def test_the_audit_log_shows_local_time_with_the_zone_named(mod_client, session, event):
    access.record(session=session, event_id=event.id, user=None, action="open", detail="Winter")
    access.record(session=session, event_id=event.id, user=None, action="close", detail="Sommer")
    winter, summer = session.exec(select(AuditEntry).where(AuditEntry.event_id == event.id).order_by(AuditEntry.id)).all()[-2:]
    winter.at = dt.datetime(2026, 12, 2, 18, 42, 5, tzinfo=dt.UTC)  # 19:42 in Berlin (winter time)
    summer.at = dt.datetime(2026, 7, 1, 17, 0, 0, tzinfo=dt.UTC)  # 19:00 in Berlin (summer time)
    session.add_all([winter, summer])
    session.commit()
    page = mod_client.get(f"/moderator/events/{event.id}/audit").text
    assert "Zeit (Europe/Berlin)" in page and "Zeit (UTC)" not in page
    assert '<time datetime="2026-12-02T18:42:05Z">02.12.2026, 19:42:05 MEZ</time>' in page
    assert '<time datetime="2026-07-01T17:00:00Z">01.07.2026, 19:00:00 MESZ</time>' in page


def test_the_event_header_does_not_repeat_the_place_of_the_title(mod_client, client, session, moderator, event):
    assert (event.title, event.place) == ("Regionalkonferenz Freiberg", "Freiberg")
    control = mod_client.get(f"/moderator/events/{event.id}").text
    assert "Freiberg ·" not in control and "· Freiberg" not in control
    assert '<p class="muted" id="event-title">Regionalkonferenz Freiberg</p>' in client.get(f"/j/{event.join_code}").text
    assert '<p class="event-name">Regionalkonferenz Freiberg</p>' in client.get(f"/p/{event.projector_token}").text
    other = make_event(session, owner=moderator, title="Bürgerdialog Mobilität")
    other.place, other.date = "Döbeln", dt.date(2026, 12, 2)
    session.add(other)
    session.commit()
    assert '<p class="muted" id="event-title">Bürgerdialog Mobilität · Döbeln</p>' in client.get(f"/j/{other.join_code}").text
    assert '<p class="muted">Döbeln · 02.12.2026</p>' in mod_client.get(f"/moderator/events/{other.id}").text
    # A place the title merely starts like is still named; case does not matter.
    assert [place_beside("Regionalkonferenz Döbeln", "Döbeln"), place_beside("REGIONALKONFERENZ DÖBELN", "döbeln"),
            place_beside("Döbelner Runde", "Döbeln"), place_beside("Forum", ""), place_beside("Forum", None)] == ["", "", "Döbeln", "", ""]
