"""What every request passes before a route sees it, and every response on its way out: no NUL characters, a
bounded body, HTTPS kept HTTPS, the security headers.

Pure ASGI, so the phones' socket (routed past the middleware, see SaalumfrageApp) pays nothing for it.
"""

import json

from fastapi.responses import JSONResponse, Response
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.config import settings
from app.i18n import N_, _
from app.pages import APP_CSS_CSP_HASH, render

# Form and JSON bodies are small (the longest is a question with its options); anything larger is refused
# before it is parsed. nginx refuses earlier still (client_max_body_size, docs/security.md).
MAX_BODY_BYTES = 256 * 1024
HSTS = b"max-age=31536000"
SECURITY_HEADERS = [
    (b"content-security-policy", (f"default-src 'self'; script-src 'self'; style-src 'self' {APP_CSS_CSP_HASH}; "
     "img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'").encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
]

NUL_TITLE = N_("Ungültige Eingabe")
NUL_MESSAGE = N_("Die Eingabe enthält ein unzulässiges Steuerzeichen (Nullzeichen). Bitte entfernen Sie es und versuchen Sie es noch einmal.")
TOO_LARGE_TITLE = N_("Anfrage zu groß")
TOO_LARGE_MESSAGE = N_("Die Anfrage ist zu groß. Bitte kürzen Sie Ihre Eingaben.")


def has_nul(value: object) -> bool:
    """A NUL character anywhere in a decoded JSON value (keys included)."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if "\x00" in item:
                return True
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


def _body_has_nul(content_type: str, body: bytes) -> bool:
    if b"\x00" in body:
        return True
    if content_type.startswith("application/x-www-form-urlencoded"):
        # "%00" is a NUL; a typed "%" arrives as "%25", so "%2500" is none.
        return b"%00" in body
    if "json" in content_type and b"\\u0000" in body:
        try:
            return has_nul(json.loads(body))
        except (ValueError, RecursionError):
            return False  # not JSON: the route refuses it with its own message
    return False


def is_https(scope: Scope) -> bool:
    """The request came over HTTPS: to us directly, through a trusted proxy (uvicorn's proxy headers), or PUBLIC_URL says so."""
    return scope.get("scheme") in ("https", "wss") or settings.public_url.startswith("https://")


class RequestGuard:
    """Refuse NUL characters in the path, the query and form or JSON bodies (PostgreSQL cannot store them,
    and no one types them) and bodies over MAX_BODY_BYTES, with a clear message instead of a server error."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            return await self.app(scope, receive, send)
        query = scope.get("query_string", b"")
        if "\x00" in scope["path"] or b"%00" in query or b"\x00" in query:
            return await self._refuse(scope, receive, send, 400, NUL_TITLE, NUL_MESSAGE)
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            return await self.app(scope, receive, send)
        content_type = ""
        for name, value in scope.get("headers") or ():
            if name == b"content-type":
                content_type = value.decode("latin-1").lower()
        if not content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")) and "json" not in content_type:
            return await self.app(scope, receive, send)

        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > MAX_BODY_BYTES:
                return await self._refuse(scope, receive, send, 413, TOO_LARGE_TITLE, TOO_LARGE_MESSAGE)
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        if _body_has_nul(content_type, body):
            return await self._refuse(scope, receive, send, 400, NUL_TITLE, NUL_MESSAGE)

        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send, status: int, title: str, message: str) -> None:
        if scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1008})
            return
        request = Request(scope, receive)
        text = _(message)
        if scope["path"].startswith("/api/") or "application/json" in request.headers.get("accept", ""):
            # As every invalid input on the API: 422 with the Problem shape (app/routes/api.py).
            code = "nul_character" if status == 400 else "too_large"
            response: Response = JSONResponse({"detail": text, "code": code}, status_code=422 if status == 400 else status)
        else:
            response = render(request, "error.html", status_code=status, title=_(title), message=text, flashes=[], csrf_token="")
        await response(scope, receive, send)


class HttpsOnly:
    """Over HTTPS every cookie is Secure and the browser is told to stay on HTTPS (HSTS).

    SessionMiddleware decides `Secure` once, from PUBLIC_URL; behind an HTTPS proxy without PUBLIC_URL the
    request itself says it came over HTTPS (X-Forwarded-Proto from a trusted proxy: uvicorn's proxy headers),
    so the decision is made here, per request, for every Set-Cookie.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not is_https(scope):
            return await self.app(scope, receive, send)

        async def send_secure(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = []
                for name, value in message.get("headers", []):
                    if name.lower() == b"set-cookie" and b"secure" not in [a.strip().lower() for a in value.split(b";")[1:]]:
                        value = value + b"; Secure"
                    headers.append((name, value))
                if not any(name.lower() == b"strict-transport-security" for name, _v in headers):
                    headers.append((b"strict-transport-security", HSTS))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_secure)


class SecurityHeaders:
    """Every response forbids third-party content and framing (pure ASGI: no cost on websockets)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                names = {k.lower() for k, _v in message.get("headers", [])}
                message["headers"] = list(message.get("headers", [])) + [h for h in SECURITY_HEADERS if h[0] not in names]
            await send(message)

        await self.app(scope, receive, send_with_headers)
