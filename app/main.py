"""create_app(): the lifespan starts the bus, the vote writer and the tally ticker; middleware, routes, error pages.

Nothing is built at import: servers start the app with `uvicorn --factory app.main:create_app` (app/server.py,
the Dockerfile), tests call create_app() with their own database engine.
"""

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles
from starlette.concurrency import run_in_threadpool
from starlette.middleware.sessions import SessionMiddleware
from starlette.types import Receive, Scope, Send

from app import db, error_pages
from app.config import ROOT, settings
from app.db import migrate
from app.guards import HttpsOnly, RequestGuard, SecurityHeaders
from app.i18n import LocaleMiddleware
from app.origin import OriginCheck
from app.proxy import PlainHttpWarning
from app.realtime.asgi import fast_path_supported
from app.realtime.bus import create_bus
from app.realtime.hub import Hub
from app.reports import jobs
from app.routes import (
    admin,
    agenda,
    api,
    attendee,
    cards,
    counts,
    desk,
    docs,
    events,
    exports,
    live,
    login,
    my_answers,
    projector,
    public,
    publication,
    results,
    segment_prompt,
    series,
)

log = logging.getLogger(__name__)


class NoClientAddresses(logging.Filter):
    """uvicorn logs every websocket handshake with the client's address even with the access log off:
    drop those lines, so no IP address of an attendee ever reaches a log (DSGVO)."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (isinstance(record.msg, str) and '"WebSocket ' in record.msg)


# One instance, so building the app again (tests) does not stack filters: addFilter skips one already there.
_no_client_addresses = NoClientAddresses()


def exports_runner(hub: Hub) -> jobs.Runner:
    """The results exports' runner: each job's progress goes to the moderators of its events."""

    async def report(p: jobs.Progress) -> None:
        await hub.export_progress(p.event_ids, job_id=p.job_id, status=p.status, done=p.done, total=p.total, stage=p.stage,
                                  error=p.error)

    return jobs.Runner(db.get_engine(), report)


def exports_cleanup() -> None:
    """At start: expired export files deleted, jobs whose child died with the last run failed."""
    with db.new_session() as session:
        jobs.cleanup(session=session)


class SaalumfrageApp(FastAPI):
    """FastAPI, with the phones' socket routed past the middleware stack (see app/realtime/asgi.py)."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket" and scope["path"].startswith(attendee.PHONE_SOCKET_PREFIX):
            await attendee.phone_socket(scope, receive, send, self.state.hub)
            return
        await super().__call__(scope, receive, send)


def create_app() -> FastAPI:
    """The app, ready for a server or a TestClient; its lifespan migrates (AUTO_MIGRATE) and starts the hub."""
    logging.getLogger("uvicorn.error").addFilter(_no_client_addresses)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if settings.auto_migrate:
            migrate(settings.database_url)
        hub = Hub(
            bus=create_bus(settings.bus_url, settings.bus_prefix),
            engine=db.get_engine(),
            batch_ms=settings.vote_batch_ms,
            batch_max=settings.vote_batch_max,
            tally_ms=settings.tally_interval_ms,
        )
        app.state.hub = hub
        await hub.start()
        app.state.exports = exports_runner(hub)
        await run_in_threadpool(exports_cleanup)
        if fast_path_supported():
            log.info("Schneller Sendeweg für Handys: von dieser uvicorn-Version unterstützt (websockets-sansio)")
        else:
            log.warning("Schneller Sendeweg für Handys: von dieser uvicorn-Version NICHT unterstützt; Handys werden einzeln bedient")
        try:
            yield
        finally:
            await app.state.exports.stop()
            await hub.stop()

    app = SaalumfrageApp(
        title="Saalumfrage",
        summary="Live-Saalumfragen für Bürgerbeteiligung",
        lifespan=lifespan,
        docs_url=None,  # app/routes/docs.py: Swagger UI from local files, not a CDN
        redoc_url=None,
    )
    # Innermost: refusals from OriginCheck are German pages with the session's flashes and CSRF token.
    app.add_middleware(OriginCheck)
    app.add_middleware(
        SessionMiddleware,
        secret_key=settings.secret_key,
        session_cookie="saal_session",
        max_age=settings.session_max_age_s,
        same_site="lax",
        https_only=settings.public_url.startswith("https://"),
    )
    app.add_middleware(RequestGuard)  # inside the locale (its messages are translated), outside the session
    app.add_middleware(LocaleMiddleware)
    app.add_middleware(HttpsOnly)
    app.add_middleware(SecurityHeaders)
    app.add_middleware(PlainHttpWarning)
    app.mount("/static", StaticFiles(directory=ROOT / "app" / "static"), name="static")
    app.include_router(attendee.router)
    app.include_router(segment_prompt.router)
    app.include_router(cards.router)
    app.include_router(desk.router)
    app.include_router(login.router)
    app.include_router(events.router)
    app.include_router(series.router)
    app.include_router(agenda.router)
    app.include_router(counts.router)  # before live: its /questions/{id}/zaehlen would match live's /{action}
    app.include_router(live.router)
    app.include_router(admin.router)
    app.include_router(exports.router)
    app.include_router(projector.router)
    app.include_router(api.router)
    app.include_router(docs.router)
    app.include_router(results.router)
    app.include_router(publication.router)
    app.include_router(public.router)
    app.include_router(my_answers.router)

    def openapi_schema() -> dict[str, Any]:
        """FastAPI's schema, with its default validation-error shape replaced by the one the app answers with."""
        if app.openapi_schema is None:
            schema = FastAPI.openapi(app)
            schemas = schema.get("components", {}).get("schemas", {})
            if "Problem" in schemas:
                schemas["HTTPValidationError"] = schemas["Problem"]
                schemas.pop("ValidationError", None)
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi_schema  # type: ignore[method-assign]

    @app.get("/healthz", tags=["Betrieb"], response_model=None)  # the annotation adds no schema to /openapi.json
    def healthz() -> dict[str, str]:
        """The process is alive (for a load balancer's liveness check)."""
        return {"status": "ok"}

    @app.get("/readyz", tags=["Betrieb"])
    async def readyz(request: Request) -> JSONResponse:
        """Database and bus reachable: this instance can serve an event."""

        def database_ok() -> bool:
            try:
                with db.get_engine().connect() as conn:
                    conn.exec_driver_sql("SELECT 1")
                return True
            except Exception as exc:
                log.warning("readyz: database not reachable: %s", exc)
                return False

        database = await run_in_threadpool(database_ok)
        bus = await request.app.state.hub.bus.ready()
        body = {"status": "ready" if database and bus else "not ready", "database": "ok" if database else "error", "bus": "ok" if bus else "error"}
        return JSONResponse(body, status_code=200 if database and bus else 503)

    error_pages.install(app)
    return app


