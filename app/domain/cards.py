"""Printed single-use voting cards for events in strict mode: codes, their keyed hashes, batches.

A card's code exists only on the printed sheet (and on the phone that entered it): the database holds a
keyed hash per card (HMAC with the secret key), so a copy of the database cannot print or use a card.
A card votes under its own voter hash, `card:` + a second keyed hash: distinct from every device hash, the
same on every phone that enters the card. The vote table's UNIQUE (question, round, voter) then gives one
answer per card and question; a changed answer with the same card replaces the earlier one while the
question is open, as a phone's does.
"""

import hashlib
import hmac
import secrets
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar

from sqlalchemy import func
from sqlmodel import Session, col, delete, select

from app.config import settings
from app.domain.errors import Conflict, Invalid, NotFound
from app.i18n import N_
from app.models import Event, Vote, VotingCard

# No look-alikes: without 0/O, 1/I/L. 31 symbols, 10 of them: 31^10 ≈ 8.2·10^14 codes per event.
ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 10
GROUPS = (4, 4, 2)  # printed as K7QX-M2PD-9R
CARDS_PER_BATCH_MAX = 2000
CARDS_PER_EVENT_MAX = 20_000
VOTER_PREFIX = "card:"
_VOTER_DIGEST_CHARS = 64 - len(VOTER_PREFIX)  # fits Vote.device_hash (64)
# What people type between the groups, or by mistake around the code.
_SEPARATORS = str.maketrans("", "", " -‐‑‒–—_.\t")

T = TypeVar("T")


class CardRefused(Invalid):
    """The code is not a card of this event (typo, withdrawn, or another event's)."""

    status = 403


@dataclass(frozen=True, slots=True)
class Batch:
    batch: int
    cards: int
    created_at: datetime


def normalize(raw: str | None) -> str | None:
    """The code as stored in the hash: upper case, no separators; None if it cannot be a card code."""
    if not raw:
        return None
    code = unicodedata.normalize("NFKC", raw).upper().translate(_SEPARATORS)
    if len(code) != CODE_LENGTH or any(c not in ALPHABET for c in code):
        return None
    return code


def format_code(code: str) -> str:
    """K7QXM2PD9R → K7QX-M2PD-9R, as printed."""
    parts, at = [], 0
    for size in GROUPS:
        parts.append(code[at:at + size])
        at += size
    return "-".join(parts)


def new_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))


def _mac(purpose: str, message: str) -> str:
    key = hmac.new(settings.secret_key.encode(), purpose.encode(), hashlib.sha256).digest()
    return hmac.new(key, message.encode(), hashlib.sha256).hexdigest()


def code_hash(event_id: int, code: str) -> str:
    """The keyed hash a card is stored as (the code bound to its event)."""
    return _mac("saalumfrage.card", f"{event_id}:{code}")


def _voter_of(card_hash: str) -> str:
    return VOTER_PREFIX + _mac("saalumfrage.card-voter", card_hash)[:_VOTER_DIGEST_CHARS]


def card_voter_hash(event_id: int, code: str) -> str:
    """The identity a card votes under: the same on every phone, distinct from every device hash."""
    return _voter_of(code_hash(event_id, code))


def is_card_voter(voter: str | None) -> bool:
    return voter is not None and voter.startswith(VOTER_PREFIX)


def _refused() -> CardRefused:
    return CardRefused(
        "card_unknown",
        N_("Diese Karte gilt hier nicht: Der Code ist falsch geschrieben oder die Karte wurde zurückgezogen. "
           "Bitte prüfen Sie den Code oder holen Sie sich am Einlass eine neue Karte."),
    )


def check_card(*, session: Session, event_id: int, raw: str | None) -> str:
    """The voter hash of a valid card of this event; CardRefused (or Invalid for a malformed code) otherwise."""
    code = normalize(raw)
    if code is None:
        if not (raw or "").strip():
            raise Invalid("card_missing", "Bitte geben Sie den Code Ihrer Abstimmkarte ein.")
        raise Invalid(
            "card_malformed",
            "Ein Kartencode hat {n} Zeichen (Buchstaben und Ziffern, ohne 0, O, 1, I und L), zum Beispiel {example}. "
            "Bitte prüfen Sie Ihre Eingabe.",
            n=CODE_LENGTH,
            example="K7QX-M2PD-9R",
        )
    digest = code_hash(event_id, code)
    found = session.exec(select(VotingCard.id).where(VotingCard.code_hash == digest, VotingCard.event_id == event_id)).first()
    if found is None:
        raise _refused()
    return _voter_of(digest)


def parse_count(raw: str) -> int:
    """The number of cards to print, from a form field: 1 … CARDS_PER_BATCH_MAX."""
    text = (raw or "").strip()
    if not text:
        raise Invalid("cards_count_missing", "Bitte geben Sie an, wie viele Karten erzeugt werden sollen.")
    if not text.isdecimal() or len(text) > 6 or not 1 <= int(text) <= CARDS_PER_BATCH_MAX:
        raise Invalid(
            "cards_count_bad", "Bitte geben Sie eine ganze Zahl von 1 bis {max} ein.", max=CARDS_PER_BATCH_MAX
        )
    return int(text)


def generate_cards(*, session: Session, event: Event, count: int, print_sheet: Callable[[int, list[str]], T]) -> tuple[int, T]:
    """Make `count` cards in a new batch; `print_sheet(batch, codes)` makes the sheet (the PDF) before they count.

    The codes live only in what `print_sheet` makes: if it fails, nothing is stored, so no card exists that
    nobody holds. No transaction is open while the sheet is drawn (a minute or more for 2,000 cards): the
    database's writer, and with it every vote, does not wait for it. Returns the batch and the sheet.
    """
    if not 1 <= count <= CARDS_PER_BATCH_MAX:
        raise Invalid("cards_count_bad", "Bitte geben Sie eine ganze Zahl von 1 bis {max} ein.", max=CARDS_PER_BATCH_MAX)
    existing = session.exec(select(func.count()).select_from(VotingCard).where(VotingCard.event_id == event.id)).one()
    if existing + count > CARDS_PER_EVENT_MAX:
        raise Invalid(
            "cards_too_many",
            "Eine Veranstaltung kann höchstens {max} Karten haben; es gibt schon {n}.",
            max=CARDS_PER_EVENT_MAX,
            n=existing,
        )
    batch = (session.exec(select(func.max(VotingCard.batch)).where(VotingCard.event_id == event.id)).one() or 0) + 1
    taken = set(session.exec(select(VotingCard.code_hash).where(VotingCard.event_id == event.id)))
    session.commit()  # ends the read; nothing is held while the sheet is drawn
    codes: list[str] = []
    hashes: list[str] = []
    while len(codes) < count:
        code = new_code()
        digest = code_hash(event.id, code)
        if digest in taken:  # a repeat among 8·10^14 codes: draw again
            continue
        taken.add(digest)
        codes.append(code)
        hashes.append(digest)
    sheet = print_sheet(batch, codes)
    try:
        # Another moderator's batch may have taken the number meanwhile: then this sheet is void.
        session.exec(select(Event.id).where(Event.id == event.id).with_for_update())
        newer = session.exec(
            select(func.count()).select_from(VotingCard).where(VotingCard.event_id == event.id, VotingCard.batch >= batch)
        ).one()
        if newer:
            raise Conflict(
                "cards_race",
                "Gerade eben wurden für diese Veranstaltung andere Karten erzeugt. Bitte erzeugen Sie Ihre Karten noch einmal.",
            )
        session.add_all(VotingCard(event_id=event.id, code_hash=digest, batch=batch) for digest in hashes)
        session.commit()
    except BaseException:
        session.rollback()
        raise
    return batch, sheet


def batches(*, session: Session, event_id: int) -> list[Batch]:
    rows = session.exec(
        select(VotingCard.batch, func.count(), func.min(VotingCard.created_at))
        .where(VotingCard.event_id == event_id)
        .group_by(col(VotingCard.batch))
        .order_by(col(VotingCard.batch))
    )
    return [Batch(batch=b, cards=n, created_at=at) for b, n, at in rows]


def withdraw_batch(*, session: Session, event: Event, batch: int) -> list[str]:
    """Withdraw a batch (a lost sheet): its cards stop working at once. Returns their voter hashes.

    Answers the cards already gave stay counted; a new round of the question starts from nothing.
    """
    hashes = list(session.exec(select(VotingCard.code_hash).where(VotingCard.event_id == event.id, VotingCard.batch == batch)))
    if not hashes:
        raise NotFound("batch_not_found", "Einen Kartensatz {batch} gibt es bei dieser Veranstaltung nicht.", batch=batch)
    session.exec(delete(VotingCard).where(col(VotingCard.event_id) == event.id, col(VotingCard.batch) == batch))
    session.commit()
    return [_voter_of(h) for h in hashes]


def parse_batch(raw: str) -> int:
    text = (raw or "").strip()
    if not text.isdecimal() or len(text) > 9:
        raise Invalid("batch_bad", "Bitte wählen Sie einen Kartensatz.")
    return int(text)


def set_strict(*, session: Session, event: Event, on: bool) -> Event:
    """Switch strict mode: only cards may answer (on), or every phone again (off)."""
    event.voting_cards = on
    session.add(event)
    session.commit()
    return event


def cards_voted(*, session: Session, question_id: int, round: int) -> int:
    """How many cards answered this question round."""
    return session.exec(
        select(func.count()).select_from(Vote).where(
            Vote.question_id == question_id, Vote.round == round, col(Vote.device_hash).startswith(VOTER_PREFIX)
        )
    ).one()
