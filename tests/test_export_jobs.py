"""Export jobs (issue #15, points 10 and 11): the dialog starts a job, a child process makes the file, progress
reaches the moderators' sockets, the same request reuses the file, a vote makes a new one, failures say why in
German and offer no file, files expire, only the event's moderators see any of it, and all of it is audited."""

import datetime as dt
import json
import re
import uuid

import pytest
from sqlmodel import select

from app.domain import access
from app.domain import questions as q_domain
from app.domain import votes as v_domain
from app.models import AuditEntry, Event, ExportJob, ExportStatus, Series, utcnow
from app.reports import export, jobs, run_export
from tests import factories
from tests.helpers import csrf_of, login


def _votes(session, question, labels_to_counts):
    ids = {o.label: o.id for o in q_domain.options_of(session=session, question_id=question.id)}
    rows = [v_domain.VoteRow(question_id=question.id, event_id=question.event_id, device_hash=uuid.uuid4().hex, choices=[ids[label]],
                             vote_id=uuid.uuid4().hex) for label, n in labels_to_counts.items() for _ in range(n)]
    v_domain.insert_votes_directly(session=session, rows=rows)


def _post(client, url, **form):
    return client.post(url, data={"csrf": client.csrf, **form}, follow_redirects=False)


def _start(client, event_id, fmt="csv-excel", **form):
    r = _post(client, f"/moderator/events/{event_id}/export", format=fmt, **form)
    assert r.status_code == 303, r.text[:500]
    return int(re.search(r"job=(\d+)", r.headers["location"]).group(1))


def _finish(client):
    """Until every job the app started has ended (its runner awaits the child and the last progress)."""
    client.portal.call(client.app.state.exports.wait)


def _job(session, job_id) -> ExportJob:
    session.expire_all()
    return session.get(ExportJob, job_id)


@pytest.fixture
def voted(session, event):
    single = factories.questions_of(session, event)[0]
    _votes(session, single, {"Auto": 3, "Bus": 2, "Rad": 1})
    return event


def test_a_csv_job_runs_in_a_child_process_and_the_download_is_the_csv(mod_client, session, voted, monkeypatch):
    def not_here(*_args, **_kwargs):
        raise AssertionError("the file must be made by the child process, not the app's")

    monkeypatch.setattr(run_export, "run_job", not_here)
    monkeypatch.setattr(export, "produce", not_here)
    job_id = _start(mod_client, voted.id)
    _finish(mod_client)
    job = _job(session, job_id)
    assert (job.status, job.error) == (ExportStatus.done, "")
    assert job.done == job.total == 2  # both questions of the event
    status = mod_client.get(f"/moderator/events/{voted.id}/exports/{job_id}").json()
    assert status["status"] == "done" and status["file_name"] == job.file_name
    r = mod_client.get(f"/moderator/events/{voted.id}/exports/{job_id}/download")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/csv")
    assert r.headers["content-disposition"].startswith('attachment; filename="ohne-Datum_Freiberg_Ergebnisse.csv"')
    text = r.content.decode("utf-8")
    assert text.startswith("\ufeff") and ";" in text and "Wie kommen Sie zur Arbeit?" in text and "Auto" in text
    page = mod_client.get(f"/moderator/events/{voted.id}/export?job={job_id}").text
    assert f'href="/moderator/events/{voted.id}/exports/{job_id}/download"' in page and "fertig" in page


def test_asking_again_reuses_the_file_and_a_new_vote_makes_a_new_one(mod_client, session, voted):
    first = _start(mod_client, voted.id)
    _finish(mod_client)
    assert _start(mod_client, voted.id) == first  # the same file, no new job
    assert len(session.exec(select(ExportJob)).all()) == 1
    other = _start(mod_client, voted.id, fmt="csv")  # another format is another file
    _finish(mod_client)
    assert other != first
    _votes(session, factories.questions_of(session, voted)[0], {"Bus": 1})
    fresh = _start(mod_client, voted.id)
    assert fresh not in (first, other)
    _finish(mod_client)
    old = mod_client.get(f"/moderator/events/{voted.id}/exports/{first}/download").content.decode()
    new = mod_client.get(f"/moderator/events/{voted.id}/exports/{fresh}/download").content.decode()
    assert old != new  # the new vote is in the new file only


def test_a_moderator_socket_of_the_event_hears_the_progress(mod_client, session, voted):
    with mod_client.websocket_connect(f"/ws/moderator/{voted.id}") as ws:
        assert ws.receive_json()["type"] == "state"
        job_id = _start(mod_client, voted.id)
        _finish(mod_client)
        seen = []
        for _ in range(100):
            msg = ws.receive_json()
            if msg["type"] == "export":
                seen.append(msg)
                if msg["status"] in ("done", "failed"):
                    break
    assert seen and {m["job_id"] for m in seen} == {job_id}
    last = seen[-1]
    assert (last["status"], last["done"], last["total"], last["stage"], last["error"]) == ("done", 2, 2, "fertig", "")
    assert all(m["done"] <= m["total"] or m["total"] == 0 for m in seen)


def test_a_failing_writer_ends_the_job_failed_in_german_with_no_file(mod_client, session, voted, moderator, monkeypatch):
    request = jobs.ExportRequest(format="csv-excel", event_ids=(voted.id,), event_id=voted.id)
    job, reused = jobs.start(session=session, user=moderator, request=request)
    assert not reused

    def broken(*_args):
        raise RuntimeError("disk full")

    monkeypatch.setitem(export.FORMATS, "csv-excel", export.FORMATS["csv-excel"].__class__(
        **{**{f: getattr(export.FORMATS["csv-excel"], f) for f in export.Format.__slots__}, "write": broken}))
    run_export.run_job(session.get_bind(), job.id)
    failed = _job(session, job.id)
    assert failed.status == ExportStatus.failed and failed.file is None and failed.size == 0
    assert failed.error == run_export.FAILED and "disk full" not in failed.error and "Traceback" not in failed.error
    r = mod_client.get(f"/moderator/events/{voted.id}/exports/{job.id}/download")
    assert r.status_code == 409 and "fehlgeschlagen" in r.text and "Die Datei konnte nicht erzeugt werden" in r.text
    assert "fehlgeschlagen" in mod_client.get(f"/moderator/events/{voted.id}/export").text


def test_a_job_failing_in_the_child_says_why(mod_client, session, voted, moderator):
    """A job whose event vanished before its child ran: the child's German refusal, no file."""
    now = utcnow()
    job = ExportJob(event_id=voted.id, user_id=moderator.id, format="csv", params=json.dumps({"event_ids": [voted.id, 999999]}),
                    params_hash="x" * 64, created_at=now, updated_at=now, expires_at=now + jobs.KEEP)
    session.add(job)
    session.commit()
    mod_client.portal.call(lambda: mod_client.app.state.exports.start(job.id))
    _finish(mod_client)
    failed = _job(session, job.id)
    assert (failed.status, failed.error, failed.file) == (ExportStatus.failed, run_export.EVENT_GONE, None)
    assert mod_client.get(f"/moderator/events/{voted.id}/exports/{job.id}/download").status_code == 409
    status = mod_client.get(f"/moderator/events/{voted.id}/exports/{job.id}").json()
    assert status["status"] == "failed" and status["error"] == "Eine der Veranstaltungen gibt es nicht mehr."


def test_expired_files_are_deleted_and_cannot_be_downloaded(mod_client, session, voted, moderator):
    job, _reused = jobs.start(session=session, user=moderator,
                              request=jobs.ExportRequest(format="csv", event_ids=(voted.id,), event_id=voted.id))
    run_export.run_job(session.get_bind(), job.id)
    assert _job(session, job.id).file
    jobs.cleanup(session=session, now=utcnow() + jobs.KEEP + dt.timedelta(minutes=1))
    gone = _job(session, job.id)
    assert gone.file is None and gone.status == ExportStatus.done
    r = mod_client.get(f"/moderator/events/{voted.id}/exports/{job.id}/download")
    assert r.status_code == 410 and "abgelaufen" in r.text
    assert "abgelaufen" in mod_client.get(f"/moderator/events/{voted.id}/export").text
    again, reused = jobs.start(session=session, user=moderator,
                               request=jobs.ExportRequest(format="csv", event_ids=(voted.id,), event_id=voted.id),
                               now=utcnow() + jobs.KEEP + dt.timedelta(minutes=2))
    assert not reused and again.id != job.id


def test_a_job_whose_child_died_is_failed_by_the_cleanup(session, voted, moderator):
    job, _reused = jobs.start(session=session, user=moderator,
                              request=jobs.ExportRequest(format="csv", event_ids=(voted.id,), event_id=voted.id))
    jobs.cleanup(session=session, now=utcnow() + jobs.STALE + dt.timedelta(seconds=1))
    assert (_job(session, job.id).status, _job(session, job.id).error) == (ExportStatus.failed, jobs.FAILED_UNEXPECTEDLY)


@pytest.mark.parametrize(("form", "message"), [
    ({"format": "docx"}, "Dieses Format gibt es nicht"),
    ({"format": ""}, "Dieses Format gibt es nicht"),
    ({"format": "csv", "preface": "x" * (export.PREFACE_MAX + 1)}, "Das Vorwort ist zu lang: höchstens 5000 Zeichen, es sind 5001."),
    ({"format": "csv", "leave_out": "abc"}, "ungültigen Eintrag"),
    ({"format": "csv", "leave_out": str(2**40)}, "ungültigen Eintrag"),
    ({"format": "csv", "leave_out": "FOREIGN"}, "gehört nicht zu diesem Export"),
])
def test_bad_input_is_refused_in_german_never_a_500(mod_client, session, voted, form, message):
    foreign = factories.make_event(session, owner=None, title="Andere")
    if form.get("leave_out") == "FOREIGN":
        form = {**form, "leave_out": str(factories.questions_of(session, foreign)[0].id)}
    r = _post(mod_client, f"/moderator/events/{voted.id}/export", **form)
    assert r.status_code == 422 and message in r.text and 'role="alert"' in r.text
    assert session.exec(select(ExportJob)).all() == []


def test_every_start_and_download_is_in_the_audit_log(mod_client, session, voted):
    job_id = _start(mod_client, voted.id)
    _finish(mod_client)
    mod_client.get(f"/moderator/events/{voted.id}/exports/{job_id}/download")
    entries = session.exec(select(AuditEntry).where(AuditEntry.event_id == voted.id).order_by(AuditEntry.id)).all()
    assert [e.action for e in entries][-2:] == ["export-start", "export-download"]
    assert "CSV (Excel, deutsch)" in entries[-2].detail and "_Ergebnisse.csv" in entries[-1].detail
    page = mod_client.get(f"/moderator/events/{voted.id}/audit").text
    assert "Ergebnisse exportiert (Export gestartet)" in page and "Export heruntergeladen" in page


def _series(session, *events, title="Regionalkonferenzen 2023"):
    series = Series(title=title)
    session.add(series)
    session.commit()
    for i, event in enumerate(events):
        event.series_id = series.id
        event.date = dt.date(2023, 3 + 3 * i, 15)
        session.add(event)
    session.commit()
    return series


def test_a_series_export_needs_every_event_and_audits_each(mod_client, session, voted, moderator):
    second = factories.make_event(session, owner=moderator, title="Regionalkonferenz Döbeln")
    series = _series(session, voted, second)
    r = _post(mod_client, f"/moderator/series/{series.id}/export", format="csv-excel")
    assert r.status_code == 303
    job_id = int(re.search(r"job=(\d+)", r.headers["location"]).group(1))
    _finish(mod_client)
    job = _job(session, job_id)
    assert job.status == ExportStatus.done and job.done == job.total == 4
    assert job.file_name == "Reihe_Regionalkonferenzen-2023_Ergebnisse.csv"
    status = mod_client.get(f"/moderator/series/{series.id}/exports/{job_id}").json()
    assert status["status"] == "done"
    download = mod_client.get(f"/moderator/series/{series.id}/exports/{job_id}/download")
    assert download.status_code == 200 and "Regionalkonferenz Döbeln" in download.content.decode()
    for event in (voted, second):
        actions = session.exec(select(AuditEntry.action).where(AuditEntry.event_id == event.id)).all()
        assert "export-start" in actions and "export-download" in actions
    # Leaving out one event and a question of the other: the job says so and counts only the rest.
    left = factories.questions_of(session, voted)[0].id
    of_dropped = factories.questions_of(session, second)[0].id  # a question of the left-out event: counts nowhere
    r = mod_client.post(f"/moderator/series/{series.id}/export", data={"csrf": mod_client.csrf, "format": "csv-excel",
                        "leave_out_event": str(second.id), "leave_out": [str(left), str(of_dropped)]}, follow_redirects=False)
    _finish(mod_client)
    part = _job(session, int(re.search(r"job=(\d+)", r.headers["location"]).group(1)))
    assert part.status == ExportStatus.done and part.total == 1
    assert part.file_name == "Reihe_Regionalkonferenzen-2023_Ergebnisse.csv"  # one event left: still the series' file
    # An event of the series moderated by someone else: the whole series is refused, in German.
    stranger = factories.make_moderator(session, username="fremd", password="fremd-geheim-12")
    third = factories.make_event(session, owner=stranger, title="Fremde Konferenz")
    third.series_id = series.id
    session.add(third)
    session.commit()
    page = mod_client.get(f"/moderator/series/{series.id}/export")
    assert page.status_code == 403 and "alle ihre Veranstaltungen moderiert" in page.text
    assert mod_client.get(f"/moderator/series/{series.id}/exports/{job_id}/download").status_code == 403


def test_a_job_is_only_its_starters(client, session, voted, moderator):
    login(client)
    client.csrf = csrf_of(client.get("/moderator").text)
    job_id = _start(client, voted.id)
    _finish(client)
    client.post("/logout", data={"csrf": client.csrf})
    factories.make_moderator(session, username="ko", password="ko-geheim-123")
    other = factories.make_moderator(session, username="andere", password="andere-geheim-1")
    access.add_co_moderator(session=session, actor=moderator, event=session.get(Event, voted.id), username="ko")
    login(client, "ko", "ko-geheim-123")
    # A co-moderator sees the dialog, but not another person's job or file.
    assert client.get(f"/moderator/events/{voted.id}/export").status_code == 200
    assert client.get(f"/moderator/events/{voted.id}/exports/{job_id}").status_code == 404
    assert client.get(f"/moderator/events/{voted.id}/exports/{job_id}/download").status_code == 404
    client.post("/logout", data={"csrf": csrf_of(client.get("/moderator").text)})
    login(client, other.username, "andere-geheim-1")
    assert client.get(f"/moderator/events/{voted.id}/export").status_code == 403
    assert client.get(f"/moderator/events/{voted.id}/exports/{job_id}/download").status_code == 403


@pytest.mark.parametrize(("fmt", "magic", "name"), [
    ("pdf", b"%PDF-", "2023-03-15_Freiberg_Ergebnisse.pdf"),
    ("csv-excel", b"\xef\xbb\xbf", "2023-03-15_Freiberg_Ergebnisse.csv"),
    ("csv", b"", "2023-03-15_Freiberg_Ergebnisse_Standard.csv"),
    ("xlsx", b"PK", "2023-03-15_Freiberg_Ergebnisse.xlsx"),
    ("zip", b"PK", "2023-03-15_Freiberg_Ergebnisse.zip"),
])
def test_every_format_makes_its_file_under_its_stable_name(session, voted, moderator, fmt, magic, name):
    voted.date = dt.date(2023, 3, 15)
    session.add(voted)
    session.commit()
    assert export.available(fmt)
    job, _reused = jobs.start(session=session, user=moderator, request=jobs.ExportRequest(
        format=fmt, event_ids=(voted.id,), event_id=voted.id, preface="Für den Kreistag."))
    run_export.run_job(session.get_bind(), job.id)
    made = _job(session, job.id)
    assert (made.status, made.error, made.file_name) == (ExportStatus.done, "", name)
    assert made.file.startswith(magic) and made.size == len(made.file) and made.media_type == export.FORMATS[fmt].media_type
    if fmt == "zip":
        import io
        import zipfile

        names = zipfile.ZipFile(io.BytesIO(made.file)).namelist()
        assert any(n.endswith(".pdf") for n in names) and any(n.endswith(".xlsx") for n in names), names


def test_one_person_has_at_most_three_unfinished_exports(mod_client, session, voted, moderator):
    for i in range(jobs.OPEN_MAX):
        jobs.start(session=session, user=moderator, request=jobs.ExportRequest(format="csv", event_ids=(voted.id,), event_id=voted.id,
                                                                               preface=f"Lauf {i}"))
    r = _post(mod_client, f"/moderator/events/{voted.id}/export", format="csv", preface="noch einer")
    assert r.status_code == 429 and "Sie haben schon 3 Exporte in Arbeit" in r.text
    assert len(session.exec(select(ExportJob)).all()) == jobs.OPEN_MAX


def test_app_start_deletes_expired_files(app, session, voted, moderator):
    from fastapi.testclient import TestClient

    long_ago = utcnow() - jobs.KEEP - dt.timedelta(hours=1)
    job = ExportJob(event_id=voted.id, user_id=moderator.id, format="csv", params=json.dumps({"event_ids": [voted.id]}),
                    params_hash="y" * 64, status=ExportStatus.done, file=b"alt", size=3, file_name="alt.csv", created_at=long_ago,
                    updated_at=long_ago, expires_at=long_ago + jobs.KEEP)
    session.add(job)
    session.commit()
    with TestClient(app):
        pass
    gone = _job(session, job.id)
    assert gone.file is None and gone.size == 0
