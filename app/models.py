"""Every table and its I/O schemas."""

import datetime as dt
from datetime import UTC, datetime
from enum import StrEnum

from sqlalchemy import MetaData, UniqueConstraint
from sqlmodel import Field, SQLModel

# Stable constraint names, so Alembic migrations look the same on SQLite and PostgreSQL.
SQLModel.metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)


def utcnow() -> datetime:
    return datetime.now(UTC)


class QuestionKind(StrEnum):
    single = "single"
    multiple = "multiple"


class QuestionStatus(StrEnum):
    draft = "draft"
    open = "open"
    closed = "closed"


class User(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(max_length=80, unique=True, index=True)
    password_hash: str = Field(max_length=255)
    is_admin: bool = False
    created_at: datetime = Field(default_factory=utcnow)


class Series(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    title: str = Field(max_length=200)
    created_at: datetime = Field(default_factory=utcnow)


class EventBase(SQLModel):
    title: str = Field(max_length=200)
    place: str = Field(default="", max_length=200)
    date: dt.date | None = None


class Event(EventBase, table=True):
    id: int | None = Field(default=None, primary_key=True)
    series_id: int | None = Field(default=None, foreign_key="series.id", index=True)
    owner_id: int | None = Field(default=None, foreign_key="user.id", index=True)
    join_code: str = Field(max_length=12, unique=True, index=True)
    projector_token: str = Field(max_length=64, unique=True, index=True)
    # The question phones and projector show; None shows the join screen.
    current_question_id: int | None = None
    created_at: datetime = Field(default_factory=utcnow)


class EventPublic(EventBase):
    id: int
    series_id: int | None
    join_code: str
    current_question_id: int | None


class Topic(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    event_id: int = Field(foreign_key="event.id", index=True)
    title: str = Field(max_length=200)
    position: int = 0


class Question(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    event_id: int = Field(foreign_key="event.id", index=True)
    topic_id: int = Field(foreign_key="topic.id", index=True)
    text: str = Field(max_length=500)
    kind: str = Field(default=QuestionKind.single, max_length=20)
    max_choices: int | None = None
    position: int = 0
    status: str = Field(default=QuestionStatus.draft, max_length=20)
    results_shown: bool = True
    opened_at: datetime | None = None
    closed_at: datetime | None = None


class Option(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    question_id: int = Field(foreign_key="question.id", index=True)
    label: str = Field(max_length=200)
    position: int = 0


class Vote(SQLModel, table=True):
    """One row per device and question; a changed vote replaces the row."""

    __table_args__ = (UniqueConstraint("question_id", "device_hash"),)

    id: int | None = Field(default=None, primary_key=True)
    question_id: int = Field(foreign_key="question.id", index=True)
    # Keyed hash of the device id from the signed cookie: never the raw id, never an IP.
    device_hash: str = Field(max_length=64)
    # Chosen option ids as a JSON list, e.g. "[12,14]".
    choices: str = Field(max_length=400)
    vote_id: str = Field(max_length=64)
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)
