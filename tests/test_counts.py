"""Hand counts and paper slips (#18): per-source tallies, the checks of an entry, the audit log, the counting
state on phones and projector. On SQLite and, with TEST_DATABASE_URL, on PostgreSQL."""

import csv
import io
import uuid

import pytest
from sqlmodel import select

from app.domain import live as live_domain
from app.domain import questions as q_domain
from app.domain import results as r_domain
from app.domain import sources, votes
from app.domain.kinds import question_public
from app.models import AuditEntry, Event, ManualCount, Question
from tests.factories import add_votes, option_ids, questions_of
from tests.helpers import csrf_of
from tests.test_realtime import act, phone, until, vote


def _tablet_votes(session, question, answers, desk_id=7):
    rows = [votes.VoteRow(question_id=question.id, event_id=question.event_id, device_hash=sources.tablet_voter(desk_id),
                          choices=a, vote_id=uuid.uuid4().hex, round=question.round) for a in answers]
    votes.insert_votes_directly(session=session, rows=rows)


def _closed(session, question):
    live_domain.open_voting(session=session, question=question)
    session.commit()
    live_domain.close_question(session=session, question=question)
    session.commit()


def _result(session, question):
    session.expire_all()
    row = session.get(Question, question.id)
    return r_domain.compute(session, question_public(session=session, question=row))


def _count_form(client, event, question, source="hands"):
    page = client.get(f"/moderator/events/{event.id}/questions/{question.id}/zaehlen?quelle={source}")
    assert page.status_code == 200, page.text
    return page


def _post_count(client, event, question, values, source="hands", **extra):
    token = csrf_of(client.get(f"/moderator/events/{event.id}").text)
    data = {"csrf": token, "source": source, **{f"n-{k}": v for k, v in values.items()}, **extra}
    return client.post(f"/moderator/events/{event.id}/questions/{question.id}/zaehlen", data=data, follow_redirects=False)


def _entries(session, question):
    session.expire_all()
    return list(session.exec(select(ManualCount).where(ManualCount.question_id == question.id)))


def _audit(session, event, action):
    session.expire_all()
    return [e for e in session.exec(select(AuditEntry).where(AuditEntry.event_id == event.id, AuditEntry.action == action))]


def test_phones_tablet_hands_and_paper_add_up_with_a_part_per_source(mod_client, session, event):
    single, _ = questions_of(session, event)
    a, b, c = option_ids(session, single)
    live_domain.open_voting(session=session, question=single)
    session.commit()
    add_votes(session, single, [[a], [a], [b]])
    _tablet_votes(session, single, [[c]])
    live_domain.close_question(session=session, question=single)
    session.commit()
    assert _post_count(mod_client, event, single, {a: "4", b: "0", c: "1"}).status_code == 303
    assert _post_count(mod_client, event, single, {a: "0", b: "2", c: "0"}, source="paper", estimated="on").status_code == 303
    result = _result(session, single)
    assert result["voters"] == 3 + 1 + 5 + 2
    assert result["counts"] == {str(a): 6, str(b): 3, str(c): 2}
    parts = result["sources"]
    assert list(parts) == ["phone", "tablet", "hands", "paper"]
    assert parts["phone"]["counts"] == {str(a): 2, str(b): 1, str(c): 0} and parts["phone"]["voters"] == 3
    assert parts["tablet"]["counts"] == {str(a): 0, str(b): 0, str(c): 1}
    assert parts["hands"]["voters"] == 5 and not parts["hands"]["estimated"]
    assert parts["paper"]["estimated"] and result["estimated"]


def test_a_result_of_phones_only_is_as_it_always_was(session, event):
    single, _ = questions_of(session, event)
    a = option_ids(session, single)[0]
    _closed(session, single)
    add_votes(session, single, [[a]])
    result = _result(session, single)
    assert "sources" not in result and "estimated" not in result
    assert result["voters"] == 1


def test_a_scale_counts_raised_hands_into_its_mean_and_median(mod_client, session, event):
    scale = q_domain.create_question(session=session, topic=e_topic(session, event), text="Wie zufrieden?", kind="scale", options=[], scale_min=1, scale_max=5)
    live_domain.open_voting(session=session, question=scale)
    session.commit()
    add_votes(session, scale, [[5], [5]])
    live_domain.close_question(session=session, question=scale)
    session.commit()
    session.refresh(event)
    event.current_question_id = scale.id
    session.add(event)
    session.commit()
    assert _post_count(mod_client, event, scale, {"1": "2", "2": "0", "3": "0", "4": "0", "5": "0"}).status_code == 303
    result = _result(session, scale)
    assert result["voters"] == 4
    assert result["mean"] == 3 and result["median"] == 3
    assert result["sources"]["hands"]["counts"]["1"] == 2


@pytest.mark.parametrize(("typed", "says"), [
    ("-3", "nicht negativ"),
    ("2,5", "ganze Zahl"),
    ("", "eine Zahl ein"),
    ("zwölf", "ganze Zahl"),
    ("121", "mehr als die 120 Personen im Saal"),
])
def test_a_bad_number_is_refused_with_the_form_as_typed_and_nothing_stored(mod_client, session, event, typed, says):
    single, _ = questions_of(session, event)
    a, b, c = option_ids(session, single)
    event.people_in_hall = 120
    session.add(event)
    session.commit()
    _closed(session, single)
    response = _post_count(mod_client, event, single, {a: typed, b: "7", c: "1"}, counted_by="Frau Beispiel")
    assert response.status_code == 422
    assert says in response.text
    assert f'id="n-{a}" name="n-{a}" type="text" inputmode="numeric" autocomplete="off" size="6" maxlength="7" value="{typed}" aria-invalid="true"' \
        in response.text
    assert 'value="7"' in response.text and 'value="Frau Beispiel"' in response.text
    assert _entries(session, single) == []


def test_counting_is_refused_while_open_and_for_kinds_without_options(mod_client, session, event):
    single, _ = questions_of(session, event)
    a, b, c = option_ids(session, single)
    live_domain.open_voting(session=session, question=single)
    session.commit()
    response = _post_count(mod_client, event, single, {a: "1", b: "1", c: "1"})
    assert response.status_code == 409 and "Die Abstimmung läuft noch" in response.text
    topic = e_topic(session, event)
    ranking = q_domain.create_question(session=session, topic=topic, text="Reihenfolge?", kind="ranking", options=["A", "B", "C"])
    _closed(session, ranking)
    response = _post_count(mod_client, event, ranking, {})
    assert response.status_code == 409 and "Hilfe-Tablet" in response.text
    assert _entries(session, single) == [] and _entries(session, ranking) == []


def e_topic(session, event):
    from app.domain import events as e_domain

    return e_domain.topics(session=session, event_id=event.id)[0]


def test_more_than_the_people_in_the_hall_needs_a_confirmation_which_is_audited(mod_client, session, event):
    single, _ = questions_of(session, event)
    a, b, c = option_ids(session, single)
    event.people_in_hall = 10
    session.add(event)
    session.commit()
    live_domain.open_voting(session=session, question=single)
    session.commit()
    add_votes(session, single, [[a]] * 6)
    live_domain.close_question(session=session, question=single)
    session.commit()
    response = _post_count(mod_client, event, single, {a: "3", b: "2", c: "0"})
    assert response.status_code == 422
    assert "Zusammen sind das 11 Stimmen, aber nur 10 Personen im Saal" in response.text
    assert 'id="count-confirm"' in response.text and 'value="3"' in response.text
    assert _entries(session, single) == []
    assert _post_count(mod_client, event, single, {a: "3", b: "2", c: "0"}, confirm="on").status_code == 303
    assert len(_entries(session, single)) == 1
    refused, entry = sorted(_audit(session, event, "count-save"), key=lambda e: e.id)
    assert refused.outcome == "refused" and "nur 10 Personen im Saal" in refused.detail
    assert entry.outcome == "done"
    assert "bestätigt: 11 Stimmen bei 10 Personen im Saal" in entry.detail and entry.username == "moderatorin"


def test_every_entry_and_correction_is_audited_old_to_new(mod_client, session, event):
    single, _ = questions_of(session, event)
    a, b, c = option_ids(session, single)
    _closed(session, single)
    assert _post_count(mod_client, event, single, {a: "12", b: "3", c: "0"}, counted_by="Herr Muster").status_code == 303
    assert _post_count(mod_client, event, single, {a: "14", b: "3", c: "0"}, estimated="on").status_code == 303
    first, second = sorted(_audit(session, event, "count-save"), key=lambda e: e.id)
    assert "Handzeichen: Auto – → 12, Bus – → 3, Rad – → 0; 15 Personen, gezählt von Herr Muster" in first.detail
    assert "Handzeichen: Auto 12 → 14, Bus 3, Rad 0; 17 Personen (geschätzt)" in second.detail
    (entry,) = _entries(session, single)
    assert entry.voters == 17 and entry.estimated
    token = csrf_of(mod_client.get(f"/moderator/events/{event.id}").text)
    removed = mod_client.post(f"/moderator/events/{event.id}/questions/{single.id}/zaehlen/entfernen",
                              data={"csrf": token, "source": "hands"}, follow_redirects=False)
    assert removed.status_code == 303
    assert _entries(session, single) == []
    (gone,) = _audit(session, event, "count-remove")
    assert "Auto 14 → –" in gone.detail


def test_multiple_choice_asks_how_many_people_raised_a_hand(mod_client, session, event):
    _single, multiple = questions_of(session, event)
    ids = option_ids(session, multiple)
    _closed(session, multiple)
    values = {ids[0]: "5", ids[1]: "4", ids[2]: "0", ids[3]: "0"}
    response = _post_count(mod_client, event, multiple, values, voters="3")
    assert response.status_code == 422 and "mindestens so viele Personen" in response.text
    assert _post_count(mod_client, event, multiple, values, voters="6").status_code == 303
    result = _result(session, multiple)
    assert result["voters"] == 6 and result["sources"]["hands"]["voters"] == 6


def test_the_api_enters_counts_with_the_same_checks(mod_client, session, event):
    single, _ = questions_of(session, event)
    a, b, c = option_ids(session, single)
    _closed(session, single)
    url = f"/api/events/{event.id}/questions/{single.id}/count-save"
    bad = mod_client.post(url, json={"source": "hands", "values": {str(a): -1, str(b): 0, str(c): 0}})
    assert bad.status_code == 422 and "nicht negativ" in bad.text
    good = mod_client.post(url, json={"source": "paper", "values": {str(a): 2, str(b): 1, str(c): 0}, "counted_by": "Team"})
    assert good.status_code == 200, good.text
    assert good.json()["results"]["sources"]["paper"]["voters"] == 3


def test_counting_reaches_phones_and_projector_and_ends_with_the_entry(mod_client, session, event):
    single, _ = questions_of(session, event)
    a, b, c = option_ids(session, single)
    act(mod_client, event, "next")
    with mod_client.websocket_connect(f"/ws/p/{event.projector_token}") as projector, phone(mod_client, event) as p:
        until(p, "state")
        vote(p, single.id, [a])
        until(p, "ack")
        act(mod_client, event, f"questions/{single.id}/close")
        token = csrf_of(mod_client.get(f"/moderator/events/{event.id}").text)
        started = mod_client.post(f"/moderator/events/{event.id}/questions/{single.id}/zaehlen/beginnen",
                                  data={"csrf": token, "source": "hands"}, follow_redirects=False)
        assert started.status_code == 303 and started.headers["location"].endswith(f"/questions/{single.id}/zaehlen?quelle=hands")
        until(p, "state", lambda m: m.get("counting") == "hands")
        until(projector, "state", lambda m: m.get("counting") == "hands")
        page = mod_client.get(started.headers["location"]).text
        assert "bitte jetzt nicht die Hand heben" in page
        assert _post_count(mod_client, event, single, {a: "2", b: "1", c: "0"}, counted_by="Frau Z").status_code == 303
        done = until(projector, "state", lambda m: m.get("counting") == "" and m["results"]["voters"] == 4)
        assert done["results"]["sources"]["hands"]["counts"] == {str(a): 2, str(b): 1, str(c): 0}
        assert "counted_by" not in done["results"]["sources"]["hands"]  # the moderator's, not the hall's
        assert until(p, "state", lambda m: m.get("counting") == "")["results"]["voters"] == 4


def test_counting_starts_only_for_the_shown_closed_question(mod_client, session, event):
    single, multiple = questions_of(session, event)
    token = csrf_of(mod_client.get(f"/moderator/events/{event.id}").text)
    _closed(session, multiple)
    _closed(session, single)  # now the current question
    response = mod_client.post(f"/moderator/events/{event.id}/questions/{multiple.id}/zaehlen/beginnen",
                               data={"csrf": token, "source": "hands"})
    assert response.status_code == 409 and "Bitte zeigen Sie diese Frage zuerst an" in response.text
    response = mod_client.post(f"/moderator/events/{event.id}/questions/{multiple.id}/zaehlen/beginnen",
                               data={"csrf": token, "source": "flaschenpost"})
    assert response.status_code == 422 and "Handzeichen oder Stimmzettel" in response.text
    session.expire_all()
    assert session.get(Event, event.id).counting == ""
    refused = _audit(session, event, "count-start")
    assert [e.outcome for e in refused] == ["refused", "refused"]  # tried, refused with the reason, nothing changed


def test_the_results_page_export_and_report_show_the_same_subtotals(mod_client, session, event):
    from app.reports import csv_export, tables
    from app.reports.method import method_note
    from app.reports.resultset import event_results

    single, _ = questions_of(session, event)
    a, b, c = option_ids(session, single)
    live_domain.open_voting(session=session, question=single)
    session.commit()
    add_votes(session, single, [[a]] * 5 + [[b]] * 2)
    _tablet_votes(session, single, [[b]])
    live_domain.close_question(session=session, question=single)
    session.commit()
    assert _post_count(mod_client, event, single, {a: "3", b: "1", c: "0"}, estimated="on").status_code == 303
    session.expire_all()
    made = event_results(session, session.get(Event, event.id))
    final = next(q for q in made.questions() if q.id == single.id).final
    assert final.n == 12 and final.sources_text() == "Davon Handy 7, Hilfe-Tablet 1, Handzeichen ca. 4. (ca. = geschätzt)"
    rows = [dict(zip([col.name for col in tables.RESULT_COLUMNS], r, strict=True)) for r in tables.result_rows([made])
            if r[6] == single.text]
    auto = next(r for r in rows if r["option"] == "Auto")
    assert (auto["count"], auto["phone"], auto["tablet"], auto["hands"], auto["paper"], auto["estimated"]) == (8, 5, 0, 3, None, True)
    assert sum(r["count"] for r in rows) == 12
    assert any("per Handzeichen oder Stimmzettel" in p for p in method_note([made]))
    page = mod_client.get(f"/moderator/events/{event.id}/results").text
    assert "Davon Handy 7, Hilfe-Tablet 1, Handzeichen ca. 4." in page
    out = io.BytesIO()
    csv_export.write_results_csv([made], out, "excel-de")
    written = list(csv.reader(io.StringIO(out.getvalue().decode("utf-8-sig"), newline=""), delimiter=";"))
    head = written[0]
    line = next(r for r in written if r[6] == single.text and r[10] == "Auto")
    assert [line[head.index(t)] for t in ("Anzahl", "davon Handy", "davon Hilfe-Tablet", "davon Handzeichen", "geschätzt")] == \
        ["8", "5", "0", "3", "ja"]


def test_a_counted_question_and_its_event_can_still_be_deleted(mod_client, session, event):
    from app.domain import deletion
    from app.models import User

    single, multiple = questions_of(session, event)
    a, b, c = option_ids(session, single)
    _closed(session, multiple)
    _closed(session, single)
    assert _post_count(mod_client, event, single, {a: "1", b: "0", c: "0"}).status_code == 303
    ids = option_ids(session, multiple)
    assert _post_count(mod_client, event, multiple, {ids[0]: "1", ids[1]: "0", ids[2]: "0", ids[3]: "0"}, voters="1").status_code == 303
    q_domain.delete_question(session=session, question=session.get(Question, multiple.id))
    assert _entries(session, multiple) == [] and len(_entries(session, single)) == 1
    session.expire_all()
    owner = session.get(User, session.get(Event, event.id).owner_id)
    deletion.delete_event(session=session, user=owner, event=session.get(Event, event.id), typed_title=event.title)
    assert session.exec(select(ManualCount)).all() == []
