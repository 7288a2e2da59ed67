"""Public results pages (#17): publishing rules, the address, what a citizen sees and what never leaks, the
follow-up notes, the JSON-LD, the released files, caching, and "Meine Antworten" on the phone."""

import datetime as dt
import json
import re
import uuid

import pytest
from sqlmodel import select

from app.config import settings
from app.cookies import DEVICE_COOKIE, Device
from app.domain import access, followup
from app.domain import events as e_domain
from app.domain import publication as p_domain
from app.domain import questions as q_domain
from app.domain import votes as v_domain
from app.domain.errors import Conflict, Invalid
from app.models import AuditEntry, Publication, QuestionStatus
from app.reports import public
from app.reports.resultset import event_results
from app.routes import my_answers
from tests import factories
from tests.factories import add_votes
from tests.helpers import login


def _close(session, question):
    question.status = QuestionStatus.closed
    session.add(question)
    session.commit()


def _event(session, owner, *, title="Regionalkonferenz Döbeln", place="Döbeln", date=dt.date(2023, 3, 15), series_id=None):
    event = e_domain.create_event(session=session, owner_id=owner.id, title=title, place=place, date=date, series_id=series_id)
    topic = e_domain.add_topic(session=session, event_id=event.id, title="Mobilität")
    other = e_domain.add_topic(session=session, event_id=event.id, title="Bildung")
    shown = q_domain.create_question(session=session, topic=topic, text="Wie kommen Sie her?", kind="single", options=["Auto", "Bus", "Rad"])
    secret = q_domain.create_question(session=session, topic=topic, text="Geheime Testfrage?", kind="yesno", options=[])
    small = q_domain.create_question(session=session, topic=other, text="Mehr Schulbusse?", kind="yesno", options=[])
    text = q_domain.create_question(session=session, topic=other, text="Was wünschen Sie sich?", kind="text", options=[])
    ids = factories.option_ids(session, shown)
    add_votes(session, shown, [[ids[0]]] * 5 + [[ids[1]]] * 3)
    add_votes(session, secret, [[factories.option_ids(session, secret)[0]]] * 6)
    add_votes(session, small, [[factories.option_ids(session, small)[0]]] * 3)
    add_votes(session, text, ["Freigegebener Wunsch"] * 1, moderation="approved")
    add_votes(session, text, ["Abgelehnter Wunsch"], moderation="rejected")
    for q in (shown, secret, small, text):
        _close(session, q)
    return event, {"shown": shown, "secret": secret, "small": small, "text": text, "topic": topic, "other": other}


def _publish(session, user, event, qs, *, texts=False, downloads=("csv",)):
    p_domain.save_event_settings(session=session, user=user, event=event, question_ids=[q.id for q in qs], show_texts=texts,
                                 downloads=downloads)
    return p_domain.publish_event(session=session, user=user, event=event, confirmed=True)


@pytest.fixture(autouse=True)
def _fresh_caches():
    public.pages.clear()
    public.files.clear()


def test_slug_is_date_and_place_ascii_folded_made_unique_and_never_the_join_code(session, moderator):
    assert p_domain.slugify("Döbeln – Große Straße, Übergang Ärger") == "doebeln-grosse-strasse-uebergang-aerger"
    event, _qs = _event(session, moderator)
    assert p_domain.proposed_slug(event=event) == "2023-03-15-doebeln"
    first = p_domain.save_event_settings(session=session, user=moderator, event=event, question_ids=[], show_texts=False, downloads=[])
    twin, _ = _event(session, moderator)  # same date and place: "-2"
    second = p_domain.save_event_settings(session=session, user=moderator, event=twin, question_ids=[], show_texts=False, downloads=[])
    assert (first.slug, second.slug) == ("2023-03-15-doebeln", "2023-03-15-doebeln-2")
    undated, _ = _event(session, moderator, title="Bürgerforum Roßwein", place="", date=None)
    assert p_domain.proposed_slug(event=undated) == "buergerforum-rosswein"
    for slug in (first.slug, second.slug):
        assert event.join_code not in slug and twin.join_code not in slug
    # Typed: refused in German when malformed, taken, reserved or the join code; nothing stored.
    for typed, error in (("Döbeln!", Invalid), ("2023-03-15-doebeln", Conflict), ("reihe", Invalid), (f"x-{twin.join_code}", Invalid)):
        with pytest.raises(error) as refused:
            p_domain.save_event_settings(session=session, user=moderator, event=twin, question_ids=[], show_texts=False, downloads=[], slug=typed)
        assert refused.value.message[0].isupper()
        session.rollback()
    session.expire_all()
    assert session.get(Publication, second.id).slug == "2023-03-15-doebeln-2"


def test_only_closed_questions_can_be_public_publishing_needs_one_and_everything_is_audited(session, moderator):
    event, qs = _event(session, moderator)
    assert p_domain.visible_ids(session=session, event_id=event.id) == set()  # default: none
    with pytest.raises(Invalid) as nothing:
        p_domain.publish_event(session=session, user=moderator, event=event, confirmed=True)
    assert "mindestens eine geschlossene Frage" in nothing.value.message
    qs["secret"].status = QuestionStatus.open
    session.add(qs["secret"])
    session.commit()
    with pytest.raises(Invalid) as still_open:
        p_domain.save_event_settings(session=session, user=moderator, event=event, question_ids=[qs["secret"].id], show_texts=False, downloads=[])
    assert "nicht geschlossen" in still_open.value.message
    with pytest.raises(Invalid):
        p_domain.publish_event(session=session, user=moderator, event=event, confirmed=False)
    publication = _publish(session, moderator, event, [qs["shown"]])
    assert publication.published and publication.published_at is not None
    p_domain.withdraw_event(session=session, user=moderator, event=event, confirmed=True)
    with pytest.raises(Invalid):
        p_domain.withdraw_event(session=session, user=moderator, event=event, confirmed=True)
    log = [(e.action, e.outcome) for e in access.audit_log(session=session, event_id=event.id)][::-1]
    assert ("publication-settings", "refused") in log and ("publish", "refused") in log
    assert log[-4:] == [("publication-settings", "done"), ("publish", "done"), ("withdraw", "done"), ("withdraw", "refused")]


def test_the_public_page_prints_the_moderators_numbers_small_groups_as_counts_and_nothing_unpublished(client, session, moderator):
    event, qs = _event(session, moderator)
    assert client.get("/ergebnisse/2023-03-15-doebeln").status_code == 404
    publication = _publish(session, moderator, event, [qs["shown"], qs["small"]])
    page = client.get(f"/ergebnisse/{publication.slug}")
    assert page.status_code == 200, page.text[:500]
    html = page.text
    full = event_results(session, event)
    shown = next(q for q in full.questions() if q.id == qs["shown"].id)
    assert shown.final.n == 8 and "63\u00a0%" in html and "38\u00a0%" in html  # 5 and 3 of 8, as the moderator's page
    assert "nicht repräsentativ" in html.lower() and "Stimmungsbild der Anwesenden" in html
    assert "Mehr Schulbusse?" in html and "Weniger als 5 Antworten" in html  # n = 3: counts only
    for hidden in ("Geheime Testfrage?", "Was wünschen Sie sich?", "Freigegebener Wunsch", event.join_code, event.projector_token,
                   factories.MODERATOR, "Auf Wunsch nicht aufgenommene"):
        assert hidden not in html, hidden
    assert '<script type="application/ld+json">' in html and "<script>" not in html
    assert "set-cookie" not in page.headers
    login(client)
    mod_html = client.get(f"/moderator/events/{event.id}/results").text
    for cell in ("63\u00a0%", "38\u00a0%"):
        assert cell in mod_html


def test_free_answers_only_with_the_flag_and_only_approved(client, session, moderator):
    event, qs = _event(session, moderator)
    publication = _publish(session, moderator, event, [qs["shown"], qs["text"]])
    assert "Was wünschen Sie sich?" not in client.get(f"/ergebnisse/{publication.slug}").text
    p_domain.save_event_settings(session=session, user=moderator, event=event, question_ids=[qs["shown"].id, qs["text"].id],
                                 show_texts=True, downloads=["csv"])
    html = client.get(f"/ergebnisse/{publication.slug}").text
    assert "Was wünschen Sie sich?" in html and "Freigegebener Wunsch" in html and "Abgelehnter Wunsch" not in html


def test_unpublished_withdrawn_and_unreleased_answer_404_everywhere_at_once(client, session, moderator):
    event, qs = _event(session, moderator)
    publication = _publish(session, moderator, event, [qs["shown"]], downloads=("csv",))
    base = f"/ergebnisse/{publication.slug}"
    urls = [base, f"{base}.jsonld", f"{base}/dateien/ergebnisse.csv", f"{base}/dateien/ergebnisse.csv-metadata.json",
            f"{base}/dateien/ergebnisse-standard.csv"]
    for url in urls:
        assert client.get(url).status_code == 200, url
    csv = client.get(f"{base}/dateien/ergebnisse.csv")
    assert "Wie kommen Sie her?" in csv.content.decode("utf-8-sig") and "Geheime Testfrage?" not in csv.content.decode("utf-8-sig")
    assert 'filename="2023-03-15_Doebeln_Ergebnisse.csv"' in csv.headers["content-disposition"]
    assert client.get(f"{base}/dateien/ergebnisse.pdf").status_code == 404  # not released
    assert client.get(f"{base}/dateien/passwd").status_code == 404
    etag = client.get(base).headers["etag"]
    p_domain.withdraw_event(session=session, user=moderator, event=event, confirmed=True)
    for url in urls:
        assert client.get(url, headers={"If-None-Match": etag}).status_code == 404, url
    p_domain.publish_event(session=session, user=moderator, event=event, confirmed=True)
    qs["shown"].status = QuestionStatus.open  # reopened: not closed, so not public, so no page
    session.add(qs["shown"])
    session.commit()
    assert client.get(base).status_code == 404
    assert client.get("/ergebnisse/" + "x" * 300).status_code == 404


def test_pages_revalidate_with_etag_and_change_when_the_data_does(client, session, moderator, monkeypatch):
    monkeypatch.setattr(public, "STATE_TTL_S", 0.0)  # answers are re-read at most once a second; here at once
    event, qs = _event(session, moderator)
    publication = _publish(session, moderator, event, [qs["shown"]])
    url = f"/ergebnisse/{publication.slug}"
    first = client.get(url)
    assert first.headers["cache-control"] == "no-cache" and first.headers["etag"]
    again = client.get(url, headers={"If-None-Match": first.headers["etag"]})
    assert again.status_code == 304 and not again.content
    followup.add_note(session=session, user=moderator, event=event, topic_id=qs["topic"].id, date="27.03.2024",
                      text="Im Kreistag vorgestellt, Drucksache 123/2024")
    changed = client.get(url, headers={"If-None-Match": first.headers["etag"]})
    assert changed.status_code == 200 and "Drucksache 123/2024" in changed.text
    add_votes(session, qs["shown"], [[factories.option_ids(session, qs["shown"])[2]]] * 2)  # archive or late correction
    assert client.get(url).headers["etag"] != changed.headers["etag"]


def test_follow_up_notes_dated_in_order_audited_and_bad_input_refused_in_german(mod_client, session, moderator, client):
    event, qs = _event(session, moderator)
    publication = _publish(session, moderator, event, [qs["shown"]])
    base = f"/moderator/events/{event.id}"
    r = mod_client.post(f"{base}/notes", data={"csrf": mod_client.csrf, "topic_id": str(qs["topic"].id), "date": "2024-05-02",
                                               "text": "Bus-Takt ab Juni verdichtet"}, follow_redirects=False)
    assert r.status_code == 303
    r = mod_client.post(f"{base}/notes", data={"csrf": mod_client.csrf, "topic_id": str(qs["topic"].id), "date": "27.03.2024",
                                               "text": "Im Kreistag am 27.03.2024 vorgestellt, Drucksache 123/2024"}, follow_redirects=False)
    assert r.status_code == 303
    bad = mod_client.post(f"{base}/notes", data={"csrf": mod_client.csrf, "topic_id": str(qs["topic"].id), "date": "31.02.2024",
                                                 "text": "Getippter Text bleibt"})
    assert bad.status_code == 422 and "gültiges Datum" in bad.text and "Getippter Text bleibt" in bad.text
    too_long = mod_client.post(f"{base}/notes", data={"csrf": mod_client.csrf, "topic_id": str(qs["topic"].id), "date": "01.01.2024",
                                                      "text": "x" * 501})
    assert too_long.status_code == 422 and "höchstens 500 Zeichen" in too_long.text
    hostile = mod_client.post(f"{base}/notes", data={"csrf": mod_client.csrf, "topic_id": str(qs["other"].id), "date": "03.01.2024",
                                                     "text": "<script>alert(1)</script> 🚌"}, follow_redirects=False)
    assert hostile.status_code == 303
    page = client.get(f"/ergebnisse/{publication.slug}").text
    assert "&lt;script&gt;alert(1)&lt;/script&gt; 🚌" in page and "<script>alert" not in page
    notes = followup.notes_of(session=session, event_id=event.id)[qs["topic"].id]
    assert [n.date for n in notes] == [dt.date(2024, 3, 27), dt.date(2024, 5, 2)]
    html = client.get(f"/ergebnisse/{publication.slug}").text
    assert html.index("27.03.2024") < html.index("02.05.2024") and "Was ist daraus geworden" in html
    edit = mod_client.post(f"{base}/notes/{notes[1].id}", data={"csrf": mod_client.csrf, "date": "2024-06-01", "text": "Takt verdichtet"},
                           follow_redirects=False)
    assert edit.status_code == 303
    assert mod_client.post(f"{base}/notes/{notes[0].id}/delete", data={"csrf": mod_client.csrf}, follow_redirects=False).status_code == 303
    html = client.get(f"/ergebnisse/{publication.slug}").text
    assert "Takt verdichtet" in html and "Drucksache 123/2024" not in html
    other_event = factories.make_event(session, owner=factories.make_moderator(session, "fremd", "fremd-geheim-12"))
    foreign_topic = e_domain.topics(session=session, event_id=other_event.id)[0]
    r = mod_client.post(f"{base}/notes", data={"csrf": mod_client.csrf, "topic_id": str(foreign_topic.id), "date": "2024-01-01", "text": "x"})
    assert r.status_code == 404
    actions = [e.action for e in session.exec(select(AuditEntry).where(AuditEntry.event_id == event.id))]
    assert {"note-add", "note-edit", "note-delete"} <= set(actions)


def test_settings_form_preview_and_publish_through_the_pages(mod_client, session, moderator, client):
    event, qs = _event(session, moderator)
    base = f"/moderator/events/{event.id}/publication"
    page = mod_client.get(base)
    assert page.status_code == 200 and "2023-03-15-doebeln" in page.text and "Nicht veröffentlicht" in page.text
    assert session.exec(select(Publication)).first() is None  # looking changes nothing
    bad = mod_client.post(base, data={"csrf": mod_client.csrf, "question": [str(qs["shown"].id)], "slug": "Falsche Adresse!"})
    assert bad.status_code == 422 and "Kleinbuchstaben" in bad.text and 'value="Falsche Adresse!"' in bad.text
    assert mod_client.post(base, data={"csrf": mod_client.csrf, "question": ["abc"]}).status_code == 422
    ok = mod_client.post(base, data={"csrf": mod_client.csrf, "question": [str(qs["shown"].id)], "download": ["csv", "pdf"],
                                     "slug": "doebeln-2023"}, follow_redirects=False)
    assert ok.status_code == 303
    preview = mod_client.get(f"{base}/preview")
    assert preview.status_code == 200 and "Vorschau" in preview.text and 'content="noindex' in preview.text
    assert preview.headers["x-robots-tag"].startswith("noindex") and "Wie kommen Sie her?" in preview.text
    assert client.get("/ergebnisse/doebeln-2023").status_code == 404  # not yet published
    refused = mod_client.post(f"{base}/publish", data={"csrf": mod_client.csrf})
    assert refused.status_code == 422 and "bestätigen" in refused.text
    assert "/meine-antworten" not in client.get(f"/j/{event.join_code}").text  # asked once, remembered a few seconds
    assert mod_client.post(f"{base}/publish", data={"csrf": mod_client.csrf, "confirm": "1"}, follow_redirects=False).status_code == 303
    assert "/meine-antworten" in client.get(f"/j/{event.join_code}").text  # publishing here forgot it at once
    public_page = mod_client.get("/ergebnisse/doebeln-2023")
    assert public_page.status_code == 200
    # The preview is the citizens' page: the same template and the same content, banner aside.
    strip = re.compile(r'<div class="preview-banner".*?</div>\s*|<meta name="robots"[^>]*>|<link rel="(canonical|alternate)"[^>]*>\s*|'
                       r"Stand der Zahlen: [^<]*", re.S)
    body = re.compile(r"<main.*</main>", re.S)
    assert strip.sub("", body.search(mod_client.get(f"{base}/preview").text).group(0)) == strip.sub("", body.search(public_page.text).group(0))
    assert mod_client.post(f"{base}/withdraw", data={"csrf": mod_client.csrf, "confirm": "1"}, follow_redirects=False).status_code == 303
    assert client.get("/ergebnisse/doebeln-2023").status_code == 404


def test_json_ld_describes_the_dataset_for_open_data_portals(client, session, moderator, monkeypatch):
    from app.config import settings

    monkeypatch.setattr(settings, "report_organisation", "Landkreis Mittelsachsen")
    event, qs = _event(session, moderator)
    publication = _publish(session, moderator, event, [qs["shown"]], downloads=("csv", "pdf"))
    doc = client.get(f"/ergebnisse/{publication.slug}.jsonld").json()
    assert doc["@type"] == "dcat:Dataset" and doc["dct:title"]["@value"] == "Ergebnisse: Regionalkonferenz Döbeln"
    assert doc["dct:publisher"]["foaf:name"] == "Landkreis Mittelsachsen"
    assert doc["dct:license"] == {"@id": "http://dcat-ap.de/def/licenses/dl-by-de/2.0"}
    assert doc["dct:temporal"]["dcat:startDate"]["@value"] == "2023-03-15"
    assert doc["dct:spatial"][0]["locn:geographicName"] == "Döbeln"
    assert doc["dct:issued"]["@value"].endswith("Z") and doc["dct:modified"]["@value"]
    formats = sorted(d["dct:format"]["@id"].rsplit("/", 1)[1] for d in doc["dcat:distribution"])
    assert formats == ["CSV", "CSV", "JSON", "JSON", "PDF"]
    assert all(d["dcat:downloadURL"]["@id"].startswith("http://testserver/ergebnisse/2023-03-15-doebeln/dateien/") for d in doc["dcat:distribution"])
    embedded = re.search(r'<script type="application/ld\+json">(.*?)</script>', client.get(f"/ergebnisse/{publication.slug}").text, re.S)
    assert json.loads(embedded.group(1)) == doc
    assert "Geheime Testfrage" not in json.dumps(doc, ensure_ascii=False)


def test_series_page_shows_published_events_only_and_never_leaks_the_others(client, session, moderator):
    series = e_domain.create_series(session=session, title="Regionalkonferenzen Agenda 2030", owner_id=moderator.id)
    one, qs1 = _event(session, moderator, series_id=series.id)
    two, qs2 = _event(session, moderator, title="Regionalkonferenz Geheimstadt", place="Geheimstadt", date=dt.date(2023, 4, 1),
                      series_id=series.id)
    qs2["shown"].key = qs1["shown"].key
    session.add(qs2["shown"])
    session.commit()
    events = [one, two]
    with pytest.raises(Invalid):
        p_domain.publish_series(session=session, user=moderator, series=series, events=events, confirmed=True)
    session.rollback()
    _publish(session, moderator, one, [qs1["shown"]])
    p_domain.save_series_settings(session=session, user=moderator, series=series, events=events, show_texts=False, downloads=["csv"])
    publication = p_domain.publish_series(session=session, user=moderator, series=series, events=events, confirmed=True)
    assert publication.slug == "regionalkonferenzen-agenda-2030"
    url = f"/ergebnisse/reihe/{publication.slug}"
    for path in (url, f"{url}.jsonld", f"{url}/dateien/ergebnisse.csv"):
        body = client.get(path)
        assert body.status_code == 200, path
        text = body.content.decode("utf-8-sig")
        assert "Geheimstadt" not in text and "Geheime Testfrage" not in text, path
    _publish(session, moderator, two, [qs2["shown"]])
    html = client.get(url).text
    assert "Geheimstadt" in html and "gepoolt, ungewichtet" in html
    p_domain.withdraw_series(session=session, user=moderator, series=series, events=events, confirmed=True)
    assert client.get(url).status_code == 404 and client.get(f"{url}.jsonld").status_code == 404
    assert {e.action for e in session.exec(select(AuditEntry).where(AuditEntry.event_id == two.id))} >= {"series-publish", "series-withdraw"}


def test_my_answers_shows_this_devices_answers_only(client, session, moderator):
    event, qs = _event(session, moderator)
    device = Device(uuid.uuid4().hex, (event.id,))
    ids = factories.option_ids(session, qs["shown"])
    voter = v_domain.voter_hash(event.id, device.id, settings.secret_key)
    v_domain.insert_votes_directly(session=session, rows=[v_domain.VoteRow(question_id=qs["shown"].id, event_id=event.id, device_hash=voter,
                                                                          choices=[ids[2]], vote_id="v1", round=1)])
    url = f"/j/{event.join_code}/meine-antworten"
    client.cookies.set(DEVICE_COOKIE, device.cookie())
    before = client.get(url)
    assert before.status_code == 200 and "noch keine Ergebnisse veröffentlicht" in before.text
    assert "Meine Antworten" not in client.get(f"/j/{event.join_code}").text.split("</main>")[0].split('id="phone"')[1]
    _publish(session, moderator, event, [qs["shown"], qs["small"]])
    my_answers.forget_link(event.id)  # as the publication routes do (test_settings_form_preview_and_publish_through_the_pages)
    assert "/meine-antworten" in client.get(f"/j/{event.join_code}").text
    mine = client.get(url)
    assert mine.status_code == 200 and mine.headers["cache-control"] == "no-store, private"
    first = mine.text.index("Wie kommen Sie her?")
    assert "Ihre Antwort:</strong> Rad" in mine.text[first:] and "Sie haben bei dieser Frage nicht abgestimmt" in mine.text
    assert "Geheime Testfrage" not in mine.text
    client.cookies.set(DEVICE_COOKIE, Device(uuid.uuid4().hex, (event.id,)).cookie())
    theirs = client.get(url).text
    assert "Ihre Antwort:</strong> Rad" not in theirs and "Wie kommen Sie her?" in theirs
    client.cookies.clear()
    assert "nicht abgestimmt" in client.get(url).text
    assert client.get("/j/000000/meine-antworten").status_code == 404


def test_deleting_an_event_takes_its_page_and_notes(session, moderator):
    from app.domain import deletion
    from app.models import FollowUpNote

    event, qs = _event(session, moderator)
    _publish(session, moderator, event, [qs["shown"]])
    followup.add_note(session=session, user=moderator, event=event, topic_id=qs["topic"].id, date="01.02.2024", text="Notiz")
    deletion.delete_event(session=session, user=moderator, event=event, typed_title=event.title)
    assert session.exec(select(Publication)).first() is None and session.exec(select(FollowUpNote)).first() is None


def test_public_results_filter_the_one_result_set(session, moderator):
    event, qs = _event(session, moderator)
    publication = _publish(session, moderator, event, [qs["shown"]])
    full = {q.id: q for q in event_results(session, event).questions()}
    shown = list(public.public_results(session, event, publication).questions())
    assert [q.id for q in shown] == [qs["shown"].id] and shown[0].rounds == full[qs["shown"].id].rounds


def test_my_answers_with_a_voting_card_are_the_cards(client, session, moderator):
    """Strict mode: the phone voted with its printed card, so "Meine Antworten" shows the card's answers."""
    from app.domain import cards as c_domain

    event, qs = _event(session, moderator)
    c_domain.set_strict(session=session, event=event, on=True)
    _batch, codes = c_domain.generate_cards(session=session, event=event, count=1, print_sheet=lambda _b, codes: list(codes))
    voter = c_domain.check_card(session=session, event_id=event.id, raw=codes[0])
    ids = factories.option_ids(session, qs["shown"])
    v_domain.insert_votes_directly(session=session, rows=[v_domain.VoteRow(question_id=qs["shown"].id, event_id=event.id, device_hash=voter,
                                                                          choices=[ids[0]], vote_id="card-1", round=1)])
    _publish(session, moderator, event, [qs["shown"]])
    assert client.get(f"/j/{event.join_code}?karte={codes[0]}", follow_redirects=False).status_code == 303
    mine = client.get(f"/j/{event.join_code}/meine-antworten").text
    assert "Ihre Antwort:</strong> Auto" in mine
