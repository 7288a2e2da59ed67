"""The citizens' results pages (#17), no login, GET only: /ergebnisse/<slug> (an event), /ergebnisse/reihe/<slug> (a
series), their JSON-LD (`.jsonld`) and released files (`/dateien/<name>`); and "Meine Antworten" on the phone.

Every request reads the publication from the database: an unpublished or withdrawn page, a question not made
public and a file not released are 404 at once, on every instance. Pages are cached by their fingerprint
(app/reports/public.py) and answered with that ETag and `Cache-Control: no-cache`: a browser or proxy asks again
every time and gets a 304 while nothing changed. The pages set no cookie and carry nothing of the device, the
join code, the projector link or the moderators.
"""

import json
from collections.abc import Callable, Sequence
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from app.config import settings
from app.db import SessionDep
from app.domain import followup
from app.domain import publication as p_domain
from app.domain.errors import NotFound
from app.i18n import _, current_locale, translate
from app.models import Event, Publication, Series
from app.pages import public_base, render
from app.reports import charts, compare, dcat, method, page_tables, public
from app.reports import formatting as fmt
from app.reports.resultset import EventResults

router = APIRouter()
SLUG_LIMIT = 100
GONE = ("page_not_found", "Diese Ergebnisseite gibt es nicht oder nicht mehr.")


def event_url(slug: str) -> str:
    return f"/ergebnisse/{slug}"


def series_url(slug: str) -> str:
    return f"/ergebnisse/reihe/{slug}"


def _headers(etag: str, media_type: str) -> dict[str, str]:
    return {"ETag": f'"{etag}"', "Cache-Control": "no-cache", "Vary": "Accept-Language, Cookie", "Content-Type": media_type}


def _answer(request: Request, etag: str, media_type: str, build: Callable[[], bytes], *, download: str | None = None) -> Response:
    """304 if the browser has this version; else the cached (or now made) body, with its ETag."""
    headers = _headers(etag, media_type)
    if download:
        headers["Content-Disposition"] = f'attachment; filename="{download}"'
    if request.headers.get("if-none-match", "").strip() == headers["ETag"]:
        return Response(status_code=304, headers={k: v for k, v in headers.items() if k != "Content-Type"})
    cache = public.files if media_type == "application/pdf" else public.pages
    return Response(cache.get(etag + media_type, build), headers=headers)


def _common() -> dict[str, Any]:
    return {"fmt": fmt, "tables": page_tables, "charts": charts, "locale_code": current_locale.get(), "csrf_token": "", "flashes": [],
            "licence_text": settings.report_licence}


def _files(base: str, url: str, publication: Publication) -> list[tuple[public.PublicFile, str, str]]:
    return [(f, f"{base}{url}/dateien/{f.name}", _(f.label)) for f in public.released(publication)]


def _description(events: Sequence[EventResults]) -> str:
    return " ".join([_("Ergebnisse der Saalumfragen: {names}.", names="; ".join(f"{e.title} ({fmt.date(e.date)})" for e in events)),
                     translate(method.NOT_REPRESENTATIVE, current_locale.get())])


def _dataset(base: str, url: str, title: str, events: Sequence[EventResults], publication: Publication) -> dict[str, Any]:
    return dcat.dataset(url=base + url, title=title, description=_description(events), places=[e.place for e in events],
                        dates=[e.date for e in events if e.date], keywords=[t.title for e in events for t in e.topics],
                        issued=publication.published_at, modified=publication.updated_at, files=_files(base, url, publication))


# ----- an event -----

def event_context(request: Request, session: SessionDep, publication: Publication, event: Event, *, preview: bool) -> dict[str, Any]:
    """What public/event.html prints; the moderator's preview renders the same with `preview`."""
    results = public.public_results(session, event, publication)
    base = public_base(request)
    series_pub = p_domain.publication_for(session=session, series_id=event.series_id) if event.series_id else None
    return {"results": results, "note": method.method_note([results], current_locale.get()),
            "notes": followup.notes_of(session=session, event_id=event.id), "publication": publication, "preview": preview,
            "page_url": base + event_url(publication.slug), "files": _files(base, event_url(publication.slug), publication),
            "jsonld": _dataset(base, event_url(publication.slug), _("Ergebnisse: {title}", title=results.title), [results], publication),
            "series_link": series_url(series_pub.slug) if series_pub and series_pub.published else None, **_common()}


def _published_event(session: SessionDep, slug: str) -> tuple[Publication, Event]:
    if len(slug) > SLUG_LIMIT:
        raise NotFound(*GONE)
    return p_domain.published_event(session=session, slug=slug)


def _event_etag(request: Request, session: SessionDep, publication: Publication, event: Event) -> str:
    return public.fingerprint(session, [publication], [event], current_locale.get() + public_base(request))


@router.get("/ergebnisse/{slug}.jsonld")
def event_jsonld(request: Request, slug: str, session: SessionDep):
    publication, event = _published_event(session, slug)
    etag = _event_etag(request, session, publication, event)
    return _answer(request, etag, "application/ld+json", lambda: _json(event_context(request, session, publication, event, preview=False)["jsonld"]))


def _json(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, indent=2).encode()


# ----- a series -----

def series_context(request: Request, session: SessionDep, publication: Publication, series: Series, events: list[Event], *,
                   preview: bool) -> dict[str, Any]:
    comparison = public.series_results(session, series, events, publication.show_texts)
    base = public_base(request)
    pages = {e.id: event_url(p.slug) for e in events if (p := p_domain.publication_for(session=session, event_id=e.id))}
    return {"comparison": comparison, "note": method.method_note(comparison.events, current_locale.get()), "event_pages": pages,
            "publication": publication, "preview": preview, "page_url": base + series_url(publication.slug),
            "files": _files(base, series_url(publication.slug), publication),
            "jsonld": _dataset(base, series_url(publication.slug), _("Ergebnisse der Reihe „{title}“", title=series.title),
                               comparison.events, publication), **_common()}


def _published_series(request: Request, session: SessionDep, slug: str) -> tuple[Publication, Series, list[Event], str]:
    """The series' publication, the series, its published events and the page's ETag; NotFound unless it is out."""
    if len(slug) > SLUG_LIMIT:
        raise NotFound(*GONE)
    publication, series = p_domain.published_series(session=session, slug=slug)
    pages = p_domain.published_pages(session=session, events=compare.series_events(session, series.id))
    if not pages:
        raise NotFound(*GONE)
    events = [event for event, _own, _visible in pages]
    etag = public.fingerprint(session, [publication, *(own for _e, own, _v in pages)], events,
                              current_locale.get() + public_base(request), visible={e.id: v for e, _o, v in pages})
    return publication, series, events, etag


@router.get("/ergebnisse/reihe/{slug}.jsonld")
def series_jsonld(request: Request, slug: str, session: SessionDep):
    publication, series, events, etag = _published_series(request, session, slug)
    return _answer(request, etag, "application/ld+json",
                   lambda: _json(series_context(request, session, publication, series, events, preview=False)["jsonld"]))


@router.get("/ergebnisse/reihe/{slug}")
def series_page(request: Request, slug: str, session: SessionDep):
    publication, series, events, etag = _published_series(request, session, slug)
    return _answer(request, etag, "text/html; charset=utf-8", lambda: bytes(render(
        request, "public/series.html", **series_context(request, session, publication, series, events, preview=False)).body))


@router.get("/ergebnisse/reihe/{slug}/dateien/{name}")
async def series_file(request: Request, slug: str, name: str, session: SessionDep):
    def made() -> tuple[str, Callable[[], bytes], public.PublicFile, str]:
        publication, series, events, etag = _published_series(request, session, slug)
        file = _released(publication, name)
        stem = f"Reihe_{fmt.file_part(series.title)}"

        def build() -> bytes:
            comparison = public.series_results(session, series, events, publication.show_texts)
            return public.file_bytes(name, comparison.events, comparison, series.title)

        return etag + name, build, file, stem

    return await _file(request, name, made)


# ----- the event's page and files (after the series' routes: "reihe" is no event) -----

@router.get("/ergebnisse/{slug}")
def event_page(request: Request, slug: str, session: SessionDep):
    publication, event = _published_event(session, slug)
    etag = _event_etag(request, session, publication, event)
    return _answer(request, etag, "text/html; charset=utf-8", lambda: bytes(render(
        request, "public/event.html", **event_context(request, session, publication, event, preview=False)).body))


def _released(publication: Publication, name: str) -> public.PublicFile:
    found = next((f for f in public.released(publication) if f.name == name), None)
    if found is None:
        raise NotFound("file_not_found", "Diese Datei ist nicht freigegeben.")
    return found


async def _file(request: Request, name: str, made: Callable[[], tuple[str, Callable[[], bytes], public.PublicFile, str]]) -> Response:
    """A released file; the PDF is made once per version (in a worker thread: it takes seconds)."""
    etag, build, file, stem = await run_in_threadpool(made)
    suffix = name.removeprefix("ergebnisse")
    download = f"{stem}_Ergebnisse{suffix}"
    return await run_in_threadpool(_answer, request, etag, file.media_type, build, download=download)


@router.get("/ergebnisse/{slug}/dateien/{name}")
async def event_file(request: Request, slug: str, name: str, session: SessionDep):
    def made() -> tuple[str, Callable[[], bytes], public.PublicFile, str]:
        publication, event = _published_event(session, slug)
        file = _released(publication, name)
        stem = f"{event.date.isoformat() if event.date else 'ohne-Datum'}_{fmt.file_part(event.place or event.title)}"
        return (_event_etag(request, session, publication, event) + name,
                lambda: public.file_bytes(name, [public.public_results(session, event, publication)], None, event.title), file, stem)

    return await _file(request, name, made)
