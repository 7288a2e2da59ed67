"""The export dialog of an event or a series, its jobs' state and their downloads (issue #15, points 9–11).

Only an event's moderators (owner, co-moderators, admins) see its dialog; a series needs every one of its
events. A job belongs to the person who started it; another's job id is 404. Every start and every download
is in the audit log of each exported event. The file is made by app/reports/jobs.py in a child process; the
page follows its progress over the moderator socket (events) or by asking (series, no socket).
"""

from typing import Annotated, Any
from urllib.parse import quote

from anyio import from_thread
from fastapi import APIRouter, Form, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from sqlmodel import Session

from app import auth
from app.db import SessionDep
from app.domain import access
from app.domain.errors import Conflict, DomainError, Invalid
from app.domain.events import agenda
from app.i18n import _
from app.models import ID_MAX, Event, ExportJob, ExportStatus, Series, User, utcnow
from app.pages import render
from app.reports import export, jobs
from app.reports.formatting import number, stamp
from app.routes.deps import CheckedForm, Text, ViewedEvent
from app.routes.params import Id

router = APIRouter()

Ids = Annotated[list[str], Form()]


class Expired(DomainError):
    status = 410


def _ids(values: list[str], what: str) -> tuple[int, ...]:
    """Ids from tick boxes; anything else is refused with a German message."""
    found = []
    for value in values[:5000]:
        if not value.isdigit() or not 1 <= int(value) <= ID_MAX:
            raise Invalid("bad_id", "Die Auswahl „{what}“ enthält einen ungültigen Eintrag. Bitte laden Sie die Seite neu.", what=what)
        found.append(int(value))
    return tuple(sorted(set(found)))


def _job_view(job: ExportJob, base: str) -> dict[str, Any]:
    """A job as the dialog and its script show it."""
    expired = job.status == ExportStatus.done and not jobs.is_live(job, utcnow())
    fmt = export.FORMATS.get(job.format)
    return {
        "id": job.id, "status": "expired" if expired else job.status, "done": job.done, "total": job.total,
        "stage": _(job.stage) if job.stage else "", "error": _(job.error) if job.error else "",
        "format": _(fmt.label) if fmt else job.format, "file_name": job.file_name, "size": job.size,
        "size_text": f"{number(job.size / 1024, 1)}\u00a0KB",
        "made": stamp(job.created_at), "expires": stamp(job.expires_at),
        "download": f"{base}/exports/{job.id}/download", "status_url": f"{base}/exports/{job.id}",
    }


def _dialog(request: Request, session: Session, user: User, *, base: str, title: str, events: list[Event], event: Event | None = None,
            series: Series | None = None, error: str | None = None, form: dict[str, Any] | None = None, status_code: int = 200,
            shown: int | None = None) -> Response:
    listed = jobs.recent(session=session, user=user, event_id=event.id if event else None, series_id=series.id if series else None)
    return render(
        request, "moderator/export.html", status_code=status_code, user=user, event=event, series=series, title=title, base=base,
        events=[(e, agenda(session=session, event_id=e.id)) for e in events],
        formats=[(f.name, _(f.label), export.available(f.name)) for f in export.FORMATS.values()],
        preface_max=export.PREFACE_MAX, jobs=[_job_view(j, base) for j in listed], shown=shown, error=error,
        form=form or {"format": "pdf" if export.available("pdf") else "csv-excel", "preface": "", "leave_out": set(), "leave_out_event": set()},
    )


def _audit(session: Session, user: User, event_ids: list[int], action: str, detail: str) -> None:
    for event_id in event_ids:
        access.record(session=session, event_id=event_id, user=user, action=action, detail=detail)


def _start(request: Request, session: Session, user: User, req: jobs.ExportRequest, all_ids: list[int]) -> ExportJob:
    job, reused = jobs.start(session=session, user=user, request=req)
    label = _(export.FORMATS[req.format].label)
    _audit(session, user, all_ids, "export-start", f"{label} (Export {job.id})" + (", vorhandene Datei" if reused else ""))
    if not reused:
        from_thread.run_sync(request.app.state.exports.start, job.id)
    return job


def _form(format: str, preface: str, leave_out: list[str], leave_out_event: list[str]) -> dict[str, Any]:
    return {"format": format, "preface": preface, "leave_out": set(leave_out), "leave_out_event": set(leave_out_event)}


# ---- one event ----------------------------------------------------------------------------------


@router.get("/moderator/events/{event_id}/export")
def event_dialog(request: Request, event: ViewedEvent, user: auth.PageUser, session: SessionDep, job: int | None = None):
    base = f"/moderator/events/{event.id}"
    return _dialog(request, session, user, base=base, title=event.title, events=[event], event=event, shown=job)


@router.post("/moderator/events/{event_id}/export")
def event_export(request: Request, event: ViewedEvent, user: auth.PageUser, session: SessionDep, _form_ok: CheckedForm,
                 format: Text = "", preface: Text = "", leave_out: Ids = []):  # noqa: B006  (FastAPI copies defaults)
    base = f"/moderator/events/{event.id}"
    try:
        req = jobs.ExportRequest(format=format, event_ids=(event.id,), leave_out=_ids(leave_out, _("Fragen weglassen")),
                                 preface=preface.strip(), event_id=event.id)
        job = _start(request, session, user, req, [event.id])
    except DomainError as exc:
        return _dialog(request, session, user, base=base, title=event.title, events=[event], event=event,
                       error=_(exc.message, **exc.params), form=_form(format, preface, leave_out, []), status_code=exc.status)
    return RedirectResponse(f"{base}/export?job={job.id}#job-{job.id}", status_code=303)


@router.get("/moderator/events/{event_id}/exports/{job_id}")
def event_job(event: ViewedEvent, job_id: Id, user: auth.PageUser, session: SessionDep):
    job = jobs.job_for(session=session, user=user, job_id=job_id, event_id=event.id)
    return JSONResponse(_job_view(job, f"/moderator/events/{event.id}"))


@router.get("/moderator/events/{event_id}/exports/{job_id}/download")
def event_download(event: ViewedEvent, job_id: Id, user: auth.PageUser, session: SessionDep):
    job = jobs.job_for(session=session, user=user, job_id=job_id, event_id=event.id, with_file=True)
    return _download(session, user, job)


# ---- a series -----------------------------------------------------------------------------------


@router.get("/moderator/series/{series_id}/export")
def series_dialog(request: Request, series_id: Id, user: auth.PageUser, session: SessionDep, job: int | None = None):
    series, events = jobs.series_for(session=session, user=user, series_id=series_id)
    return _dialog(request, session, user, base=f"/moderator/series/{series.id}", title=series.title, events=events, series=series,
                   shown=job)


@router.post("/moderator/series/{series_id}/export")
def series_export(request: Request, series_id: Id, user: auth.PageUser, session: SessionDep, _form_ok: CheckedForm,
                  format: Text = "", preface: Text = "", leave_out: Ids = [], leave_out_event: Ids = []):  # noqa: B006
    series, events = jobs.series_for(session=session, user=user, series_id=series_id)
    base = f"/moderator/series/{series.id}"
    try:
        dropped = _ids(leave_out_event, _("Veranstaltungen weglassen"))
        ids = [e.id for e in events]
        if not set(dropped) <= set(ids):
            raise Invalid("foreign_event", "Eine der weggelassenen Veranstaltungen gehört nicht zu dieser Reihe. Bitte laden Sie die Seite neu.")
        req = jobs.ExportRequest(format=format, event_ids=tuple(i for i in ids if i not in dropped),
                                 leave_out=_ids(leave_out, _("Fragen weglassen")), left_out_events=dropped, preface=preface.strip(),
                                 series_id=series.id)
        job = _start(request, session, user, req, ids)
    except DomainError as exc:
        return _dialog(request, session, user, base=base, title=series.title, events=events, series=series,
                       error=_(exc.message, **exc.params), form=_form(format, preface, leave_out, leave_out_event),
                       status_code=exc.status)
    return RedirectResponse(f"{base}/export?job={job.id}#job-{job.id}", status_code=303)


@router.get("/moderator/series/{series_id}/exports/{job_id}")
def series_job(series_id: Id, job_id: Id, user: auth.PageUser, session: SessionDep):
    series, _events = jobs.series_for(session=session, user=user, series_id=series_id)
    job = jobs.job_for(session=session, user=user, job_id=job_id, series_id=series.id)
    return JSONResponse(_job_view(job, f"/moderator/series/{series.id}"))


@router.get("/moderator/series/{series_id}/exports/{job_id}/download")
def series_download(series_id: Id, job_id: Id, user: auth.PageUser, session: SessionDep):
    series, _events = jobs.series_for(session=session, user=user, series_id=series_id)
    job = jobs.job_for(session=session, user=user, job_id=job_id, series_id=series.id, with_file=True)
    return _download(session, user, job)


def _download(session: Session, user: User, job: ExportJob) -> Response:
    """The finished file as an attachment under its stable name; a failed, unfinished or expired job has none."""
    if job.status == ExportStatus.failed:
        raise Conflict("export_failed", "Dieser Export ist fehlgeschlagen ({reason}); es gibt keine Datei. Bitte starten Sie ihn neu.",
                       reason=_(job.error) if job.error else "?")
    if job.status != ExportStatus.done:
        raise Conflict("export_running", "Dieser Export ist noch nicht fertig. Bitte warten Sie, bis er fertig ist.")
    if not job.file or not jobs.is_live(job, utcnow()):
        raise Expired("export_expired", "Diese Datei ist abgelaufen und wurde gelöscht. Bitte starten Sie den Export neu.")
    _audit(session, user, jobs.event_ids_of(job), "export-download", f"{job.file_name} (Export {job.id})")
    ascii_name = job.file_name.encode("ascii", "replace").decode().replace('"', "")
    return Response(job.file, media_type=job.media_type, headers={
        "Content-Disposition": f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(job.file_name)}",
        "Cache-Control": "no-store", "X-Content-Type-Options": "nosniff",
    })

