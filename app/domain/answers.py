"""What a phone may answer: the answer of a vote message or a plain form, checked by its question's kind.

Every check runs on the server whatever the phone already checked; a refused answer stores nothing.
The answer arrives in the vote message under one field per kind (see docs/protocol.md and each kind's
`answer_field` in domain.kinds): `choices` (single, multiple, yesno), `value` (scale), `ranking`,
`points`, `terms` (word cloud), `text`. The checks themselves live with their kind (domain/kinds/).
"""

from typing import Any, Protocol

from app.domain import kinds
from app.domain.errors import Conflict, Invalid
from app.domain.kinds.base import FormLike, LiveLike


class LiveAnswerable(LiveLike, Protocol):
    """The live question as the vote path holds it (domain.questions.LiveQuestion)."""

    @property
    def id(self) -> int: ...
    @property
    def kind(self) -> str: ...
    def accepting(self, now: float | None = None) -> bool: ...


def answer_from_form(kind: str, form: FormLike) -> dict[str, Any]:
    """The answer of a plain HTML form (no JavaScript) in the shape of a socket message.

    `form` is a multi-dict; each kind reads its own fields (its `from_form`). What cannot be read becomes a
    value that check_answer refuses with its message.
    """
    definition = kinds.KINDS.get(kind)
    if definition is None:
        return {}
    return {definition.answer_field: definition.from_form(form)}


def check_answer(*, live: LiveAnswerable | None, question_id: object, answer: dict[str, Any]) -> tuple[Any, str, bool]:
    """Validate an answer against the live question: (normalised answer, moderation state, flagged)."""
    if not isinstance(question_id, int) or isinstance(question_id, bool):
        raise Invalid("bad_question", "Die Frage ist ungültig.")
    if live is None or live.id != question_id:
        raise Conflict("not_current", "Über diese Frage wird gerade nicht abgestimmt.")
    if not live.accepting():
        raise Conflict("closed", "Die Abstimmung zu dieser Frage ist beendet. Ihre Stimme wurde nicht gezählt.")
    definition = kinds.get(live.kind)
    return definition.check(live, answer.get(definition.answer_field))
