"""`saalumfrage demo --with-votes`: the series Döbeln, Frankenberg, Freiberg with votes, a round 2 and a reworded question."""

import datetime as dt

from sqlmodel import col, func, select

from app import demo
from app.domain import disclosure
from app.domain import segments as seg_domain
from app.domain import series as s_domain
from app.domain.errors import Conflict
from app.models import Event, Question, QuestionStatus, Series, Template, User, Vote


def _events(session) -> list[Event]:
    series = session.exec(select(Series).where(Series.title == demo.DEMO_SERIES)).one()
    return s_domain.events_of(session=session, series_id=series.id)


def _questions(session, event: Event) -> dict[str, Question]:
    return {q.key: q for q in session.exec(select(Question).where(Question.event_id == event.id))}


def _voters(session, event: Event) -> int:
    return session.exec(select(func.count(func.distinct(Vote.device_hash))).join(Question, col(Question.id) == Vote.question_id)
                        .where(Question.event_id == event.id)).one()


def test_demo_with_votes_makes_the_series_of_three(session):
    first = demo.seed(session, with_votes=True)
    doebeln, frankenberg, freiberg = events = _events(session)
    assert first.id == doebeln.id
    assert [(e.place, e.date) for e in events] == [
        ("Döbeln", dt.date(2023, 3, 15)), ("Frankenberg", dt.date(2023, 6, 14)), ("Freiberg", dt.date(2023, 11, 16))]
    # One template, the three events made from it (Döbeln is its source): the same keys everywhere.
    template = session.exec(select(Template)).one()
    assert {e.template_id for e in events} == {template.id} and template.series_id == doebeln.series_id
    owner = session.exec(select(User).where(User.username == demo.DEMO_USER)).one()
    assert session.get(Series, doebeln.series_id).owner_id == owner.id
    keys = [set(_questions(session, e)) for e in events]
    assert keys[0] == keys[1] and len(keys[0]) == 18  # 17 on the agenda and "Ich bin hier als …"
    # Freiberg: every linked question plus one of its own, and one linked question reworded.
    assert keys[0] < keys[2] and len(keys[2] - keys[0]) == 1
    extra = _questions(session, freiberg)[(keys[2] - keys[0]).pop()]
    assert extra.text == demo.EXTRA[0]
    reworded = [k for k in keys[0] if _questions(session, doebeln)[k].text != _questions(session, freiberg)[k].text]
    assert len(reworded) == 1
    assert (_questions(session, doebeln)[reworded[0]].text, _questions(session, freiberg)[reworded[0]].text) == demo.REWORDED
    # Frankenberg asked one question twice: round 2 (compared), with votes in both rounds and a different spread.
    rounds = [q for q in _questions(session, frankenberg).values() if q.round == 2]
    assert [q.text for q in rounds] == [demo.ROUND_TWO] and rounds[0].compare_rounds
    per_round = {r: sorted(session.exec(select(Vote.answer).where(Vote.question_id == rounds[0].id, Vote.round == r)))
                 for r in (1, 2)}
    assert per_round[1] and per_round[2] and per_round[1] != per_round[2]
    assert all(q.round == 1 for e in (doebeln, freiberg) for q in _questions(session, e).values())
    # Every question closed, with votes; each event its own 60–150 voters and its own spread.
    for event in events:
        questions = _questions(session, event).values()
        assert all(q.status == QuestionStatus.closed and q.closed_at for q in questions if not q.segment)
        assert 60 <= _voters(session, event) <= 150
        voted = set(session.exec(select(Vote.question_id).where(col(Vote.question_id).in_([q.id for q in questions]))))
        assert voted == {q.id for q in questions}
    assert len({_voters(session, e) for e in events}) > 1
    # Open text: some answers approved, some pending or rejected.
    states = set(session.exec(select(Vote.moderation).where(Vote.moderation != "")))
    assert states == {"approved", "pending", "rejected"}
    # Running it again changes nothing.
    before = session.exec(select(func.count(col(Vote.id)))).one()
    demo.seed(session, with_votes=True)
    assert session.exec(select(func.count(col(Vote.id)))).one() == before and len(_events(session)) == 3


def test_demo_without_votes_is_doebeln_alone(session):
    event = demo.seed(session)
    assert [e.title for e in session.exec(select(Event))] == [demo.DEMO_EVENT]
    assert session.exec(select(func.count(col(Vote.id)))).one() == 0
    assert session.exec(select(Template)).first() is None
    # Votes asked for later: the rest of the series joins, Döbeln gets its votes.
    demo.seed(session, with_votes=True)
    assert [e.id for e in _events(session)][0] == event.id and len(_events(session)) == 3
    assert _voters(session, event) >= 60


def test_demo_with_votes_has_a_segment_question_to_break_results_down(session):
    demo.seed(session, with_votes=True)
    for event in _events(session):
        [segment] = seg_domain.segment_questions(session=session, event_id=event.id)
        assert segment.text == "Ich bin hier als …" and segment.key == demo.SEGMENT_KEY
        assert seg_domain.prompt(session=session, event_id=event.id, voter="a new phone", skipped=set()) is not None
        # Most voters answered it, not all; at least two groups of 5 or more, and some smaller ones.
        answered = session.exec(select(func.count(col(Vote.id))).where(Vote.question_id == segment.id)).one()
        assert 0.7 * _voters(session, event) < answered < _voters(session, event)
        shown, refused, marks = 0, 0, set()
        for question in _questions(session, event).values():
            if question.segment or question.kind not in seg_domain.BREAKABLE:
                continue
            try:
                view = seg_domain.breakdown(session=session, question=question, segment=segment)
            except Conflict:
                refused += 1
                continue
            shown += 1
            marks |= {cell["mark"] for row in view["rows"] for cell in row["cells"]}
            big = [c for c in view["columns"][:-1] if c["n"] is not None]
            assert len(big) >= 2 and any(c["n"] is None for c in view["columns"][:-1])
            assert all(sum(c["n"] for c in row["cells"] if c["n"] is not None) <= row["total"] for row in view["rows"])
        # Most choice, yes/no and scale questions can be shown by group, with small cells suppressed.
        assert shown >= 8 and refused <= 2, (event.place, shown, refused)
        assert {disclosure.SHOWN, disclosure.SMALL} <= marks
