"""What the public results pages (#17) show, made from the one result set: an event's public questions, a series'
published events, their fingerprint for caching, the released files, and the caches themselves.

Nothing is computed twice: `public_results` takes `resultset.event_results` (the numbers of the moderator's page
and the exports) and only leaves things out: every question that is not ticked and closed, open answers and
word-cloud terms unless the moderator ticked "freie Antworten veröffentlichen", and the names of what was left
out (the moderator's own export lists them; a public page must not). Topics without a public question stay only
if they carry a follow-up note.

The fingerprint is a hash of everything a page is made of (the publications' versions, the public questions,
their options, answers, reviews and archives, the events' and topics' names, the licence, the language); an
unchanged fingerprint means an unchanged page, so it is the ETag and the cache key. The publications and which
questions are public are read from the database on every request, so a withdrawn or changed page is gone on
every instance at once; the rest (names, answers, reviews: six queries) is re-read at most every STATE_TTL_S
seconds per instance, so an approved answer or a renamed topic shows within a second.
"""

import hashlib
import io
import json
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace

from sqlalchemy import case, func
from sqlalchemy import select as sa_select
from sqlmodel import Session

from app.config import settings
from app.domain import followup
from app.domain import publication as p_domain
from app.i18n import N_
from app.models import Event, Option, Publication, Question, ResultArchive, Series, Topic, Vote, table_of
from app.reports import compare, csv_export
from app.reports.compare import SeriesComparison
from app.reports.resultset import EventResults, event_results

TEXT_KINDS = ("text", "wordcloud")
STATE_TTL_S = 1.0


@dataclass(frozen=True, slots=True)
class PublicFile:
    """A released download: its address part, what it is, its media type and DCAT file type."""

    name: str  # the last part of the URL: /ergebnisse/<slug>/dateien/<name>
    release: str  # which release (Publication.downloads) brings it
    label: str  # msgid
    media_type: str
    file_type: str  # the EU file-type authority's code (DCAT-AP dct:format)


FILES = (
    PublicFile("ergebnisse.csv", "csv", N_("Tabelle (CSV für Excel, deutsch)"), "text/csv; charset=utf-8", "CSV"),
    PublicFile("ergebnisse.csv-metadata.json", "csv", N_("Beschreibung der Tabelle (CSVW-Metadaten)"), "application/csvm+json", "JSON"),
    PublicFile("ergebnisse-standard.csv", "csv", N_("Tabelle (CSV Standard, RFC 4180)"), "text/csv; charset=utf-8", "CSV"),
    PublicFile("ergebnisse-standard.csv-metadata.json", "csv", N_("Beschreibung der Standard-Tabelle (CSVW-Metadaten)"),
               "application/csvm+json", "JSON"),
    PublicFile("ergebnisse.pdf", "pdf", N_("Bericht (PDF, barrierefrei)"), "application/pdf", "PDF"),
)


def released(publication: Publication) -> list[PublicFile]:
    chosen = publication.downloads.split()
    return [f for f in FILES if f.release in chosen]


def public_results(session: Session, event: Event, publication: Publication | None, *, show_texts: bool | None = None) -> EventResults:
    """The event's result set as its public page shows it (see the module docstring)."""
    visible = p_domain.visible_ids(session=session, event_id=event.id)
    texts = bool(publication and publication.show_texts) if show_texts is None else show_texts
    all_ids = {q.id for q in p_domain.questions_of(session=session, event_id=event.id)}
    results = event_results(session, event, leave_out=frozenset(all_ids - visible))
    noted = set(followup.notes_of(session=session, event_id=event.id))
    topics = []
    for topic in results.topics:
        questions = tuple(q for q in topic.questions if texts or q.kind not in TEXT_KINDS)
        if questions or topic.id in noted:
            topics.append(replace(topic, questions=questions))
    return replace(results, topics=tuple(topics), left_out=())


def series_results(session: Session, series: Series, events: Sequence[Event], show_texts: bool) -> SeriesComparison:
    """The comparison of the published events' public questions (nothing of an unpublished event enters it). Free
    answers only of events whose own page shows them, and only if the series' page may too."""
    results = []
    for event in events:
        own = p_domain.publication_for(session=session, event_id=event.id)
        results.append(public_results(session, event, own, show_texts=show_texts and bool(own and own.show_texts)))
    return compare.series_comparison(session, series, events=list(events), results=results)


def _data_state(session: Session, event_ids: list[int], question_ids: list[int]) -> list[object]:
    """The rows the pages are made of, as plain values: a vote, a review or an edit changes them."""
    e, t, q, o, v, a = (table_of(m).c for m in (Event, Topic, Question, Option, Vote, ResultArchive))
    statements = [
        sa_select(e.id, e.title, e.place, e.date, e.series_id, e.people_in_hall, e.voting_cards).where(e.id.in_(event_ids)).order_by(e.id),
        sa_select(t.id, t.title, t.position).where(t.event_id.in_(event_ids)).order_by(t.id),
        sa_select(q.id, q.topic_id, q.position, q.text, q.kind, q.status, q.round, q.hidden_terms, q.public)
        .where(q.event_id.in_(event_ids)).order_by(q.id),
        sa_select(o.id, o.label, o.position).where(o.question_id.in_(question_ids)).order_by(o.id),
        sa_select(func.count(v.id), func.max(v.updated_at), func.count(case((v.moderation == "approved", 1))),
                  func.count(case((v.moderation == "rejected", 1)))).where(v.question_id.in_(question_ids)),
        sa_select(func.count(a.id), func.max(a.archived_at)).where(a.question_id.in_(question_ids)),
    ]
    return [[list(row) for row in session.connection().execute(stmt)] for stmt in statements]


_states: dict[tuple[tuple[int, ...], tuple[int, ...]], tuple[float, list[object]]] = {}
_states_lock = threading.Lock()


def _recent_state(session: Session, ids: list[int], question_ids: list[int]) -> list[object]:
    """`_data_state`, read again once it is STATE_TTL_S old (a busy page costs six queries a second, not per view)."""
    key, now = (tuple(ids), tuple(question_ids)), time.monotonic()
    with _states_lock:
        found = _states.get(key)
    if found is not None and found[0] > now:
        return found[1]
    state = _data_state(session, ids, question_ids)
    with _states_lock:
        if len(_states) > 256:
            _states.clear()
        _states[key] = (now + STATE_TTL_S, state)
    return state


def fingerprint(session: Session, publications: Sequence[Publication], events: Sequence[Event], locale: str,
                visible: Mapping[int, set[int]] | None = None) -> str:
    """The ETag of a public page: changes whenever anything it shows could have changed. `visible`: the events'
    public questions if the caller has just read them (else read here)."""
    ids = [e.id for e in events]
    question_ids = sorted(i for e in events
                          for i in (visible[e.id] if visible is not None else p_domain.visible_ids(session=session, event_id=e.id)))
    state = [[(p.id, p.version, p.published, p.slug) for p in publications], question_ids, _recent_state(session, ids, question_ids),
             settings.report_licence, settings.report_organisation, locale]
    return hashlib.sha256(json.dumps(state, default=str, ensure_ascii=False).encode()).hexdigest()[:32]


def file_bytes(name: str, events: Sequence[EventResults], comparison: SeriesComparison | None, title: str) -> bytes:
    """A released file made from the public result set (the PDF takes seconds: callers cache it)."""
    if name.endswith(".pdf"):
        from app.reports.pdf_report import report_pdf

        return report_pdf(events, comparison, licence=settings.report_licence)
    dialect = "standard" if "standard" in name else "excel-de"
    if name.endswith("-metadata.json"):
        csv_name = name.removesuffix("-metadata.json")
        return json.dumps(csv_export.csv_metadata(csv_name, "results", dialect, title), ensure_ascii=False, indent=2).encode()
    out = io.BytesIO()
    csv_export.write_results_csv(events, out, dialect)
    return out.getvalue()


class Cache:
    """A small in-process LRU of made pages and files, keyed by fingerprint. Building one key happens once at a
    time (a second request for it waits for the first); a stale entry is never read, since the key changes."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._items: OrderedDict[str, bytes] = OrderedDict()
        self._lock = threading.Lock()
        self._building: dict[str, threading.Lock] = {}

    def get(self, key: str, build: Callable[[], bytes]) -> bytes:
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
            gate = self._building.setdefault(key, threading.Lock())
        with gate:
            with self._lock:
                if key in self._items:
                    return self._items[key]
            value = build()
            with self._lock:
                self._items[key] = value
                self._items.move_to_end(key)
                while len(self._items) > self.size:
                    self._items.popitem(last=False)
                self._building.pop(key, None)
            return value

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
        with _states_lock:
            _states.clear()


pages = Cache(128)
files = Cache(16)
