"""Full results of a question round, per kind, and what each role may see of them.

Every result carries `question_id`, `round`, `kind`, `voters` and `counts`; `counts` is None when the
result is hidden from a role. Per kind (see docs/protocol.md):

- single, multiple, yesno: `counts` {option id: votes}; with scale, of every source added up, and `sources`
  {phone, tablet, hands, paper: {voters, counts, estimated?, counted_by?}} when anything but phones counted
  (domain.sources), `estimated` when a part was estimated
- scale: `counts` {value: votes} for every value of the scale, `mean`, `median` (None without votes)
- ranking: `counts` {option id: Borda points}, `avg_rank` {option id: average place}, `order` (best first)
- points: `counts` {option id: average points}, `totals` {option id: points given}
- wordcloud: `counts` {term key: people}, `terms` [{key, label, n}] most frequent first; for the
  moderator also hidden and flagged terms, marked, and `merges`; for the others `merged` {key: shown term key}
- text: `counts` {approved, pending, rejected}, `answers` [{id, text}] approved (the moderator: all, with
  `status` and `flagged`), newest first
"""

import json
from typing import cast

from sqlalchemy import Connection, select
from sqlmodel import Session

from app.domain import kinds, sources
from app.domain.kinds.base import Review
from app.domain.review import review_of
from app.domain.shapes import QuestionPublic, Results
from app.models import PhoneResults, Question, ResultArchive, table_of


def compute(db: Session | Connection, question: QuestionPublic, round: int | None = None, review: Review | None = None) -> Results:
    """Full results (the moderator's view) of a question, given as question_public() describes it.

    `review`: the word cloud's review (review.term_review(row)), read from the database if not given.
    After the retention command deleted the single answers, the archived result stands in for them.
    """
    round = question["round"] if round is None else round
    results = _compute(db, question, round, review)
    # Entered hand counts and paper slips stay when the answers are deleted: the archive stands in for the stored ones.
    if sources.stored_voters(cast(dict, results)) == 0 and question["status"] != "draft":
        archived = db.execute(
            select(table_of(ResultArchive).c.results).where(
                table_of(ResultArchive).c.question_id == question["id"], table_of(ResultArchive).c.round == round
            )
        ).scalar()
        if archived:
            return cast(Results, {**json.loads(archived), "archived": True})
    return results


def _compute(db: Session | Connection, question: QuestionPublic, round: int, review: Review | None) -> Results:
    """The kind's tally of one round (one query), under the keys every result carries."""
    kind = kinds.get(question["kind"])
    if review is None:
        review = Review()
        if kind.term_review:
            table = table_of(Question)
            row = db.execute(select(table.c.hidden_terms, table.c.term_merges).where(table.c.id == question["id"])).first()
            review = review_of(*row) if row is not None else review
    base = {"question_id": question["id"], "round": round, "kind": question["kind"]}
    return cast(Results, {**base, **kind.tally(db, question, round, review)})


def hidden(results: Results | None) -> Results | None:
    """The result with its numbers taken out: who voted, not what."""
    if results is None:
        return None
    return cast(Results, {k: v for k, v in results.items() if k in ("question_id", "round", "kind", "voters")} | {"counts": None})


def public(results: Results | None) -> Results | None:
    """What projector and phones may see when results are shown: no hidden terms, only approved answers."""
    if results is None or results.get("counts") is None:
        return results
    if "sources" in results:  # who counted the hands is for the moderator and the audit log
        results = cast(Results, {**results, "sources": {source: {k: v for k, v in part.items() if k != "counted_by"}
                                                        for source, part in results["sources"].items()}})
    kind = kinds.KINDS.get(results.get("kind", ""))
    if kind is None or kind.public is None:
        return results
    return cast(Results, kind.public(dict(results)))


def for_projector(question: QuestionPublic | None, results: Results | None) -> Results | None:
    if question is None or results is None:
        return results
    return public(results) if question["results_shown"] else hidden(results)


def phones_see(question: QuestionPublic | None, phase: str) -> bool:
    """Phones see the result live while voting, never, or (the default) once voting is closed and the
    projector shows the result too: the room sees it at the same moment."""
    if question is None:
        return False
    mode = question.get("phone_results", PhoneResults.after_close)
    if mode == PhoneResults.after_close:
        return phase == "closed" and bool(question.get("results_shown"))
    return mode == PhoneResults.live


def for_phones(question: QuestionPublic | None, phase: str, results: Results | None) -> Results | None:
    return public(results) if phones_see(question, phase) else None
