"""Every question kind: what a moderator may define, what a phone may answer, the tally, and who sees what."""

import json

import pytest
from sqlmodel import select

from app.domain import answers as a_domain
from app.domain import events as e_domain
from app.domain import kinds, review
from app.domain import live as live_domain
from app.domain import questions as q_domain
from app.domain import results as r_domain
from app.domain import votes as v_domain
from app.domain.errors import Conflict, Invalid
from app.domain.snapshot import role_views, snapshot
from app.models import QuestionKind, Vote
from tests.factories import option_ids
from tests.helpers import csrf_of
from tests.test_realtime import act, phone, until


def make(session, event, kind, options=(), **settings):
    topic = e_domain.topics(session=session, event_id=event.id)[0]
    return q_domain.create_question(session=session, topic=topic, text=f"Frage ({kind})?", kind=kind, options=list(options), **settings)


def live(session, question):
    live_domain.open_question(session=session, question=question)
    return live_domain.LiveQuestion.from_public(kinds.question_public(session=session, question=question), question.event_id)


def check(live_q, **answer):
    return a_domain.check_answer(live=live_q, question_id=live_q.id, answer=answer)


def refused(live_q, code, **answer):
    with pytest.raises((Invalid, Conflict)) as exc:
        check(live_q, **answer)
    assert exc.value.code == code, (answer, exc.value.code)
    return exc.value.message.format(**exc.value.params)


def store(session, question, device, answer, **extra):
    v_domain.insert_votes_directly(
        session=session,
        rows=[v_domain.VoteRow(question.id, question.event_id, device, answer, f"v-{device}", round=question.round, **extra)],
    )


def results_of(session, question):
    return r_domain.compute(session, kinds.question_public(session=session, question=question))


# ---- defining questions -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "options", "settings", "code"),
    [
        ("ranking", ["A", "B"], {}, "too_few_options"),
        ("ranking", [f"O{i}" for i in range(9)], {}, "too_many_options"),
        ("points", ["A"], {}, "too_few_options"),
        ("scale", [], {"scale_min": 2, "scale_max": 5}, "bad_scale"),
        ("scale", [], {"scale_min": 1, "scale_max": 11}, "bad_scale"),
        ("scale", [], {"scale_min": 1, "scale_max": 1}, "bad_scale"),
        ("wordcloud", [], {"max_choices": 4}, "bad_max_terms"),
        ("single", ["A", "B"], {"time_limit_s": 5}, "bad_time_limit"),
        ("single", ["A", "B"], {"phone_results": "immer"}, "bad_phone_results"),
        ("scale", [], {"scale_label_min": "x" * 61}, "too_long"),
    ],
)
def test_question_definitions_are_checked_per_kind(session, event, kind, options, settings, code):
    before = len(q_domain.ordered_questions(session=session, event_id=event.id))
    with pytest.raises(Invalid) as exc:
        make(session, event, kind, options, **settings)
    assert exc.value.code == code
    session.rollback()
    assert len(q_domain.ordered_questions(session=session, event_id=event.id)) == before  # nothing half-written


def test_yesno_gets_its_three_options_and_option_less_kinds_none(session, event):
    yesno = make(session, event, "yesno", ["ignored"])
    assert [o.label for o in q_domain.options_of(session=session, question_id=yesno.id)] == ["Ja", "Nein", "Enthaltung"]
    for kind in ("scale", "wordcloud", "text"):
        q = make(session, event, kind, ["not", "used"])
        assert q_domain.options_of(session=session, question_id=q.id) == []
    scale = make(session, event, "scale", scale_min=0, scale_max=10, scale_label_min="gar nicht", scale_label_max="sehr")
    public = kinds.question_public(session=session, question=scale)
    assert public["scale"] == {"min": 0, "max": 10, "label_min": "gar nicht", "label_max": "sehr"}
    assert public["max_choices"] == 1
    assert kinds.question_public(session=session, question=make(session, event, "wordcloud"))["max_choices"] == 3


def test_every_kind_is_defined_once_with_its_limits():
    """One definition per kind (domain.kinds): answer field, check, form parsing, tally; pages get its numbers."""
    assert set(kinds.KINDS) == set(QuestionKind)
    for name, kind in kinds.KINDS.items():
        assert kind.name == name and kind.answer_field and kind.check and kind.from_form and kind.tally
        assert set(kind.limits) <= set(kinds.LIMITS)
    assert kinds.KINDS_WITH_OPTIONS == {"single": (2, 10), "multiple": (2, 10), "ranking": (3, 8), "points": (2, 10)}
    assert {k: kinds.LIMITS[k] for k in ("text_max", "term_max", "terms_max", "points_total")} == {
        "text_max": 300, "term_max": 30, "terms_max": 3, "points_total": 100,
    }


def test_pages_show_the_limits_of_the_kinds_definition(mod_client, session, event, monkeypatch):
    """No page carries a kind's number as a literal: change the definition, and the pages follow."""
    monkeypatch.setitem(kinds.LIMITS, "text_max", 250)
    monkeypatch.setitem(kinds.LIMITS, "points_total", 60)
    monkeypatch.setitem(kinds.LIMITS, "ranking_max", 7)
    form = mod_client.get(f"/moderator/events/{event.id}/questions/new").text
    assert "Die Teilnehmenden schreiben bis zu 250 Zeichen." in form
    assert "Die Teilnehmenden verteilen 60 Punkte darauf." in form
    assert "Eine pro Zeile, 3 bis 7 (Rangfolge)." in form
    control = mod_client.get(f"/moderator/events/{event.id}").text
    assert '"text_max": 250' in control and '"points_total": 60' in control
    text = make(session, event, "text")
    live_domain.open_question(session=session, question=text)
    phone_page = mod_client.get(f"/j/{event.join_code}").text
    assert 'maxlength="250"' in phone_page and "Höchstens 250 Zeichen." in phone_page


# ---- answers: every wrong input has its message ----------------------------------------------------


def test_yesno_is_single_choice(session, event):
    q = make(session, event, "yesno")
    lq = live(session, q)
    ja, nein, _ = option_ids(session, q)
    assert check(lq, choices=[ja]) == ((ja,), "", False)
    refused(lq, "too_many", choices=[ja, nein])


def test_scale_answers(session, event):
    lq = live(session, make(session, event, "scale", scale_min=1, scale_max=5))
    assert check(lq, value=4)[0] == (4,)
    assert check(lq, value=[5])[0] == (5,)
    assert "von 1 bis 5" in refused(lq, "bad_value", value=6)
    refused(lq, "bad_value", value=0)
    refused(lq, "bad_value", value="3")
    refused(lq, "bad_value", value=True)
    refused(lq, "bad_value", value=2.5)
    refused(lq, "no_value")


def test_ranking_answers(session, event):
    q = make(session, event, "ranking", ["Takt", "Preis", "Pünktlichkeit", "Haltestelle"])
    other = make(session, event, "ranking", ["X", "Y", "Z"])
    lq = live(session, q)
    a, b, c, d = option_ids(session, q)
    assert check(lq, ranking=[c, a, d, b])[0] == (c, a, d, b)
    assert "nur einen Platz" in refused(lq, "duplicate_rank", ranking=[a, a, b, c])
    assert "alle 4" in refused(lq, "incomplete_ranking", ranking=[a, b, c])
    refused(lq, "unknown_option", ranking=[a, b, c, option_ids(session, other)[0]])
    refused(lq, "bad_ranking", ranking="a,b")
    refused(lq, "no_ranking", ranking=[])


def test_points_answers(session, event):
    q = make(session, event, "points", ["Radwege", "Rufbus", "Bahnhöfe"])
    other = make(session, event, "points", ["X", "Y"])
    lq = live(session, q)
    a, b, c = option_ids(session, q)
    assert check(lq, points={str(a): 60, str(b): 40, str(c): 0})[0] == {str(a): 60, str(b): 40}
    assert check(lq, points={str(c): 100})[0] == {str(c): 100}
    assert "genau 100 Punkte (jetzt: 99)" in refused(lq, "points_sum", points={str(a): 50, str(b): 49})
    refused(lq, "points_sum", points={str(a): 100, str(b): 1})
    refused(lq, "bad_points_value", points={str(a): 150, str(b): -50})
    refused(lq, "bad_points_value", points={str(a): 50.5, str(b): 49.5})
    refused(lq, "bad_points_value", points={str(a): "100"})
    refused(lq, "unknown_option", points={str(a): 50, str(option_ids(session, other)[0]): 50})
    refused(lq, "unknown_option", points={"x": 100})
    refused(lq, "bad_points", points=[60, 40])
    refused(lq, "bad_points", points={})


def test_word_cloud_terms_are_normalised(session, event):
    lq = live(session, make(session, event, "wordcloud", max_choices=3))
    assert check(lq, terms=["  Glasfaser! ", "„Bus“", "glasfaser"])[0] == ("Glasfaser", "Bus")
    assert check(lq, terms="Radwege")[0] == ("Radwege",)
    assert "mindestens einen Begriff" in refused(lq, "no_term", terms=["", "  ", "?!"])
    assert "30 Zeichen" in refused(lq, "term_too_long", terms=["x" * 31])
    assert "höchstens 3" in refused(lq, "too_many_terms", terms=["a1", "b2", "c3", "d4"])
    refused(lq, "bad_terms", terms=[1, 2])
    refused(lq, "bad_terms", terms=None)
    value, _moderation, flagged = check(lq, terms=["Arschloch"])
    assert flagged and value == ("Arschloch",)


def test_open_text_answers(session, event):
    lq = live(session, make(session, event, "text"))
    value, moderation, flagged = check(lq, text="  Mehr Busse\n\n\n\nam Abend  ")
    assert value == "Mehr Busse\n\nam Abend" and moderation == "pending" and not flagged
    assert check(lq, text="Das ist scheiße")[2] is True
    message = refused(lq, "text_too_long", text="x" * 5000)
    assert "höchstens 300 Zeichen" in message and "5000" in message
    refused(lq, "no_text", text="   ")
    # Lone surrogates, direction overrides and other invisible characters never reach the database.
    assert check(lq, text="a\ud800b\u202ec\u0000")[0] == "abc"
    refused(lq, "bad_text", text=["a"])
    refused(lq, "bad_text")


def test_answer_to_a_closed_or_other_question_is_refused(session, event):
    q = make(session, event, "scale")
    lq = live(session, q)
    other = make(session, event, "scale")
    with pytest.raises(Conflict) as exc:
        a_domain.check_answer(live=lq, question_id=other.id, answer={"value": 3})
    assert exc.value.code == "not_current"
    live_domain.close_question(session=session, question=q)
    closed = live_domain.LiveQuestion.from_public(kinds.question_public(session=session, question=q), event.id)
    refused(closed, "closed", value=3)


# ---- tallies ----------------------------------------------------------------------------------------


def test_scale_tally_has_distribution_mean_and_median(session, event):
    q = make(session, event, "scale", scale_min=1, scale_max=5)
    for i, value in enumerate([1, 4, 4, 5]):
        store(session, q, f"d{i}", (value,))
    r = results_of(session, q)
    assert r["counts"] == {"1": 1, "2": 0, "3": 0, "4": 2, "5": 1}
    assert r["voters"] == 4 and r["mean"] == 3.5 and r["median"] == 4
    empty = results_of(session, make(session, event, "scale", scale_min=0, scale_max=10))
    assert empty["voters"] == 0 and empty["mean"] is None and empty["median"] is None and len(empty["counts"]) == 11


def test_ranking_tally_is_borda_and_average_rank(session, event):
    q = make(session, event, "ranking", ["A", "B", "C"])
    a, b, c = option_ids(session, q)
    store(session, q, "d1", (a, b, c))
    store(session, q, "d2", (b, a, c))
    store(session, q, "d3", (b, c, a))
    r = results_of(session, q)
    # Borda: first place 2 points, second 1, last 0.
    assert r["counts"] == {str(a): 3, str(b): 5, str(c): 1}
    assert r["avg_rank"] == {str(a): 6 / 3, str(b): 4 / 3, str(c): 8 / 3}  # exact: pages round for display
    assert r["order"] == [b, a, c] and r["voters"] == 3 and r["max_points"] == 6


def test_points_tally_is_average_points(session, event):
    q = make(session, event, "points", ["A", "B", "C"])
    a, b, c = option_ids(session, q)
    store(session, q, "d1", {str(a): 100})
    store(session, q, "d2", {str(a): 50, str(b): 50})
    store(session, q, "d3", {str(b): 30, str(c): 70})
    r = results_of(session, q)
    assert r["totals"] == {str(a): 150, str(b): 80, str(c): 70}
    assert r["counts"] == {str(a): 150 / 3, str(b): 80 / 3, str(c): 70 / 3}  # exact: pages round for display


def test_word_cloud_tally_counts_people_by_normalised_term_and_hides(session, event):
    q = make(session, event, "wordcloud")
    store(session, q, "d1", ("Glasfaser", "Bus"))
    store(session, q, "d2", ("glasfaser",))
    store(session, q, "d3", ("Glasfaser", "Arschloch"))
    r = results_of(session, q)
    assert r["voters"] == 3
    assert [(t["label"], t["n"]) for t in r["terms"]] == [("Glasfaser", 3), ("Arschloch", 1), ("Bus", 1)]
    assert r["counts"] == {"glasfaser": 3, "bus": 1}  # the flagged term is hidden until shown
    public = r_domain.public(r)
    assert [t["label"] for t in public["terms"]] == ["Glasfaser", "Bus"]
    assert "hidden" not in public["terms"][0]

    review.set_term_hidden(session=session, question=q, term=" BUS ", hidden=True)
    review.set_term_hidden(session=session, question=q, term="arschloch", hidden=False)
    r = results_of(session, q)
    assert r["counts"] == {"glasfaser": 3, "arschloch": 1}
    review.set_term_hidden(session=session, question=q, term="Bus", hidden=False)
    assert results_of(session, q)["counts"]["bus"] == 1
    with pytest.raises(Invalid):
        review.set_term_hidden(session=session, question=make(session, event, "text"), term="x", hidden=True)


def test_open_text_needs_approval_and_flags_suspects(session, event):
    q = make(session, event, "text")
    store(session, q, "d1", "Mehr Busse am Abend", moderation="pending")
    store(session, q, "d2", "Ihr Idioten", moderation="pending", flagged=True)
    r = results_of(session, q)
    assert r["counts"] == {"pending": 2, "approved": 0, "rejected": 0}
    assert {a["text"]: a["flagged"] for a in r["answers"]} == {"Mehr Busse am Abend": False, "Ihr Idioten": True}
    assert r_domain.public(r)["answers"] == []  # nothing reaches the projector unapproved
    first = next(a for a in r["answers"] if a["text"] == "Mehr Busse am Abend")
    review.set_moderation(session=session, question=q, answer_id=first["id"], state="approved")
    public = r_domain.public(results_of(session, q))
    assert public["answers"] == [{"id": first["id"], "text": "Mehr Busse am Abend"}]
    assert public["counts"] == {"approved": 1}
    with pytest.raises(Invalid):
        review.set_moderation(session=session, question=q, answer_id=first["id"], state="maybe")
    other = make(session, event, "text")
    with pytest.raises(Exception) as exc:
        review.set_moderation(session=session, question=other, answer_id=first["id"], state="approved")
    assert exc.value.code == "answer_not_found"


def test_changed_text_answer_goes_back_to_the_queue(session, event):
    q = make(session, event, "text")
    store(session, q, "d1", "Erste Fassung", moderation="pending")
    row = session.exec(select(Vote).where(Vote.question_id == q.id)).one()
    review.set_moderation(session=session, question=q, answer_id=row.id, state="approved")
    store(session, q, "d1", "Zweite Fassung", moderation="pending")
    r = results_of(session, q)
    assert [(a["text"], a["status"]) for a in r["answers"]] == [("Zweite Fassung", "pending")]


# ---- who sees what ---------------------------------------------------------------------------------


def _views(session, event, question):
    session.refresh(event)
    return role_views(snapshot(session=session, event=event))


def test_results_for_projector_and_phones_are_set_separately(session, event):
    q = make(session, event, "scale", phone_results="live")
    live_domain.open_question(session=session, question=q)
    store(session, q, "d1", (3,))
    views = _views(session, event, q)
    assert views["attendee"]["results"]["mean"] == 3  # live on phones while voting
    assert views["projector"]["results"]["mean"] == 3
    live_domain.set_results_shown(session=session, question=q, shown=False)
    views = _views(session, event, q)
    assert views["projector"]["results"]["counts"] is None and "mean" not in views["projector"]["results"]
    assert views["attendee"]["results"]["mean"] == 3
    live_domain.set_phone_results(session=session, question=q, mode="hidden")
    live_domain.close_question(session=session, question=q)
    assert _views(session, event, q)["attendee"]["results"] is None
    live_domain.set_phone_results(session=session, question=q, mode="after_close")
    assert _views(session, event, q)["attendee"]["results"] is None  # not before the projector shows it
    live_domain.set_results_shown(session=session, question=q, shown=True)
    assert _views(session, event, q)["attendee"]["results"]["median"] == 3
    with pytest.raises(Invalid):
        live_domain.set_phone_results(session=session, question=q, mode="sometimes")
    assert "topic_view" not in _views(session, event, q)["attendee"]


# ---- over the socket and the plain form ---------------------------------------------------------------


def _send(ws, question_id, **answer):
    ws.send_json({"type": "vote", "vote_id": json.dumps(answer)[:60], "question_id": question_id, **answer})


def test_every_kind_over_the_socket_reaches_the_moderator_tally(mod_client, session, event):
    client = mod_client
    kinds = {
        "scale": ([], {"value": 4}, lambda t: t["mean"] == 4),
        "ranking": (["A", "B", "C"], None, lambda t: t["voters"] == 1),
        "points": (["A", "B"], None, lambda t: t["voters"] == 1),
        "wordcloud": ([], {"terms": ["Radwege", "radwege!"]}, lambda t: t["counts"] == {"radwege": 1}),
        "text": ([], {"text": "Mehr Bänke am Markt"}, lambda t: t["counts"]["pending"] == 1),
        "yesno": ([], None, lambda t: t["voters"] == 1),
    }
    with client.websocket_connect(f"/ws/moderator/{event.id}") as moderator, phone(client, event) as p:
        until(moderator, "state")
        until(p, "state")
        for kind, (options, answer, ok) in kinds.items():
            q = make(session, event, kind, options)
            ids = option_ids(session, q)
            if answer is None:
                answer = ({"ranking": ids[::-1]} if kind == "ranking" else {"points": {str(ids[0]): 70, str(ids[1]): 30}}
                          if kind == "points" else {"choices": [ids[0]]})
            act(client, event, f"questions/{q.id}/open")
            state = until(p, "state", lambda m, q=q: m["question"] and m["question"]["id"] == q.id)
            assert state["question"]["kind"] == kind
            _send(p, q.id, **answer)
            ack = until(p, "ack")
            assert ack["question_id"] == q.id and ack["round"] == 1
            tally = until(moderator, "tally", lambda m, q=q, ok=ok: m["question_id"] == q.id and ok(m))
            assert tally["kind"] == kind
        # A wrong answer gets its message, and the socket lives on.
        points = make(session, event, "points", ["A", "B"])
        a, b = option_ids(session, points)
        act(client, event, f"questions/{points.id}/open")
        until(p, "state", lambda m: m["question"] and m["question"]["id"] == points.id)
        _send(p, points.id, points={str(a): 50, str(b): 49})
        err = until(p, "error")
        assert err["code"] == "points_sum" and "jetzt: 99" in err["message"]
    rows = session.exec(select(Vote).where(Vote.question_id == points.id)).all()
    assert rows == []


def test_text_answers_reach_projector_only_after_approval(mod_client, session, event):
    client = mod_client
    q = make(session, event, "text")
    act(client, event, f"questions/{q.id}/open")
    with client.websocket_connect(f"/ws/p/{event.projector_token}") as projector, \
            client.websocket_connect(f"/ws/moderator/{event.id}") as moderator, phone(client, event) as p:
        until(projector, "state")
        until(p, "state")
        _send(p, q.id, text="Schnelles Internet in jedem Ort")
        until(p, "ack")
        t = until(moderator, "tally", lambda m: m["counts"]["pending"] == 1)
        answer_id = t["answers"][0]["id"]
        t = until(projector, "tally", lambda m: m["voters"] == 1)
        assert t["answers"] == []
        token = csrf_of(client.get(f"/moderator/events/{event.id}").text)
        r = client.post(f"/moderator/events/{event.id}/questions/{q.id}/approve", data={"csrf": token, "answer_id": str(answer_id)},
                        follow_redirects=False)
        assert r.status_code == 303
        t = until(projector, "tally", lambda m: m["answers"])
        assert t["answers"] == [{"id": answer_id, "text": "Schnelles Internet in jedem Ort"}]


@pytest.mark.parametrize(
    ("kind", "options", "build", "message"),
    [
        ("points", ["A", "B"], lambda ids: {f"points-{ids[0]}": "50", f"points-{ids[1]}": "49"}, "genau 100 Punkte (jetzt: 99)"),
        ("points", ["A", "B"], lambda ids: {f"points-{ids[0]}": "fünfzig", f"points-{ids[1]}": "50"}, "ganze Zahlen"),
        ("ranking", ["A", "B", "C"], lambda ids: {f"rank-{ids[0]}": "1", f"rank-{ids[1]}": "1", f"rank-{ids[2]}": "2"}, "nur einen Platz"),
        ("wordcloud", [], lambda ids: {"term": ["", " "]}, "mindestens einen Begriff"),
        ("text", [], lambda ids: {"text": "x" * 5000}, "höchstens 300 Zeichen"),
        ("scale", [], lambda ids: {"value": "7"}, "von 1 bis 5"),
    ],
)
def test_bad_form_answers_without_javascript_are_explained_and_not_stored(mod_client, session, event, kind, options, build, message):
    q = make(session, event, kind, options)
    act(mod_client, event, f"questions/{q.id}/open")
    mod_client.get(f"/j/{event.join_code}")  # the device cookie
    data = {"question_id": str(q.id), **build(option_ids(session, q))}
    response = mod_client.post(f"/j/{event.join_code}/vote", data=data, follow_redirects=False)
    assert response.status_code == 422
    assert message in response.text
    assert session.exec(select(Vote).where(Vote.question_id == q.id)).all() == []


@pytest.mark.parametrize(
    ("kind", "options", "build", "stored"),
    [
        ("points", ["A", "B", "C"], lambda ids: {f"points-{ids[0]}": "60", f"points-{ids[1]}": "", f"points-{ids[2]}": "40"},
         lambda ids: {str(ids[0]): 60, str(ids[2]): 40}),
        ("ranking", ["A", "B", "C"], lambda ids: {f"rank-{ids[0]}": "3", f"rank-{ids[1]}": "1", f"rank-{ids[2]}": "2"},
         lambda ids: [ids[1], ids[2], ids[0]]),
        ("wordcloud", [], lambda ids: {"term": ["Glasfaser ", "", "Bus."]}, lambda ids: ["Glasfaser", "Bus"]),
        ("text", [], lambda ids: {"text": "Mehr Bänke"}, lambda ids: "Mehr Bänke"),
        ("scale", [], lambda ids: {"value": "2"}, lambda ids: [2]),
        ("yesno", [], lambda ids: {"choice": str(ids[2])}, lambda ids: [ids[2]]),
    ],
)
def test_form_answers_without_javascript_are_stored(mod_client, session, event, kind, options, build, stored):
    q = make(session, event, kind, options)
    act(mod_client, event, f"questions/{q.id}/open")
    mod_client.get(f"/j/{event.join_code}")
    ids = option_ids(session, q)
    response = mod_client.post(f"/j/{event.join_code}/vote", data={"question_id": str(q.id), **build(ids)}, follow_redirects=False)
    assert response.status_code == 303, response.text
    row = session.exec(select(Vote).where(Vote.question_id == q.id)).one()
    assert json.loads(row.answer) == stored(ids)


def test_api_creates_every_kind_and_refuses_bad_definitions(mod_client, session, event):
    topic_id = mod_client.get(f"/api/events/{event.id}").json()["topics"][0]["id"]
    url = f"/api/events/{event.id}/topics/{topic_id}/questions"
    r = mod_client.post(url, json={"text": "Wie wichtig?", "kind": "scale", "scale_min": 0, "scale_max": 10,
                                   "scale_label_min": "gar nicht", "scale_label_max": "sehr", "time_limit_s": 60})
    assert r.status_code == 201, r.text
    assert r.json()["scale"]["max"] == 10 and r.json()["time_limit_s"] == 60
    r = mod_client.post(url, json={"text": "Reihenfolge?", "kind": "ranking", "options": ["A", "B"]})
    assert r.status_code == 422 and r.json()["code"] == "too_few_options"
    r = mod_client.post(url, json={"text": "?", "kind": "quiz", "options": ["A", "B"]})
    assert r.status_code == 422
    r = mod_client.post(url, json={"text": "Begriffe?", "kind": "wordcloud", "max_choices": 2})
    assert r.status_code == 201 and r.json()["max_choices"] == 2
