"""Requests that change something, and socket handshakes, must come from the app's own pages (CSRF).

A page elsewhere on the same site (another port, another subdomain) is "same-site": the browser sends the
login and device cookies (SameSite=Lax) along with its requests. So the origin is checked as well:

- `Origin`, which every current browser sends on every POST (same-origin or not) and on every websocket
  handshake, must be the app's own: PUBLIC_URL if set, or the address the request was sent to (the
  scheme and the `Host` header; an https page is also accepted by an app that sees http behind a proxy).
  `Origin: null` (sandboxed frames, some redirects) is foreign.
- Without `Origin`: `Sec-Fetch-Site` must be `same-origin` (or `none`: typed by the user).
- Without either: a `Referer`, if there is one, must be the app's own.
- None of the three: not a browser (curl, httpx, scripts using the API with a session cookie they hold
  themselves). Such a client cannot be tricked into sending someone else's cookies, so it is let through.

Safe methods (GET, HEAD, OPTIONS) are never checked: they change nothing (see the access-matrix tests).
"""

from collections.abc import Mapping
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from app.config import settings
from app.i18n import N_, _
from app.pages import render

UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
CLOSE_FOREIGN_ORIGIN = 4403
FOREIGN_MESSAGE = N_(
    "Diese Anfrage kam von einer anderen Seite und wurde deshalb abgelehnt. "
    "Bitte öffnen Sie die Saalumfrage direkt und versuchen Sie es dort noch einmal."
)
_DEFAULT_PORTS = {"http": "80", "https": "443"}


def _origin(url: str) -> tuple[str, str] | None:
    """(scheme, host[:port]) of a URL or Origin value, lower case, default port left out; None if unusable."""
    try:
        parts = urlsplit(url.strip())
        host, port = (parts.hostname or ""), parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS or not host:
        return None
    if ":" in host:  # an IPv6 literal, as written in a URL
        host = f"[{host}]"
    return scheme, host if port is None or str(port) == _DEFAULT_PORTS[scheme] else f"{host}:{port}"


def own_origins(headers: Mapping[str, str], scope: Scope) -> set[tuple[str, str]]:
    """The origins of the app's own pages for this request."""
    own = set()
    if settings.public_url:
        public = _origin(settings.public_url)
        if public:
            own.add(public)
    host = headers.get("host")
    if host:
        scheme = {"ws": "http", "wss": "https"}.get(scope.get("scheme", "http"), scope.get("scheme", "http"))
        for candidate in {scheme, "https"}:
            origin = _origin(f"{candidate}://{host}")
            if origin:
                own.add(origin)
    return own


def request_allowed(headers: Mapping[str, str], scope: Scope) -> bool:
    """Whether a request or handshake with these headers (names in lower case) may come from where it comes from."""
    origin = headers.get("origin")
    site = headers.get("sec-fetch-site")
    if origin is not None and not (origin.strip() == "null" and site is not None):
        return _origin(origin) in own_origins(headers, scope)
    # `Origin: null` comes from a sandboxed page, but also from our own page with `Referrer-Policy: no-referrer`
    # (the card entry page); the browser's Sec-Fetch-Site tells the two apart. Without it, null stays foreign.
    if site is not None:
        return site.strip().lower() in ("same-origin", "none")
    referer = headers.get("referer")
    if referer:
        return _origin(referer) in own_origins(headers, scope)
    return True


def _headers(scope: Scope) -> dict[str, str]:
    return {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers") or ()}


class OriginCheck:
    """Refuse state-changing requests and socket handshakes from other origins (403, close 4403), before any route runs.

    Sits inside the session and locale middleware, so the refusal is a German page (or JSON under /api/).
    The phones' socket skips the middleware stack and calls request_allowed itself (routes.attendee).
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] in UNSAFE_METHODS:
            if not request_allowed(_headers(scope), scope):
                await self._refuse_http(scope, receive, send)
                return
        elif scope["type"] == "websocket" and not request_allowed(_headers(scope), scope):
            message = await receive()
            if message["type"] == "websocket.connect":
                await send({"type": "websocket.close", "code": CLOSE_FOREIGN_ORIGIN})
            return
        await self.app(scope, receive, send)

    async def _refuse_http(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive)
        message = _(FOREIGN_MESSAGE)
        if scope["path"].startswith("/api/") or "application/json" in request.headers.get("accept", ""):
            response: Response = JSONResponse({"detail": message, "code": "foreign_origin"}, status_code=403)
        else:
            response = render(request, "error.html", status_code=403, title=_("Nicht erlaubt"), message=message)
        await response(scope, receive, send)
