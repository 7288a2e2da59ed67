"""Every table and its I/O schemas, in three rooms: `core` (the evening), `after` (exports, public pages) and
`counts` (hand counts, paper slips, the help desk: #18). Import them from here: `from app.models import Vote`."""

from app.models.after import ExportJob, FollowUpNote, Publication
from app.models.base import (
    ID_MAX,
    ExportStatus,
    Moderation,
    PhoneResults,
    ProjectorMode,
    QuestionKind,
    QuestionStatus,
    new_key,
    table_of,
    utcnow,
)
from app.models.core import (
    AuditEntry,
    Event,
    EventBase,
    EventModerator,
    EventPublic,
    LoginSession,
    Option,
    Question,
    ResultArchive,
    Series,
    Template,
    Topic,
    User,
    Vote,
    VotingCard,
)
from app.models.counts import BallotToken, CountSource, DeskLink, ManualCount

__all__ = [
    "ID_MAX", "AuditEntry", "BallotToken", "CountSource", "DeskLink", "Event", "EventBase", "EventModerator", "EventPublic",
    "ExportJob", "ExportStatus", "FollowUpNote", "LoginSession", "ManualCount", "Moderation", "Option", "PhoneResults",
    "ProjectorMode", "Publication", "Question", "QuestionKind", "QuestionStatus", "ResultArchive", "Series", "Template",
    "Topic", "User", "Vote", "VotingCard", "new_key", "table_of", "utcnow",
]
