"""Segment questions ("Ich bin hier als …", #18) and a closed result broken down by their answers.

A segment question is a single-choice question marked `segment`: every phone is asked it once when it joins,
always optional; it is never driven on the agenda (open, next and close pass it by) and takes answers as long
as the event exists. A closed question's result (single, multiple, yes/no, scale) can then be shown per group:
the answers are joined on the voter; phones without a group answer, the help-desk tablet and counted hands or
paper slips form the column "ohne Angabe", so each row adds up to the overall result. Small groups are
suppressed (domain.disclosure). Only a closed question is broken down: a live breakdown would let neighbours
watch each other's answers arrive.
"""

import json
from datetime import UTC, datetime
from typing import Any, TypedDict

from sqlalchemy import select
from sqlmodel import Session, col
from sqlmodel import select as model_select

from app.domain import disclosure
from app.domain.errors import Conflict, Invalid, NotFound
from app.domain.questions import options_of
from app.domain.sources import TABLET_PREFIX
from app.i18n import N_
from app.models import Event, ManualCount, ProjectorMode, Question, QuestionKind, QuestionStatus, Vote, table_of

BREAKABLE = (QuestionKind.single, QuestionKind.multiple, QuestionKind.yesno, QuestionKind.scale)
NONE_KEY = "none"
# Ready-made segment questions for the question form: the question and its options (the home town's options
# are the places of the county, typed by the moderator).
PRESETS: dict[str, tuple[str, list[str]]] = {
    "role": (N_("Ich bin hier als …"), [N_("Bürger:in"), N_("Politik"), N_("Wirtschaft"), N_("Verwaltung"), N_("Zivilgesellschaft")]),
    "town": (N_("Ich wohne in …"), []),
}


class Column(TypedDict):
    key: str  # the segment option's id, or "none"
    label: str
    n: int | None  # people of this group who answered; None when fewer than 5
    suppressed: bool  # a cell of this column is "< 5" or "×": no percentages


class Cell(TypedDict):
    n: int | None  # None when suppressed
    mark: str  # shown, small ("< 5") or hidden ("×")
    share: float | None  # of the column's people, exact (pages round); None in a column with a suppressed cell


class Row(TypedDict):
    key: str  # option id or scale value
    label: str
    total: int  # the overall result's count (public)
    cells: list[Cell]


class Breakdown(TypedDict):
    question_id: int
    round: int
    kind: str
    text: str
    segment_id: int
    segment_text: str
    voters: int
    columns: list[Column]
    rows: list[Row]


def segment_questions(*, session: Session, event_id: int) -> list[Question]:
    """The event's segment questions in the order they were made."""
    return list(session.exec(
        model_select(Question).where(col(Question.event_id) == event_id, col(Question.segment).is_(True)).order_by(col(Question.id))
    ))


def segments_public(*, session: Session, event_id: int) -> list[dict[str, Any]]:
    """The segment questions as the state carries them: id, text, options."""
    return [
        {"id": s.id, "text": s.text, "options": [{"id": o.id, "label": o.label} for o in options_of(session=session, question_id=s.id)]}
        for s in segment_questions(session=session, event_id=event_id)
    ]


def segment_of(*, session: Session, event_id: int, segment_id: object) -> Question:
    """A segment question of this event, by the id a form or body gave."""
    number = int(segment_id) if isinstance(segment_id, str) and segment_id.isdigit() and len(segment_id) < 10 else segment_id
    segment = session.get(Question, number) if isinstance(number, int) and not isinstance(number, bool) else None
    if segment is None or not segment.segment or segment.event_id != event_id:
        raise Invalid("no_segment", "Bitte wählen Sie eine Gruppenfrage dieser Veranstaltung.")
    return segment


def show_breakdown(*, session: Session, question: Question, segment_id: object) -> Question:
    """Put the closed question's result by groups on the projector; refused (nothing changes) if unsafe."""
    segment = segment_of(session=session, event_id=question.event_id, segment_id=segment_id)
    breakdown(session=session, question=question, segment=segment)
    event = session.get(Event, question.event_id)
    assert event is not None
    event.current_question_id = question.id
    event.projector_mode = ProjectorMode.breakdown
    event.projector_segment_id = segment.id
    session.add(event)
    session.commit()
    return question


def refuse(reason: str, **params: object) -> Conflict:
    return Conflict("breakdown_impossible", reason, **params)


def _answers(session: Session, question_id: int, round: int) -> list[tuple[str, Any, datetime]]:
    table = table_of(Vote)
    rows = session.execute(
        select(table.c.device_hash, table.c.choices, table.c.created_at)
        .where(table.c.question_id == question_id, table.c.round == round)
    )
    return [(voter, json.loads(raw), _aware(at)) for voter, raw, at in rows]


def _aware(at: datetime | str) -> datetime:
    if isinstance(at, str):  # SQLite hands back what the vote writer stored as text
        at = datetime.fromisoformat(at)
    return at if at.tzinfo else at.replace(tzinfo=UTC)


def _rows_of(session: Session, question: Question) -> list[tuple[str, str]]:
    if question.kind == QuestionKind.scale:
        low, high = question.scale_min or 0, question.scale_max or 0
        return [(str(v), str(v)) for v in range(low, high + 1)]
    return [(str(o.id), o.label) for o in options_of(session=session, question_id=question.id)]


def breakdown(*, session: Session, question: Question, segment: Question) -> Breakdown:
    """The closed question's latest round per group of the segment question, small groups suppressed.

    Only segment answers given before the question closed count, so a later answer (a late-comer, a second tab)
    cannot make two breakdowns of the same result differ by one person. Raises Conflict `breakdown_impossible`
    with the reason when no safe table exists.
    """
    if not segment.segment or segment.event_id != question.event_id:
        raise NotFound("segment_not_found", "Diese Gruppenfrage gibt es nicht.")
    if question.segment:
        raise Invalid("breakdown_of_segment", "Eine Gruppenfrage selbst lässt sich nicht nach Gruppen aufschlüsseln.")
    if question.kind not in BREAKABLE:
        raise Invalid("breakdown_kind", "Nach Gruppen aufschlüsseln lassen sich Auswahl-, Ja/Nein- und Skalenfragen.")
    if question.status != QuestionStatus.closed or question.closed_at is None:
        raise refuse(N_("Aufschlüsselung nicht möglich: Die Abstimmung läuft noch. Nach Gruppen zeigen wir nur "
                        "geschlossene Fragen, sonst könnten Nachbarn einander beim Abstimmen zusehen."))
    closed_at = _aware(question.closed_at)
    groups = [(str(o.id), o.label) for o in options_of(session=session, question_id=segment.id)]
    group_of = {
        voter: str(answer[0])
        for voter, answer, at in _answers(session, segment.id, segment.round)
        if at <= closed_at and answer
    }
    rows = _rows_of(session, question)
    row_index = {key: i for i, (key, _label) in enumerate(rows)}
    col_index = {key: j for j, (key, _label) in enumerate(groups)}
    none = len(groups)
    cells = [[0] * (none + 1) for _ in rows]
    floor = [[0] * (none + 1) for _ in rows]  # the public part of each cell: tablet, hands and paper
    people = [0] * (none + 1)
    for voter, answer, _at in _answers(session, question.id, question.round):
        j = col_index.get(group_of.get(voter, ""), none)
        people[j] += 1
        for value in answer if isinstance(answer, list) else [answer]:
            i = row_index.get(str(value))
            if i is not None:
                cells[i][j] += 1
                if voter.startswith(TABLET_PREFIX):
                    floor[i][none] += 1
    for manual in session.exec(model_select(ManualCount).where(
        col(ManualCount.question_id) == question.id, col(ManualCount.round) == question.round
    )):
        people[none] += manual.voters
        for key, n in json.loads(manual.counts).items():
            i = row_index.get(str(key))
            if i is not None and isinstance(n, int):
                cells[i][none] += n
                floor[i][none] += n
    voters = sum(people)
    if voters == 0:
        raise refuse(N_("Aufschlüsselung nicht möglich: Zu dieser Frage liegen keine einzelnen Antworten vor."))
    if sum(n >= disclosure.THRESHOLD for n in people[:none]) < 2:
        raise refuse(N_("Aufschlüsselung nicht möglich: Mindestens zwei Gruppen brauchen je {min} Antworten, "
                        "damit niemand erkennbar wird."), min=disclosure.THRESHOLD)
    marks = disclosure.protect(cells, floor)
    if marks is None or all(marks[i][j] != disclosure.SHOWN for i in range(len(rows)) for j in range(none)):
        raise refuse(N_("Aufschlüsselung nicht möglich: Die Gruppen sind zu klein, jede Zahl müsste ausgeblendet werden."))
    labels = [*groups, (NONE_KEY, N_("ohne Angabe"))]
    suppressed = [any(marks[i][j] != disclosure.SHOWN for i in range(len(rows))) for j in range(none + 1)]
    columns: list[Column] = [
        {"key": key, "label": label, "n": people[j] if people[j] >= disclosure.THRESHOLD else None, "suppressed": suppressed[j]}
        for j, (key, label) in enumerate(labels)
    ]
    table: list[Row] = []
    for i, (key, label) in enumerate(rows):
        row_cells: list[Cell] = []
        for j in range(none + 1):
            shown = marks[i][j] == disclosure.SHOWN
            share = cells[i][j] / people[j] if shown and not suppressed[j] and people[j] else None
            row_cells.append({"n": cells[i][j] if shown else None, "mark": marks[i][j], "share": share})
        table.append({"key": key, "label": label, "total": sum(cells[i]), "cells": row_cells})
    return {
        "question_id": question.id, "round": question.round, "kind": question.kind, "text": question.text,
        "segment_id": segment.id, "segment_text": segment.text, "voters": voters, "columns": columns, "rows": table,
    }


def prompt(*, session: Session, event_id: int, voter: str | None, skipped: set[int]) -> dict[str, Any] | None:
    """The segment question a phone is asked when it joins: the first it has neither answered nor skipped."""
    if voter is None:
        return None
    for question in segment_questions(session=session, event_id=event_id):
        if question.id in skipped:
            continue
        table = table_of(Vote)
        answered = session.execute(
            select(table.c.id).where(table.c.question_id == question.id, table.c.device_hash == voter).limit(1)
        ).first()
        if answered is None:
            opts = options_of(session=session, question_id=question.id)
            return {"id": question.id, "text": question.text, "options": [{"id": o.id, "label": o.label} for o in opts]}
    return None


def skipped_of(cookie: str | None) -> set[int]:
    """The segment questions a phone skipped, from its cookie ("12.15")."""
    return {int(part) for part in (cookie or "").split(".") if part.isdigit() and len(part) < 10}
