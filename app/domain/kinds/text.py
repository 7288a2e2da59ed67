"""Open text: a short answer that the moderator approves before projector and phones show it."""

import json
import re
import unicodedata
from typing import Any

from sqlalchemy import select

from app.domain import profanity
from app.domain.errors import Invalid
from app.domain.kinds.base import Db, FormLike, Kind, LiveLike, Review
from app.domain.shapes import QuestionPublic, TextAnswer
from app.models import Moderation, QuestionKind, Vote, table_of

TEXT_MAX = 300  # characters of one answer
ANSWERS_KEPT = 300  # open-text answers sent to the moderator, newest first
ANSWERS_SHOWN = 60  # approved open-text answers sent to projector and phones


def check(live: LiveLike, raw: object) -> tuple[Any, str, bool]:
    if not isinstance(raw, str):
        raise Invalid("bad_text", "Die Antwort ist ungültig.")
    text = unicodedata.normalize("NFC", raw).strip()
    # Line breaks are kept (at most two in a row), other control characters are dropped.
    text = "".join(ch for ch in text if ch == "\n" or ch.isprintable())
    text = re.sub(r"[ \t]+", " ", re.sub(r"\n{3,}", "\n\n", text))
    if not text:
        raise Invalid("no_text", "Bitte schreiben Sie eine Antwort.")
    if len(text) > TEXT_MAX:
        raise Invalid("text_too_long", "Ihre Antwort darf höchstens {max} Zeichen lang sein (jetzt: {n}).", max=TEXT_MAX, n=len(text))
    return text, Moderation.pending, profanity.is_suspect(text)


def from_form(form: FormLike) -> str:
    """`text`."""
    return str(form.get("text", ""))


def tally(db: Db, question: QuestionPublic, round: int, review: Review) -> dict[str, Any]:
    """Answers per review state and the answers themselves (approved ones always), newest first."""
    table = table_of(Vote)
    rows = db.execute(
        select(table.c.id, table.c.choices, table.c.moderation, table.c.flagged)
        .where(table.c.question_id == question["id"], table.c.round == round)
        .order_by(table.c.updated_at.desc(), table.c.id.desc())
    ).all()
    counts = {state.value: 0 for state in Moderation}
    answers: list[TextAnswer] = []
    for row_id, raw, state, flagged in rows:
        counts[state or Moderation.pending] = counts.get(state or Moderation.pending, 0) + 1
        if len(answers) < ANSWERS_KEPT or state == Moderation.approved:
            answers.append({"id": row_id, "text": json.loads(raw), "status": state or Moderation.pending, "flagged": bool(flagged)})
    return {"voters": len(rows), "counts": counts, "answers": answers}


def public(results: dict[str, Any]) -> dict[str, Any]:
    """Only approved answers, the newest first, and how many there are."""
    approved = [{"id": a["id"], "text": a["text"]} for a in results["answers"] if a["status"] == Moderation.approved]
    return {**results, "answers": approved[:ANSWERS_SHOWN], "counts": {"approved": results["counts"]["approved"]}}


TEXT = Kind(
    name=QuestionKind.text, answer_field="text", check=check, from_form=from_form, tally=tally, public=public,
    limit=lambda stored, n_options: stored or n_options,  # unused: an open answer is one text
    limits={"text_max": TEXT_MAX},
)
