"""Points: a fixed total (100) spread over the options; the average per option."""

from typing import Any

from app.domain.errors import Invalid
from app.domain.kinds.base import Db, FormLike, Kind, LiveLike, Review, grouped, is_int, number, option_ids, unknown_option
from app.domain.kinds.choice import MAX_OPTIONS, MIN_OPTIONS
from app.domain.shapes import QuestionPublic
from app.models import QuestionKind

POINTS_TOTAL = 100


def check(live: LiveLike, raw: object) -> tuple[Any, str, bool]:
    if not isinstance(raw, dict) or not raw:
        raise Invalid("bad_points", "Bitte verteilen Sie {total} Punkte auf die Antworten.", total=POINTS_TOTAL)
    points: dict[str, int] = {}
    for key, value in raw.items():
        try:
            option_id = int(key)
        except (TypeError, ValueError):
            raise unknown_option() from None
        if option_id not in live.option_ids:
            raise unknown_option()
        if not is_int(value) or value < 0 or value > POINTS_TOTAL:
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
    return {k: points[k] for k in sorted(points, key=int) if points[k]}, "", False


def from_form(form: FormLike) -> dict[str, int | str]:
    """`points-<option id>`; an empty field is 0."""
    points: dict[str, int | str] = {}
    for name, value in form.multi_items():
        if name.startswith("points-"):
            value = str(value).strip()
            points[name[7:]] = 0 if value == "" else number(value)
    return points


def tally(db: Db, question: QuestionPublic, round: int, review: Review) -> dict[str, Any]:
    ids = option_ids(question)
    totals = dict.fromkeys(ids, 0)
    voters = 0
    for answer, count in grouped(db, question["id"], round):
        if not isinstance(answer, dict):
            continue
        voters += count
        for key, value in answer.items():
            if int(key) in totals and isinstance(value, int):
                totals[int(key)] += value * count
    avg = {str(i): (totals[i] / voters if voters else 0) for i in ids}  # exact; pages round for display
    return {"voters": voters, "counts": avg, "totals": {str(i): totals[i] for i in ids}}


POINTS = Kind(
    name=QuestionKind.points, answer_field="points", check=check, from_form=from_form, tally=tally,
    options=(MIN_OPTIONS, MAX_OPTIONS), limit=lambda stored, n_options: n_options,
    limits={"points_total": POINTS_TOTAL},
)
