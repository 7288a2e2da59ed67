"""The tables of every voice counted (#18): hand counts and paper slips, help-desk links, single-use tablet ballots."""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Column, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.models.base import utcnow


class CountSource(StrEnum):
    """Where a count comes from. Phones and the help-desk tablet are told apart by the voter of a stored answer
    (a tablet ballot votes as `desk:<link id>:<random>`), hands and paper slips are entered by the moderator."""

    phone = "phone"
    tablet = "tablet"
    hands = "hands"
    paper = "paper"


class ManualCount(SQLModel, table=True):
    """A count the moderator entered for a closed question round: raised hands or paper slips, per option."""

    __table_args__ = (UniqueConstraint("question_id", "round", "source"),)

    id: int = Field(default=None, primary_key=True)  # None until the row is flushed
    question_id: int = Field(foreign_key="question.id", index=True)
    round: int = 1
    source: str = Field(max_length=10)  # CountSource.hands or .paper
    # {option id or scale value: people} as JSON.
    counts: str = Field(sa_column=Column(Text, nullable=False))
    # How many people this count is of (the sum, or as entered for multiple choice).
    voters: int = 0
    estimated: bool = False  # shown "ca."
    counted_by: str = Field(default="", max_length=80)
    updated_at: datetime = Field(default_factory=utcnow)


class DeskLink(SQLModel, table=True):
    """A revocable link of an event's help desk: a tablet people vote on, or a helper who unlocks its tablets."""

    id: int = Field(default=None, primary_key=True)  # None until the row is flushed
    event_id: int = Field(foreign_key="event.id", index=True)
    kind: str = Field(max_length=10)  # "tablet" or "helper"
    label: str = Field(default="", max_length=80)
    # SHA-256 of the random token in the link; the token itself is shown once, to the moderator.
    token_hash: str = Field(max_length=64, unique=True)
    created_at: datetime = Field(default_factory=utcnow)
    revoked_at: datetime | None = None


class BallotToken(SQLModel, table=True):
    """One unlocked ballot on a tablet: for one open question round, used once (by the vote writer) or expired."""

    id: int = Field(default=None, primary_key=True)  # None until the row is flushed
    token_hash: str = Field(max_length=64, unique=True)
    desk_id: int = Field(foreign_key="desklink.id", index=True)
    question_id: int = Field(foreign_key="question.id", index=True)
    round: int = 1
    created_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime
    used_at: datetime | None = None
