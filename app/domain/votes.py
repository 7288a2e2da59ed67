"""Voting rules, the batched upsert the vote writer runs, and tallies."""

import hashlib
import hmac
import json
import uuid
from dataclasses import dataclass

from sqlalchemy import Connection, func, select
from sqlmodel import Session

from app.domain.errors import Conflict, Invalid
from app.domain.questions import LiveQuestion
from app.models import Vote, utcnow

VOTE_ID_MAX = 64


@dataclass(slots=True)
class VoteRow:
    question_id: int
    event_id: int
    device_hash: str
    choices: tuple[int, ...]
    vote_id: str


def device_hash(device_id: str, secret: str) -> str:
    """Keyed hash of a device id: votes can be told apart, devices cannot be traced."""
    return hmac.new(secret.encode(), device_id.encode(), hashlib.sha256).hexdigest()


def clean_vote_id(raw: object) -> str:
    if raw is None or raw == "":
        return str(uuid.uuid4())
    if not isinstance(raw, str) or not 1 <= len(raw) <= VOTE_ID_MAX or not raw.isprintable():
        raise Invalid("bad_vote_id", "Die Kennung der Stimme ist ungültig.")
    return raw


def check_vote(*, live: LiveQuestion | None, question_id: object, choices: object) -> tuple[int, ...]:
    """Validate a vote against the current question held in memory; return the sorted option ids."""
    if not isinstance(question_id, int) or isinstance(question_id, bool):
        raise Invalid("bad_question", "Die Frage ist ungültig.")
    if live is None or live.id != question_id:
        raise Conflict("not_current", "Über diese Frage wird gerade nicht abgestimmt.")
    if not live.is_open:
        raise Conflict("closed", "Die Abstimmung zu dieser Frage ist beendet. Ihre Stimme wurde nicht gezählt.")
    if isinstance(choices, int) and not isinstance(choices, bool):
        choices = [choices]
    if not isinstance(choices, list) or not all(isinstance(c, int) and not isinstance(c, bool) for c in choices):
        raise Invalid("bad_choices", "Die Auswahl ist ungültig.")
    picked = tuple(sorted(set(choices)))
    if not picked:
        raise Invalid("no_choice", "Bitte wählen Sie eine Antwort aus.")
    if len(picked) != len(choices):
        raise Invalid("duplicate_choice", "Jede Antwort kann nur einmal gewählt werden.")
    if not live.option_ids.issuperset(picked):
        raise Invalid("unknown_option", "Diese Antwortmöglichkeit gehört nicht zur Frage.")
    limit = live.max_selections
    if len(picked) > limit:
        if limit == 1:
            raise Invalid("too_many", "Bitte wählen Sie nur eine Antwort.")
        raise Invalid("too_many", "Bitte wählen Sie höchstens {max} Antworten.", max=limit)
    return picked


_UPSERT = (
    "INSERT INTO vote (question_id, device_hash, choices, vote_id, created_at, updated_at) VALUES ({p}, {p}, {p}, {p}, {p}, {p}) "
    "ON CONFLICT (question_id, device_hash) DO UPDATE SET "
    "choices = excluded.choices, vote_id = excluded.vote_id, updated_at = excluded.updated_at"
)


def upsert_votes(conn: Connection, rows: list[VoteRow]) -> None:
    """Write a batch in one statement; the (question, device) key makes resends and changes harmless.

    This is the hot path of a vote burst, so it goes to the driver's executemany without the ORM's
    per-row processing (twice as fast). Timestamps are stored as SQLAlchemy stores them.
    """
    if not rows:
        return
    now = utcnow()
    if conn.dialect.name == "sqlite":
        sql, stamp = _UPSERT.format(p="?"), now.strftime("%Y-%m-%d %H:%M:%S.%f")
    elif conn.dialect.name == "postgresql":
        sql, stamp = _UPSERT.format(p="%s"), now
    else:  # pragma: no cover - only SQLite and PostgreSQL are supported
        raise RuntimeError(f"unsupported database {conn.dialect.name}")
    conn.exec_driver_sql(
        sql,
        [(r.question_id, r.device_hash, json.dumps(list(r.choices), separators=(",", ":")), r.vote_id, stamp, stamp) for r in rows],
    )


def tally(*, session: Session | Connection, question_id: int, option_ids: list[int]) -> dict:
    """Full totals for a question: votes per option and the number of devices that voted."""
    counts = dict.fromkeys(option_ids, 0)
    voters = 0
    table = Vote.__table__
    rows = session.execute(
        select(table.c.choices, func.count()).where(table.c.question_id == question_id).group_by(table.c.choices)
    )
    for choices, n in rows:
        voters += n
        for option_id in json.loads(choices):
            if option_id in counts:
                counts[option_id] += n
    return {"question_id": question_id, "voters": voters, "counts": {str(k): v for k, v in counts.items()}}


def device_choices(*, session: Session, question_id: int, device: str) -> list[int] | None:
    """What this device voted on the question, if anything."""
    table = Vote.__table__
    row = session.execute(
        select(table.c.choices).where(table.c.question_id == question_id, table.c.device_hash == device)
    ).first()
    return json.loads(row[0]) if row else None


def insert_votes_directly(*, session: Session, rows: list[VoteRow]) -> None:
    """Write votes without the writer (demo data, tests)."""
    upsert_votes(session.connection(), rows)
    session.commit()


def new_vote_row(*, live: LiveQuestion, device: str, choices: tuple[int, ...], vote_id: str) -> VoteRow:
    return VoteRow(question_id=live.id, event_id=live.event_id, device_hash=device, choices=choices, vote_id=vote_id)

