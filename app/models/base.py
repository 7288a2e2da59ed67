"""The metadata every table shares (stable constraint names), id bounds, timestamps and the enums of the tables."""

import uuid
from datetime import UTC, datetime
from enum import StrEnum

from sqlalchemy import MetaData, Table
from sqlmodel import SQLModel

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


# The largest id (and any number kept in an INTEGER column): PostgreSQL's INTEGER is 32 bits. Ids in URLs, forms,
# JSON bodies and socket messages are bounded by it, so a made-up huge one is refused as invalid input instead
# of overflowing the column with a server error (SQLite would take up to 2^63 - 1 and hide the difference).
ID_MAX = 2**31 - 1


def utcnow() -> datetime:
    return datetime.now(UTC)


def table_of(model: type[SQLModel]) -> Table:
    """A table model's Core table, for the statements written in SQLAlchemy Core (the vote path, bulk updates)."""
    return model.__table__  # type: ignore[attr-defined]  # set by SQLModel's metaclass for table=True


class QuestionKind(StrEnum):
    single = "single"  # one option
    multiple = "multiple"  # up to max_choices options
    yesno = "yesno"  # Ja / Nein / Enthaltung: single choice with fixed options
    scale = "scale"  # a number from scale_min to scale_max
    wordcloud = "wordcloud"  # one to max_choices short terms
    text = "text"  # an open answer, shown on the projector only once approved
    ranking = "ranking"  # every option in an order
    points = "points"  # 100 points spread over the options


class PhoneResults(StrEnum):
    """When phones see a question's result."""

    hidden = "hidden"
    after_close = "after_close"
    live = "live"


class ProjectorMode(StrEnum):
    question = "question"  # the current question (the join screen while there is none)
    topic = "topic"  # every question of one agenda topic at a glance
    join = "join"  # type: ignore[assignment]  # (shadows str.join on members only) the join code, even while a question is open
    # The current (closed) question broken down by a segment question (domain.segments); which one: projector_topic_id.
    breakdown = "breakdown"


class Moderation(StrEnum):
    """Review state of an open-text answer; other answers carry ""."""

    pending = "pending"
    approved = "approved"
    rejected = "rejected"


def new_key() -> str:
    return uuid.uuid4().hex


class QuestionStatus(StrEnum):
    draft = "draft"
    open = "open"
    closed = "closed"


class ExportStatus(StrEnum):
    queued = "queued"
    running = "running"
    done = "done"
    failed = "failed"

