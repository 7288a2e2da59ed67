"""Scale: one value from scale_min to scale_max, with a label at both ends; distribution, mean and median."""

import statistics
from typing import Any

from app.domain import sources
from app.domain.errors import Invalid
from app.domain.events import _clean
from app.domain.kinds.base import Db, FormLike, Kind, LiveLike, Review, SpecInput, is_int, number
from app.domain.shapes import QuestionPublic
from app.models import QuestionKind

SCALE_LOWS = (0, 1)  # a scale begins at 0 or 1 …
SCALE_HIGH_MIN, SCALE_HIGH_MAX = 2, 10  # … and ends at 2 to 10
SCALE_DEFAULT = (1, 5)
SCALE_LABEL_MAX = 60


def check(live: LiveLike, raw: object) -> tuple[Any, str, bool]:
    if isinstance(raw, list) and len(raw) == 1:
        raw = raw[0]
    if raw is None or raw == "":
        raise Invalid("no_value", "Bitte wählen Sie einen Wert.")
    if not is_int(raw) or not live.scale_min <= raw <= live.scale_max:  # type: ignore[operator]
        raise Invalid("bad_value", "Bitte wählen Sie einen Wert von {min} bis {max}.", min=live.scale_min, max=live.scale_max)
    return (raw,), "", False


def from_form(form: FormLike) -> int | str:
    """`value`."""
    return number(form.get("value", ""))


def tally(db: Db, question: QuestionPublic, round: int, review: Review) -> dict[str, Any]:
    """The distribution over the scale's values from every source (domain.sources), its mean and median."""
    scale = question["scale"]
    low, high = (scale["min"], scale["max"]) if scale else SCALE_DEFAULT
    keys = [str(v) for v in range(low, high + 1)]
    parts: dict[str, dict[str, Any]] = {}
    for answer, source, n in sources.grouped_by_source(db, question["id"], round):
        value = answer[0] if isinstance(answer, list) and answer else None
        if isinstance(value, int) and str(value) in keys:
            part = parts.setdefault(source, {"voters": 0, "counts": dict.fromkeys(keys, 0)})
            part["voters"] += n
            part["counts"][str(value)] += n
    result = sources.combine(parts, keys, sources.manual_counts(db, question["id"], round))
    values = [v for v in range(low, high + 1) for _ in range(result["counts"][str(v)])]
    # Exact: pages round once, for display (docs/protocol.md, "Numbers"). An even count's median is the mean of
    # the two middle values.
    result["mean"] = sum(values) / len(values) if values else None
    result["median"] = statistics.median(values) if values else None
    return result


def spec(labels: list[str], given: SpecInput) -> dict[str, Any]:
    low = SCALE_DEFAULT[0] if given.scale_min is None else given.scale_min
    high = SCALE_DEFAULT[1] if given.scale_max is None else given.scale_max
    if low not in SCALE_LOWS or not SCALE_HIGH_MIN <= high <= SCALE_HIGH_MAX or high <= low:
        raise Invalid("bad_scale", "Eine Skala beginnt bei 0 oder 1 und endet bei 2 bis 10, z. B. 1–5 oder 0–10.")
    return {
        "scale_min": low,
        "scale_max": high,
        "scale_label_min": _clean(given.scale_label_min, field="Beschriftung links", max_len=SCALE_LABEL_MAX, required=False),
        "scale_label_max": _clean(given.scale_label_max, field="Beschriftung rechts", max_len=SCALE_LABEL_MAX, required=False),
    }


SCALE = Kind(
    name=QuestionKind.scale, answer_field="value", check=check, from_form=from_form, tally=tally, spec=spec,
    limits={"scale_high_min": SCALE_HIGH_MIN, "scale_high_max": SCALE_HIGH_MAX, "scale_label_max": SCALE_LABEL_MAX},
)
