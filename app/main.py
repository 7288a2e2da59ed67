"""create_app(): the lifespan starts the bus, the vote writer and the tally ticker; routes and error pages."""

import gc
import logging
from contextlib import asynccontextmanager
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from sqlalchemy.exc import InterfaceError, OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.concurrency import run_in_threadpool
from starlette.middleware.sessions import SessionMiddleware

from app import db
from app.db import migrate
from app.auth import LoginRequired
from app.config import ROOT, settings
from app.domain.errors import DomainError
from app.guards import HttpsOnly, RequestGuard
from app.origin import OriginCheck
from app.realtime.asgi import fast_path_supported
from app.proxy import PlainHttpWarning
from app.realtime.bus import create_bus
from app.realtime.hub import Hub
from app.routes import admin, agenda, api, attendee, cards, docs, events, live, login, projector
from app.web import APP_CSS_CSP_HASH, LocaleMiddleware, _, flash, render

log = logging.getLogger(__name__)


class NoClientAddresses(logging.Filter):
    """uvicorn logs every websocket handshake with the client's address even with the access log off:
    drop those lines, so no IP address of an attendee ever reaches a log (DSGVO)."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (isinstance(record.msg, str) and '"WebSocket ' in record.msg)


logging.getLogger("uvicorn.error").addFilter(NoClientAddresses())

SECURITY_HEADERS = [
    (b"content-security-policy", (f"default-src 'self'; script-src 'self'; style-src 'self' {APP_CSS_CSP_HASH}; "
     "img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'").encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
]


class SecurityHeaders:
    """Every response forbids third-party content and framing (pure ASGI: no cost on websockets)."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)

        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                names = {k.lower() for k, _v in message.get("headers", [])}
                message["headers"] = list(message.get("headers", [])) + [h for h in SECURITY_HEADERS if h[0] not in names]
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _tune_gc() -> None:
    """Fewer, cheaper garbage collections: thousands of long-lived sockets make each full pass slow.

    What exists after start-up is moved out of the collector's sight (gc.freeze), and the young
    generation is collected less often, so a vote burst is not interrupted by collections that find
    nothing (sockets and rooms are freed by reference counting).
    """
    gc.collect()
    gc.freeze()
    gc.set_threshold(20_000, 50, 1000)


def _wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/") or "application/json" in request.headers.get("accept", "")


def _back_to(request: Request) -> str | None:
    """Where a refused form action returns to: the page it came from, if it is ours."""
    referer = request.headers.get("referer", "")
    base = str(request.base_url)
    if referer.startswith(base):
        return "/" + referer[len(base):].split("#")[0]
    return None


class SaalumfrageApp(FastAPI):
    """FastAPI, with the phones' socket routed past the middleware stack (see app/realtime/asgi.py)."""

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] == "websocket" and scope["path"].startswith(attendee.PHONE_SOCKET_PREFIX):
            await attendee.phone_socket(scope, receive, send, self.state.hub)
            return
        await super().__call__(scope, receive, send)


def create_app() -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI):
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
        if fast_path_supported():
            log.info("Schneller Sendeweg für Handys: von dieser uvicorn-Version unterstützt (websockets-sansio)")
        else:
            log.warning("Schneller Sendeweg für Handys: von dieser uvicorn-Version NICHT unterstützt; Handys werden einzeln bedient")
        _tune_gc()
        try:
            yield
        finally:
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
    app.include_router(cards.router)
    app.include_router(login.router)
    app.include_router(events.router)
    app.include_router(agenda.router)
    app.include_router(live.router)
    app.include_router(admin.router)
    app.include_router(projector.router)
    app.include_router(api.router)
    app.include_router(docs.router)

    def openapi_schema():
        """FastAPI's schema, with its default validation-error shape replaced by the one the app answers with."""
        if app.openapi_schema is None:
            schema = FastAPI.openapi(app)
            schemas = schema.get("components", {}).get("schemas", {})
            if "Problem" in schemas:
                schemas["HTTPValidationError"] = schemas["Problem"]
                schemas.pop("ValidationError", None)
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi_schema

    @app.get("/healthz", tags=["Betrieb"])
    def healthz():
        """The process is alive (for a load balancer's liveness check)."""
        return {"status": "ok"}

    @app.get("/readyz", tags=["Betrieb"])
    async def readyz(request: Request):
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

    @app.exception_handler(LoginRequired)
    async def login_required(request: Request, exc: LoginRequired):
        return RedirectResponse(f"/login?next={quote(exc.next_url)}", status_code=303)

    @app.exception_handler(DomainError)
    async def domain_error(request: Request, exc: DomainError):
        message = _(exc.message, **exc.params)
        if _wants_json(request):
            return JSONResponse({"detail": message, "code": exc.code}, status_code=exc.status)
        back = _back_to(request) if request.method == "POST" else None
        if back and "session" in request.scope:
            flash(request, message, "error")
            return RedirectResponse(back, status_code=303)
        return render(request, "error.html", status_code=exc.status, title=_("Das ging nicht"), message=message)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException):
        titles = {404: _("Nicht gefunden"), 401: _("Anmeldung nötig"), 403: _("Nicht erlaubt"), 405: _("Nicht erlaubt")}
        default = {404: _("Diese Seite gibt es nicht."), 405: _("Diese Aktion ist hier nicht möglich.")}
        message = exc.detail if isinstance(exc.detail, str) and exc.status_code not in (404, 405) else default.get(
            exc.status_code, _("Die Anfrage konnte nicht bearbeitet werden.")
        )
        if isinstance(exc.detail, str) and exc.status_code in (401, 403):
            message = _(exc.detail)
        if _wants_json(request):
            return JSONResponse({"detail": message}, status_code=exc.status_code, headers=getattr(exc, "headers", None))
        title = titles.get(exc.status_code, _("Fehler"))
        return render(request, "error.html", status_code=exc.status_code, title=title, message=message)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError):
        problems = []
        for err in exc.errors()[:10]:
            where = ".".join(str(p) for p in err.get("loc", ()) if p not in ("body", "query", "path"))
            problems.append({"field": where, "problem": err.get("msg", "")})
        message = _("Die Eingabe ist ungültig. Bitte prüfen Sie die markierten Angaben.")
        if _wants_json(request):
            return JSONResponse({"detail": message, "errors": problems}, status_code=422)
        return render(request, "error.html", status_code=400, title=_("Ungültige Eingabe"), message=message)

    @app.exception_handler(OperationalError)
    @app.exception_handler(InterfaceError)
    async def database_away(request: Request, exc: Exception):
        """The database does not answer (restart, network): a short German note and 503, never a 500 page."""
        log.warning("database not reachable on %s %s: %s", request.method, request.url.path, exc.__class__.__name__)
        message = _("Die Umfrage ist kurz nicht erreichbar, bitte gleich neu laden.")
        headers = {"Retry-After": "5"}
        if _wants_json(request):
            return JSONResponse({"detail": message, "code": "unavailable"}, status_code=503, headers=headers)
        response = render(request, "error.html", status_code=503, title=_("Kurz nicht erreichbar"), message=message)
        response.headers.update(headers)
        return response

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception):
        log.exception("unexpected error on %s %s", request.method, request.url.path)
        message = _("Etwas ist schiefgelaufen. Bitte versuchen Sie es noch einmal.")
        if _wants_json(request):
            return JSONResponse({"detail": message}, status_code=500)
        return render(request, "error.html", status_code=500, title=_("Fehler"), message=message)

    return app


app = create_app()

