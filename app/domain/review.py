"""Reviewing answers during the evening: word-cloud terms hidden, shown or merged, open-text answers approved or
rejected."""

import json

from sqlmodel import Session

from app.domain.errors import Invalid, NotFound
from app.domain.kinds.base import Review, TermMerge
from app.domain.kinds.wordcloud import TERM_MAX, tally_terms, term_key
from app.models import (
    Moderation,
    Question,
    QuestionKind,
    Vote,
)

# What a form or the API may send as a term: a spelling, or a key (which can be longer than the spelling: ä is ae).
TERM_INPUT_MAX = 200


def hidden_terms_of(raw: str | None) -> dict[str, list[str]]:
    """The word cloud's review lists (Question.hidden_terms): `hide` (hidden by the moderator), `allow` (flagged,
    shown anyway). Keys are folded again as term_key folds them now, so a term hidden under an older key stays
    hidden; where two stored keys fold to one and the lists disagree, hidden wins."""
    try:
        data = json.loads(raw or "[]")
    except ValueError:
        data = []
    if isinstance(data, list):  # the first form: only hidden terms
        data = {"hide": data, "allow": []}
    if not isinstance(data, dict):
        data = {}
    hide = {term_key(k) for k in data.get("hide", []) if isinstance(k, str)}
    allow = {term_key(k) for k in data.get("allow", []) if isinstance(k, str)} - hide
    return {"hide": sorted(hide - {""}), "allow": sorted(allow - {""})}


def merges_of(raw: str | None) -> tuple[TermMerge, ...]:
    """The word cloud's merges (Question.term_merges): [{"from", "into", "from_label", "into_label"}], keys folded
    again as term_key folds them now."""
    try:
        data = json.loads(raw or "[]")
    except ValueError:
        data = []
    merges: dict[str, TermMerge] = {}
    for item in data if isinstance(data, list) else []:
        if not isinstance(item, dict) or not isinstance(item.get("from"), str) or not isinstance(item.get("into"), str):
            continue
        source, into = term_key(item["from"]), term_key(item["into"])
        if source and into and source != into:
            merges[source] = TermMerge(source, into, str(item.get("from_label") or ""), str(item.get("into_label") or ""))
    return tuple(merges.values())


def review_of(hidden_terms: str | None, term_merges: str | None) -> Review:
    """The moderator's review of a word cloud from the question's two columns."""
    lists = hidden_terms_of(hidden_terms)
    return Review(hide=frozenset(lists["hide"]), allow=frozenset(lists["allow"]), merges=merges_of(term_merges))


def term_review(question: Question) -> Review:
    """The moderator's review of a question's word-cloud terms (empty for other kinds)."""
    if question.kind != QuestionKind.wordcloud:
        return Review()
    return review_of(question.hidden_terms, question.term_merges)


def _wordcloud(question: Question) -> None:
    if question.kind != QuestionKind.wordcloud:
        raise Invalid("not_wordcloud", "Diese Frage ist keine Wortwolke.")


def _key(term: str) -> str:
    """The key a moderator's form or API call names; checked before anything is written."""
    # A control character (NUL above all, which PostgreSQL cannot store) is no term anyone sees.
    if not all(ch.isprintable() or ch.isspace() for ch in term or ""):
        raise Invalid("bad_term", "Der Begriff enthält unzulässige Zeichen.")
    if len(term or "") > TERM_INPUT_MAX:
        raise Invalid("term_too_long", "Ein Begriff darf höchstens {max} Zeichen lang sein.", max=TERM_MAX)
    key = term_key(term or "")
    if not key:
        raise Invalid("no_term", "Bitte geben Sie einen Begriff an.")
    return key


def _locked(session: Session, question: Question) -> None:
    """Read the question's review afresh and hold its row until the commit: two moderators changing the review
    at the same moment both get their change (PostgreSQL; SQLite writes one transaction at a time anyway)."""
    session.refresh(question, with_for_update=True)


def set_term_hidden(*, session: Session, question: Question, term: str, hidden: bool) -> Question:
    """Hide a word-cloud term from projector and phones, or show it (also a flagged one)."""
    _wordcloud(question)
    key = _key(term)
    _locked(session, question)
    merged = {m.source: m for m in merges_of(question.term_merges)}
    if hidden and key in merged:
        raise Invalid("term_merged", "„{term}“ wird als „{into}“ gezählt. Blenden Sie „{into}“ aus oder trennen Sie die beiden "
                      "zuerst.", term=merged[key].source_label or key, into=merged[key].into_label or merged[key].into)
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


def merge_terms(*, session: Session, question: Question, term: str, into: str) -> TermMerge:
    """Count a word-cloud term as another one from now on (every round of the question): people who named either
    count once, under the other's label. Reversible with `unmerge_term`.

    Both must be terms of the current round that projector and phones may see. A term that is already merged is
    refused (undo that first); merging into a term that is itself merged goes to the term it counts as.
    """
    _wordcloud(question)
    source, target = _key(term), _key(into)
    if source == target:
        raise Invalid("merge_self", "Ein Begriff lässt sich nicht mit sich selbst zusammenführen. Bitte wählen Sie einen "
                      "anderen Begriff.")
    _locked(session, question)
    review = term_review(question)
    counted = tally_terms(session, question.id, question.round, review)
    terms, named = {t["key"]: t for t in counted.terms}, counted.named
    merged = {m.source: m for m in review.merges}
    if source in merged:
        into_label = terms[named[source]]["label"] if named.get(source) in terms else merged[source].into_label
        raise Invalid("term_merged", "„{term}“ ist schon mit „{into}“ zusammengeführt. Trennen Sie die beiden zuerst.",
                      term=merged[source].source_label or term, into=into_label)
    if source not in terms:
        raise Invalid("unknown_term", "Den Begriff „{term}“ hat in dieser Runde niemand genannt.", term=term.strip())
    if target not in named:
        raise Invalid("unknown_term", "Den Begriff „{term}“ hat in dieser Runde niemand genannt.", term=into.strip())
    root = named[target]
    if root == source:
        # `into` is merged (maybe by way of another term) into `term`: said with the label the moderator sees.
        label = next((m["from_label"] for m in counted.merges if m["from"] == target), into.strip())
        raise Invalid("merge_loop", "„{into}“ wird schon als „{term}“ gezählt. Bitte wählen Sie einen anderen Begriff.",
                      into=label, term=terms[source]["label"])
    if terms[source]["hidden"]:
        raise Invalid("merge_hidden", "„{term}“ ist ausgeblendet und lässt sich nicht zusammenführen. Blenden Sie den Begriff "
                      "zuerst ein.", term=terms[source]["label"])
    if terms[root]["hidden"]:
        raise Invalid("merge_into_hidden", "„{into}“ ist ausgeblendet; in einen ausgeblendeten Begriff lässt sich nichts "
                      "zusammenführen. Blenden Sie ihn zuerst ein.", into=terms[root]["label"])
    merge = TermMerge(source, root, terms[source]["label"], terms[root]["label"])
    stored = [*_stored_merges(question), {"from": source, "into": root, "from_label": merge.source_label, "into_label": merge.into_label}]
    question.term_merges = json.dumps(stored, ensure_ascii=False)
    session.add(question)
    session.commit()
    return merge


def unmerge_term(*, session: Session, question: Question, term: str) -> TermMerge:
    """Count a merged word-cloud term on its own again (and whatever was merged into it stays with it)."""
    _wordcloud(question)
    source = _key(term)
    _locked(session, question)
    review = term_review(question)
    merge = next((m for m in review.merges if m.source == source), None)
    if merge is None:
        raise Invalid("merge_not_found", "„{term}“ ist mit keinem anderen Begriff zusammengeführt.", term=term.strip())
    # The labels as the moderator sees them now, for the message and the audit log.
    shown = next(m for m in tally_terms(session, question.id, question.round, review).merges if m["from"] == source)
    merge = TermMerge(source, merge.into, shown["from_label"], shown["into_label"])
    question.term_merges = json.dumps([m for m in _stored_merges(question) if term_key(m["from"]) != source], ensure_ascii=False)
    session.add(question)
    session.commit()
    return merge


def _stored_merges(question: Question) -> list[dict[str, str]]:
    return [{"from": m.source, "into": m.into, "from_label": m.source_label, "into_label": m.into_label}
            for m in merges_of(question.term_merges)]


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
