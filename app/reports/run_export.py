"""The child process that makes one export's file: `python -m app.reports.run_export <job id>`.

It runs at a lower priority than the app (nice), reads the database at DATABASE_URL (the app hands its own
on), builds the result sets question by question, writing the progress to the job's row (at most every
`PROGRESS_EVERY_S`, and at the end), then the file. Whatever fails, the row ends "failed" with a German
message (a refusal's own, or a general one; the traceback goes to standard error, which the app logs by its
last line) and no file, never a partial one.
"""

import json
import logging
import os
import sys
import time
import traceback

from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from app.domain.errors import DomainError
from app.i18n import N_
from app.models import Event, ExportJob, ExportStatus, Question, Series, utcnow
from app.reports import export
from app.reports.compare import SeriesComparison, series_comparison
from app.reports.resultset import EventResults, event_results

log = logging.getLogger(__name__)

PROGRESS_EVERY_S = 0.2  # at most five writes of the progress a second
NICENESS = 10

FAILED = N_("Die Datei konnte nicht erzeugt werden. Bitte versuchen Sie es noch einmal; besteht der Fehler, "
            "wenden Sie sich an die Betreuung des Servers.")
EVENT_GONE = N_("Eine der Veranstaltungen gibt es nicht mehr.")
COUNTING = N_("Ergebnisse werden berechnet")
DONE = N_("fertig")


class Job:
    """One job's row, written as the work goes on."""

    def __init__(self, engine: Engine, job_id: int) -> None:
        self.engine = engine
        self.id = job_id
        self.done = 0
        self._written = 0.0

    def write(self, **values: object) -> None:
        with Session(self.engine) as session:
            session.exec(update(ExportJob).where(col(ExportJob.id) == self.id)
                         .values(**values, updated_at=utcnow()))
            session.commit()

    def question_done(self) -> None:
        self.done += 1
        now = time.monotonic()
        if now - self._written >= PROGRESS_EVERY_S:
            self._written = now
            self.write(done=self.done)

    def stage(self, text: str) -> None:
        self.write(done=self.done, stage=text)


def build(session: Session, job: Job, row: ExportJob) -> tuple[list[EventResults], SeriesComparison | None]:
    """The result sets of the job's events (in its order) and, for a series, their comparison."""
    params = json.loads(row.params)
    event_ids = [int(i) for i in params["event_ids"]]
    leave_out = frozenset(int(i) for i in params.get("leave_out", []))
    asked = session.exec(select(Question.id).where(col(Question.event_id).in_(event_ids))).all()
    total = sum(1 for question_id in asked if question_id not in leave_out)
    job.write(status=ExportStatus.running, total=total, done=0, stage=COUNTING)
    now = utcnow()
    results = []
    for event_id in event_ids:
        event = session.get(Event, event_id)
        if event is None:
            raise DomainError("event_gone", EVENT_GONE)
        results.append(event_results(session, event, now=now, leave_out=leave_out, on_question=job.question_done))
    comparison = None
    series = session.get(Series, row.series_id) if row.series_id is not None else None
    if series is not None:
        events = [session.get(Event, i) for i in event_ids]
        comparison = series_comparison(session, series, events=[e for e in events if e], results=results)
    return results, comparison


def run_job(engine: Engine, job_id: int) -> None:
    """Make the job's file and store it, or mark the job failed (blocking; the child's whole work)."""
    job = Job(engine, job_id)
    with Session(engine, expire_on_commit=False) as session:
        row = session.exec(select(ExportJob).where(ExportJob.id == job_id)).first()
        if row is None or row.status not in (ExportStatus.queued, ExportStatus.running):
            return
        try:
            results, comparison = build(session, job, row)
            job.write(done=job.done)
            params = json.loads(row.params)
            left_out = [session.get(Event, int(i)) for i in params.get("left_out_events", [])]
            options = export.Options(preface=params.get("preface", ""), licence=_licence(), series=comparison.title if comparison else None,
                                     left_out_events=tuple(e.title for e in left_out if e is not None))
            data = export.produce(row.format, results, comparison, options, job.stage)
            if not data:
                raise ValueError("the writer gave an empty file")
            job.write(status=ExportStatus.done, stage=DONE, file=data, size=len(data), error="",
                      file_name=export.file_name(row.format, results, series=options.series), media_type=export.FORMATS[row.format].media_type)
        except DomainError as exc:
            session.rollback()
            job.write(status=ExportStatus.failed, error=exc.message[:500], file=None, size=0)
        except Exception:
            session.rollback()
            traceback.print_exc()
            job.write(status=ExportStatus.failed, error=FAILED, file=None, size=0)


def _licence() -> str:
    from app.config import settings

    return settings.report_licence


def main(argv: list[str]) -> int:
    from app import db

    if len(argv) != 1 or not argv[0].isdigit():
        sys.stderr.write("usage: python -m app.reports.run_export <job id>\n")
        return 2
    try:
        os.nice(NICENESS)  # the votes in the hall come first
    except OSError:
        pass
    if hasattr(os, "SCHED_IDLE"):
        # Linux: run only when no other process wants the CPU, so a vote burst on the same core is not slowed;
        # nice alone still took a share of the core (docs/benchmarks.md, "An export during a vote burst").
        try:
            os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))
        except OSError:
            pass
    logging.basicConfig(level=logging.WARNING)
    run_job(db.get_engine(), int(argv[0]))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
