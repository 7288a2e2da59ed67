"""What every question kind is made of (`Kind`), and the helpers the kind modules share."""

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol, overload

from sqlalchemy import Connection, func, select
from sqlmodel import Session

from app.domain.errors import Invalid
from app.domain.shapes import QuestionPublic
from app.models import Vote, table_of

Db = Session | Connection


@dataclass(frozen=True, slots=True)
class TermMerge:
    """A word-cloud term the moderator merged into another one: its people are counted there (keys as
    wordcloud.term_key folds them; the labels as they read when it was merged)."""

    source: str
    into: str
    source_label: str = ""
    into_label: str = ""


@dataclass(frozen=True, slots=True)
class Review:
    """The moderator's review of a word cloud's terms (Question.hidden_terms and term_merges, parsed): keys
    hidden, keys shown although flagged, merges. Other kinds get an empty one."""

    hide: frozenset[str] = frozenset()
    allow: frozenset[str] = frozenset()
    merges: tuple[TermMerge, ...] = ()



class LiveLike(Protocol):
    """What an answer check reads of the live question (domain.questions.LiveQuestion)."""

    @property
    def option_ids(self) -> frozenset[int]: ...
    @property
    def max_choices(self) -> int: ...
    @property
    def scale_min(self) -> int: ...
    @property
    def scale_max(self) -> int: ...


class FormLike(Protocol):
    """The multi-dict of a posted form (starlette's FormData)."""

    @overload
    def get(self, key: str, /) -> Any: ...
    @overload
    def get(self, key: str, default: Any, /) -> Any: ...
    def getlist(self, key: str) -> list[Any]: ...
    def multi_items(self) -> list[tuple[str, Any]]: ...


# A kind's answer check: (normalised answer, moderation state, flagged).
Check = Callable[[LiveLike, object], tuple[Any, str, bool]]
# A kind's form parsing: the plain HTML form's answer in the shape of a socket message's answer field.
FromForm = Callable[[FormLike], Any]
# A kind's tally: its part of the full result (at least `voters`; `counts` unless the kind adds it itself).
Tally = Callable[[Db, QuestionPublic, int, Review], dict[str, Any]]
# A kind's own question fields (clean_spec): given the cleaned option labels and the form's settings.
Spec = Callable[[list[str], "SpecInput"], dict[str, Any]]


@dataclass(frozen=True, slots=True)
class SpecInput:
    """What a question form or API body says about a kind's own fields (clean_spec's arguments)."""

    max_choices: int | None = None
    scale_min: int | None = None
    scale_max: int | None = None
    scale_label_min: str = ""
    scale_label_max: str = ""


def no_spec(labels: list[str], given: SpecInput) -> dict[str, Any]:
    return {}


@dataclass(frozen=True, slots=True)
class Kind:
    """One question kind: its answer field, its checks and form parsing, its tally and its limits."""

    name: str
    # The field of the vote message that carries the answer (docs/protocol.md).
    answer_field: str
    check: Check
    from_form: FromForm
    tally: Tally
    # How many options a moderator gives (min, max); None: the kind has no free options.
    options: tuple[int, int] | None = None
    # Options the kind always has (yes/no), instead of free ones.
    fixed_options: tuple[str, ...] = ()
    spec: Spec = no_spec
    # question_public's `max_choices` (how many may be chosen or sent), given the stored value and the options.
    limit: Callable[[int | None, int], int] = lambda stored, n_options: 1
    # What projector and phones may see of a shown result, if less than the moderator (results.public).
    public: Callable[[dict[str, Any]], dict[str, Any]] | None = None
    # The tally needs the moderator's review lists of terms (word cloud).
    term_review: bool = False
    # The numbers pages and scripts show and check (merged into kinds.LIMITS).
    limits: Mapping[str, int] = field(default_factory=dict)


def is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def number(raw: str) -> int | str:
    """A form field as an integer if it is one, else as typed (the check refuses it with its message)."""
    raw = (raw or "").strip()
    try:
        return int(raw)
    except ValueError:
        return raw


def unknown_option() -> Invalid:
    return Invalid("unknown_option", "Diese Antwortmöglichkeit gehört nicht zur Frage.")


def grouped(db: Db, question_id: int, round: int) -> list[tuple[Any, int]]:
    """Distinct answers with how often each was given (the database does the counting)."""
    table = table_of(Vote)
    rows = db.execute(
        select(table.c.choices, func.count())
        .where(table.c.question_id == question_id, table.c.round == round)
        .group_by(table.c.choices)
    )
    return [(json.loads(raw), n) for raw, n in rows]


def option_ids(question: QuestionPublic) -> list[int]:
    return [o["id"] for o in question["options"]]
