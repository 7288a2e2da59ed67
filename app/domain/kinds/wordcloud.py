"""Word cloud: one to three short terms per person, counted by a normalised key, with a ranked list.

Terms the profanity check flags stay hidden until the moderator shows them; the moderator can hide any term.
"""

import re
import unicodedata
from collections import Counter
from typing import Any

from app.domain import profanity
from app.domain.errors import Invalid
from app.domain.kinds.base import Db, FormLike, Kind, LiveLike, Review, SpecInput, grouped
from app.domain.shapes import QuestionPublic, TermResult
from app.models import QuestionKind

TERM_MAX = 30  # characters of one term
TERMS_MAX = 3  # terms per person
TERMS_SHOWN = 60  # the projector's cloud and list: the most frequent terms

_EDGE = re.compile(r"^[\W_]+|[\W_]+$", re.UNICODE)


def clean_term(raw: str) -> str:
    """A term as shown: inner spaces collapsed, surrounding spaces and punctuation removed."""
    text = unicodedata.normalize("NFC", " ".join(raw.split()))
    return _EDGE.sub("", text)


def term_key(term: str) -> str:
    """What terms are counted by: case and the ß/ss spelling do not matter."""
    return term.casefold()


def check(live: LiveLike, raw: object) -> tuple[Any, str, bool]:
    if isinstance(raw, str):
        raw = [raw]
    if not isinstance(raw, list) or not all(isinstance(t, str) for t in raw):
        raise Invalid("bad_terms", "Die Begriffe sind ungültig.")
    if len(raw) > 3 * TERMS_MAX:
        raise Invalid("too_many_terms", "Bitte senden Sie höchstens {max} Begriffe.", max=live.max_choices)
    terms: list[str] = []
    keys: set[str] = set()
    for item in raw:
        if len(item) > 4 * TERM_MAX:
            raise Invalid("term_too_long", "Ein Begriff darf höchstens {max} Zeichen lang sein.", max=TERM_MAX)
        term = clean_term(item)
        if not term:
            continue
        if len(term) > TERM_MAX:
            raise Invalid("term_too_long", "Ein Begriff darf höchstens {max} Zeichen lang sein.", max=TERM_MAX)
        if not all(ch.isprintable() for ch in term):
            raise Invalid("bad_terms", "Die Begriffe sind ungültig.")
        key = term_key(term)
        if key in keys:
            continue  # the same term twice from one person counts once
        keys.add(key)
        terms.append(term)
    if not terms:
        raise Invalid("no_term", "Bitte geben Sie mindestens einen Begriff ein.")
    if len(terms) > live.max_choices:
        raise Invalid("too_many_terms", "Bitte senden Sie höchstens {max} Begriffe.", max=live.max_choices)
    return tuple(terms), "", any(profanity.is_suspect(t) for t in terms)


def from_form(form: FormLike) -> list[str]:
    """`term`, repeated."""
    return [str(t) for t in form.getlist("term")]


def tally(db: Db, question: QuestionPublic, round: int, review: Review) -> dict[str, Any]:
    """People per term (most first, hidden and flagged ones marked); `counts` only of the terms shown."""
    people: Counter[str] = Counter()
    spellings: dict[str, Counter[str]] = {}
    voters = 0
    for answer, count in grouped(db, question["id"], round):
        if not isinstance(answer, list):
            continue
        voters += count
        for term in answer:
            if not isinstance(term, str):
                continue
            key = term_key(term)
            people[key] += count
            spellings.setdefault(key, Counter())[term] += count
    hide, allow = set(review.get("hide", [])), set(review.get("allow", []))
    terms: list[TermResult] = []
    for key, n in sorted(people.items(), key=lambda kv: (-kv[1], kv[0])):
        # The spelling most people used; on a tie the one that sorts first, so it does not flicker.
        label = sorted(spellings[key].items(), key=lambda kv: (-kv[1], kv[0]))[0][0]
        flagged = profanity.is_suspect(label)
        hidden = key in hide or (flagged and key not in allow)
        terms.append({"key": key, "label": label, "n": n, "hidden": hidden, "flagged": flagged})
    return {"voters": voters, "terms": terms, "counts": {t["key"]: t["n"] for t in terms if not t.get("hidden")}}


def spec(labels: list[str], given: SpecInput) -> dict[str, Any]:
    if given.max_choices is not None and not 1 <= given.max_choices <= TERMS_MAX:
        raise Invalid("bad_max_terms", "Pro Person sind 1 bis {n} Begriffe möglich.", n=TERMS_MAX)
    return {"max_choices": given.max_choices or TERMS_MAX}


def public(results: dict[str, Any]) -> dict[str, Any]:
    """No hidden terms, only the most frequent."""
    terms = [{"key": t["key"], "label": t["label"], "n": t["n"]} for t in results["terms"] if not t["hidden"]]
    return {**results, "terms": terms[:TERMS_SHOWN], "counts": {t["key"]: t["n"] for t in terms[:TERMS_SHOWN]}}


WORDCLOUD = Kind(
    name=QuestionKind.wordcloud, answer_field="terms", check=check, from_form=from_form, tally=tally, spec=spec,
    limit=lambda stored, n_options: stored or TERMS_MAX, term_review=True, public=public,
    limits={"term_max": TERM_MAX, "terms_max": TERMS_MAX},
)
