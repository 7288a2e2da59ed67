"""How refusals and failures are answered: a German error page for people, `{"detail": …}` JSON for the API.

`install(app)` registers the handlers; a refused form action goes back to the page it came from with a flash.
"""

import logging
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse
from sqlalchemy.exc import InterfaceError, OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from app.auth import LoginRequired
from app.domain.errors import DomainError
from app.i18n import _
from app.pages import flash, render

log = logging.getLogger(__name__)


def _wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/") or "application/json" in request.headers.get("accept", "")


def _back_to(request: Request) -> str | None:
    """Where a refused form action returns to: the page it came from, if it is ours."""
    referer = request.headers.get("referer", "")
    base = str(request.base_url)
    if referer.startswith(base):
        return "/" + referer[len(base):].split("#")[0]
    return None


async def login_required(request: Request, exc: LoginRequired) -> Response:
    if request.method != "GET":
        # An action sent after the login ended: back to the page it came from once logged in (a GET of the
        # action's own address would be refused), and the login page says why it is shown.
        return RedirectResponse(f"/login?ended=1&next={quote(_back_to(request) or '/moderator')}", status_code=303)
    return RedirectResponse(f"/login?next={quote(exc.next_url)}", status_code=303)


async def domain_error(request: Request, exc: DomainError) -> Response:
    message = _(exc.message, **exc.params)
    if _wants_json(request):
        return JSONResponse({"detail": message, "code": exc.code}, status_code=exc.status)
    back = _back_to(request) if request.method == "POST" else None
    if back and "session" in request.scope:
        flash(request, message, "error")
        return RedirectResponse(back, status_code=303)
    return render(request, "error.html", status_code=exc.status, title=_("Das ging nicht"), message=message)


async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
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


async def validation_error(request: Request, exc: RequestValidationError) -> Response:
    problems = []
    for err in exc.errors()[:10]:
        where = ".".join(str(p) for p in err.get("loc", ()) if p not in ("body", "query", "path"))
        problems.append({"field": where, "problem": err.get("msg", "")})
    message = _("Die Eingabe ist ungültig. Bitte prüfen Sie die markierten Angaben.")
    if _wants_json(request):
        return JSONResponse({"detail": message, "errors": problems}, status_code=422)
    return render(request, "error.html", status_code=400, title=_("Ungültige Eingabe"), message=message)


async def database_away(request: Request, exc: Exception) -> Response:
    """The database does not answer (restart, network): a short German note and 503, never a 500 page."""
    log.warning("database not reachable on %s %s: %s", request.method, request.url.path, exc.__class__.__name__)
    message = _("Die Umfrage ist kurz nicht erreichbar, bitte gleich neu laden.")
    headers = {"Retry-After": "5"}
    if _wants_json(request):
        return JSONResponse({"detail": message, "code": "unavailable"}, status_code=503, headers=headers)
    response = render(request, "error.html", status_code=503, title=_("Kurz nicht erreichbar"), message=message)
    response.headers.update(headers)
    return response


async def unexpected(request: Request, exc: Exception) -> Response:
    log.exception("unexpected error on %s %s", request.method, request.url.path)
    message = _("Etwas ist schiefgelaufen. Bitte versuchen Sie es noch einmal.")
    if _wants_json(request):
        return JSONResponse({"detail": message}, status_code=500)
    return render(request, "error.html", status_code=500, title=_("Fehler"), message=message)


def install(app: FastAPI) -> None:
    """Answer every refusal and failure of `app` as above."""
    app.add_exception_handler(LoginRequired, login_required)  # type: ignore[arg-type]  # Starlette types handlers loosely
    app.add_exception_handler(DomainError, domain_error)  # type: ignore[arg-type]
    app.add_exception_handler(StarletteHTTPException, http_error)  # type: ignore[arg-type]
    app.add_exception_handler(RequestValidationError, validation_error)  # type: ignore[arg-type]
    app.add_exception_handler(OperationalError, database_away)
    app.add_exception_handler(InterfaceError, database_away)
    app.add_exception_handler(Exception, unexpected)
