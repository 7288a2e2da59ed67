"""Driving an event: rounds kept apart, countdowns kept by the server, projector screens, templates across a series."""

import datetime as dt
import json
import time

import pytest
from sqlmodel import select

from app.domain import events as e_domain
from app.domain import kinds
from app.domain import live as live_domain
from app.domain import questions as q_domain
from app.domain import templates as t_domain
from app.domain import votes as v_domain
from app.domain.errors import Conflict, Invalid
from app.domain.snapshot import role_views, snapshot
from app.models import Event, Question, Series, User, Vote, utcnow
from tests.factories import option_ids, questions_of
from tests.helpers import csrf_of
from tests.test_realtime import act, phone, until, vote

# ---- rounds -----------------------------------------------------------------------------------------


def test_new_round_keeps_round_one_apart(mod_client, session, event):
    client = mod_client
    single, _ = questions_of(session, event)
    a, b, _c = option_ids(session, single)
    act(client, event, f"questions/{single.id}/open")
    with client.websocket_connect(f"/ws/p/{event.projector_token}") as projector, \
            client.websocket_connect(f"/ws/moderator/{event.id}") as moderator, phone(client, event) as p:
        until(projector, "state")
        until(p, "state")
        vote(p, single.id, [a])
        until(p, "ack")
        until(moderator, "tally", lambda m: m["voters"] == 1)
        act(client, event, f"questions/{single.id}/close")
        act(client, event, f"questions/{single.id}/new-round")
        state = until(p, "state", lambda m: m["question"]["round"] == 2)
        assert state["phase"] == "open" and state["results"] is None
        m_state = until(moderator, "state", lambda m: m["question"]["round"] == 2)
        assert m_state["results"]["voters"] == 0
        assert m_state["rounds"] == [{"round": 1, "results": m_state["rounds"][0]["results"]}]
        assert m_state["rounds"][0]["results"]["counts"][str(a)] == 1
        p_state = until(projector, "state", lambda m: m["question"]["round"] == 2)
        assert p_state["rounds"] == []  # the projector compares only when asked to

        vote(p, single.id, [b])  # the same phone votes again: a new round is a new vote
        ack = until(p, "ack")
        assert ack["round"] == 2
        until(moderator, "tally", lambda m: m["round"] == 2 and m["voters"] == 1)
        act(client, event, f"questions/{single.id}/close")
        act(client, event, f"questions/{single.id}/compare-rounds")
        p_state = until(projector, "state", lambda m: m["rounds"])
        assert [r["round"] for r in p_state["rounds"]] == [1]
        assert p_state["rounds"][0]["results"]["counts"][str(a)] == 1
        assert p_state["results"]["counts"][str(b)] == 1
    rows = session.exec(select(Vote).where(Vote.question_id == single.id).order_by(Vote.round)).all()
    assert [(r.round, json.loads(r.answer)) for r in rows] == [(1, [a]), (2, [b])]


def test_round_rules(session, event):
    single, _ = questions_of(session, event)
    with pytest.raises(Conflict):
        live_domain.new_round(session=session, question=single)  # never asked
    live_domain.open_question(session=session, question=single)
    with pytest.raises(Conflict):
        live_domain.new_round(session=session, question=single)  # still open
    with pytest.raises(Conflict):
        live_domain.set_compare_rounds(session=session, question=single, on=True)  # only one round
    live_domain.close_question(session=session, question=single)
    live_domain.new_round(session=session, question=single)
    assert single.round == 2 and single.status == "open"
    session.refresh(event)
    assert e_domain.vote_counts(session=session, event_id=event.id).get(single.id, 0) == 0


# ---- countdowns ----------------------------------------------------------------------------------------


def test_timer_is_set_by_the_server_and_shown_with_its_clock(mod_client, session, event):
    single, _ = questions_of(session, event)
    act(mod_client, event, f"questions/{single.id}/open")
    token = csrf_of(mod_client.get(f"/moderator/events/{event.id}").text)
    before = time.time()
    r = mod_client.post(f"/moderator/events/{event.id}/questions/{single.id}/timer", data={"csrf": token, "seconds": "60"},
                        follow_redirects=False)
    assert r.status_code == 303
    with phone(mod_client, event) as p:
        state = until(p, "state")
        left = (state["question"]["closes_at"] - state["now"]) / 1000
        assert 58 < left <= 60.5
        assert abs(state["now"] / 1000 - time.time()) < 5
    # A reloaded page shows the same time left: the server keeps it.
    page = mod_client.get(f"/j/{event.join_code}").text
    initial = json.loads(page.split('id="initial-state">', 1)[1].split("</script>", 1)[0])
    assert initial["question"]["closes_at"] == state["question"]["closes_at"]
    assert before + 59 < initial["question"]["closes_at"] / 1000 < time.time() + 61
    r = mod_client.post(f"/moderator/events/{event.id}/questions/{single.id}/timer", data={"csrf": token, "seconds": "5"},
                        follow_redirects=False)
    assert r.status_code == 422 and "zwischen 10 und 3600 Sekunden" in r.text  # refused, nothing changed
    session.refresh(single)
    assert single.closes_at is not None
    mod_client.post(f"/moderator/events/{event.id}/questions/{single.id}/timer", data={"csrf": token, "seconds": "0"})
    session.refresh(single)
    assert single.closes_at is None


def test_countdown_closes_the_question_by_itself(mod_client, session, event):
    single, _ = questions_of(session, event)
    a = option_ids(session, single)[0]
    act(mod_client, event, f"questions/{single.id}/open")
    r = mod_client.post(f"/api/events/{event.id}/questions/{single.id}/timer", json={"seconds": 10})
    assert r.status_code == 200 and r.json()["question"]["closes_at"]
    with mod_client.websocket_connect(f"/ws/p/{event.projector_token}") as projector, phone(mod_client, event) as p:
        until(projector, "state")
        until(p, "state")
        # Ten seconds are long for a test: move the end forward in the database, as if time had passed.
        session.refresh(single)
        single.closes_at = utcnow() + dt.timedelta(milliseconds=300)
        session.add(single)
        session.commit()
        closed = until(projector, "state", lambda m: m["phase"] == "closed", limit=200)
        assert closed["question"]["closes_at"] is None
        until(p, "state", lambda m: m["phase"] == "closed")
        vote(p, single.id, [a])
        assert until(p, "error")["code"] == "closed"
    session.refresh(single)
    assert single.status == "closed" and single.closed_at is not None


def test_expired_countdown_refuses_votes_before_the_sweep_and_closes_once(session, event):
    single, _ = questions_of(session, event)
    live_domain.open_question(session=session, question=single)
    single.closes_at = utcnow() - dt.timedelta(seconds=2)
    session.add(single)
    session.commit()
    live = live_domain.LiveQuestion.from_public(kinds.question_public(session=session, question=single), event.id)
    assert not live.accepting()
    with pytest.raises(Conflict):
        v_domain.check_vote(live=live, question_id=single.id, choices=option_ids(session, single)[:1])
    assert live_domain.close_expired(session=session) == [event.id]
    assert live_domain.close_expired(session=session) == []  # a second instance finds nothing left to close
    session.refresh(single)
    assert single.status == "closed"


def test_time_limit_prepared_on_the_question_starts_on_open(session, event):
    topic = e_domain.topics(session=session, event_id=event.id)[0]
    q = q_domain.create_question(session=session, topic=topic, text="Kurz?", kind="yesno", options=[], time_limit_s=30)
    live_domain.open_question(session=session, question=q)
    left = (q.closes_at - utcnow()).total_seconds()
    assert 28 < left <= 30
    with pytest.raises(Invalid):
        live_domain.set_timer(session=session, question=q, seconds=99999)
    live_domain.close_question(session=session, question=q)
    with pytest.raises(Conflict):
        live_domain.set_timer(session=session, question=q, seconds=30)


# ---- projector screens ---------------------------------------------------------------------------------


def test_projector_switches_between_question_topic_and_join(mod_client, session, event):
    single, multiple = questions_of(session, event)
    topic = e_domain.topics(session=session, event_id=event.id)[0]
    act(mod_client, event, f"questions/{single.id}/open")
    with mod_client.websocket_connect(f"/ws/p/{event.projector_token}") as projector, phone(mod_client, event) as p:
        assert until(projector, "state")["screen"] == "question"
        until(p, "state")
        token = csrf_of(mod_client.get(f"/moderator/events/{event.id}").text)
        mod_client.post(f"/moderator/events/{event.id}/projector", data={"csrf": token, "mode": "topic", "topic_id": str(topic.id)})
        state = until(projector, "state", lambda m: m["screen"] == "topic")
        assert state["topic_view"]["topic"]["title"] == "Mobilität"
        items = state["topic_view"]["items"]
        assert [i["question"]["id"] for i in items] == [single.id, multiple.id]
        assert items[0]["results"]["voters"] == 0 and items[1]["results"] is None  # not asked yet
        phone_state = until(p, "state")
        assert phone_state["phase"] == "open" and "topic_view" not in phone_state  # phones keep voting
        mod_client.post(f"/moderator/events/{event.id}/projector", data={"csrf": token, "mode": "join"})
        assert until(projector, "state", lambda m: m["screen"] == "join")["phase"] == "open"
        act(mod_client, event, f"questions/{multiple.id}/open")  # opening a question brings the projector back to it
        assert until(projector, "state", lambda m: m["question"]["id"] == multiple.id)["screen"] == "question"
    r = mod_client.post(f"/api/events/{event.id}/projector", json={"mode": "topic", "topic_id": 999999})
    assert r.status_code == 404
    r = mod_client.post(f"/api/events/{event.id}/projector", json={"mode": "kino"})
    assert r.status_code == 422
    r = mod_client.post(f"/api/events/{event.id}/projector", json={"mode": "topic", "topic_id": topic.id})
    assert r.status_code == 200 and r.json()["screen"] == "topic"


def test_topic_view_hides_results_per_question_on_the_projector(session, event):
    single, multiple = questions_of(session, event)
    topic = e_domain.topics(session=session, event_id=event.id)[0]
    live_domain.open_question(session=session, question=single)
    live_domain.set_results_shown(session=session, question=single, shown=False)
    live_domain.set_projector(session=session, event=event, mode="topic", topic_id=topic.id)
    views = role_views(snapshot(session=session, event=event))
    assert views["moderator"]["topic_view"]["items"][0]["results"]["counts"] is not None
    assert views["projector"]["topic_view"]["items"][0]["results"]["counts"] is None


# ---- templates across a series ------------------------------------------------------------------------------


def test_template_makes_the_next_event_of_the_series_with_linked_questions(session, event, moderator):
    topic = e_domain.topics(session=session, event_id=event.id)[0]
    scale = q_domain.create_question(session=session, topic=topic, text="Wie wichtig?", kind="scale", options=[],
                                     scale_min=0, scale_max=10, scale_label_min="gar nicht", scale_label_max="sehr",
                                     time_limit_s=45, phone_results="live")
    template = t_domain.save_template(session=session, event=event, title="Regionalkonferenzen 2023", owner_id=moderator.id)
    session.refresh(event)
    assert event.series_id == template.series_id and session.get(Series, event.series_id).title == "Regionalkonferenzen 2023"
    assert t_domain.template_summary(template) == {"topics": ["Mobilität"], "questions": 3}

    frankenberg = t_domain.event_from_template(session=session, template=template, owner_id=moderator.id,
                                               title="Regionalkonferenz Frankenberg", place="Frankenberg", date=dt.date(2023, 6, 14))
    assert frankenberg.series_id == event.series_id and frankenberg.template_id == template.id
    assert frankenberg.join_code != event.join_code and frankenberg.projector_token != event.projector_token
    old = q_domain.ordered_questions(session=session, event_id=event.id)
    new = q_domain.ordered_questions(session=session, event_id=frankenberg.id)
    assert [q.key for q in new] == [q.key for q in old]
    assert [q.id for q in new] != [q.id for q in old]
    assert [(q.text, q.kind, q.max_choices) for q in new] == [(q.text, q.kind, q.max_choices) for q in old]
    copied = next(q for q in new if q.key == scale.key)
    assert (copied.scale_min, copied.scale_max, copied.scale_label_max, copied.time_limit_s, copied.phone_results) == (0, 10, "sehr", 45, "live")
    assert copied.status == "draft" and copied.round == 1
    assert [o.label for o in q_domain.options_of(session=session, question_id=new[1].id)] == ["Takt", "Abendfahrten", "Preise", "Anschlüsse"]

    linked = t_domain.linked_questions(session=session, key=scale.key)
    assert [e.title for e, _q in linked] == ["Regionalkonferenz Frankenberg", "Regionalkonferenz Freiberg"]  # undated last
    assert [q.id for _e, q in linked] == [copied.id, scale.id]


def test_duplicate_copies_the_agenda_without_votes(session, event, moderator):
    single, _ = questions_of(session, event)
    v_domain.insert_votes_directly(session=session, rows=[v_domain.VoteRow(single.id, event.id, "d1", (option_ids(session, single)[0],), "v")])
    live_domain.open_question(session=session, question=single)
    copy = t_domain.duplicate_event(session=session, event=event, owner_id=moderator.id)
    assert copy.title == "Regionalkonferenz Freiberg (Kopie)" and copy.current_question_id is None
    questions = q_domain.ordered_questions(session=session, event_id=copy.id)
    assert [q.key for q in questions] == [q.key for q in questions_of(session, event)]
    assert all(q.status == "draft" for q in questions)
    assert e_domain.vote_counts(session=session, event_id=copy.id) == {}


def test_template_forms_and_api(mod_client, session, event):
    token = csrf_of(mod_client.get(f"/moderator/events/{event.id}").text)
    r = mod_client.post(f"/moderator/events/{event.id}/save-template", data={"csrf": token, "title": "Agenda 2030"}, follow_redirects=False)
    assert r.status_code == 303
    template = t_domain.list_templates(session=session, user=session.get(User, event.owner_id))[0]
    assert template.title == "Agenda 2030"
    page = mod_client.get("/moderator").text
    assert "Agenda 2030" in page
    r = mod_client.post("/moderator/events/from-template",
                        data={"csrf": token, "template_id": str(template.id), "title": "Regionalkonferenz Döbeln", "place": "Döbeln",
                              "date": "2023-03-15"}, follow_redirects=False)
    assert r.status_code == 303, r.text
    doebeln = session.exec(select(Event).where(Event.title == "Regionalkonferenz Döbeln")).one()
    assert doebeln.series_id == template.series_id and doebeln.date == dt.date(2023, 3, 15)
    # Bad input: the page says what is wrong and keeps what was typed; nothing is created.
    r = mod_client.post("/moderator/events/from-template",
                        data={"csrf": token, "template_id": str(template.id), "title": "  ", "place": "Mittweida"})
    assert r.status_code == 422 and "Titel" in r.text and "Mittweida" in r.text
    r = mod_client.post("/moderator/events/from-template", data={"csrf": token, "template_id": "999999", "title": "X"})
    assert r.status_code == 404 and "Vorlage" in r.text
    r = mod_client.post("/moderator/events/from-template", data={"csrf": token, "template_id": "", "title": "X"})
    assert r.status_code == 422
    assert session.exec(select(Event).where(Event.title == "X")).first() is None

    r = mod_client.post(f"/api/events/{event.id}/duplicate", json={"title": "Freiberg 2024"})
    session.refresh(event)  # saving the template put the event into a new series
    assert r.status_code == 201 and r.json()["series_id"] == event.series_id is not None
    r = mod_client.post("/api/events/from-template", json={"template_id": template.id, "title": "Mittweida"})
    assert r.status_code == 201
    mittweida = r.json()["id"]
    keys = {q.key for q in session.exec(select(Question).where(Question.event_id == mittweida))}
    assert keys == {q.key for q in questions_of(session, event)}
    r = mod_client.post(f"/api/events/{event.id}/template", json={"title": ""})
    assert r.status_code == 422
