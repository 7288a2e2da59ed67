"""Hand counts and paper slips (#18): the moderator counts the people who did not vote by phone or tablet.

"Handzeichen zählen" marks the closed question as being counted (phones that voted say "bitte jetzt nicht die
Hand heben", the projector invites the others); the moderator enters a whole number per option, optionally
"geschätzt", and who counted. An entry is one row per question round and source; a correction replaces it, and
the audit log keeps old → new. Only choice kinds and scales can be counted by hand: a ranking, points or a text
cannot be shown with a raised hand.
"""

import json
from collections.abc import Mapping
from dataclasses import dataclass, field

from sqlmodel import Session, select

from app.domain import sources
from app.domain.errors import AlreadyDone, Conflict, Invalid
from app.domain.kinds import question_public
from app.domain.results import compute
from app.domain.shapes import QuestionPublic
from app.i18n import N_
from app.models import CountSource, Event, ManualCount, Question, QuestionKind, QuestionStatus, utcnow

COUNTABLE = frozenset({QuestionKind.single, QuestionKind.multiple, QuestionKind.yesno, QuestionKind.scale})
COUNT_MAX = 100_000
COUNTED_BY_MAX = 80
SOURCE_LABELS: dict[str, str] = {
    CountSource.phone.value: N_("Handy"),
    CountSource.tablet.value: N_("Hilfe-Tablet"),
    CountSource.hands.value: N_("Handzeichen"),
    CountSource.paper.value: N_("Stimmzettel"),
}


class CountRefused(Invalid):
    """An entry that cannot be stored as typed: the message, and one per field (by option key) to show beside it."""

    def __init__(self, code: str, message: str, /, fields: dict[str, tuple[str, dict[str, object]]] | None = None,
                 **params: object) -> None:
        super().__init__(code, message, **params)
        self.fields = fields or {}


@dataclass(frozen=True, slots=True)
class CountChange:
    """What an entry changed, for the audit log (old → new) and the message."""

    source: str
    voters: int
    estimated: bool
    detail: str
    removed: bool = False
    confirmed: bool = False
    counts: dict[str, int] = field(default_factory=dict)


def countable(question: Question | QuestionPublic) -> bool:
    kind = question["kind"] if isinstance(question, dict) else question.kind
    return kind in COUNTABLE


def keys_and_labels(question: QuestionPublic) -> list[tuple[str, str]]:
    """What is counted, in order: the options, or a scale's values (with its end labels)."""
    if question["kind"] == QuestionKind.scale and question["scale"]:
        scale = question["scale"]
        out = []
        for value in range(scale["min"], scale["max"] + 1):
            end = scale["label_min"] if value == scale["min"] else scale["label_max"] if value == scale["max"] else ""
            out.append((str(value), f"{value} ({end})" if end else str(value)))
        return out
    return [(str(o["id"]), o["label"]) for o in question["options"]]


def parse_source(raw: object, *, manual_only: bool = True) -> str:
    allowed = sources.MANUAL if manual_only else sources.ORDER
    if raw not in allowed:
        raise Invalid("bad_source", "Bitte wählen Sie, was gezählt wird: Handzeichen oder Stimmzettel.")
    return str(raw)


def _whole(raw: object, label: str) -> tuple[int | None, tuple[str, dict[str, object]] | None]:
    text = str(raw if raw is not None else "").strip().replace(".", "").replace(" ", "")
    if not text:
        return None, (N_("Bitte geben Sie für „{label}“ eine Zahl ein (0, wenn niemand)."), {"label": label})
    if text.startswith("-") and text[1:].isdigit():
        return None, (N_("„{label}“: Die Zahl darf nicht negativ sein."), {"label": label})
    if not text.isascii() or not text.isdigit():
        return None, (N_("„{label}“: Bitte eine ganze Zahl eingeben, z. B. 12."), {"label": label})
    value = int(text)
    if value > COUNT_MAX:
        return None, (N_("„{label}“: Die Zahl ist zu groß."), {"label": label})
    return value, None


def _refuse_state(question: Question) -> None:
    if question.kind not in COUNTABLE:
        raise Conflict("not_countable", "Für Rangfolgen, Punkte, Wortwolken und freie Antworten gibt es keine Zählung per Hand oder "
                                        "Stimmzettel: Bitte nutzen Sie dafür das Hilfe-Tablet.")
    if question.status == QuestionStatus.open:
        raise Conflict("still_open", "Die Abstimmung läuft noch. Bitte schließen Sie sie, bevor Sie Handzeichen oder Stimmzettel zählen.")
    if question.status != QuestionStatus.closed:
        raise Conflict("not_asked", "Diese Frage wurde noch nicht gestellt.")


def start(*, session: Session, event: Event, question: Question, source: object) -> Event:
    """"Handzeichen zählen" / "Stimmzettel zählen": the closed current question is being counted."""
    which = parse_source(source)
    _refuse_state(question)
    if event.current_question_id != question.id:
        raise Conflict("not_current", "Gezählt wird die Frage, die gerade angezeigt wird. Bitte zeigen Sie diese Frage zuerst an.")
    if event.counting == which and event.counting_question_id == question.id:
        raise AlreadyDone("already_counting", "Es wird schon gezählt.")
    event.counting, event.counting_question_id = which, question.id
    session.add(event)
    return event


def stop(*, session: Session, event: Event) -> Event:
    """The count is over (saved or cancelled): phones and projector return to the result."""
    if not event.counting:
        raise AlreadyDone("not_counting", "Es wird gerade nicht gezählt.")
    event.counting, event.counting_question_id = "", None
    session.add(event)
    return event


def counting_now(event: Event, question_id: int | None) -> str:
    """The source being counted for the current question, or ""."""
    return event.counting if event.counting and question_id is not None and event.counting_question_id == question_id else ""


def entry_of(*, session: Session, question: Question, source: str) -> ManualCount | None:
    return session.exec(select(ManualCount).where(ManualCount.question_id == question.id, ManualCount.round == question.round,
                                                  ManualCount.source == source)).first()


def _describe(labels: list[tuple[str, str]], old: dict[str, int] | None, new: dict[str, int] | None) -> str:
    parts = []
    for key, label in labels:
        before = "–" if old is None else str(old.get(key, 0))
        after = "–" if new is None else str(new.get(key, 0))
        parts.append(f"{label} {before}" if before == after else f"{label} {before} → {after}")
    return ", ".join(parts)


def save(*, session: Session, event: Event, question: Question, params: Mapping[str, object]) -> CountChange:
    """Store (or correct) the count of one source for the question's current round, after every check.

    `params`: source, values {key: typed}, voters (multiple choice: how many people raised a hand at all),
    estimated, counted_by, confirm (the total may exceed the people in the hall).
    """
    which = parse_source(params.get("source"))
    _refuse_state(question)
    public = question_public(session=session, question=question)
    labels = keys_and_labels(public)
    typed = params.get("values")
    typed = typed if isinstance(typed, Mapping) else {}
    hall = event.people_in_hall
    values: dict[str, int] = {}
    errors: dict[str, tuple[str, dict[str, object]]] = {}
    for key, label in labels:
        value, error = _whole(typed.get(key), label)
        if error is None and value is not None and hall is not None and value > hall:
            error = (N_("„{label}“: {n} ist mehr als die {people} Personen im Saal."), {"label": label, "n": value, "people": hall})
        if error:
            errors[key] = error
        elif value is not None:
            values[key] = value
    voters = sum(values.values())
    if question.kind == QuestionKind.multiple and not errors:
        people, error = _whole(params.get("voters"), "Personen, die sich gemeldet haben")
        if error is None and people is not None and people < max(values.values(), default=0):
            error = (N_("Es haben sich mindestens so viele Personen gemeldet wie bei der häufigsten Antwort ({n})."),
                     {"n": max(values.values())})
        if error is None and people is not None and people > voters:
            error = (N_("Mehr Personen ({people}) als Meldungen insgesamt ({n}): Bitte prüfen Sie die Zahlen."), {"people": people, "n": voters})
        if error:
            errors["voters"] = error
        else:
            voters = people or 0
    if errors:
        message, msg_params = next(iter(errors.values()))
        raise CountRefused("bad_count", message, fields=errors, **msg_params)
    counted_by = " ".join(str(params.get("counted_by") or "").split())
    if len(counted_by) > COUNTED_BY_MAX:
        raise CountRefused("bad_counted_by", "„Gezählt von“ ist zu lang (höchstens {max} Zeichen).", max=COUNTED_BY_MAX)
    estimated = str(params.get("estimated") or "").lower() in ("1", "on", "true", "yes")
    entry = entry_of(session=session, question=question, source=which)
    old = json.loads(entry.counts) if entry is not None else None
    others = compute(session, public)
    total = sources.stored_voters(dict(others)) + sum(
        part["voters"] for src, part in (others.get("sources") or {}).items() if src in sources.MANUAL and src != which) + voters
    confirmed = False
    if hall is not None and total > hall:
        if str(params.get("confirm") or "").lower() not in ("1", "on", "true", "yes"):
            raise CountRefused("over_hall", "Zusammen sind das {total} Stimmen, aber nur {people} Personen im Saal. Bitte prüfen Sie die "
                                            "Zahlen, oder bestätigen Sie, dass sie stimmen.", total=total, people=hall)
        confirmed = True
    if entry is None:
        entry = ManualCount(question_id=question.id, round=question.round, source=which, counts="{}")
    entry.counts = json.dumps(values, separators=(",", ":"))
    entry.voters, entry.estimated, entry.counted_by, entry.updated_at = voters, estimated, counted_by, utcnow()
    session.add(entry)
    if event.counting_question_id == question.id:
        event.counting, event.counting_question_id = "", None
        session.add(event)
    detail = f"{SOURCE_LABELS[CountSource(which)]}: {_describe(labels, old, values)}; {voters} Personen"
    detail += (" (geschätzt)" if estimated else "") + (f", gezählt von {counted_by}" if counted_by else "")
    if confirmed:
        detail += f"; bestätigt: {total} Stimmen bei {hall} Personen im Saal"
    return CountChange(source=which, voters=voters, estimated=estimated, detail=detail, confirmed=confirmed, counts=values)


def remove(*, session: Session, question: Question, source: object) -> CountChange:
    """Take an entry back (counted the wrong question, say); audited with what it was."""
    which = parse_source(source)
    entry = entry_of(session=session, question=question, source=which)
    if entry is None:
        raise AlreadyDone("no_count", "Dafür ist keine Zählung eingetragen.")
    labels = keys_and_labels(question_public(session=session, question=question))
    detail = f"{SOURCE_LABELS[CountSource(which)]}: {_describe(labels, json.loads(entry.counts), None)}"
    session.delete(entry)
    return CountChange(source=which, voters=0, estimated=False, detail=detail, removed=True)
