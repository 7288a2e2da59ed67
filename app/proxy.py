"""What the app can tell about the reverse proxy in front of it."""

import logging

from starlette.types import ASGIApp, Receive, Scope, Send

from app.config import settings

log = logging.getLogger("saalumfrage.proxy")

# Docker's health check and load balancers ask these directly over plain http; that is not a misconfiguration.
_PROBES = ("/healthz", "/readyz")


class PlainHttpWarning:
    """PUBLIC_URL says https, but a page request came over plain http and no proxy said otherwise
    (X-Forwarded-Proto): cookies are `Secure`, so the browser drops them and login fails. Say so once."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.warned = False

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not self.warned and scope["type"] == "http" and scope.get("scheme") == "http" and scope["path"] not in _PROBES:
            self._check(scope)
        await self.app(scope, receive, send)

    def _check(self, scope: Scope) -> None:
        if not settings.public_url.startswith("https://"):
            return
        for name, value in scope.get("headers") or []:
            if name == b"x-forwarded-proto" and value.split(b",")[0].strip().lower() == b"https":
                return
        self.warned = True
        log.warning(
            "PUBLIC_URL beginnt mit https://, aber Anfragen kommen über unverschlüsseltes http an (ohne "
            "„X-Forwarded-Proto: https“ vom Proxy). Anmeldung und Geräte-Cookies funktionieren so nicht: TLS am Proxy "
            "einrichten (docker-compose.tls.yml) oder den vorgeschalteten TLS-Proxy „X-Forwarded-Proto: https“ senden "
            "lassen, siehe docs/deployment.md. / PUBLIC_URL is https but requests arrive over plain http."
        )
