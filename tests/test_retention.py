"""DSGVO: old events lose their single answers and device ids; the aggregated results stay visible."""

import datetime as dt

from sqlmodel import select

from app.domain import events as e_domain
from app.domain import kinds
from app.domain import live as live_domain
from app.domain import questions as q_domain
from app.domain import results as r_domain
from app.domain import votes as v_domain
from app.domain.retention import apply_retention
from app.models import ResultArchive, Vote
from tests.factories import option_ids, questions_of


def _row(q, device, answer, round=1, **extra):
    return v_domain.VoteRow(q.id, q.event_id, device, answer, f"v-{device}-{round}", round=round, **extra)


def test_retention_deletes_answers_and_device_ids_of_old_events_and_keeps_results(session, event, moderator):
    single, _ = questions_of(session, event)
    a, b, _c = option_ids(session, single)
    topic = e_domain.topics(session=session, event_id=event.id)[0]
    text = q_domain.create_question(session=session, topic=topic, text="Was fehlt?", kind="text", options=[])
    v_domain.insert_votes_directly(session=session, rows=[_row(single, "d1", (a,)), _row(single, "d2", (b,)), _row(single, "d3", (a,))])
    v_domain.insert_votes_directly(session=session, rows=[
        _row(text, "d1", "Mehr Busse", moderation="approved"), _row(text, "d2", "Frau Müller aus Nr. 5 ist schuld", moderation="rejected")])
    for q in (single, text):
        live_domain.open_question(session=session, question=q)
        live_domain.close_question(session=session, question=q)
    live_domain.new_round(session=session, question=single)
    v_domain.insert_votes_directly(session=session, rows=[_row(single, "d1", (b,), round=2)])
    live_domain.close_question(session=session, question=single)
    event.date = dt.date(2023, 3, 15)
    session.add(event)
    recent = e_domain.create_event(session=session, owner_id=moderator.id, title="Nächste Woche", date=dt.date.today())
    rtopic = e_domain.add_topic(session=session, event_id=recent.id, title="Format")
    rq = q_domain.create_question(session=session, topic=rtopic, text="Gut?", kind="yesno", options=[])
    v_domain.insert_votes_directly(session=session, rows=[_row(rq, "d9", (option_ids(session, rq)[0],))])
    session.commit()

    def result(q, round=None):
        session.refresh(q)
        return r_domain.compute(session, kinds.question_public(session=session, question=q), round=round)

    before_1, before_2 = result(single, 1), result(single, 2)
    report = apply_retention(session=session, days=90)
    assert (report.events, report.questions, report.answers_deleted) == (1, 2, 6)

    assert session.exec(select(Vote).where(Vote.question_id.in_([single.id, text.id]))).all() == []
    assert len(session.exec(select(Vote).where(Vote.question_id == rq.id)).all()) == 1  # the recent event keeps its answers
    after_1, after_2 = result(single, 1), result(single, 2)
    assert after_1["counts"] == before_1["counts"] and after_1["voters"] == 3 and after_1["archived"]
    assert after_2["counts"] == before_2["counts"]
    t = result(text)
    assert [a["text"] for a in t["answers"]] == ["Mehr Busse"]  # the rejected answer is gone for good
    archived = " ".join(r.results for r in session.exec(select(ResultArchive)))
    assert "Müller" not in archived and "d1" not in archived

    again = apply_retention(session=session, days=90)  # running it again changes nothing
    assert again.answers_deleted == 0 and result(single, 1)["counts"] == before_1["counts"]


def test_retention_command(tmp_path, monkeypatch, capsys):
    from app import db
    from app.cli import main
    from app.config import settings

    url = f"sqlite:///{tmp_path / 'r.db'}"
    monkeypatch.setattr(settings, "database_url", url)
    engine = db.make_engine(url)
    previous = db.get_engine()
    db.set_engine(engine)
    try:
        assert main(["demo", "--with-votes"]) == 0  # the demo conferences were in 2023
        assert main(["retention", "--dry-run"]) == 0
        assert "Regionalkonferenz Döbeln" in capsys.readouterr().out
        with engine.connect() as conn:
            assert conn.exec_driver_sql("SELECT count(*) FROM vote").scalar() > 100
        assert main(["retention", "--days", "30"]) == 0
        out = capsys.readouterr().out
        assert "Gesamtergebnisse bleiben erhalten" in out
        with engine.connect() as conn:
            assert conn.exec_driver_sql("SELECT count(*) FROM vote").scalar() == 0
            # Every question round of the demo series: 17 questions each in Döbeln and Frankenberg (one of them with
            # a round 2) and 18 in Freiberg (one of its own), and at each the group question "Ich bin hier als …" (#18),
            # whose answers are archived as a result like any other.
            assert conn.exec_driver_sql("SELECT count(*) FROM resultarchive").scalar() == 17 + 17 + 1 + 18 + 3
        assert main(["retention", "--days", "0"]) == 2
    finally:
        db.set_engine(previous)
        engine.dispose()
