"""The tables of an evening: accounts, series, events, the agenda, answers, templates, audit, logins, cards."""

import datetime as dt
from datetime import datetime

from sqlalchemy import Column, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.models.base import PhoneResults, ProjectorMode, QuestionKind, QuestionStatus, new_key, utcnow


class User(SQLModel, table=True):
    id: int = Field(default=None, primary_key=True)  # None until the row is flushed
    username: str = Field(max_length=80, unique=True, index=True)
    password_hash: str = Field(max_length=255)
    is_admin: bool = False
    # An admin can switch an account off (it can no longer log in) without losing what it did.
    is_active: bool = True
    created_at: datetime = Field(default_factory=utcnow)


class Series(SQLModel, table=True):
    id: int = Field(default=None, primary_key=True)  # None until the row is flushed
    title: str = Field(max_length=200)
    # Who created it (None for series from before owners were kept): sees and renames it even without events.
    owner_id: int | None = Field(default=None, foreign_key="user.id", index=True)
    created_at: datetime = Field(default_factory=utcnow)


class EventBase(SQLModel):
    title: str = Field(max_length=200)
    place: str = Field(default="", max_length=200)
    date: dt.date | None = None


class Event(EventBase, table=True):
    id: int = Field(default=None, primary_key=True)  # None until the row is flushed
    series_id: int | None = Field(default=None, foreign_key="series.id", index=True)
    owner_id: int | None = Field(default=None, foreign_key="user.id", index=True)
    join_code: str = Field(max_length=12, unique=True, index=True)
    projector_token: str = Field(max_length=64, unique=True, index=True)
    # The question phones and projector show; None shows the join screen.
    current_question_id: int | None = None
    # What the projector shows: the current question, a topic roll-up or the join screen.
    projector_mode: str = Field(default=ProjectorMode.question, max_length=20)
    # Topic mode: the topic shown; breakdown mode: the segment question the current result is broken down by.
    projector_topic_id: int | None = None
    # Set when the event was created from a template (or duplicated from another event).
    template_id: int | None = Field(default=None, foreign_key="template.id")
    # People in the hall as counted by the organisers (entered by the moderator), for the plausibility check.
    people_in_hall: int | None = None
    # Strict mode: only printed single-use voting cards (VotingCard) may answer, one answer per card and question.
    voting_cards: bool = False
    # "Handzeichen zählen" / "Stimmzettel zählen" (#18): the source being counted for the closed question named,
    # so phones that voted say "bitte jetzt nicht die Hand heben"; stale once another question is current.
    counting: str = Field(default="", max_length=10)
    counting_question_id: int | None = None
    # The segment question the projector breaks the current result down by, while projector_mode is "breakdown".
    projector_segment_id: int | None = None
    created_at: datetime = Field(default_factory=utcnow)


class EventPublic(EventBase):
    id: int
    series_id: int | None
    join_code: str
    current_question_id: int | None


class Topic(SQLModel, table=True):
    id: int = Field(default=None, primary_key=True)  # None until the row is flushed
    event_id: int = Field(foreign_key="event.id", index=True)
    title: str = Field(max_length=200)
    position: int = 0


class Question(SQLModel, table=True):
    id: int = Field(default=None, primary_key=True)  # None until the row is flushed
    event_id: int = Field(foreign_key="event.id", index=True)
    topic_id: int = Field(foreign_key="topic.id", index=True)
    # The same question asked at every event of a series carries the same key (templates, duplicates).
    key: str = Field(default_factory=new_key, max_length=32, index=True)
    text: str = Field(max_length=500)
    kind: str = Field(default=QuestionKind.single, max_length=20)
    # Multiple choice: how many options may be chosen; word cloud: how many terms.
    max_choices: int | None = None
    scale_min: int | None = None
    scale_max: int | None = None
    scale_label_min: str = Field(default="", max_length=60)
    scale_label_max: str = Field(default="", max_length=60)
    position: int = 0
    status: str = Field(default=QuestionStatus.draft, max_length=20)
    # Projector: results visible (live while open); phones: see PhoneResults.
    results_shown: bool = True
    phone_results: str = Field(default=PhoneResults.after_close, max_length=20)
    # Voting round: re-opening after a discussion starts round 2, round 1 stays as it was.
    round: int = 1
    compare_rounds: bool = False
    # Countdown: prepared length in seconds, and when the open round closes by itself.
    time_limit_s: int | None = None
    closes_at: datetime | None = None
    # Word cloud: terms (normalised keys) the moderator hid, as a JSON list.
    hidden_terms: str = Field(default="[]", sa_column=Column(Text, nullable=False, default="[]"))
    # Word cloud: terms the moderator merged into others, as JSON [{"from", "into", "from_label", "into_label"}]
    # (keys as wordcloud.term_key folds them; domain.review).
    term_merges: str = Field(default="[]", sa_column=Column(Text, nullable=False, default="[]"))
    opened_at: datetime | None = None
    closed_at: datetime | None = None
    # Plausibility: the most devices (not sockets) connected on all instances while the round was open.
    devices_seen: int | None = None
    # Chosen for the public results page (#17); shown there only once the question is closed and the page published.
    public: bool = False
    # "Ich bin hier als …" (#18): asked once per device when it joins, always optional, never driven on the agenda;
    # any closed result can be broken down by its answers (domain.segments).
    segment: bool = False


class Option(SQLModel, table=True):
    id: int = Field(default=None, primary_key=True)  # None until the row is flushed
    question_id: int = Field(foreign_key="question.id", index=True)
    label: str = Field(max_length=200)
    position: int = 0


class Vote(SQLModel, table=True):
    """One row per device, question and round; a changed vote replaces the row."""

    __table_args__ = (UniqueConstraint("question_id", "round", "device_hash"),)

    id: int = Field(default=None, primary_key=True)  # None until the row is flushed
    question_id: int = Field(foreign_key="question.id", index=True)
    round: int = 1
    # Keyed hash of the device id from the signed cookie: never the raw id, never an IP.
    device_hash: str = Field(max_length=64)
    # The answer as JSON, by question kind: option ids "[12,14]" (choice kinds), "[4]" (scale),
    # ordered option ids (ranking), {"12": 60, "13": 40} (points), ["Radwege", "Bus"] (word cloud),
    # "the text" (open text). The column keeps its first name, "choices" (from when every answer was one).
    answer: str = Field(sa_column=Column("choices", Text, nullable=False))
    # Open text only: review state (Moderation) and whether the profanity check flagged it.
    moderation: str = Field(default="", max_length=10)
    flagged: bool = False
    vote_id: str = Field(max_length=64)
    # The phone's order of its answers to this question round: a late, older answer never replaces a newer one
    # (domain.votes, docs/protocol.md "Reihenfolge der Antworten"); 0 for clients that send none.
    seq: int = 0
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class Template(SQLModel, table=True):
    """An event's agenda saved for the next events of a series: topics, questions and their keys as JSON."""

    id: int = Field(default=None, primary_key=True)  # None until the row is flushed
    title: str = Field(max_length=200)
    series_id: int | None = Field(default=None, foreign_key="series.id", index=True)
    owner_id: int | None = Field(default=None, foreign_key="user.id", index=True)
    body: str = Field(sa_column=Column(Text, nullable=False))
    created_at: datetime = Field(default_factory=utcnow)


class ResultArchive(SQLModel, table=True):
    """A question round's aggregated result, kept when the retention command deletes the single answers."""

    __table_args__ = (UniqueConstraint("question_id", "round"),)

    id: int = Field(default=None, primary_key=True)  # None until the row is flushed
    question_id: int = Field(foreign_key="question.id", index=True)
    round: int = 1
    # The moderator's full result (see domain.results) minus anything that could single out a person:
    # open-text answers only if approved (they were shown publicly), no review state.
    results: str = Field(sa_column=Column(Text, nullable=False))
    archived_at: datetime = Field(default_factory=utcnow)


class EventModerator(SQLModel, table=True):
    """A co-moderator: besides the owner (Event.owner_id) and admins, who may see and drive an event."""

    __table_args__ = (UniqueConstraint("event_id", "user_id"),)

    id: int = Field(default=None, primary_key=True)  # None until the row is flushed
    event_id: int = Field(foreign_key="event.id", index=True)
    user_id: int = Field(foreign_key="user.id", index=True)
    added_at: datetime = Field(default_factory=utcnow)


class AuditEntry(SQLModel, table=True):
    """Who did what to an event, and when: opened, closed, reset, deleted, approved … (never attendees' data).

    Account actions (created, switched off or on) concern no event: their event_id is None.
    """

    id: int = Field(default=None, primary_key=True)  # None until the row is flushed
    event_id: int | None = Field(default=None, foreign_key="event.id", index=True)
    user_id: int | None = Field(default=None, foreign_key="user.id")
    # The name as it was then, so the log stays readable if the account is renamed or switched off.
    username: str = Field(max_length=80)
    action: str = Field(max_length=40)
    detail: str = Field(default="", max_length=300)
    # "done", or "refused" when the rules refused the action (the reason is in the detail).
    outcome: str = Field(default="done", max_length=10)
    at: datetime = Field(default_factory=utcnow, index=True)


class LoginSession(SQLModel, table=True):
    """A moderator's login, kept on the server so logout, removal and switching off end it at once.

    The browser holds a random token in the signed session cookie; only its SHA-256 is stored here.
    """

    id: str = Field(primary_key=True, max_length=64)
    user_id: int = Field(foreign_key="user.id", index=True)
    created_at: datetime = Field(default_factory=utcnow)
    last_seen_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime = Field(index=True)


class VotingCard(SQLModel, table=True):
    """A printed single-use voting card of an event in strict mode: stored as a keyed hash, never linked to a person."""

    id: int = Field(default=None, primary_key=True)  # None until the row is flushed
    event_id: int = Field(foreign_key="event.id", index=True)
    code_hash: str = Field(max_length=64, unique=True)
    # Cards are printed in numbered sheets; the batch lets a moderator withdraw a lost sheet.
    batch: int = 1
    created_at: datetime = Field(default_factory=utcnow)

