"""What a phone may answer, per question kind: validation against the live question and normalisation.

Every check runs on the server whatever the phone already checked; a refused answer stores nothing.
The answer arrives in the vote message under one field per kind (see docs/protocol.md):
`choices` (single, multiple, yesno), `value` (scale), `ranking`, `points`, `terms` (word cloud), `text`.
"""

import re
import unicodedata
from typing import Any

from app.domain import profanity
from app.domain.errors import Conflict, Invalid
from app.models import CHOICE_KINDS, Moderation, QuestionKind

POINTS_TOTAL = 100
TEXT_MAX = 300
TERM_MAX = 30
TERMS_MAX = 3

ANSWER_FIELDS = {
    QuestionKind.single: "choices",
    QuestionKind.multiple: "choices",
    QuestionKind.yesno: "choices",
    QuestionKind.scale: "value",
    QuestionKind.ranking: "ranking",
    QuestionKind.points: "points",
    QuestionKind.wordcloud: "terms",
    QuestionKind.text: "text",
}


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _option_ids(raw: object) -> list[int]:
    if _is_int(raw):
        raw = [raw]
    if not isinstance(raw, list) or not all(_is_int(c) for c in raw):
        raise Invalid("bad_choices", "Die Auswahl ist ungültig.")
    return raw


def check_choices(live, raw: object) -> tuple[int, ...]:
    choices = _option_ids(raw)
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


def check_scale(live, raw: object) -> tuple[int]:
    if isinstance(raw, list) and len(raw) == 1:
        raw = raw[0]
    if raw is None or raw == "":
        raise Invalid("no_value", "Bitte wählen Sie einen Wert.")
    if not _is_int(raw):
        raise Invalid("bad_value", "Bitte wählen Sie einen Wert von {min} bis {max}.", min=live.scale_min, max=live.scale_max)
    if not live.scale_min <= raw <= live.scale_max:
        raise Invalid("bad_value", "Bitte wählen Sie einen Wert von {min} bis {max}.", min=live.scale_min, max=live.scale_max)
    return (raw,)


def check_ranking(live, raw: object) -> tuple[int, ...]:
    if not isinstance(raw, list) or not all(_is_int(c) for c in raw):
        raise Invalid("bad_ranking", "Die Reihenfolge ist ungültig.")
    if not raw:
        raise Invalid("no_ranking", "Bitte bringen Sie die Antworten in eine Reihenfolge.")
    if len(set(raw)) != len(raw):
        raise Invalid("duplicate_rank", "Jede Antwort darf nur einen Platz bekommen.")
    if not live.option_ids.issuperset(raw):
        raise Invalid("unknown_option", "Diese Antwortmöglichkeit gehört nicht zur Frage.")
    if len(raw) != len(live.option_ids):
        raise Invalid("incomplete_ranking", "Bitte bringen Sie alle {n} Antworten in eine Reihenfolge.", n=len(live.option_ids))
    return tuple(raw)


def check_points(live, raw: object) -> dict[str, int]:
    if not isinstance(raw, dict) or not raw:
        raise Invalid("bad_points", "Bitte verteilen Sie {total} Punkte auf die Antworten.", total=POINTS_TOTAL)
    points: dict[str, int] = {}
    for key, value in raw.items():
        try:
            option_id = int(key)
        except (TypeError, ValueError):
            raise Invalid("unknown_option", "Diese Antwortmöglichkeit gehört nicht zur Frage.") from None
        if option_id not in live.option_ids:
            raise Invalid("unknown_option", "Diese Antwortmöglichkeit gehört nicht zur Frage.")
        if not _is_int(value) or value < 0 or value > POINTS_TOTAL:
            raise Invalid("bad_points_value", "Punkte müssen ganze Zahlen von 0 bis {total} sein.", total=POINTS_TOTAL)
        if str(option_id) in points:
            raise Invalid("duplicate_choice", "Jede Antwort kann nur einmal vorkommen.")
        points[str(option_id)] = value
    total = sum(points.values())
    if total != POINTS_TOTAL:
        raise Invalid(
            "points_sum", "Bitte verteilen Sie genau {total} Punkte (jetzt: {sum}).", total=POINTS_TOTAL, sum=total
        )
    # Stored in option order, zeros left out: one answer has one spelling.
    return {k: points[k] for k in sorted(points, key=int) if points[k]}


_EDGE = re.compile(r"^[\W_]+|[\W_]+$", re.UNICODE)


def clean_term(raw: str) -> str:
    """A term as shown: inner spaces collapsed, surrounding spaces and punctuation removed."""
    text = unicodedata.normalize("NFC", " ".join(raw.split()))
    return _EDGE.sub("", text)


def term_key(term: str) -> str:
    """What terms are counted by: case and the ß/ss spelling do not matter."""
    return term.casefold()


def check_terms(live, raw: object) -> tuple[str, ...]:
    if isinstance(raw, str):
        raw = [raw]
    if not isinstance(raw, list) or not all(isinstance(t, str) for t in raw):
        raise Invalid("bad_terms", "Die Begriffe sind ungültig.")
    if len(raw) > 3 * TERMS_MAX:
        raise Invalid("too_many_terms", "Bitte senden Sie höchstens {max} Begriffe.", max=live.max_selections)
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
    if len(terms) > live.max_selections:
        raise Invalid("too_many_terms", "Bitte senden Sie höchstens {max} Begriffe.", max=live.max_selections)
    return tuple(terms)


def check_text(live, raw: object) -> str:
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
    return text


def answer_from_form(kind: str, form: Any) -> dict[str, Any]:
    """The answer of a plain HTML form (no JavaScript) in the shape of a socket message.

    `form` is a multi-dict: choice kinds send `choice` (repeated), scale `value`, word cloud `term`
    (repeated), open text `text`, ranking `rank-<option id>` (the place, 1 = first), points
    `points-<option id>`. What cannot be read becomes a value that check_answer refuses with its message.
    """
    def number(raw: str) -> int | str:
        raw = (raw or "").strip()
        try:
            return int(raw)
        except ValueError:
            return raw

    if kind in CHOICE_KINDS:
        return {"choices": [number(c) for c in form.getlist("choice")]}
    if kind == QuestionKind.scale:
        return {"value": number(form.get("value", ""))}
    if kind == QuestionKind.wordcloud:
        return {"terms": [str(t) for t in form.getlist("term")]}
    if kind == QuestionKind.text:
        return {"text": str(form.get("text", ""))}
    if kind == QuestionKind.ranking:
        places: dict[int, int | str] = {}
        for name, value in form.multi_items():
            if name.startswith("rank-"):
                places[number(name[5:])] = number(str(value))
        if not places or not all(isinstance(p, int) for p in places.values()):
            return {"ranking": None}
        if len(set(places.values())) != len(places):
            raise Invalid("duplicate_rank", "Jede Antwort darf nur einen Platz bekommen.")
        return {"ranking": [option for option, _place in sorted(places.items(), key=lambda kv: kv[1])]}
    if kind == QuestionKind.points:
        points: dict[str, Any] = {}
        for name, value in form.multi_items():
            if name.startswith("points-"):
                value = str(value).strip()
                points[name[7:]] = 0 if value == "" else number(value)
        return {"points": points}
    return {}


def check_answer(*, live, question_id: object, answer: dict[str, Any]) -> tuple[Any, str, bool]:
    """Validate an answer against the live question: (normalised answer, moderation state, flagged)."""
    if not _is_int(question_id):
        raise Invalid("bad_question", "Die Frage ist ungültig.")
    if live is None or live.id != question_id:
        raise Conflict("not_current", "Über diese Frage wird gerade nicht abgestimmt.")
    if not live.accepting():
        raise Conflict("closed", "Die Abstimmung zu dieser Frage ist beendet. Ihre Stimme wurde nicht gezählt.")
    kind = live.kind
    raw = answer.get(ANSWER_FIELDS.get(kind, "choices"))
    if kind in CHOICE_KINDS:
        return check_choices(live, raw), "", False
    if kind == QuestionKind.scale:
        return check_scale(live, raw), "", False
    if kind == QuestionKind.ranking:
        return check_ranking(live, raw), "", False
    if kind == QuestionKind.points:
        return check_points(live, raw), "", False
    if kind == QuestionKind.wordcloud:
        terms = check_terms(live, raw)
        return terms, "", any(profanity.is_suspect(t) for t in terms)
    if kind == QuestionKind.text:
        text = check_text(live, raw)
        return text, Moderation.pending, profanity.is_suspect(text)
    raise Invalid("bad_kind", "Unbekannter Fragetyp.")  # pragma: no cover - kinds are checked on save
