"""Choice kinds: single, multiple and yes/no. The answer is a set of option ids, tallied alike."""

from typing import Any

from app.domain import sources
from app.domain.errors import Invalid
from app.domain.kinds.base import Db, FormLike, Kind, LiveLike, Review, SpecInput, is_int, number, option_ids, unknown_option
from app.domain.shapes import QuestionPublic
from app.models import QuestionKind

MIN_OPTIONS = 2
MAX_OPTIONS = 10
YESNO_OPTIONS = ("Ja", "Nein", "Enthaltung")


def check(live: LiveLike, raw: object) -> tuple[Any, str, bool]:
    if is_int(raw):
        raw = [raw]
    if not isinstance(raw, list) or not all(is_int(c) for c in raw):
        raise Invalid("bad_choices", "Die Auswahl ist ungültig.")
    picked = tuple(sorted(set(raw)))
    if not picked:
        raise Invalid("no_choice", "Bitte wählen Sie eine Antwort aus.")
    if len(picked) != len(raw):
        raise Invalid("duplicate_choice", "Jede Antwort kann nur einmal gewählt werden.")
    if not live.option_ids.issuperset(picked):
        raise unknown_option()
    limit = live.max_choices
    if len(picked) > limit:
        if limit == 1:
            raise Invalid("too_many", "Bitte wählen Sie nur eine Antwort.")
        raise Invalid("too_many", "Bitte wählen Sie höchstens {max} Antworten.", max=limit)
    return picked, "", False


def from_form(form: FormLike) -> list[int | str]:
    """`choice`, repeated."""
    return [number(c) for c in form.getlist("choice")]


def count(*, session: Db, question_id: int, option_ids: list[int], round: int = 1) -> dict[str, Any]:
    """Votes per option and the number of people who voted: phones and tablets as stored, hands and paper
    slips as entered (domain.sources), added up; `sources` names each part when there is more than phones."""
    keys = [str(k) for k in option_ids]
    parts: dict[str, dict[str, Any]] = {}
    for answer, source, n in sources.grouped_by_source(session, question_id, round):
        part = parts.setdefault(source, {"voters": 0, "counts": dict.fromkeys(keys, 0)})
        part["voters"] += n
        for option_id in answer:
            if str(option_id) in part["counts"]:
                part["counts"][str(option_id)] += n
    return sources.combine(parts, keys, sources.manual_counts(session, question_id, round))


def tally(db: Db, question: QuestionPublic, round: int, review: Review) -> dict[str, Any]:
    return count(session=db, question_id=question["id"], option_ids=option_ids(question), round=round)


def multiple_spec(labels: list[str], given: SpecInput) -> dict[str, Any]:
    if given.max_choices is not None and not 1 <= given.max_choices <= len(labels):
        raise Invalid("bad_max_choices", "Die Höchstzahl der Auswahl muss zwischen 1 und {n} liegen.", n=len(labels))
    return {"max_choices": given.max_choices}


def _choice_kind(name: str, **rest: Any) -> Kind:
    return Kind(name=name, answer_field="choices", check=check, from_form=from_form, tally=tally, **rest)


SINGLE = _choice_kind(QuestionKind.single, options=(MIN_OPTIONS, MAX_OPTIONS),
                      limits={"options_min": MIN_OPTIONS, "options_max": MAX_OPTIONS})
MULTIPLE = _choice_kind(QuestionKind.multiple, options=(MIN_OPTIONS, MAX_OPTIONS), spec=multiple_spec,
                        limit=lambda stored, n_options: stored or n_options)
YESNO = _choice_kind(QuestionKind.yesno, fixed_options=YESNO_OPTIONS)
