"""The question kinds, one definition each: answer field, checks, form parsing, tally and limits.

Each kind lives in its own module (choice, scale, ranking, points, wordcloud, text) as a `Kind`; this
module collects them (KINDS), checks what defines a question of a kind (clean_spec) and shapes a question
for phones and projector (question_public). Pages and scripts get the limits from LIMITS, never as literals
(templates: `limits`; scripts: the JSON blob `limits` from _js_strings.html).

Adding a kind today: a module here with its `Kind` and one line in KINDS; the phone's fields in
templates/kinds/phone_<kind>.html and phone-kinds.js; its chart in _results.html and results.js; its name
and explanation in moderator/_kinds.html (and its own form fields, if any, in moderator/question_form.html).
"""

import datetime as dt
from typing import Any

from sqlmodel import Session, col, select

from app.domain.errors import Invalid
from app.domain.kinds.base import Kind, SpecInput
from app.domain.kinds.choice import MAX_OPTIONS, MIN_OPTIONS, MULTIPLE, SINGLE, YESNO, YESNO_OPTIONS
from app.domain.kinds.points import POINTS, POINTS_TOTAL
from app.domain.kinds.ranking import RANKING, RANKING_MAX, RANKING_MIN
from app.domain.kinds.scale import SCALE, SCALE_DEFAULT
from app.domain.kinds.text import TEXT, TEXT_MAX
from app.domain.kinds.wordcloud import TERM_MAX, TERMS_MAX, WORDCLOUD
from app.domain.shapes import QuestionPublic, ScalePublic
from app.models import Option, PhoneResults, Question, QuestionStatus, Topic

__all__ = [
    "KINDS", "KINDS_WITH_OPTIONS", "LIMITS", "MAX_OPTIONS", "MIN_OPTIONS", "OPTION_LABEL_MAX", "POINTS_TOTAL",
    "RANKING_MAX", "RANKING_MIN", "TERMS_MAX", "TERM_MAX", "TEXT_MAX", "TIME_LIMIT_MAX", "TIME_LIMIT_MIN",
    "YESNO_OPTIONS", "Kind", "clean_spec", "epoch_ms", "get", "question_public",
]

KINDS: dict[str, Kind] = {k.name: k for k in (SINGLE, MULTIPLE, YESNO, SCALE, WORDCLOUD, TEXT, RANKING, POINTS)}
# How many options a moderator gives, for the kinds with free options.
KINDS_WITH_OPTIONS: dict[str, tuple[int, int]] = {k.name: k.options for k in KINDS.values() if k.options}

OPTION_LABEL_MAX = 200
TIME_LIMIT_MIN, TIME_LIMIT_MAX = 10, 3600

# Every number pages and scripts show or check, by name (templates: `limits.text_max`; scripts: data- attributes).
LIMITS: dict[str, int] = {
    "option_label_max": OPTION_LABEL_MAX,
    "time_limit_min": TIME_LIMIT_MIN,
    "time_limit_max": TIME_LIMIT_MAX,
    **{name: value for kind in KINDS.values() for name, value in kind.limits.items()},
}


def get(kind: str) -> Kind:
    """The kind's definition; an unknown kind is refused (kinds are checked when a question is saved)."""
    try:
        return KINDS[kind]
    except KeyError:
        raise Invalid("bad_kind", "Unbekannter Fragetyp.") from None


def _clean_options(labels: list[str], low: int = MIN_OPTIONS, high: int = MAX_OPTIONS) -> list[str]:
    cleaned = [" ".join(label.split()) for label in labels]
    cleaned = [label for label in cleaned if label]
    if len(cleaned) < low:
        raise Invalid("too_few_options", "Eine Frage braucht mindestens {min} Antwortmöglichkeiten.", min=low)
    if len(cleaned) > high:
        raise Invalid("too_many_options", "Eine Frage darf höchstens {max} Antwortmöglichkeiten haben.", max=high)
    for label in cleaned:
        if len(label) > OPTION_LABEL_MAX:
            raise Invalid("option_too_long", "Eine Antwortmöglichkeit darf höchstens {max} Zeichen lang sein.", max=OPTION_LABEL_MAX)
    if len({label.casefold() for label in cleaned}) != len(cleaned):
        raise Invalid("duplicate_option", "Jede Antwortmöglichkeit darf nur einmal vorkommen.")
    return cleaned


def clean_spec(
    *,
    kind: str,
    options: list[str],
    max_choices: int | None = None,
    scale_min: int | None = None,
    scale_max: int | None = None,
    scale_label_min: str = "",
    scale_label_max: str = "",
    time_limit_s: int | None = None,
    phone_results: str | None = None,
    results_shown: bool | None = None,
) -> tuple[dict[str, Any], list[str]]:
    """Check what defines a question of a kind; return its columns and its option labels."""
    definition = get(kind)
    fields: dict[str, Any] = {"kind": kind, "max_choices": None, "scale_min": None, "scale_max": None,
                              "scale_label_min": "", "scale_label_max": ""}
    labels = _clean_options(options, *definition.options) if definition.options else list(definition.fixed_options)
    fields.update(definition.spec(labels, SpecInput(max_choices, scale_min, scale_max, scale_label_min, scale_label_max)))
    if time_limit_s is not None and not TIME_LIMIT_MIN <= time_limit_s <= TIME_LIMIT_MAX:
        raise Invalid("bad_time_limit", "Das Zeitlimit muss zwischen {min} und {max} Sekunden liegen.", min=TIME_LIMIT_MIN, max=TIME_LIMIT_MAX)
    fields["time_limit_s"] = time_limit_s
    if phone_results is not None:
        if phone_results not in set(PhoneResults):
            raise Invalid("bad_phone_results", "Unbekannte Einstellung für das Ergebnis auf den Handys.")
        fields["phone_results"] = phone_results
    if results_shown is not None:
        fields["results_shown"] = bool(results_shown)
    return fields, labels


def epoch_ms(moment: dt.datetime | None) -> int | None:
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return int(moment.timestamp() * 1000)


def question_public(
    *, session: Session, question: Question, opts: list[Option] | None = None, topic: Topic | None = None
) -> QuestionPublic:
    """The question as phones and projector see it; `max_choices` is how many may be chosen (or terms sent)."""
    topic = topic or session.get(Topic, question.topic_id)
    if opts is None:
        opts = list(session.exec(select(Option).where(Option.question_id == question.id).order_by(col(Option.position), col(Option.id))))
    scale: ScalePublic | None = None
    if question.kind == SCALE.name:
        scale = {
            "min": SCALE_DEFAULT[0] if question.scale_min is None else question.scale_min,
            "max": SCALE_DEFAULT[1] if question.scale_max is None else question.scale_max,
            "label_min": question.scale_label_min,
            "label_max": question.scale_label_max,
        }
    return {
        "id": question.id or 0,
        "key": question.key,
        "text": question.text,
        "kind": question.kind,
        "max_choices": get(question.kind).limit(question.max_choices, len(opts)),
        "status": question.status,
        "round": question.round,
        "results_shown": question.results_shown,
        "phone_results": question.phone_results,
        "compare_rounds": question.compare_rounds,
        "time_limit_s": question.time_limit_s,
        "closes_at": epoch_ms(question.closes_at) if question.status == QuestionStatus.open else None,
        "topic": topic.title if topic else "",
        "topic_id": question.topic_id,
        "scale": scale,
        "options": [{"id": o.id or 0, "label": o.label} for o in opts],
    }
