"""Voting and agenda rules in the domain layer, without HTTP."""

import pytest

from app.domain import events as e_domain
from app.domain import live as live_domain
from app.domain import questions as q_domain
from app.domain import snapshot
from app.domain import votes as v_domain
from app.domain.errors import Conflict, Invalid, NotFound
from app.domain.kinds import choice as choice_kind
from app.models import Event, QuestionStatus
from tests.factories import option_ids, questions_of


def live_of(session, event):
    session.refresh(event)
    return snapshot.live_of(snapshot.snapshot(session=session, event=event))


def test_join_code_is_six_digits_and_found_as_typed(session, event):
    assert len(event.join_code) == 6 and event.join_code.isdigit()
    spaced = f" {event.join_code[:3]} {event.join_code[3:]} "
    assert e_domain.get_by_code(session=session, code=spaced).id == event.id
    with pytest.raises(NotFound) as exc:
        e_domain.get_by_code(session=session, code="000000")
    assert exc.value.code == "unknown_code"


def test_projector_token_is_long_and_unique(session, event):
    other = e_domain.create_event(session=session, owner_id=None, title="Frankenberg")
    assert len(event.projector_token) >= 30
    assert event.projector_token != other.projector_token
    with pytest.raises(NotFound):
        e_domain.get_by_projector_token(session=session, token="")


@pytest.mark.parametrize(
    ("options", "code"),
    [(["Nur eine"], "too_few_options"), ([str(i) for i in range(11)], "too_many_options"), (["Ja", "ja"], "duplicate_option")],
)
def test_question_needs_two_to_ten_distinct_options(session, event, options, code):
    topic = e_domain.topics(session=session, event_id=event.id)[0]
    with pytest.raises(Invalid) as exc:
        q_domain.create_question(session=session, topic=topic, text="Frage?", kind="single", options=options)
    assert exc.value.code == code


def test_question_rejects_bad_kind_max_choices_and_empty_text(session, event):
    topic = e_domain.topics(session=session, event_id=event.id)[0]
    for kwargs, code in [
        ({"kind": "quiz"}, "bad_kind"),
        ({"kind": "multiple", "max_choices": 5}, "bad_max_choices"),
        ({"text": "   "}, "empty"),
    ]:
        args = {"text": "Frage?", "kind": "single", "options": ["A", "B", "C"], **kwargs}
        with pytest.raises(Invalid) as exc:
            q_domain.create_question(session=session, topic=topic, **args)
        assert exc.value.code == code


def test_blank_option_lines_are_ignored(session, event):
    topic = e_domain.topics(session=session, event_id=event.id)[0]
    q = q_domain.create_question(session=session, topic=topic, text="Frage?", kind="single", options=["A", "", "  ", "B"])
    assert [o.label for o in q_domain.options_of(session=session, question_id=q.id)] == ["A", "B"]


def test_only_one_question_open_per_event(session, event):
    first, second = questions_of(session, event)
    live_domain.open_question(session=session, question=first)
    live_domain.open_question(session=session, question=second)
    session.refresh(first)
    assert first.status == QuestionStatus.closed
    assert second.status == QuestionStatus.open
    assert session.get(Event, event.id).current_question_id == second.id


def test_next_question_walks_the_agenda_then_shows_join_screen(session, event):
    first, second = questions_of(session, event)
    assert live_domain.next_question(session=session, event=event).id == first.id
    assert live_domain.next_question(session=session, event=event).id == second.id
    assert live_domain.next_question(session=session, event=event) is None
    session.refresh(event)
    assert event.current_question_id is None
    assert all(q.status == QuestionStatus.closed for q in questions_of(session, event))


def test_close_keeps_question_on_screen_and_refuses_twice(session, event):
    first, _ = questions_of(session, event)
    live_domain.open_question(session=session, question=first)
    live_domain.close_question(session=session, question=first)
    assert live_of(session, event).id == first.id
    assert not live_of(session, event).is_open
    with pytest.raises(Conflict):
        live_domain.close_question(session=session, question=first)


def test_check_vote_rules(session, event):
    single, multiple = questions_of(session, event)
    live_domain.open_question(session=session, question=single)
    live = live_of(session, event)
    a, b, _c = option_ids(session, single)
    assert v_domain.check_vote(live=live, question_id=single.id, choices=[a]) == (a,)
    assert v_domain.check_vote(live=live, question_id=single.id, choices=a) == (a,)
    cases = [
        (single.id, [], "no_choice"),
        (single.id, [a, b], "too_many"),
        (single.id, [a, a], "duplicate_choice"),
        (single.id, [option_ids(session, multiple)[0]], "unknown_option"),
        (single.id, ["1"], "bad_choices"),
        (single.id, [True], "bad_choices"),
        (single.id, None, "bad_choices"),
        ("1", [a], "bad_question"),
        (multiple.id, [a], "not_current"),
    ]
    for question_id, choices, code in cases:
        with pytest.raises((Invalid, Conflict)) as exc:
            v_domain.check_vote(live=live, question_id=question_id, choices=choices)
        assert exc.value.code == code, (question_id, choices)


def test_multiple_choice_respects_maximum(session, event):
    _, multiple = questions_of(session, event)
    live_domain.open_question(session=session, question=multiple)
    live = live_of(session, event)
    ids = option_ids(session, multiple)
    assert v_domain.check_vote(live=live, question_id=multiple.id, choices=[ids[2], ids[0]]) == (ids[0], ids[2])
    with pytest.raises(Invalid) as exc:
        v_domain.check_vote(live=live, question_id=multiple.id, choices=ids[:3])
    assert "höchstens 2" in exc.value.message.format(**exc.value.params)


def test_vote_on_closed_question_is_refused(session, event):
    single, _ = questions_of(session, event)
    live_domain.open_question(session=session, question=single)
    live_domain.close_question(session=session, question=single)
    with pytest.raises(Conflict) as exc:
        v_domain.check_vote(live=live_of(session, event), question_id=single.id, choices=option_ids(session, single)[:1])
    assert exc.value.code == "closed"


def _row(question, device, choices, vote_id="v"):
    return v_domain.VoteRow(question_id=question.id, event_id=question.event_id, device_hash=device, choices=tuple(choices), vote_id=vote_id)


def test_upsert_counts_one_vote_per_device_and_tally_counts_multiple_choice(session, event):
    single, multiple = questions_of(session, event)
    a, b, c = option_ids(session, single)
    v_domain.insert_votes_directly(session=session, rows=[_row(single, "d1", [a]), _row(single, "d2", [a]), _row(single, "d1", [b])])
    t = choice_kind.count(session=session, question_id=single.id, option_ids=[a, b, c])
    assert t["voters"] == 2
    assert t["counts"] == {str(a): 1, str(b): 1, str(c): 0}

    m = option_ids(session, multiple)
    v_domain.insert_votes_directly(session=session, rows=[_row(multiple, "d1", [m[0], m[1]]), _row(multiple, "d2", [m[1]])])
    t = choice_kind.count(session=session, question_id=multiple.id, option_ids=m)
    assert t["voters"] == 2
    assert t["counts"][str(m[1])] == 2 and t["counts"][str(m[0])] == 1


def test_device_hash_is_keyed_and_stable():
    h1 = v_domain.device_hash("abc", "secret-1")
    assert h1 == v_domain.device_hash("abc", "secret-1")
    assert h1 != v_domain.device_hash("abc", "secret-2")
    assert "abc" not in h1 and len(h1) == 64


def test_vote_id_validation():
    assert v_domain.clean_vote_id("3f1c-uuid") == "3f1c-uuid"
    assert len(v_domain.clean_vote_id(None)) == 36
    for bad in [123, "x" * 65, "zeile\numbruch", ["a"]]:
        with pytest.raises(Invalid):
            v_domain.clean_vote_id(bad)


def test_options_fixed_once_votes_exist_but_text_can_change(session, event):
    single, _ = questions_of(session, event)
    a = option_ids(session, single)[0]
    v_domain.insert_votes_directly(session=session, rows=[_row(single, "d1", [a])])
    with pytest.raises(Conflict):
        q_domain.update_question(session=session, question=single, text="Neu?", kind="single", options=["X", "Y"], max_choices=None)
    session.rollback()
    q_domain.update_question(
        session=session, question=single, text="Wie kommen Sie meistens zur Arbeit?", kind="single",
        options=["Auto", "Bus", "Rad"], max_choices=None,
    )
    assert session.get(type(single), single.id).text == "Wie kommen Sie meistens zur Arbeit?"


def test_editing_options_keeps_ids_of_unchanged_labels(session, event):
    single, _ = questions_of(session, event)
    before = {o.label: o.id for o in q_domain.options_of(session=session, question_id=single.id)}
    q_domain.update_question(session=session, question=single, text=single.text, kind="single", options=["Rad", "Auto", "Zu Fuß"], max_choices=None)
    after = q_domain.options_of(session=session, question_id=single.id)
    assert [o.label for o in after] == ["Rad", "Auto", "Zu Fuß"]
    assert after[0].id == before["Rad"] and after[1].id == before["Auto"]


def test_delete_rules(session, event):
    single, multiple = questions_of(session, event)
    topic = e_domain.topics(session=session, event_id=event.id)[0]
    with pytest.raises(Invalid):
        e_domain.delete_topic(session=session, topic=topic)
    live_domain.open_question(session=session, question=single)
    with pytest.raises(Conflict):
        q_domain.delete_question(session=session, question=single)
    live_domain.close_question(session=session, question=single)
    v_domain.insert_votes_directly(session=session, rows=[_row(single, "d1", option_ids(session, single)[:1])])
    q_domain.delete_question(session=session, question=single)
    session.refresh(event)
    assert event.current_question_id is None
    q_domain.delete_question(session=session, question=multiple)
    e_domain.delete_topic(session=session, topic=topic)
    assert e_domain.topics(session=session, event_id=event.id) == []


def test_reorder_questions_and_topics(session, event):
    first, second = questions_of(session, event)
    q_domain.move_question(session=session, question=second, direction=-1)
    assert [q.id for q in questions_of(session, event)] == [second.id, first.id]
    q_domain.move_question(session=session, question=second, direction=-1)  # already first: stays
    assert [q.id for q in questions_of(session, event)] == [second.id, first.id]
    t2 = e_domain.add_topic(session=session, event_id=event.id, title="Digitalisierung")
    e_domain.move_topic(session=session, topic=t2, direction=-1)
    assert [t.title for t in e_domain.topics(session=session, event_id=event.id)] == ["Digitalisierung", "Mobilität"]
