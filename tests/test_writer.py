"""The vote writer: batches, last vote wins inside a batch, a bad row fails alone."""

import asyncio

from app.domain import questions as q_domain
from app.domain import votes as v_domain
from app.realtime.writer import VoteWriter
from tests.factories import option_ids, questions_of


def test_batches_commit_and_ack(engine, session, event):
    single, _ = questions_of(session, event)
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
    t = v_domain.tally(session=session, question_id=single.id, option_ids=[a, b])
    assert t["voters"] == 500
    assert t["counts"] == {str(a): 499, str(b): 1}
    assert len(committed) >= 500


def test_bad_row_fails_alone(engine, session, event):
    single, _ = questions_of(session, event)
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
    assert good is True
    assert isinstance(bad, Exception)
    assert v_domain.tally(session=session, question_id=single.id, option_ids=[a])["voters"] == 1
    q_domain.get_question(session=session, question_id=single.id)
