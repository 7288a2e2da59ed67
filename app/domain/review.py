"""Reviewing answers during the evening: word-cloud terms hidden or allowed, open-text answers approved or rejected."""

import json

from sqlmodel import Session

from app.domain.errors import Invalid, NotFound
from app.domain.kinds.wordcloud import clean_term, term_key
from app.models import (
    Moderation,
    Question,
    QuestionKind,
    Vote,
)


def hidden_terms_of(raw: str | None) -> dict[str, list[str]]:
    """The word cloud's review lists (Question.hidden_terms): `hide` (hidden by the moderator), `allow` (flagged,
    shown anyway)."""
    try:
        data = json.loads(raw or "[]")
    except ValueError:
        data = []
    if isinstance(data, list):  # the first form: only hidden terms
        data = {"hide": data, "allow": []}
    return {"hide": list(data.get("hide", [])), "allow": list(data.get("allow", []))}


def set_term_hidden(*, session: Session, question: Question, term: str, hidden: bool) -> Question:
    """Hide a word-cloud term from projector and phones, or show it (also a flagged one)."""
    if question.kind != QuestionKind.wordcloud:
        raise Invalid("not_wordcloud", "Diese Frage ist keine Wortwolke.")
    # Checked before anything is written: a control character (NUL above all, which PostgreSQL cannot store)
    # is no term anyone sees.
    if not all(ch.isprintable() or ch.isspace() for ch in term or ""):
        raise Invalid("bad_term", "Der Begriff enthält unzulässige Zeichen.")
    key = term_key(clean_term(term or ""))
    if not key or len(key) > 60:
        raise Invalid("no_term", "Bitte geben Sie einen Begriff an.")
    lists = hidden_terms_of(question.hidden_terms)
    hide, allow = set(lists["hide"]), set(lists["allow"])
    if hidden:
        hide.add(key)
        allow.discard(key)
    else:
        hide.discard(key)
        allow.add(key)
    question.hidden_terms = json.dumps({"hide": sorted(hide), "allow": sorted(allow)}, ensure_ascii=False)
    session.add(question)
    session.commit()
    return question


def set_moderation(*, session: Session, question: Question, answer_id: int, state: str) -> Vote:
    """Approve an open-text answer for the projector, reject it, or put it back in the queue."""
    if question.kind != QuestionKind.text:
        raise Invalid("not_text", "Diese Frage hat keine offenen Antworten.")
    if state not in set(Moderation):
        raise Invalid("bad_moderation", "Unbekannte Entscheidung.")
    vote = session.get(Vote, answer_id)
    if vote is None or vote.question_id != question.id:
        raise NotFound("answer_not_found", "Diese Antwort gibt es nicht (mehr).")
    vote.moderation = state
    session.add(vote)
    session.commit()
    return vote
