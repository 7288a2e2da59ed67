"""The help desk (#18): revocable links for tablets and helpers, and single-use ballots a helper unlocks.

A link's token is random and shown once; only its SHA-256 is stored. A helper unlocks one tablet for one person:
that mints a `BallotToken` for the open question round, valid BALLOT_TTL_S, used once. The raw ballot token is not
stored either: each time the tablet's ballot is rendered it gets a fresh one (`claim_pending` turns the row's hash
over), so only the latest page of the tablet can vote with it, and the vote writer consumes it in the vote's own
transaction (`consume_ballots`). A tablet ballot votes as `sources.tablet_voter(desk id)`: nothing about the person
and no device id.
"""

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass

from sqlalchemy import Connection
from sqlalchemy import update as core_update
from sqlmodel import Session, col, select, update

from app.config import settings
from app.domain import access
from app.domain.errors import Conflict, DomainError, Invalid, NotFound
from app.domain.sources import TABLET_PREFIX, desk_of
from app.models import ID_MAX, BallotToken, DeskLink, Event, Question, QuestionStatus, User, Vote, table_of, utcnow

KINDS = ("tablet", "helper")
LABEL_MAX = 80
LINKS_MAX = 50  # per event: far more tablets and helpers than a help desk has
TOKEN_BYTES = 24


class Revoked(DomainError):
    status = 403


REVOKED = "Dieser Link wurde zurückgezogen und gilt nicht mehr. Bitte wenden Sie sich an die Moderation."
UNKNOWN = "Diesen Link gibt es nicht. Bitte prüfen Sie die Adresse oder fragen Sie die Moderation."
NO_QUESTION = "Gerade ist keine Frage offen."
BALLOT_GONE = "Diese Freigabe ist schon verbraucht oder abgelaufen. Bitte wenden Sie sich an den Hilfe-Tisch."


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def _aware(at: dt.datetime) -> dt.datetime:
    return at if at.tzinfo is not None else at.replace(tzinfo=dt.UTC)


def ttl() -> dt.timedelta:
    return dt.timedelta(seconds=settings.ballot_ttl_s)


# ---- links ------------------------------------------------------------------------------------


def clean_label(raw: str, kind: str, n: int) -> str:
    label = " ".join((raw or "").split())
    if len(label) > LABEL_MAX:
        raise Invalid("label_too_long", "Die Bezeichnung ist zu lang (höchstens {n} Zeichen).", n=LABEL_MAX)
    return label or (f"Tablet {n}" if kind == "tablet" else f"Helfer:in {n}")


def create_link(*, session: Session, user: User, event: Event, kind: str, label: str) -> tuple[DeskLink, str]:
    """A new tablet or helper link of the event (audited); returns it and its token, which is never stored."""
    if kind not in KINDS:
        raise Invalid("bad_kind", "Bitte wählen Sie, ob der Link für ein Tablet oder für eine Helferin / einen Helfer ist.")
    existing = session.exec(select(DeskLink.kind).where(col(DeskLink.event_id) == event.id)).all()
    if len(existing) >= LINKS_MAX:
        raise Conflict("too_many_links", "Diese Veranstaltung hat schon {n} Links am Hilfe-Tisch.", n=LINKS_MAX)
    name = clean_label(label, kind, sum(1 for k in existing if k == kind) + 1)
    token = secrets.token_urlsafe(TOKEN_BYTES)
    link = DeskLink(event_id=event.id, kind=kind, label=name, token_hash=hash_token(token))
    what = "Tablet" if kind == "tablet" else "Helfer-Link"
    with access.audited(session=session, event_id=event.id, user=user, action="desk-link-create", detail=f"{what}: {name}"):
        session.add(link)
    session.refresh(link)
    return link, token


def revoke_link(*, session: Session, user: User, event: Event, link_id: int, confirmed: bool) -> DeskLink:
    """Revoke a link of the event at once (audited); its pending ballots go with it."""
    link = session.get(DeskLink, link_id) if 1 <= link_id <= ID_MAX else None
    if link is None or link.event_id != event.id:
        raise NotFound("link_not_found", "Diesen Link gibt es nicht.")
    if link.revoked_at is not None:
        raise Conflict("link_revoked", "Dieser Link ist schon zurückgezogen.")
    if not confirmed:
        raise Invalid("confirm_revoke", "Bitte bestätigen Sie, dass „{label}“ zurückgezogen werden soll.", label=link.label)
    now = utcnow()
    with access.audited(session=session, event_id=event.id, user=user, action="desk-link-revoke", detail=link.label):
        link.revoked_at = now
        session.add(link)
        session.exec(update(BallotToken).where(col(BallotToken.desk_id) == link.id, col(BallotToken.used_at).is_(None))
                     .values(expires_at=now))
    return link


def find_link(*, session: Session, token: str, kind: str) -> DeskLink:
    """The link of this token and kind; NotFound for anything else, Revoked once it is withdrawn."""
    if not token or len(token) > 200:
        raise NotFound("unknown_link", UNKNOWN)
    link = session.exec(select(DeskLink).where(col(DeskLink.token_hash) == hash_token(token))).first()
    if link is None or link.kind != kind:
        raise NotFound("unknown_link", UNKNOWN)
    if link.revoked_at is not None:
        raise Revoked("link_revoked", REVOKED)
    return link


def is_revoked(*, session: Session, link_id: int) -> bool:
    link = session.get(DeskLink, link_id)
    return link is None or link.revoked_at is not None


@dataclass
class LinkRow:
    link: DeskLink
    answers: int  # for tablets: answers stored from it in this event


def links(*, session: Session, event_id: int) -> list[LinkRow]:
    """The event's links, tablets first, with the answers that came from each tablet (one query)."""
    found = list(session.exec(select(DeskLink).where(col(DeskLink.event_id) == event_id).order_by(col(DeskLink.kind).desc(), col(DeskLink.id))))
    counts = answers_per_tablet(session=session, event_id=event_id)
    return [LinkRow(link=link, answers=counts.get(link.id, 0)) for link in found]


def answers_per_tablet(*, session: Session, event_id: int) -> dict[int, int]:
    """Answers stored from each tablet of the event: votes whose voter is `desk:<id>:…` (domain.sources).

    Read per page view of the help desk, never on the vote path; a help desk takes hundreds of answers, not more."""
    questions = select(Question.id).where(col(Question.event_id) == event_id)
    voters = session.exec(
        select(Vote.device_hash).where(col(Vote.question_id).in_(questions), col(Vote.device_hash).like(f"{TABLET_PREFIX}%"))
    ).all()
    counts: dict[int, int] = {}
    for voter in voters:
        desk = desk_of(voter)
        if desk is not None:
            counts[desk] = counts.get(desk, 0) + 1
    return counts


# ---- ballots ----------------------------------------------------------------------------------


def open_question(*, session: Session, event_id: int) -> Question | None:
    event = session.get(Event, event_id)
    if event is None or event.current_question_id is None:
        return None
    question = session.get(Question, event.current_question_id)
    return question if question is not None and question.status == QuestionStatus.open else None


def unlock(*, session: Session, helper: DeskLink, tablet_id: int) -> BallotToken:
    """A helper unlocks a tablet of the event for one person: a single-use ballot for the open question round.

    An earlier unused ballot of the tablet ends (a new person, a new ballot). No token is returned: the tablet
    gets one when it renders the ballot (`claim_pending`).
    """
    tablet = session.get(DeskLink, tablet_id) if 1 <= tablet_id <= ID_MAX else None
    if tablet is None or tablet.event_id != helper.event_id or tablet.kind != "tablet":
        raise NotFound("tablet_not_found", "Dieses Tablet gibt es bei dieser Veranstaltung nicht.")
    if tablet.revoked_at is not None:
        raise Revoked("tablet_revoked", "Der Link dieses Tablets wurde zurückgezogen.")
    question = open_question(session=session, event_id=helper.event_id)
    if question is None:
        raise Conflict("no_open_question", NO_QUESTION)
    now = utcnow()
    session.exec(update(BallotToken).where(col(BallotToken.desk_id) == tablet.id, col(BallotToken.used_at).is_(None),
                                           col(BallotToken.expires_at) > now).values(expires_at=now))
    ballot = BallotToken(token_hash=hash_token(secrets.token_urlsafe(TOKEN_BYTES)), desk_id=tablet.id, question_id=question.id,
                         round=question.round, created_at=now, expires_at=now + ttl())
    session.add(ballot)
    session.commit()
    session.refresh(ballot)
    return ballot


def pending(*, session: Session, desk_id: int) -> BallotToken | None:
    """The tablet's unused, unexpired ballot, if any."""
    return session.exec(
        select(BallotToken).where(col(BallotToken.desk_id) == desk_id, col(BallotToken.used_at).is_(None), col(BallotToken.expires_at) > utcnow())
        .order_by(col(BallotToken.id).desc())
    ).first()


def claim_pending(*, session: Session, desk_id: int) -> tuple[BallotToken, str] | None:
    """The tablet's pending ballot with a fresh token for the page that shows it; the token an earlier page of the
    tablet held stops working. None when nothing is pending."""
    ballot = pending(session=session, desk_id=desk_id)
    if ballot is None:
        return None
    token = secrets.token_urlsafe(TOKEN_BYTES)
    turned = session.exec(update(BallotToken).where(col(BallotToken.id) == ballot.id, col(BallotToken.used_at).is_(None))
                          .values(token_hash=hash_token(token)))
    session.commit()
    if turned.rowcount != 1:
        return None
    session.refresh(ballot)
    return ballot, token


def last_ballot_state(*, session: Session, desk_id: int) -> tuple[str, BallotToken | None]:
    """The state of a tablet's last unlock: "none", "waiting", "answered" or "expired"."""
    ballot = session.exec(select(BallotToken).where(col(BallotToken.desk_id) == desk_id).order_by(col(BallotToken.id).desc())).first()
    if ballot is None:
        return "none", None
    if ballot.used_at is not None:
        return "answered", ballot
    return ("waiting" if _aware(ballot.expires_at) > utcnow() else "expired"), ballot


def consume_ballots(conn: Connection, ballots: list[tuple[str, int, int, int]]) -> set[str]:
    """In the vote writer's transaction: use each ballot (token hash, desk, question, round) once; the hashes used
    now. A ballot used before, expired, of another tablet or of another question round is not used."""
    table = table_of(BallotToken)
    now = utcnow()
    used = set()
    for token_hash, desk_id, question_id, round in ballots:
        result = conn.execute(
            core_update(table).where(table.c.token_hash == token_hash, table.c.used_at.is_(None), table.c.expires_at > now,
                                table.c.desk_id == desk_id, table.c.question_id == question_id, table.c.round == round)
            .values(used_at=now)
        )
        if result.rowcount == 1:
            used.add(token_hash)
    return used


def ballot_gone() -> Conflict:
    return Conflict("ballot_used", BALLOT_GONE)
