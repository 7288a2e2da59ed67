"""What a moderator action is made of: its target, its messages, and the `Action` record the table in
`domain/actions.py` lists (kept apart so the table has room to grow)."""

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Literal

from sqlmodel import Session

from app.domain.errors import NotFound
from app.models import Event, Question, Topic, User

Scope = Literal["event", "topic", "question"]
Publish = Literal["state", "tally", "nothing"]
Params = Mapping[str, object]
Message = tuple[str, dict[str, object]]


@dataclass(frozen=True, slots=True)
class Target:
    """What an action works on: the event (always), and the topic or question its URL names."""

    session: Session
    user: User
    event: Event
    topic: Topic | None = None
    question: Question | None = None

    @property
    def the_question(self) -> Question:
        if self.question is None:
            raise NotFound("question_not_found", "Diese Frage gibt es nicht.")
        return self.question

    @property
    def the_topic(self) -> Topic:
        if self.topic is None:
            raise NotFound("topic_not_found", "Dieses Thema gibt es nicht.")
        return self.topic


Run = Callable[[Target, Params], object]


def _say(text: str) -> Callable[[object, Params], Message]:
    return lambda _result, _params: (text, {})


def _silent(_result: object, _params: Params) -> Message:
    return "", {}


def _same(before: str, _result: object) -> str:
    return before


@dataclass(frozen=True, slots=True)
class Action:
    """One thing a moderator can do. `verb` is its name in URLs (a topic's "rename" is "topic-rename")."""

    name: str
    label: str  # in the audit log
    scope: Scope = "event"
    run: Run | None = None  # None: written to the audit log by its own code (e.g. a new event, accounts)
    message: Callable[[object, Params], Message] = _silent
    publish: Publish = "state"
    live: bool = False  # a control of the running vote (the page returns to its live panel)
    detail: Callable[[Target, Params], str] = lambda _t, _p: ""
    describe: Callable[[str, object], str] = _same  # the audit detail once it ran, from the detail before

    @property
    def verb(self) -> str:
        return self.name.removeprefix("topic-") if self.scope == "topic" else self.name
