"""Ranking: every option in an order; Borda points and the average place."""

from typing import Any

from app.domain.errors import Invalid
from app.domain.kinds.base import Db, FormLike, Kind, LiveLike, Review, grouped, is_int, number, option_ids, unknown_option
from app.domain.shapes import QuestionPublic
from app.models import QuestionKind

RANKING_MIN, RANKING_MAX = 3, 8


def check(live: LiveLike, raw: object) -> tuple[Any, str, bool]:
    if not isinstance(raw, list) or not all(is_int(c) for c in raw):
        raise Invalid("bad_ranking", "Die Reihenfolge ist ungültig.")
    if not raw:
        raise Invalid("no_ranking", "Bitte bringen Sie die Antworten in eine Reihenfolge.")
    if len(set(raw)) != len(raw):
        raise Invalid("duplicate_rank", "Jede Antwort darf nur einen Platz bekommen.")
    if not live.option_ids.issuperset(raw):
        raise unknown_option()
    if len(raw) != len(live.option_ids):
        raise Invalid("incomplete_ranking", "Bitte bringen Sie alle {n} Antworten in eine Reihenfolge.", n=len(live.option_ids))
    return tuple(raw), "", False


def from_form(form: FormLike) -> list[int | str] | None:
    """`rank-<option id>`: the place, 1 = first."""
    places: dict[int | str, int | str] = {}
    for name, value in form.multi_items():
        if name.startswith("rank-"):
            places[number(name[5:])] = number(str(value))
    if not places or not all(isinstance(p, int) for p in places.values()):
        return None
    if len(set(places.values())) != len(places):
        raise Invalid("duplicate_rank", "Jede Antwort darf nur einen Platz bekommen.")
    return [option for option, _place in sorted(places.items(), key=lambda kv: kv[1])]


def tally(db: Db, question: QuestionPublic, round: int, review: Review) -> dict[str, Any]:
    ids = option_ids(question)
    n = len(ids)
    borda = dict.fromkeys(ids, 0)
    rank_sum = dict.fromkeys(ids, 0)
    voters = 0
    for answer, count in grouped(db, question["id"], round):
        if not isinstance(answer, list) or set(answer) != set(ids):
            continue  # a ranking from before the options changed: not comparable
        voters += count
        for place, option_id in enumerate(answer):
            borda[option_id] += (n - 1 - place) * count
            rank_sum[option_id] += (place + 1) * count
    avg = {str(i): (rank_sum[i] / voters if voters else None) for i in ids}  # exact; pages round for display
    # Most points first; equal points keep the moderator's order of the options.
    order = sorted(ids, key=lambda i: (-borda[i], ids.index(i)))
    return {"voters": voters, "counts": {str(i): borda[i] for i in ids}, "avg_rank": avg, "order": order,
            "max_points": (n - 1) * voters}


RANKING = Kind(
    name=QuestionKind.ranking, answer_field="ranking", check=check, from_form=from_form, tally=tally,
    options=(RANKING_MIN, RANKING_MAX), limit=lambda stored, n_options: n_options,
    limits={"ranking_min": RANKING_MIN, "ranking_max": RANKING_MAX},
)
