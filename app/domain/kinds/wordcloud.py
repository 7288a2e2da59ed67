"""Word cloud: one to three short terms per person, counted by a folded key, with a ranked list.

Variants of a term count as one automatically (`term_key`: case, ß/ss, umlauts, accents, spaces, hyphens and
dashes, underscores, gender marks inside a word); the moderator can also merge two different terms (a
`TermMerge`: people who named either count once, under the label of the term merged into). Terms the
profanity check flags stay hidden until the moderator shows them; the moderator can hide any term.
"""

import json
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from sqlalchemy import func, select

from app.domain import profanity
from app.domain.errors import Invalid
from app.domain.kinds.base import Db, FormLike, Kind, LiveLike, Review, SpecInput, TermMerge
from app.domain.shapes import QuestionPublic, TermResult
from app.models import QuestionKind, Vote, table_of

TERM_MAX = 30  # characters of one term
TERMS_MAX = 3  # terms per person
TERMS_SHOWN = 60  # the projector's cloud and list: the most frequent terms

_EDGE = re.compile(r"^[\W_]+|[\W_]+$", re.UNICODE)
# Characters that join or split words: "Online-Termine", "online termine", "OnlineTermine", "Online_Termine" and
# "Online–Termine" are one term. Spaces, every dash (hyphen, en and em dash, …), the underscore and invisible
# format characters (soft hyphen, zero-width joiner).
_JOINER_CATEGORIES = frozenset({"Pd", "Pc", "Cf"})
# Marks inside a word, dropped only between two letters: "Bürger*innen", "Bürger:innen", "Bürger/innen" and
# "BürgerInnen" are one term, "z.B." is "zB"; between digits they stay ("1.5" is not "15").
_IN_WORD = frozenset("*:/·.'’‘")
# German first: "Bürger" and "Buerger" are one term, and "Bürger" never becomes "Burger".
_UMLAUTS = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue"})


def clean_term(raw: str) -> str:
    """A term as shown: inner spaces collapsed, surrounding spaces and punctuation removed."""
    text = unicodedata.normalize("NFC", " ".join(raw.split()))
    return _EDGE.sub("", text)


# Most terms are plain ASCII: the same fold in two regular expressions (no Unicode forms, marks or other dashes).
_ASCII_JOINERS = re.compile(r"[\s_-]+")
_ASCII_IN_WORD = re.compile(r"(?<=[a-z])[*:/.'](?=[a-z])")


def _fold(text: str) -> str:
    if text.isascii():
        return _ASCII_IN_WORD.sub("", _ASCII_JOINERS.sub("", text.lower()))
    text = unicodedata.normalize("NFKC", text).casefold().translate(_UMLAUTS)
    text = unicodedata.normalize("NFC", "".join(ch for ch in unicodedata.normalize("NFD", text) if unicodedata.category(ch) != "Mn"))
    kept = [ch for ch in text if not (ch.isspace() or unicodedata.category(ch) in _JOINER_CATEGORIES)]
    last = len(kept) - 1
    return "".join(ch for i, ch in enumerate(kept)
                   if not (ch in _IN_WORD and 0 < i < last and kept[i - 1].isalpha() and kept[i + 1].isalpha()))


@lru_cache(maxsize=65536)  # every tally folds every term again: the same few thousand spellings
def term_key(term: str) -> str:
    """What terms are counted by: a term, its label or its key give the same key (so a key folds to itself).

    Case (German-aware: casefold, so ß is ss), compatibility forms (NFKC), umlauts (ä = ae), other accents,
    spaces, dashes, underscores and, between letters, the marks of _IN_WORD do not matter. app/static/js/results.js
    termKey() folds the same way (tests/e2e/test_term_review.py checks both on the same words).
    """
    return _EDGE.sub("", _fold(term))


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


def roots(merges: tuple[TermMerge, ...]) -> dict[str, str]:
    """Each merged key's term, following merges of merges (A → B and B → C: A and B count as C)."""
    into = {m.source: m.into for m in merges}
    found: dict[str, str] = {}
    for key, root in into.items():
        seen = {key}
        while root in into and root not in seen:  # a loop (merge_terms refuses one) ends where it closes
            seen.add(root)
            root = into[root]
        found[key] = root
    return found


def _answers(db: Db, question_id: int, round: int) -> list[tuple[Any, int, int]]:
    """Distinct answers, how many gave each and the first row that holds it (the database does the counting)."""
    table = table_of(Vote)
    rows = db.execute(
        select(table.c.choices, func.count(), func.min(table.c.id))
        .where(table.c.question_id == question_id, table.c.round == round)
        .group_by(table.c.choices)
    )
    return [(json.loads(raw), n, first) for raw, n, first in rows]


def _best(spellings: list[tuple[str, int, int]]) -> str:
    """The spelling most people used; on a tie the one of whoever answered first (the lowest vote row)."""
    return min(spellings, key=lambda s: (-s[1], s[2], s[0]))[0]


@dataclass(frozen=True, slots=True)
class TermTally:
    """A round's terms as the moderator sees them, the merges with their labels, and every key named in the round
    with the term it counts as."""

    voters: int
    terms: list[TermResult]
    merges: list[dict[str, Any]]
    named: dict[str, str]


def tally_terms(db: Db, question_id: int, round: int, review: Review) -> TermTally:
    """People per term (most first, hidden and flagged ones marked, merged ones counted once in their term)."""
    root_of = roots(review.merges)
    people: Counter[str] = Counter()  # per term, after merges
    own: Counter[str] = Counter()  # per key, before merges (only needed for the merges' own counts)
    given: Counter[str] = Counter()  # per spelling
    first_row: dict[str, int] = {}  # per spelling
    voters = 0
    # The hot loop of a big cloud (every tally, every 150 ms): per term a cached key and two dictionary updates.
    for answer, count, first in _answers(db, question_id, round):
        if not isinstance(answer, list):
            continue
        voters += count
        terms = [t for t in answer if isinstance(t, str)]
        for term in terms:
            given[term] += count
            if first < first_row.get(term, first + 1):
                first_row[term] = first
        # Someone who named two terms that are now one counts once (stored before the fold, or merged).
        keys = {term_key(t) for t in terms}
        if root_of:
            own.update(dict.fromkeys(keys, count))
            keys = {root_of.get(key, key) for key in keys}
        people.update(dict.fromkeys(keys, count))
    spellings: dict[str, list[tuple[str, int, int]]] = {}  # key → (spelling, people, first row)
    for term, n in given.items():
        spellings.setdefault(term_key(term), []).append((term, n, first_row[term]))
    if not root_of:
        own = people
    stored = {m.source: m.source_label for m in review.merges} | {m.into: m.into_label for m in review.merges}

    def label_of(key: str) -> str:
        if key in spellings:
            return _best(spellings[key])
        if stored.get(key):
            return stored[key]
        # A term merged into, no longer named itself (in this round): the best spelling of what it holds.
        held = [s for k, spelt in spellings.items() if root_of.get(k) == key for s in spelt]
        return _best(held) if held else key

    terms_out: list[TermResult] = []
    for key, n in sorted(people.items(), key=lambda kv: (-kv[1], kv[0])):
        label = label_of(key)
        flagged = profanity.is_suspect(label)
        hidden = key in review.hide or (flagged and key not in review.allow)
        terms_out.append({"key": key, "label": label, "n": n, "hidden": hidden, "flagged": flagged})
    merges = [{"from": m.source, "into": m.into, "from_label": label_of(m.source), "into_label": label_of(m.into), "n": own[m.source]}
              for m in review.merges]
    return TermTally(voters=voters, terms=terms_out, merges=merges, named={key: root_of.get(key, key) for key in spellings})


def tally(db: Db, question: QuestionPublic, round: int, review: Review) -> dict[str, Any]:
    """People per term; `counts` only of the terms shown; `merges` as the moderator made them (docs/protocol.md)."""
    counted = tally_terms(db, question["id"], round, review)
    return {"voters": counted.voters, "terms": counted.terms, "counts": {t["key"]: t["n"] for t in counted.terms if not t.get("hidden")},
            "merges": counted.merges}


def spec(labels: list[str], given: SpecInput) -> dict[str, Any]:
    if given.max_choices is not None and not 1 <= given.max_choices <= TERMS_MAX:
        raise Invalid("bad_max_terms", "Pro Person sind 1 bis {n} Begriffe möglich.", n=TERMS_MAX)
    return {"max_choices": given.max_choices or TERMS_MAX}


def public(results: dict[str, Any]) -> dict[str, Any]:
    """No hidden terms, only the most frequent; of the merges only which key now counts as which shown term
    (`merged`, so a phone finds its own term in the cloud)."""
    terms = [{"key": t["key"], "label": t["label"], "n": t["n"]} for t in results["terms"] if not t["hidden"]][:TERMS_SHOWN]
    shown = {t["key"] for t in terms}
    root_of = roots(tuple(TermMerge(m["from"], m["into"]) for m in results.get("merges") or []))
    merged = {key: root for key, root in sorted(root_of.items()) if root in shown}
    rest = {k: v for k, v in results.items() if k != "merges"}
    return {**rest, "terms": terms, "counts": {t["key"]: t["n"] for t in terms}, "merged": merged}


def mine_keys(mine: object, results: dict[str, Any] | None) -> set[str]:
    """The keys under which a phone finds its own terms (its stored answer) in a shown cloud: folded, merges
    followed through `merged` (results.js does the same)."""
    if not isinstance(mine, list | tuple):
        return set()
    merged = (results or {}).get("merged") or {}
    return {merged.get(key, key) for key in (term_key(t) for t in mine if isinstance(t, str))}


WORDCLOUD = Kind(
    name=QuestionKind.wordcloud, answer_field="terms", check=check, from_form=from_form, tally=tally, spec=spec,
    limit=lambda stored, n_options: stored or TERMS_MAX, term_review=True, public=public,
    limits={"term_max": TERM_MAX, "terms_max": TERMS_MAX},
)
