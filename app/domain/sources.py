"""Where a count comes from (#18): a phone, the help-desk tablet, raised hands or paper slips.

Phones and tablets both store answers in the vote table; a tablet ballot votes under a voter of its own,
`desk:<tablet link id>:<random>`, made fresh per ballot, so nothing links two ballots or a ballot to a person,
and the tally tells the sources apart by that prefix. Hands and paper slips are counts the moderator enters
(`ManualCount`).
"""

import json
import secrets
from typing import Any

from sqlalchemy import Connection, func, select
from sqlmodel import Session

from app.models import CountSource, ManualCount, Vote, table_of

Db = Session | Connection

TABLET_PREFIX = "desk:"
TABLET_END = "desk;"  # the first string after every "desk:…" (";" follows ":")
# The order sources are shown in: the projector's stacked bars, tables and exports.
ORDER = (CountSource.phone, CountSource.tablet, CountSource.hands, CountSource.paper)
MANUAL = (CountSource.hands, CountSource.paper)


def tablet_voter(desk_id: int) -> str:
    """A fresh voter for one tablet ballot: the tablet it came from (for "answers per tablet"), nothing else."""
    return f"{TABLET_PREFIX}{desk_id}:{secrets.token_hex(16)}"


def desk_of(voter: str) -> int | None:
    """The tablet link a stored answer came from, or None for a phone (or a printed card entered on a phone)."""
    if not voter.startswith(TABLET_PREFIX):
        return None
    number = voter[len(TABLET_PREFIX):].partition(":")[0]
    return int(number) if number.isdigit() else None


def manual_counts(db: Db, question_id: int, round: int) -> dict[str, dict[str, Any]]:
    """The hand counts and paper slips entered for a question round, by source (one small indexed query)."""
    table = table_of(ManualCount)
    rows = db.execute(
        select(table.c.source, table.c.counts, table.c.voters, table.c.estimated, table.c.counted_by)
        .where(table.c.question_id == question_id, table.c.round == round)
    )
    return {source: {"counts": json.loads(counts), "voters": voters, "estimated": bool(estimated), "counted_by": counted_by}
            for source, counts, voters, estimated, counted_by in rows}


def grouped_by_source(db: Db, question_id: int, round: int) -> list[tuple[Any, str, int]]:
    """Distinct stored answers with how often each was given, per source (phone or tablet), counted by the database.

    The tally of every open question runs this a few times a second, so it costs what the plain count did: one
    GROUP BY over the round's answers, and the tablet's share through the (question, round, voter) index as a
    range of voters starting "desk:" (hex device hashes and "card:" voters sort outside it); phones are the rest.
    """
    table = table_of(Vote)
    where = (table.c.question_id == question_id, table.c.round == round)
    dialect = (db.get_bind() if isinstance(db, Session) else db).dialect.name
    # Byte order whatever the database's collation (a locale's would sort ":" and ";" by other rules).
    voter = table.c.device_hash.collate("C") if dialect == "postgresql" else table.c.device_hash
    every = db.execute(select(table.c.choices, func.count()).where(*where).group_by(table.c.choices)).all()
    tablet = dict(db.execute(
        select(table.c.choices, func.count())
        .where(*where, voter >= TABLET_PREFIX, voter < TABLET_END)
        .group_by(table.c.choices)
    ).all())
    out: list[tuple[Any, str, int]] = []
    for raw, n in every:
        answer = json.loads(raw)
        on_tablet = tablet.get(raw, 0)
        if n - on_tablet:
            out.append((answer, CountSource.phone.value, n - on_tablet))
        if on_tablet:
            out.append((answer, CountSource.tablet.value, on_tablet))
    return out


def combine(parts: dict[str, dict[str, Any]], keys: list[str], manual: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Stored answers per source (`parts`: {source: {"voters", "counts"}}) and the entered counts, added up.

    Returns `voters` and `counts` of all sources together (percentages are of that total), and `sources` in the
    shown order when anything but phones counted; `estimated` when a part of it was estimated ("ca.").
    """
    every = {source: dict(part) for source, part in parts.items()}
    for source, entry in manual.items():
        every[source] = {"voters": entry["voters"], "counts": {k: int(entry["counts"].get(k, 0)) for k in keys},
                         "estimated": entry["estimated"], "counted_by": entry["counted_by"]}
    counts = dict.fromkeys(keys, 0)
    voters = 0
    for part in every.values():
        voters += part["voters"]
        for key in keys:
            counts[key] += part["counts"].get(key, 0)
    result: dict[str, Any] = {"voters": voters, "counts": counts}
    if any(source != CountSource.phone for source in every):
        empty = {"voters": 0, "counts": dict.fromkeys(keys, 0)}
        result["sources"] = {str(source): every.get(source, empty) for source in ORDER
                             if source in every or source == CountSource.phone}
        result["estimated"] = any(part.get("estimated") for part in every.values())
    return result


def stored_voters(results: dict[str, Any]) -> int:
    """How many of a result's voters are answers stored in the vote table (phones, tablets): not entered counts."""
    sources = results.get("sources")
    if not sources:
        return int(results.get("voters") or 0)
    return sum(part["voters"] for source, part in sources.items() if source not in MANUAL)
