"""Full results of a question round, per kind, and what each role may see of them.

Every result carries `question_id`, `round`, `kind`, `voters` and `counts`; `counts` is None when the
result is hidden from a role. Per kind (see docs/protocol.md):

- single, multiple, yesno: `counts` {option id: votes}
- scale: `counts` {value: votes} for every value of the scale, `mean`, `median` (None without votes)
- ranking: `counts` {option id: Borda points}, `avg_rank` {option id: average place}, `order` (best first)
- points: `counts` {option id: average points}, `totals` {option id: points given}
- wordcloud: `counts` {term key: people}, `terms` [{key, label, n}] most frequent first; for the
  moderator also hidden and flagged terms, marked
- text: `counts` {approved, pending, rejected}, `answers` [{id, text}] approved (the moderator: all, with
  `status` and `flagged`), newest first
"""

import json
import statistics
from collections import Counter
from typing import Any

from sqlalchemy import Connection, func, select
from sqlmodel import Session

from app.domain import profanity
from app.domain.answers import term_key
from app.domain.questions import hidden_terms_of
from app.models import CHOICE_KINDS, Moderation, PhoneResults, Question, QuestionKind, ResultArchive, Vote
from app.domain.votes import tally as choice_tally

TERMS_SHOWN = 60  # the projector's cloud and list: the most frequent terms
ANSWERS_KEPT = 300  # open-text answers sent to the moderator, newest first
ANSWERS_SHOWN = 60  # approved open-text answers sent to projector and phones


def _grouped(db: Session | Connection, question_id: int, round: int) -> list[tuple[Any, int]]:
    """Distinct answers with how often each was given (the database does the counting)."""
    table = Vote.__table__
    rows = db.execute(
        select(table.c.choices, func.count())
        .where(table.c.question_id == question_id, table.c.round == round)
        .group_by(table.c.choices)
    )
    return [(json.loads(raw), n) for raw, n in rows]


def _scale(db, q: dict, round: int) -> dict:
    low, high = q["scale"]["min"], q["scale"]["max"]
    counts = {str(v): 0 for v in range(low, high + 1)}
    values: list[int] = []
    for answer, n in _grouped(db, q["id"], round):
        value = answer[0] if isinstance(answer, list) and answer else None
        if isinstance(value, int) and str(value) in counts:
            counts[str(value)] += n
            values.extend([value] * n)
    voters = len(values)
    mean = round_(sum(values) / voters, 2) if voters else None
    median = statistics.median(values) if voters else None
    return {"voters": voters, "counts": counts, "mean": mean, "median": median}


def round_(value: float, digits: int = 1) -> float:
    return float(f"{value:.{digits}f}")


def _ranking(db, q: dict, round: int) -> dict:
    ids = [o["id"] for o in q["options"]]
    n = len(ids)
    borda = dict.fromkeys(ids, 0)
    rank_sum = dict.fromkeys(ids, 0)
    voters = 0
    for answer, count in _grouped(db, q["id"], round):
        if not isinstance(answer, list) or set(answer) != set(ids):
            continue  # a ranking from before the options changed: not comparable
        voters += count
        for place, option_id in enumerate(answer):
            borda[option_id] += (n - 1 - place) * count
            rank_sum[option_id] += (place + 1) * count
    avg = {str(i): (round_(rank_sum[i] / voters, 2) if voters else None) for i in ids}
    order = sorted(ids, key=lambda i: (-borda[i], ids.index(i)))
    return {"voters": voters, "counts": {str(i): borda[i] for i in ids}, "avg_rank": avg, "order": order,
            "max_points": (n - 1) * voters}


def _points(db, q: dict, round: int) -> dict:
    ids = [o["id"] for o in q["options"]]
    totals = dict.fromkeys(ids, 0)
    voters = 0
    for answer, count in _grouped(db, q["id"], round):
        if not isinstance(answer, dict):
            continue
        voters += count
        for key, value in answer.items():
            if int(key) in totals and isinstance(value, int):
                totals[int(key)] += value * count
    avg = {str(i): (round_(totals[i] / voters) if voters else 0) for i in ids}
    return {"voters": voters, "counts": avg, "totals": {str(i): totals[i] for i in ids}}


def _wordcloud(db, q: dict, round: int, review: dict[str, list[str]]) -> dict:
    people: Counter[str] = Counter()
    spellings: dict[str, Counter[str]] = {}
    voters = 0
    for answer, count in _grouped(db, q["id"], round):
        if not isinstance(answer, list):
            continue
        voters += count
        for term in answer:
            if not isinstance(term, str):
                continue
            key = term_key(term)
            people[key] += count
            spellings.setdefault(key, Counter())[term] += count
    hide, allow = set(review["hide"]), set(review["allow"])
    terms = []
    for key, n in sorted(people.items(), key=lambda kv: (-kv[1], kv[0])):
        # The spelling most people used; on a tie the one that sorts first, so it does not flicker.
        label = sorted(spellings[key].items(), key=lambda kv: (-kv[1], kv[0]))[0][0]
        flagged = profanity.is_suspect(label)
        hidden = key in hide or (flagged and key not in allow)
        terms.append({"key": key, "label": label, "n": n, "hidden": hidden, "flagged": flagged})
    return {"voters": voters, "terms": terms}


def _text(db, q: dict, round: int) -> dict:
    table = Vote.__table__
    rows = db.execute(
        select(table.c.id, table.c.choices, table.c.moderation, table.c.flagged)
        .where(table.c.question_id == q["id"], table.c.round == round)
        .order_by(table.c.updated_at.desc(), table.c.id.desc())
    ).all()
    counts = {state.value: 0 for state in Moderation}
    answers = []
    for row_id, raw, state, flagged in rows:
        counts[state or Moderation.pending] = counts.get(state or Moderation.pending, 0) + 1
        if len(answers) < ANSWERS_KEPT or state == Moderation.approved:
            answers.append({"id": row_id, "text": json.loads(raw), "status": state or Moderation.pending, "flagged": bool(flagged)})
    return {"voters": len(rows), "counts": counts, "answers": answers}


def compute(db: Session | Connection, question: dict, round: int | None = None, hidden_terms: str | None = None) -> dict:
    """Full results (the moderator's view) of a question, given as question_public() describes it.

    After the retention command deleted the single answers, the archived result stands in for them.
    """
    round = question["round"] if round is None else round
    results = _compute(db, question, round, hidden_terms)
    if results["voters"] == 0 and question["status"] != "draft":
        archived = db.execute(
            select(ResultArchive.__table__.c.results).where(
                ResultArchive.__table__.c.question_id == question["id"], ResultArchive.__table__.c.round == round
            )
        ).scalar()
        if archived:
            return {**json.loads(archived), "archived": True}
    return results


def _compute(db: Session | Connection, question: dict, round: int, hidden_terms: str | None) -> dict:
    kind = question["kind"]
    base = {"question_id": question["id"], "round": round, "kind": kind}
    if kind in CHOICE_KINDS:
        t = choice_tally(session=db, question_id=question["id"], option_ids=[o["id"] for o in question["options"]], round=round)
        return {**t, **base}
    if kind == QuestionKind.scale:
        return {**base, **_scale(db, question, round)}
    if kind == QuestionKind.ranking:
        return {**base, **_ranking(db, question, round)}
    if kind == QuestionKind.points:
        return {**base, **_points(db, question, round)}
    if kind == QuestionKind.wordcloud:
        if hidden_terms is None:
            hidden_terms = db.execute(select(Question.__table__.c.hidden_terms).where(Question.__table__.c.id == question["id"])).scalar()
        data = _wordcloud(db, question, round, hidden_terms_of(hidden_terms))
        data["counts"] = {t["key"]: t["n"] for t in data["terms"] if not t["hidden"]}
        return {**base, **data}
    if kind == QuestionKind.text:
        return {**base, **_text(db, question, round)}
    raise ValueError(kind)  # pragma: no cover


def hidden(results: dict | None) -> dict | None:
    """The result with its numbers taken out: who voted, not what."""
    if results is None:
        return None
    return {k: results[k] for k in ("question_id", "round", "kind", "voters") if k in results} | {"counts": None}


def public(results: dict | None) -> dict | None:
    """What projector and phones may see when results are shown: no hidden terms, only approved answers."""
    if results is None or results.get("counts") is None:
        return results
    kind = results.get("kind")
    if kind == QuestionKind.wordcloud:
        terms = [{"key": t["key"], "label": t["label"], "n": t["n"]} for t in results["terms"] if not t["hidden"]]
        return {**results, "terms": terms[:TERMS_SHOWN], "counts": {t["key"]: t["n"] for t in terms[:TERMS_SHOWN]}}
    if kind == QuestionKind.text:
        approved = [{"id": a["id"], "text": a["text"]} for a in results["answers"] if a["status"] == Moderation.approved]
        return {**results, "answers": approved[:ANSWERS_SHOWN], "counts": {"approved": results["counts"]["approved"]}}
    return results


def for_projector(question: dict | None, results: dict | None) -> dict | None:
    if question is None or results is None:
        return results
    return public(results) if question["results_shown"] else hidden(results)


def phones_see(question: dict | None, phase: str) -> bool:
    """Phones see the result live while voting, never, or (the default) once voting is closed and the
    projector shows the result too: the room sees it at the same moment."""
    if question is None:
        return False
    mode = question.get("phone_results", PhoneResults.after_close)
    if mode == PhoneResults.after_close:
        return phase == "closed" and bool(question.get("results_shown"))
    return mode == PhoneResults.live


def for_phones(question: dict | None, phase: str, results: dict | None) -> dict | None:
    return public(results) if phones_see(question, phase) else None
