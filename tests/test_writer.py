"""The vote writer: batches, the newest vote of a device wins (inside a batch and across), a bad row fails alone."""

import asyncio
import json

import pytest

from app.domain import live as live_domain
from app.domain import questions as q_domain
from app.domain import votes as v_domain
from app.domain.errors import Conflict, Invalid
from app.domain.kinds import choice as choice_kind
from app.models import Vote
from app.realtime.writer import VoteWriter
from tests.factories import option_ids, questions_of


def test_batches_commit_and_ack(engine, session, event):
    single, _ = questions_of(session, event)
    live_domain.open_question(session=session, question=single)
    a, b, _c = option_ids(session, single)
    committed = []

    async def run():
        writer = VoteWriter(engine, committed.extend, batch_ms=20)
        writer.start()
        rows = [v_domain.VoteRow(single.id, event.id, f"dev{i}", (a,), f"v{i}") for i in range(500)]
        rows.append(v_domain.VoteRow(single.id, event.id, "dev0", (b,), "v-change"))
        results = await asyncio.gather(*(writer.submit(r) for r in rows))
        await writer.stop()
        return results

    assert all(asyncio.run(run()))
    t = choice_kind.count(session=session, question_id=single.id, option_ids=[a, b])
    assert t["voters"] == 500
    assert t["counts"] == {str(a): 499, str(b): 1}
    assert len(committed) >= 500


def test_bad_row_fails_alone(engine, session, event):
    single, _ = questions_of(session, event)
    live_domain.open_question(session=session, question=single)
    a = option_ids(session, single)[0]

    async def run():
        writer = VoteWriter(engine, lambda rows: None, batch_ms=20)
        writer.start()
        good = writer.submit(v_domain.VoteRow(single.id, event.id, "d1", (a,), "ok"))
        bad = writer.submit(v_domain.VoteRow(987654, event.id, "d2", (a,), "bad"))  # no such question
        results = await asyncio.gather(good, bad, return_exceptions=True)
        await writer.stop()
        return results

    good, bad = asyncio.run(run())
    assert isinstance(good, v_domain.VoteRow) and good.vote_id == "ok"  # it stands as sent
    assert isinstance(bad, Exception)
    assert choice_kind.count(session=session, question_id=single.id, option_ids=[a])["voters"] == 1
    q_domain.get_question(session=session, question_id=single.id)


def test_database_refuses_votes_for_a_closed_question_whatever_memory_says(engine, session, event):
    """An instance that missed the close (bus away) still holds the question open in memory: the write
    itself checks the database, stores nothing for the closed question, and says why (#13, finding 2)."""
    single, multiple = questions_of(session, event)
    a = option_ids(session, single)[0]
    m = option_ids(session, multiple)[0]
    live_domain.open_question(session=session, question=single)
    live_domain.close_question(session=session, question=single)
    live_domain.open_question(session=session, question=multiple)
    committed = []

    async def run():
        writer = VoteWriter(engine, committed.extend, batch_ms=20)
        writer.start()
        late = [writer.submit(v_domain.VoteRow(single.id, event.id, f"late{i}", (a,), f"l{i}")) for i in range(5)]
        fine = writer.submit(v_domain.VoteRow(multiple.id, event.id, "ok", (m,), "ok"))
        old_round = writer.submit(v_domain.VoteRow(multiple.id, event.id, "r0", (m,), "r0", round=7))
        results = await asyncio.gather(*late, fine, old_round, return_exceptions=True)
        await writer.stop()
        return results

    *late, fine, old_round = asyncio.run(run())
    assert isinstance(fine, v_domain.VoteRow) and fine.vote_id == "ok"
    for result in [*late, old_round]:
        assert isinstance(result, Conflict) and result.code == "closed"
    assert choice_kind.count(session=session, question_id=single.id, option_ids=[a])["voters"] == 0
    assert [row.question_id for row in committed] == [multiple.id]


def _run_writer(engine, committed, submit_all):
    """Start a writer, let `submit_all(writer)` submit (it returns futures, awaited in order), stop it."""

    async def run():
        writer = VoteWriter(engine, committed.extend, batch_ms=30)
        writer.start()
        results = []
        for step in submit_all(writer):
            results.append(await step)
        await writer.stop()
        return results

    return asyncio.run(run())


def _stored(session, question_id):
    session.expire_all()
    table = Vote.__table__
    return [(json.loads(r.choices), r.vote_id, r.seq) for r in session.execute(
        table.select().where(table.c.question_id == question_id).order_by(table.c.id))]


def test_a_late_older_answer_never_replaces_a_newer_one_across_batches(engine, session, event):
    """#16: vote A (seq 1), vote B (seq 2), then A again arriving late: B stays, A's future says B stands."""
    single, _ = questions_of(session, event)
    live_domain.open_question(session=session, question=single)
    a, b, _c = option_ids(session, single)
    committed: list = []

    def steps(writer):
        yield writer.submit(v_domain.VoteRow(single.id, event.id, "dev", (a,), "vote-a", seq=1))
        yield writer.submit(v_domain.VoteRow(single.id, event.id, "dev", (b,), "vote-b", seq=2))
        yield writer.submit(v_domain.VoteRow(single.id, event.id, "dev", (a,), "vote-a", seq=1))  # the late resend

    first, second, late = _run_writer(engine, committed, steps)
    assert (first.vote_id, second.vote_id) == ("vote-a", "vote-b")
    assert (late.vote_id, late.seq, list(late.choices)) == ("vote-b", 2, [b])
    assert v_domain.superseded(sent=v_domain.VoteRow(single.id, event.id, "dev", (a,), "vote-a", seq=1), standing=late)
    assert _stored(session, single.id) == [([b], "vote-b", 2)]
    assert [row.vote_id for row in committed] == ["vote-a", "vote-b"]  # the refused resend changed no tally
    counted = choice_kind.count(session=session, question_id=single.id, option_ids=[a, b])
    assert counted["voters"] == 1 and counted["counts"] == {str(a): 0, str(b): 1}


def test_inside_one_batch_the_highest_seq_wins_not_the_last_arrival(engine, session, event):
    single, _ = questions_of(session, event)
    live_domain.open_question(session=session, question=single)
    a, b, c = option_ids(session, single)
    committed: list = []

    def steps(writer):
        # Submitted together, so one batch takes them: B (newest) first, then two older ones.
        futures = [writer.submit(v_domain.VoteRow(single.id, event.id, "dev", (b,), "vote-b", seq=5)),
                   writer.submit(v_domain.VoteRow(single.id, event.id, "dev", (a,), "vote-a", seq=3)),
                   writer.submit(v_domain.VoteRow(single.id, event.id, "dev", (c,), "vote-c", seq=4)),
                   writer.submit(v_domain.VoteRow(single.id, event.id, "other", (c,), "other", seq=1))]
        yield from futures

    results = _run_writer(engine, committed, steps)
    assert [r.vote_id for r in results] == ["vote-b", "vote-b", "vote-b", "other"]
    assert _stored(session, single.id) == [([b], "vote-b", 5), ([c], "other", 1)]
    assert sorted(row.vote_id for row in committed) == ["other", "vote-b"]


def test_without_seq_the_later_arrival_wins_as_before(engine, session, event):
    """A client that numbers nothing (an older page, seq 0) can still change its answer; a resend of the stored
    vote is not 'superseded'."""
    single, _ = questions_of(session, event)
    live_domain.open_question(session=session, question=single)
    a, b, _c = option_ids(session, single)
    committed: list = []
    sent_b = v_domain.VoteRow(single.id, event.id, "dev", (b,), "vote-b")

    def steps(writer):
        yield writer.submit(v_domain.VoteRow(single.id, event.id, "dev", (a,), "vote-a"))
        yield writer.submit(sent_b)
        yield writer.submit(v_domain.VoteRow(single.id, event.id, "dev", (b,), "vote-b"))  # resent

    _first, second, resent = _run_writer(engine, committed, steps)
    assert second.vote_id == resent.vote_id == "vote-b"
    assert not v_domain.superseded(sent=sent_b, standing=resent)
    assert _stored(session, single.id) == [([b], "vote-b", 0)]


def test_seq_is_checked_like_every_other_field():
    assert v_domain.clean_seq(None) == v_domain.clean_seq("") == 0
    assert v_domain.clean_seq(7) == v_domain.clean_seq("7") == 7
    for bad in [-1, "-1", 1.5, "1.5", True, "zwei", [1], v_domain.SEQ_MAX + 1, "9" * 11, "²"]:
        with pytest.raises(Invalid) as exc:
            v_domain.clean_seq(bad)
        assert exc.value.code == "bad_seq"
