"""Export jobs: who may export what, one job per format, options and state of the data, and the runner.

A job is a row (models.ExportJob). Asking again with the same format, options and data state (`params_hash`)
gives the finished file again, or joins the job still running; a vote, an approved answer or a changed question
makes a new one. The file is made by a child process (`python -m app.reports.run_export <id>`, see there), so
the interpreter serving the phones' votes is not slowed by it; the `Runner` in the app process starts the
children one after the other, watches each job's row and hands its progress on (the hub sends it to the
moderators' sockets). Files expire after `KEEP`; `cleanup` (on every export request and at app start) deletes
expired files and fails jobs whose child is gone.
"""

import asyncio
import datetime as dt
import hashlib
import json
import logging
import os
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from sqlalchemy import case, func, update
from sqlalchemy import select as sa_select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import defer
from sqlmodel import Session, col, select

from app.config import ROOT, settings
from app.domain.access import Forbidden, can_manage
from app.domain.errors import DomainError, Invalid, NotFound
from app.i18n import N_
from app.models import Event, ExportJob, ExportStatus, Option, Question, ResultArchive, Series, Topic, User, Vote, table_of, utcnow
from app.reports import export
from app.reports.compare import series_events

log = logging.getLogger(__name__)

KEEP = dt.timedelta(hours=24)  # a finished file is kept this long
STALE = dt.timedelta(minutes=10)  # a running job whose row has not moved for this long has lost its child
CHILDREN = 1  # exports made at once by one app process (each child holds a CPU)
WATCH_S = 0.25  # how often the runner reads a running job's row
RECENT = 10  # jobs the dialog lists
OPEN_MAX = 3  # unfinished jobs one person may have at once (each waits for a child process)

FAILED_UNEXPECTEDLY = N_("Der Export wurde unerwartet beendet. Bitte versuchen Sie es noch einmal.")
FAILED_RESTART = N_("Der Export wurde durch einen Neustart des Servers abgebrochen. Bitte starten Sie ihn noch einmal.")
QUEUED = N_("wartet auf den Start")


class TooMany(DomainError):
    status = 429


@dataclass(frozen=True, slots=True)
class ExportRequest:
    """What a person asked for: the format, the events (in order), what to leave out, the preface."""

    format: str
    event_ids: tuple[int, ...]
    leave_out: tuple[int, ...] = ()  # question ids
    left_out_events: tuple[int, ...] = ()
    preface: str = ""
    event_id: int | None = None
    series_id: int | None = None


def series_for(*, session: Session, user: User, series_id: int) -> tuple[Series, list[Event]]:
    """The series and its events, if this user moderates every one of them; 404 if there is none, else 403."""
    series = session.get(Series, series_id)
    if series is None:
        raise NotFound("series_not_found", N_("Diese Reihe gibt es nicht."))
    events = series_events(session, series.id)
    if not events:
        raise NotFound("series_empty", N_("Diese Reihe hat noch keine Veranstaltung; es gibt nichts zu exportieren."))
    if not all(can_manage(session=session, user=user, event=e) for e in events):
        raise Forbidden("series_not_yours", N_("Diese Reihe enthält Veranstaltungen, die Sie nicht moderieren. Exportieren kann sie "
                                               "nur, wer alle ihre Veranstaltungen moderiert."))
    return series, events


def check(*, session: Session, request: ExportRequest) -> None:
    """Refuse what cannot be made, with a German message (422)."""
    if request.format not in export.FORMATS:
        raise Invalid("unknown_format", N_("Dieses Format gibt es nicht. Bitte wählen Sie eines der angebotenen Formate."))
    if not export.available(request.format):
        raise Invalid("format_unavailable", N_("Dieses Format ist in dieser Version noch nicht verfügbar."))
    if len(request.preface) > export.PREFACE_MAX:
        raise Invalid("preface_too_long", N_("Das Vorwort ist zu lang: höchstens {max} Zeichen, es sind {n}."),
                      max=export.PREFACE_MAX, n=len(request.preface))
    if not request.event_ids:
        raise Invalid("nothing_left", N_("Sie haben alle Veranstaltungen weggelassen; es bleibt nichts zu exportieren."))
    if request.leave_out:
        ids = set(session.exec(select(Question.id).where(col(Question.event_id).in_(request.event_ids + request.left_out_events))))
        if not set(request.leave_out) <= ids:
            raise Invalid("foreign_question", N_("Eine der weggelassenen Fragen gehört nicht zu diesem Export. Bitte laden Sie die "
                                                 "Seite neu."))


def data_state(session: Session, event_ids: tuple[int, ...]) -> list[object]:
    """What the files are made of, as numbers and texts: a vote, a review or an edit changes it."""
    e, t, q, o, v, a = (table_of(m).c for m in (Event, Topic, Question, Option, Vote, ResultArchive))
    in_events = q.event_id.in_(event_ids)
    statements = [
        sa_select(e.id, e.title, e.place, e.date, e.series_id).where(e.id.in_(event_ids)).order_by(e.id),
        sa_select(t.id, t.title, t.position).where(t.event_id.in_(event_ids)).order_by(t.id),
        sa_select(q.id, q.topic_id, q.position, q.text, q.kind, q.status, q.round, q.hidden_terms, q.term_merges).where(in_events).order_by(q.id),
        sa_select(o.id, o.label, o.position).join(Question).where(in_events).order_by(o.id),
        sa_select(func.count(v.id), func.max(v.updated_at), func.count(case((v.moderation == "approved", 1))),
                  func.count(case((v.moderation == "rejected", 1)))).join(Question).where(in_events),
        sa_select(func.count(a.id), func.max(a.archived_at)).join(Question).where(in_events),
    ]
    return [[list(row) for row in session.connection().execute(stmt)] for stmt in statements]


def params_of(session: Session, request: ExportRequest) -> tuple[str, str]:
    """The job's options as JSON, and the hash of options and data state."""
    params = {"event_ids": list(request.event_ids), "leave_out": sorted(request.leave_out),
              "left_out_events": list(request.left_out_events), "preface": request.preface}
    state = [request.format, params, settings.report_licence, settings.report_organisation, data_state(session, request.event_ids)]
    digest = hashlib.sha256(json.dumps(state, default=str, ensure_ascii=False).encode()).hexdigest()
    return json.dumps(params, ensure_ascii=False), digest


def cleanup(*, session: Session, now: dt.datetime | None = None) -> None:
    """Delete the files of expired jobs (size 0 then says "expired"); fail jobs whose child stopped moving (it died with its instance)."""
    now = now or utcnow()
    session.exec(update(ExportJob).where(col(ExportJob.expires_at) <= now, col(ExportJob.file).is_not(None))
                 .values(file=None, size=0))
    session.exec(update(ExportJob).where(col(ExportJob.status).in_([ExportStatus.queued, ExportStatus.running]),
                                         col(ExportJob.updated_at) < now - STALE)
                 .values(status=ExportStatus.failed, error=FAILED_UNEXPECTEDLY, updated_at=now))
    session.commit()


def is_live(job: ExportJob, now: dt.datetime) -> bool:
    """A job to hand out again: finished and not expired, or still on its way."""
    if job.status == ExportStatus.done:
        return _aware(job.expires_at) > now and job.size > 0
    return job.status in (ExportStatus.queued, ExportStatus.running) and _aware(job.updated_at) > now - STALE


def _aware(moment: dt.datetime) -> dt.datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)  # SQLite gives naive UTC back


def start(*, session: Session, user: User, request: ExportRequest, now: dt.datetime | None = None) -> tuple[ExportJob, bool]:
    """The job for this request: one already made or running with the same hash (reused: True), or a new one."""
    now = now or utcnow()
    check(session=session, request=request)
    cleanup(session=session, now=now)
    params, digest = params_of(session, request)
    earlier = session.exec(select(ExportJob).options(defer(ExportJob.file))  # type: ignore[arg-type]
                           .where(ExportJob.user_id == user.id, ExportJob.params_hash == digest)
                           .order_by(col(ExportJob.id).desc())).first()
    if earlier is not None and is_live(earlier, now):
        return earlier, True
    unfinished = session.exec(select(func.count(col(ExportJob.id))).where(
        ExportJob.user_id == user.id, col(ExportJob.status).in_([ExportStatus.queued, ExportStatus.running]))).one()
    if unfinished >= OPEN_MAX:
        raise TooMany("too_many_exports", N_("Sie haben schon {n} Exporte in Arbeit. Bitte warten Sie, bis einer fertig ist."), n=unfinished)
    job = ExportJob(event_id=request.event_id, series_id=request.series_id, user_id=user.id, format=request.format, params=params,
                    params_hash=digest, status=ExportStatus.queued, stage=QUEUED, created_at=now, updated_at=now,
                    expires_at=now + KEEP)
    session.add(job)
    session.commit()
    return job, False


def recent(*, session: Session, user: User, event_id: int | None = None, series_id: int | None = None) -> list[ExportJob]:
    """This person's latest jobs for the event or series (without their files)."""
    where = ExportJob.event_id == event_id if event_id is not None else ExportJob.series_id == series_id
    return list(session.exec(select(ExportJob).options(defer(ExportJob.file))  # type: ignore[arg-type]
                             .where(ExportJob.user_id == user.id, where).order_by(col(ExportJob.id).desc()).limit(RECENT)))


def job_for(*, session: Session, user: User, job_id: int, event_id: int | None = None, series_id: int | None = None,
            with_file: bool = False) -> ExportJob:
    """The person's own job of this event or series; anyone else's, or one of another event: 404."""
    stmt = select(ExportJob).where(ExportJob.id == job_id)
    if not with_file:
        stmt = stmt.options(defer(ExportJob.file))  # type: ignore[arg-type]
    job = session.exec(stmt).first()
    if job is None or job.user_id != user.id or job.event_id != event_id or job.series_id != series_id:
        raise NotFound("export_not_found", N_("Diesen Export gibt es nicht (mehr)."))
    return job


def event_ids_of(job: ExportJob) -> list[int]:
    """The events a job exports (and whose audit logs name it)."""
    return [int(i) for i in json.loads(job.params).get("event_ids", [])] + [
        int(i) for i in json.loads(job.params).get("left_out_events", [])]


@dataclass(frozen=True, slots=True)
class Progress:
    """A job's state as the page shows it."""

    job_id: int
    event_ids: tuple[int, ...]
    status: str
    done: int
    total: int
    stage: str  # msgid
    error: str  # msgid


Report = Callable[[Progress], Awaitable[None]]


def progress_of(engine: Engine, job_id: int) -> Progress | None:
    with Session(engine) as session:
        job = session.exec(select(ExportJob).options(defer(ExportJob.file))  # type: ignore[arg-type]
                           .where(ExportJob.id == job_id)).first()
        if job is None:
            return None
        return Progress(job_id=job.id, event_ids=tuple(event_ids_of(job)), status=job.status, done=job.done, total=job.total,
                        stage=job.stage, error=job.error)


def _fail(engine: Engine, job_id: int, message: str) -> None:
    with Session(engine) as session:
        session.exec(update(ExportJob).where(col(ExportJob.id) == job_id, col(ExportJob.status) != ExportStatus.done)
                     .values(status=ExportStatus.failed, error=message, file=None, updated_at=utcnow()))
        session.commit()


class Runner:
    """Starts each job's child process (at most CHILDREN at once), watches its row and reports its progress."""

    def __init__(self, engine: Engine, report: Report) -> None:
        self.engine = engine
        self.report = report
        self._slots = asyncio.Semaphore(CHILDREN)
        self._tasks: set[asyncio.Task[None]] = set()
        self._children: set[asyncio.subprocess.Process] = set()

    def start(self, job_id: int) -> None:
        """Run the job in the background (call on the event loop)."""
        task = asyncio.create_task(self._run(job_id), name=f"export-{job_id}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def wait(self) -> None:
        """Until every job started here has ended (tests, shutdown)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def stop(self) -> None:
        """Shutdown: stop the children; their jobs say the server restarted."""
        for child in list(self._children):
            if child.returncode is None:
                child.terminate()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def _run(self, job_id: int) -> None:
        try:
            async with self._slots:
                await self._child(job_id)
        except asyncio.CancelledError:
            await asyncio.to_thread(_fail, self.engine, job_id, FAILED_RESTART)
            raise
        except Exception:
            log.exception("Export %s: the runner failed", job_id)
            await asyncio.to_thread(_fail, self.engine, job_id, FAILED_UNEXPECTEDLY)
        final = await asyncio.to_thread(progress_of, self.engine, job_id)
        if final is not None:
            await self.report(final)

    async def _child(self, job_id: int) -> None:
        env = {**os.environ, "DATABASE_URL": self.engine.url.render_as_string(hide_password=False)}
        child = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "app.reports.run_export", str(job_id), cwd=ROOT, env=env,
            stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE,
        )
        self._children.add(child)
        try:
            assert child.stderr is not None
            last: Progress | None = None
            errors = asyncio.create_task(child.stderr.read())
            while child.returncode is None:
                try:
                    await asyncio.wait_for(asyncio.shield(child.wait()), timeout=WATCH_S)
                except TimeoutError:
                    pass
                now = await asyncio.to_thread(progress_of, self.engine, job_id)
                if now is not None and now != last and child.returncode is None:
                    last = now
                    await self.report(now)
            stderr = (await errors).decode("utf-8", "replace").strip()
        finally:
            self._children.discard(child)
        end = await asyncio.to_thread(progress_of, self.engine, job_id)
        if child.returncode != 0 or (end is not None and end.status in (ExportStatus.queued, ExportStatus.running)):
            log.error("Export %s: child ended with %s: %s", job_id, child.returncode, (stderr.splitlines() or ["?"])[-1][:300])
            await asyncio.to_thread(_fail, self.engine, job_id, FAILED_UNEXPECTEDLY)
