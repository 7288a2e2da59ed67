"""The tables of what comes after an evening: export jobs, public results pages, follow-up notes."""

import datetime as dt
from datetime import datetime

from sqlalchemy import Column, LargeBinary, Text
from sqlmodel import Field, SQLModel

from app.models.base import ExportStatus, utcnow


class ExportJob(SQLModel, table=True):
    """A results export made in the background (app/reports/jobs.py): options, progress, the finished file (kept
    here so every instance can serve it, until `expires_at`). No foreign keys to event and series: deleting a test
    event must not wait for its exports; a job of a deleted event is refused by the access check, then expires."""

    id: int = Field(default=None, primary_key=True)  # None until the row is flushed
    event_id: int | None = Field(default=None, index=True)
    series_id: int | None = Field(default=None, index=True)
    user_id: int = Field(foreign_key="user.id", index=True)
    format: str = Field(max_length=20)
    # JSON: the event ids in order, the left-out question and event ids, the preface.
    params: str = Field(sa_column=Column(Text, nullable=False))
    # Format, options and the data's state: the same hash means the same file.
    params_hash: str = Field(max_length=64, index=True)
    status: str = Field(default=ExportStatus.queued, max_length=10)
    done: int = 0
    total: int = 0
    stage: str = Field(default="", max_length=200)  # msgid
    error: str = Field(default="", max_length=500)  # msgid, German, never a traceback
    file_name: str = Field(default="", max_length=200)
    media_type: str = Field(default="", max_length=100)
    size: int = 0
    file: bytes | None = Field(default=None, sa_column=Column(LargeBinary, nullable=True))
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime = Field(default_factory=utcnow, index=True)


class Publication(SQLModel, table=True):
    """The public results page of one event or one series (#17; exactly one of event_id, series_id): its address,
    whether it is out, what it shows. `version` goes up with every change: the pages' caches are keyed by it."""

    id: int = Field(default=None, primary_key=True)  # None until the row is flushed
    event_id: int | None = Field(default=None, foreign_key="event.id", unique=True)
    series_id: int | None = Field(default=None, foreign_key="series.id", unique=True)
    slug: str = Field(max_length=100, unique=True)
    published: bool = False
    published_at: datetime | None = None  # first published (dct:issued)
    # "freie Antworten veröffentlichen": approved open answers and word-cloud terms on the public page.
    show_texts: bool = False
    # The downloads released on the public page, space-separated ("csv pdf").
    downloads: str = Field(default="", max_length=100)
    version: int = 1
    updated_at: datetime = Field(default_factory=utcnow)


class FollowUpNote(SQLModel, table=True):
    """"Was ist daraus geworden": a short dated note on an agenda topic, shown on the public page (#17)."""

    id: int = Field(default=None, primary_key=True)  # None until the row is flushed
    event_id: int = Field(foreign_key="event.id", index=True)
    topic_id: int = Field(foreign_key="topic.id", index=True)
    date: dt.date
    text: str = Field(max_length=500)
    created_at: datetime = Field(default_factory=utcnow)
