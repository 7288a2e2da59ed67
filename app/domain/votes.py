"""Voting rules and the batched upsert the vote writer runs (tallies: domain.kinds, per kind).

Answers of one device to one question round are ordered by `seq`, a number only the phone can give (it
knows which answer it made last); the upsert keeps the stored answer when a late one is older
(docs/protocol.md, "Reihenfolge der Antworten").
"""

import hashlib
import hmac
import json
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, or_, select, tuple_
from sqlmodel import Session

from app.domain import answers
from app.domain.errors import Conflict, Invalid
from app.domain.live import LiveQuestion
from app.models import Question, QuestionStatus, Vote, table_of, utcnow

VOTE_ID_MAX = 64
# The highest `seq` a phone may send: far beyond any real number of changes, and inside a 32-bit column.
SEQ_MAX = 1_000_000_000

VoteKey = tuple[int, int, str]  # question, round, voter


@dataclass(slots=True)
class VoteRow:
    question_id: int
    event_id: int
    device_hash: str
    # The normalised answer (see domain.answers): option ids for choice kinds, else per kind.
    choices: Any
    vote_id: str
    round: int = 1
    moderation: str = ""
    flagged: bool = False
    # The phone's order of its answers to this question round; 0 when the client sends none (older pages).
    seq: int = 0
    # A help-desk tablet's vote: the SHA-256 of its single-use ballot token, used up in the vote's own transaction
    # (domain.desk.consume_ballots); None for phones.
    ballot: str | None = None

    @property
    def key(self) -> VoteKey:
        """One stored answer per key (the UNIQUE constraint of the vote table)."""
        return (self.question_id, self.round, self.device_hash)


def superseded(*, sent: VoteRow, standing: VoteRow) -> bool:
    """Whether the answer that stands for a device is another one than the vote it sent (a newer answer that
    the sent vote, arriving late, did not replace); a resend of the stored vote is not."""
    return (standing.vote_id, standing.seq) != (sent.vote_id, sent.seq)


def device_hash(device_id: str, secret: str) -> str:
    """Keyed hash of a device id: votes can be told apart, devices cannot be traced."""
    return hmac.new(secret.encode(), device_id.encode(), hashlib.sha256).hexdigest()


def voter_hash(event_id: int, device_id: str, secret: str) -> str:
    """Who a vote is from, as stored: keyed and per event, so one phone's answers cannot be linked across events.

    The one place a phone's identity becomes a voter; every path (socket, form, "my vote") goes through it.
    """
    return device_hash(f"{event_id}:{device_id}", secret)


def clean_vote_id(raw: object) -> str:
    if raw is None or raw == "":
        return str(uuid.uuid4())
    if not isinstance(raw, str) or not 1 <= len(raw) <= VOTE_ID_MAX or not raw.isprintable():
        raise Invalid("bad_vote_id", "Die Kennung der Stimme ist ungültig.")
    return raw


def clean_seq(raw: object) -> int:
    """A vote's `seq`: missing or empty is 0 (a client that does not number its answers), else 0 to SEQ_MAX."""
    if raw is None or raw == "":
        return 0
    if isinstance(raw, str) and raw.isascii() and raw.isdigit() and len(raw) <= 10:
        raw = int(raw)
    if not isinstance(raw, int) or isinstance(raw, bool) or not 0 <= raw <= SEQ_MAX:
        raise Invalid("bad_seq", "Die laufende Nummer der Antwort ist ungültig.")
    return raw


def check_vote(*, live: LiveQuestion | None, question_id: object, choices: object) -> tuple[int, ...]:
    """Validate a choice vote against the current question held in memory; return the sorted option ids."""
    answer, _moderation, _flagged = answers.check_answer(live=live, question_id=question_id, answer={"choices": choices})
    return answer


# An answer replaces the stored one unless it is older: a lower `seq` is a late resend of an answer the phone
# has since changed. Equal numbers replace: a resend of the same vote (the same answer), or two clients that do
# not number their answers (seq 0), where the later arrival wins as it always did.
_UPSERT = (
    "INSERT INTO vote (question_id, round, device_hash, choices, moderation, flagged, vote_id, seq, created_at, updated_at) "
    "VALUES ({p}, {p}, {p}, {p}, {p}, {p}, {p}, {p}, {p}, {p}) "
    "ON CONFLICT (question_id, round, device_hash) DO UPDATE SET "
    "choices = excluded.choices, moderation = excluded.moderation, flagged = excluded.flagged, "
    "vote_id = excluded.vote_id, seq = excluded.seq, updated_at = excluded.updated_at "
    "WHERE excluded.seq >= vote.seq"
)


def encode_answer(answer: Any) -> str:
    if isinstance(answer, tuple):
        answer = list(answer)
    return json.dumps(answer, separators=(",", ":"), ensure_ascii=False)


def upsert_votes(conn: Connection, rows: list[VoteRow]) -> int:
    """Write a batch in one statement; the (question, round, device) key makes resends and changes harmless.

    Returns how many rows were written: fewer than given when an older answer met a newer stored one.
    This is the hot path of a vote burst, so it goes to the driver's executemany without the ORM's
    per-row processing (twice as fast). Timestamps are stored as SQLAlchemy stores them.
    """
    if not rows:
        return 0
    now = utcnow()
    stamp: str | datetime
    if conn.dialect.name == "sqlite":
        sql, stamp = _UPSERT.format(p="?"), now.strftime("%Y-%m-%d %H:%M:%S.%f")
    elif conn.dialect.name == "postgresql":
        sql, stamp = _UPSERT.format(p="%s"), now
    else:  # pragma: no cover - only SQLite and PostgreSQL are supported
        raise RuntimeError(f"unsupported database {conn.dialect.name}")
    result = conn.exec_driver_sql(
        sql,
        [
            (r.question_id, r.round, r.device_hash, encode_answer(r.choices), r.moderation, r.flagged, r.vote_id, r.seq, stamp, stamp)
            for r in rows
        ],
    )
    # Both drivers sum the rows an executemany changed; an upsert whose WHERE refused the update changed none.
    return result.rowcount


def store_votes(conn: Connection, rows: list[VoteRow]) -> dict[VoteKey, VoteRow]:
    """Upsert rows (one per key) and say which answer stands for each key afterwards: the row itself, or
    the newer answer already stored (read back only then, so the usual batch costs no query more)."""
    if upsert_votes(conn, rows) == len(rows):
        return {row.key: row for row in rows}
    table = table_of(Vote)
    stored = conn.execute(
        select(table.c.question_id, table.c.round, table.c.device_hash, table.c.choices, table.c.vote_id, table.c.seq,
               table.c.moderation, table.c.flagged)
        .where(tuple_(table.c.question_id, table.c.round, table.c.device_hash).in_(sorted(row.key for row in rows)))
    )
    by_key = {(r.question_id, r.round, r.device_hash): r for r in stored}
    standing: dict[VoteKey, VoteRow] = {}
    for row in rows:
        found = by_key[row.key]
        if (found.vote_id, found.seq) == (row.vote_id, row.seq):
            standing[row.key] = row
        else:
            standing[row.key] = VoteRow(
                question_id=row.question_id, event_id=row.event_id, device_hash=row.device_hash, choices=json.loads(found.choices),
                vote_id=found.vote_id, round=row.round, moderation=found.moderation, flagged=bool(found.flagged), seq=found.seq,
            )
    return standing


def closed_error() -> Conflict:
    return Conflict("closed", "Die Abstimmung zu dieser Frage ist beendet. Ihre Stimme wurde nicht gezählt.")


def lock_open_rounds(conn: Connection, rounds: set[tuple[int, int]]) -> set[tuple[int, int]]:
    """Which of these (question, round) pairs are open in the database, held open until this transaction ends.

    The database decides, not an instance's memory (which may have missed a close while the bus was away).
    PostgreSQL: the rows are share-locked, so a concurrent close waits for this transaction, or this one sees
    the close. SQLite: a no-op write first takes the database's write lock, so no close can slip in between.
    """
    if not rounds:
        return set()
    table = table_of(Question)
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql("UPDATE question SET status = status WHERE 0")
    # A segment question (domain.segments) takes answers whenever the event runs, never opened or closed.
    query = select(table.c.id, table.c.round).where(
        tuple_(table.c.id, table.c.round).in_(sorted(rounds)), or_(table.c.status == QuestionStatus.open, table.c.segment.is_(True))
    )
    if conn.dialect.name == "postgresql":
        query = query.with_for_update(read=True)
    return {(qid, rnd) for qid, rnd in conn.execute(query)}


def device_vote(*, session: Session, question_id: int, device: str, round: int = 1) -> tuple[Any, int]:
    """What this device answered to the question in this round (JSON as stored, None if nothing) and its `seq`."""
    table = table_of(Vote)
    row = session.execute(
        select(table.c.choices, table.c.seq).where(
            table.c.question_id == question_id, table.c.round == round, table.c.device_hash == device
        )
    ).first()
    return (json.loads(row[0]), row[1]) if row else (None, 0)


def device_choices(*, session: Session, question_id: int, device: str, round: int = 1) -> Any:
    """What this device answered to the question in this round, if anything (JSON as stored)."""
    return device_vote(session=session, question_id=question_id, device=device, round=round)[0]


def insert_votes_directly(*, session: Session, rows: list[VoteRow]) -> None:
    """Write votes without the writer (demo data, tests)."""
    upsert_votes(session.connection(), rows)
    session.commit()


def new_vote_row(
    *, live: LiveQuestion, device: str, choices: Any, vote_id: str, moderation: str = "", flagged: bool = False, seq: int = 0
) -> VoteRow:
    return VoteRow(
        question_id=live.id,
        event_id=live.event_id,
        device_hash=device,
        choices=choices,
        vote_id=vote_id,
        round=live.round,
        moderation=moderation,
        flagged=flagged,
        seq=seq,
    )


def take_answer(
    *, live: LiveQuestion | None, device: str, question_id: object, answer: dict[str, Any], vote_id: object, seq: object = None
) -> VoteRow:
    """Check an answer from a phone (socket or form) and turn it into the row the writer stores."""
    vote_id = clean_vote_id(vote_id)
    number = clean_seq(seq)
    value, moderation, flagged = answers.check_answer(live=live, question_id=question_id, answer=answer)
    assert live is not None  # check_answer refuses an answer to no question
    return new_vote_row(live=live, device=device, choices=value, vote_id=vote_id, moderation=moderation, flagged=flagged, seq=number)

