"""The shapes the domain hands to routes, sockets and pages: a question, a result, an event's state.

They are the JSON of docs/protocol.md; TypedDicts, so annotations say what a dict holds.
"""

from typing import Any, NotRequired, TypedDict


class OptionPublic(TypedDict):
    id: int
    label: str


class ScalePublic(TypedDict):
    min: int
    max: int
    label_min: str
    label_max: str


class QuestionPublic(TypedDict):
    """A question as phones and projector see it (kinds.question_public)."""

    id: int
    key: str
    text: str
    kind: str
    # How many options may be chosen (or terms sent); a ranking or points question: every option.
    max_choices: int
    status: str
    round: int
    results_shown: bool
    phone_results: str
    compare_rounds: bool
    time_limit_s: int | None
    closes_at: int | None  # epoch ms, while open with a countdown
    topic: str
    topic_id: int
    scale: ScalePublic | None
    options: list[OptionPublic]


class TermResult(TypedDict):
    key: str
    label: str
    n: int
    hidden: NotRequired[bool]
    flagged: NotRequired[bool]


# A word-cloud merge as the moderator sees it: `from` counts as `into`; `n` people named `from` in this round.
# ("from" is a Python keyword, hence the functional form.)
TermMergeResult = TypedDict("TermMergeResult", {"from": str, "into": str, "from_label": str, "into_label": str, "n": int})


class TextAnswer(TypedDict):
    id: int
    text: str
    status: NotRequired[str]
    flagged: NotRequired[bool]


class Results(TypedDict):
    """A question round's result (domain.results); `counts` None: hidden from this role.

    Besides the common keys, per kind: scale `mean`, `median`; ranking `avg_rank`, `order`, `max_points`;
    points `totals`; word cloud `terms` and `merges` (moderator) or `merged` (the others); open text `answers`.
    `archived`: from the archive (retention).
    """

    question_id: int
    round: int
    kind: str
    voters: int
    counts: dict[str, Any] | None
    mean: NotRequired[float | None]
    median: NotRequired[float | None]
    avg_rank: NotRequired[dict[str, float | None]]
    order: NotRequired[list[int]]
    max_points: NotRequired[int]
    totals: NotRequired[dict[str, int]]
    terms: NotRequired[list[TermResult]]
    merges: NotRequired[list[TermMergeResult]]  # word cloud, moderator
    merged: NotRequired[dict[str, str]]  # word cloud, projector and phones: merged key → shown term's key
    answers: NotRequired[list[TextAnswer]]
    archived: NotRequired[bool]
    # Choice kinds and scale (#18): each source's part when anything but phones counted; "ca." when estimated.
    sources: NotRequired[dict[str, dict[str, Any]]]
    estimated: NotRequired[bool]


class RoundResults(TypedDict):
    round: int
    results: Results | None


class TopicItem(TypedDict):
    question: QuestionPublic
    results: Results | None


class TopicRef(TypedDict):
    id: int
    title: str


class TopicView(TypedDict):
    topic: TopicRef
    items: list[TopicItem]


class EventRef(TypedDict):
    id: int
    title: str
    place: str
    join_code: str


class State(TypedDict):
    """An event's current state as the moderator sees it (domain.snapshot); role_views trims it per role."""

    type: str
    version: int
    event: EventRef
    phase: str  # join, open, closed
    screen: str  # join, question, topic
    question: QuestionPublic | None
    results: Results | None
    rounds: list[RoundResults]
    topic_view: TopicView | None
    topics: list[TopicRef] | None
    agenda: str | None  # moderator only: fingerprint of the agenda (events.agenda_digest)
    check: dict[str, Any] | None
    counting: NotRequired[str]  # "hands" / "paper" while the closed current question is being counted (#18)
    # The event's segment questions (domain.segments) and, on screen "breakdown", the current result by one of them.
    segments: NotRequired[list[dict[str, Any]]]
    breakdown: NotRequired[dict[str, Any] | None]


class RoleViews(TypedDict):
    """What each role may see of a state (snapshot.role_views); phones get a trimmed dict."""

    moderator: State
    projector: State
    attendee: dict[str, Any]
