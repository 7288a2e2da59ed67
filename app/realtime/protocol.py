"""Every message in one place (documented in docs/protocol.md): websocket messages both ways, and the
notes instances send each other on the bus, one TypedDict per kind."""

import json
from typing import Any, Literal, TypedDict

from app.domain.shapes import State
from app.domain.votes import VoteRow, superseded
from app.guards import has_nul
from app.models import ID_MAX

MAX_MESSAGE_BYTES = 4096  # UTF-8 bytes of one client message

# Server → client
STATE = "state"  # full state of the event for this role; sent on connect and on every change
TALLY = "tally"  # full totals of the current question (moderator, projector)
PRESENCE = "presence"  # number of connected phones (moderator, projector)
ACK = "ack"  # a vote is durably stored
ERROR = "error"  # something the client sent was refused; `message` is for people
PONG = "pong"
EXPORT = "export"  # a results export's progress (moderator): job_id, status, done, total, stage, error
# The help desk (#18, realtime/desk.py): a tablet was unlocked for a new person (tablet: fetch the ballot page);
# the tablet's pending ballot on connect; a tablet was unlocked, answered or revoked (moderator: answers per tablet).
UNLOCK = "unlock"
BALLOT_STATE = "ballot_state"
DESK = "desk"

# Client → server
VOTE = "vote"  # attendee only
PING = "ping"

# A tablet's vote carries `ballot`, the single-use token of its unlocked ballot.
CLIENT_TYPES = {"attendee": {VOTE, PING}, "projector": {PING}, "moderator": {PING}, "tablet": {VOTE, PING}}


class ProtocolError(Exception):
    def __init__(self, code: str, message: str, /, **params: object) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.params = params


def dumps(message: dict[str, Any]) -> str:
    return json.dumps(message, separators=(",", ":"), ensure_ascii=False)


def _size(raw: str | bytes) -> int:
    return len(raw.encode("utf-8", "surrogatepass")) if isinstance(raw, str) else len(raw)


def parse(raw: str | bytes | None, role: str) -> dict[str, Any]:
    """Decode one client message and check its type is allowed for the role."""
    if raw is None:
        raise ProtocolError("binary", "Nur Textnachrichten werden verstanden.")
    # The limit is in bytes, as on the wire: 4,096 characters of emoji are 16 KiB. A text of at most a quarter
    # of the limit in characters cannot exceed it, so the common short message is not encoded to be measured.
    if len(raw) > MAX_MESSAGE_BYTES // 4 and _size(raw) > MAX_MESSAGE_BYTES:
        raise ProtocolError("too_large", "Die Nachricht ist zu groß.")
    try:
        message = json.loads(raw)
    except (ValueError, RecursionError):
        raise ProtocolError("bad_json", "Die Nachricht ist kein gültiges JSON.") from None
    if not isinstance(message, dict) or not isinstance(message.get("type"), str):
        raise ProtocolError("bad_message", "Die Nachricht hat keinen gültigen Typ.")
    if message["type"] not in CLIENT_TYPES[role]:
        raise ProtocolError("unknown_type", "Unbekannter Nachrichtentyp „{type}“.", type=message["type"][:40])
    if ("\\u0000" in raw if isinstance(raw, str) else b"\\u0000" in raw) and has_nul(message):
        raise ProtocolError("bad_character", "Die Nachricht enthält ein unzulässiges Steuerzeichen (Nullzeichen).")
    question_id = message.get("question_id")
    if isinstance(question_id, int) and not isinstance(question_id, bool) and not 1 <= question_id <= ID_MAX:
        raise ProtocolError("bad_question", "Die Frage ist ungültig.")
    return message


def ack(sent: VoteRow, standing: VoteRow) -> str:
    """A vote is committed: `answer` and `seq` are what is stored for the device now; `superseded` when that
    is a newer answer the sent vote (a late resend of an older one) did not replace."""
    answer = list(standing.choices) if isinstance(standing.choices, tuple) else standing.choices
    return dumps({"type": ACK, "vote_id": sent.vote_id, "question_id": sent.question_id, "round": sent.round, "answer": answer,
                  "seq": standing.seq, "superseded": superseded(sent=sent, standing=standing)})


def error(code: str, message: str, **extra: Any) -> str:
    return dumps({"type": ERROR, "code": code, "message": message, **extra})


# Between instances: notes on the bus channel CHANNEL, each {"kind": ...}. Pages never see them.
CHANNEL = "events"
STATE_NOTE = "state"  # an event changed: its new state, or None (reload it from the database)
VOTES_NOTE = "votes"  # votes were stored (or a result's content changed): recount these questions
REVOKE_NOTE = "revoke"  # the projector link was renewed: close the projectors on the old one
CARDS_NOTE = "cards"  # strict mode switched, or cards withdrawn: close the phones that may no longer vote
PRESENCE_NOTE = "presence"  # one instance's count of distinct phones of an event
END_MODERATOR_NOTE = "end_moderator"  # close an account's control sockets
EXPORT_NOTE = "export"  # a results export moved on: tell the moderators of its events
DESK_NOTE = "desk"  # a help-desk tablet was unlocked, answered or revoked: tell the tablet and the moderators


class StateNote(TypedDict):
    kind: Literal["state"]
    event_id: int
    state: State | None  # the full snapshot (domain.snapshot), with its version


class VotesNote(TypedDict):
    kind: Literal["votes"]
    event_id: int
    question_ids: list[int]


class RevokeNote(TypedDict):
    kind: Literal["revoke"]
    event_id: int


class CardsNote(TypedDict):
    kind: Literal["cards"]
    event_id: int
    strict: bool
    withdrawn: list[str]  # the withdrawn cards' voter hashes


class PresenceNote(TypedDict):
    kind: Literal["presence"]
    event_id: int
    instance: str
    count: int


class EndModeratorNote(TypedDict):
    kind: Literal["end_moderator"]
    user_id: int
    event_id: int | None  # None: every event (the login or the account ended)
    login_id: str | None  # None: every login of the account


class ExportNote(TypedDict):
    kind: Literal["export"]
    event_id: int
    job_id: int
    status: str  # queued, running, done, failed
    done: int
    total: int
    stage: str  # msgid
    error: str  # msgid; "" unless failed


class DeskNote(TypedDict):
    kind: Literal["desk"]
    event_id: int
    desk_id: int  # the tablet's link
    what: str  # unlock, answered, revoked
    ballot: int | None  # the unlocked ballot's id (never its token)
    answers: int  # answers stored from this tablet in the event


BusNote = StateNote | VotesNote | RevokeNote | CardsNote | PresenceNote | EndModeratorNote | ExportNote | DeskNote
