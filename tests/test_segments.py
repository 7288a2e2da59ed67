"""Segment questions end to end (#18): never driven, asked once on the phone (form and socket), the breakdown on
the control page and on the projector."""

import re
import uuid

import httpx
from sqlmodel import select

from app.cookies import DEVICE_COOKIE, new_device_cookie
from app.domain import events as e_domain
from app.domain import live as l_domain
from app.domain import questions as q_domain
from app.domain import votes as v_domain
from app.models import Event, Question, Vote
from tests.factories import option_ids, questions_of
from tests.helpers import csrf_of
from tests.test_realtime import act, phone, until, vote


def _segment(session, event):
    topic = e_domain.topics(session=session, event_id=event.id)[0]
    return q_domain.create_question(session=session, topic=topic, text="Ich bin hier als …", kind="single",
                                    options=["Bürger:in", "Politik", "Wirtschaft"], segment=True)


def _answered(session, question, groups):
    """Votes for the question from voters of each group: groups = [[per option] per group]."""
    opts, seg = option_ids(session, question), None
    rows = []
    for g, per_option in enumerate(groups):
        for o, n in enumerate(per_option):
            for _ in range(n):
                voter = uuid.uuid4().hex
                rows.append(v_domain.VoteRow(question_id=question.id, event_id=question.event_id, device_hash=voter,
                                             choices=[opts[o]], vote_id=uuid.uuid4().hex))
                seg = seg or [q for q in questions_all(session, question.event_id) if q.segment][0]
                rows.append(v_domain.VoteRow(question_id=seg.id, event_id=question.event_id, device_hash=voter,
                                             choices=[option_ids(session, seg)[g]], vote_id=uuid.uuid4().hex))
    v_domain.insert_votes_directly(session=session, rows=rows)


def questions_all(session, event_id):
    return q_domain.ordered_questions(session=session, event_id=event_id)


def test_a_segment_question_is_never_driven(mod_client, session, event):
    segment = _segment(session, event)
    single, multiple = questions_of(session, event)[:2]
    act(mod_client, event, "next")
    act(mod_client, event, "next")
    act(mod_client, event, "next")  # past the last driven question: the join screen, never the segment question
    session.expire_all()
    assert session.get(Event, event.id).current_question_id is None
    token = csrf_of(mod_client.get(f"/moderator/events/{event.id}").text)
    page = mod_client.post(f"/moderator/events/{event.id}/questions/{segment.id}/open", data={"csrf": token})
    assert "Eine Gruppenfrage wird nicht aufgerufen" in page.text
    session.refresh(segment)
    assert segment.status == "draft"
    control = mod_client.get(f"/moderator/events/{event.id}").text
    assert "Gruppenfrage" in control
    assert f'/questions/{segment.id}/open"' not in control
    assert single.id != multiple.id


def _phone_client(client):
    _device, cookie = new_device_cookie()
    client.cookies = httpx.Cookies()
    client.cookies.set(DEVICE_COOKIE, cookie)
    return client


def test_the_phone_is_asked_once_and_answers_without_javascript(client, session, event):
    segment = _segment(session, event)
    _phone_client(client)
    page = client.get(f"/j/{event.join_code}").text
    assert "Freiwillig – hilft, die Ergebnisse nach Gruppen auszuwerten." in page
    assert "Weiter ohne Angabe" in page
    politik = option_ids(session, segment)[1]
    answer = client.post(f"/j/{event.join_code}/segment", data={"question_id": str(segment.id), "choice": str(politik)},
                         follow_redirects=False)
    assert answer.status_code == 303
    stored = session.exec(select(Vote).where(Vote.question_id == segment.id)).all()
    assert [v.answer for v in stored] == [f"[{politik}]"]
    assert "Weiter ohne Angabe" not in client.get(f"/j/{event.join_code}").text  # asked once


def test_skipping_is_remembered_and_stores_nothing(client, session, event):
    segment = _segment(session, event)
    _phone_client(client)
    skipped = client.post(f"/j/{event.join_code}/segment", data={"question_id": str(segment.id), "skip": "1"},
                          follow_redirects=False)
    assert skipped.status_code == 303
    assert f"saal_seg_{event.id}" in skipped.headers["set-cookie"]
    assert "Weiter ohne Angabe" not in client.get(f"/j/{event.join_code}").text
    assert session.exec(select(Vote).where(Vote.question_id == segment.id)).all() == []


def test_a_bad_segment_answer_is_refused_in_german_and_stores_nothing(client, session, event):
    segment = _segment(session, event)
    _phone_client(client)
    client.get(f"/j/{event.join_code}")
    bad = client.post(f"/j/{event.join_code}/segment", data={"question_id": str(segment.id), "choice": "999999"})
    assert bad.status_code == 422
    assert "Antwort" in bad.text or "Auswahl" in bad.text
    assert session.exec(select(Vote).where(Vote.question_id == segment.id)).all() == []


def test_the_socket_takes_a_segment_answer_besides_the_current_question(mod_client, session, event):
    segment = _segment(session, event)
    single = questions_of(session, event)[0]
    act(mod_client, event, "next")
    with phone(mod_client, event) as p:
        until(p, "state", lambda m: m["phase"] == "open")
        vote_id = vote(p, segment.id, [option_ids(session, segment)[0]])
        assert until(p, "ack")["vote_id"] == vote_id
        vote(p, single.id, [option_ids(session, single)[0]])
        until(p, "ack")
    assert len(session.exec(select(Vote).where(Vote.question_id == segment.id)).all()) == 1


def test_breakdown_on_the_control_page_and_on_the_projector(mod_client, session, event):
    _segment(session, event)
    single = questions_of(session, event)[0]
    l_domain.open_question(session=session, question=single)
    _answered(session, single, [[8, 6, 5], [6, 9, 7], [1, 0, 2]])
    open_page = mod_client.get(f"/moderator/events/{event.id}").text
    assert "Nach Gruppen zeigen wir nur geschlossene Fragen" in open_page
    l_domain.close_question(session=session, question=single)
    page = mod_client.get(f"/moderator/events/{event.id}").text
    table = re.search(r'<table class="breakdown".*?</table>', page, re.S)
    assert table is not None
    assert "&lt; 5" in table.group(0) and "×" in table.group(0)
    assert "ohne Angabe" in table.group(0)
    segment_id = re.search(r'name="segment" value="(\d+)"', page).group(1)
    with mod_client.websocket_connect(f"/ws/p/{event.projector_token}") as projector:
        until(projector, "state")
        token = csrf_of(page)
        done = mod_client.post(f"/moderator/events/{event.id}/questions/{single.id}/show-breakdown",
                               data={"csrf": token, "segment": segment_id}, follow_redirects=False)
        assert done.status_code == 303
        state = until(projector, "state", lambda m: m["screen"] == "breakdown")
        cells = [c for row in state["breakdown"]["rows"] for c in row["cells"]]
        assert all(c["n"] is None for c in cells if c["mark"] != "shown")  # the value of a suppressed cell never leaves
        assert state["breakdown"]["columns"][0]["label"] == "Bürger:in"


def test_an_unsafe_breakdown_is_refused_and_changes_nothing(mod_client, session, event):
    segment = _segment(session, event)
    single = questions_of(session, event)[0]
    l_domain.open_question(session=session, question=single)
    _answered(session, single, [[6, 5, 2], [1, 1, 0]])
    l_domain.close_question(session=session, question=single)
    page = mod_client.get(f"/moderator/events/{event.id}").text
    assert "Aufschlüsselung nicht möglich: Mindestens zwei Gruppen" in page
    token = csrf_of(page)
    mod_client.post(f"/moderator/events/{event.id}/questions/{single.id}/show-breakdown",
                    data={"csrf": token, "segment": str(segment.id)})
    session.expire_all()
    assert session.get(Event, event.id).projector_mode != "breakdown"


def test_the_api_makes_a_segment_question_and_shows_the_breakdown(mod_client, session, event):
    c = mod_client
    topic_id = c.get(f"/api/events/{event.id}").json()["topics"][0]["id"]
    made = c.post(f"/api/events/{event.id}/topics/{topic_id}/questions",
                  json={"text": "Ich bin hier als …", "options": ["Bürger:in", "Politik", "Wirtschaft"], "segment": True})
    assert made.status_code == 201
    segment = session.get(Question, made.json()["id"])
    assert segment is not None and segment.segment
    wrong = c.post(f"/api/events/{event.id}/topics/{topic_id}/questions",
                   json={"text": "Wie alt?", "kind": "scale", "scale_min": 1, "scale_max": 5, "segment": True})
    assert wrong.status_code == 422 and wrong.json()["code"] == "segment_kind"
    single = questions_of(session, event)[0]
    assert c.post(f"/api/events/{event.id}/questions/{single.id}/open").status_code == 200
    _answered(session, single, [[8, 6, 5], [6, 9, 7], [1, 0, 2]])
    refused = c.post(f"/api/events/{event.id}/questions/{single.id}/show-breakdown", json={"segment": segment.id})
    assert refused.status_code == 409 and "Die Abstimmung läuft noch" in refused.json()["detail"]
    assert c.post(f"/api/events/{event.id}/questions/{single.id}/close").status_code == 200
    state = c.post(f"/api/events/{event.id}/questions/{single.id}/show-breakdown", json={"segment": segment.id}).json()
    assert state["screen"] == "breakdown" and state["breakdown"]["segment_id"] == segment.id
    assert [col["label"] for col in state["breakdown"]["columns"]] == ["Bürger:in", "Politik", "Wirtschaft", "ohne Angabe"]


def test_a_template_and_a_duplicate_keep_the_group_question(session):
    """An event made from a template (or duplicated) asks "Ich bin hier als …" as a group question again, never drives it."""
    from app.domain import questions as q_domain2
    from app.domain import templates as t_domain
    from tests.factories import make_event as _make_event
    from tests.factories import make_moderator as _make_moderator

    owner = _make_moderator(session, username="vorlagen")
    event = _make_event(session, owner=owner)
    topic = q_domain2.ordered_questions(session=session, event_id=event.id)[0].topic_id
    from app.models import Topic
    segment = q_domain2.create_question(session=session, topic=session.get(Topic, topic), text="Ich bin hier als …", kind="single",
                                         options=["Bürger:in", "Politik"], segment=True)
    template = t_domain.save_template(session=session, event=event, title="Vorlage", owner_id=owner.id)
    made = t_domain.event_from_template(session=session, template=template, owner_id=owner.id, title="Folgetermin")
    copy = t_domain.duplicate_event(session=session, event=event, owner_id=owner.id)
    for other in (made, copy):
        questions = q_domain2.ordered_questions(session=session, event_id=other.id)
        again = next(q for q in questions if q.key == segment.key)
        assert again.segment
        assert again.id not in [q.id for q in q_domain2.driven_questions(session=session, event_id=other.id)]
