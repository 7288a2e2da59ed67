"""Translation catalogue and the language of each request.

German is the source language; other locales come from app/locale/<lang>/messages.po. LocaleMiddleware picks
the language once per request or socket and keeps it in `current_locale`, so `_()` translates for it anywhere.
"""

import contextvars
import io
from functools import lru_cache
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations
from starlette.types import ASGIApp, Receive, Scope, Send

LOCALE_DIR = Path(__file__).parent / "locale"
SOURCE_LOCALE = "de"
LOCALE_COOKIE = "lang"

current_locale: contextvars.ContextVar[str] = contextvars.ContextVar("current_locale", default=SOURCE_LOCALE)


def available_locales() -> list[str]:
    found = sorted(p.name for p in LOCALE_DIR.iterdir() if (p / "LC_MESSAGES" / "messages.po").exists())
    return [SOURCE_LOCALE] + [loc for loc in found if loc != SOURCE_LOCALE]


@lru_cache(maxsize=8)
def translations(locale: str) -> NullTranslations:
    """Compile the .po file in memory, so no binary .mo needs to be committed."""
    po_path = LOCALE_DIR / locale / "LC_MESSAGES" / "messages.po"
    if locale == SOURCE_LOCALE or not po_path.exists():
        return NullTranslations()
    with po_path.open("rb") as fh:
        catalog = read_po(fh, locale=locale)
    buf = io.BytesIO()
    write_mo(buf, catalog)
    buf.seek(0)
    return Translations(fp=buf)


def translate(message: str, locale: str = SOURCE_LOCALE, **params: object) -> str:
    text = translations(locale).gettext(message)
    return text.format(**params) if params else text


def pick_locale(accept_language: str | None, cookie: str | None = None) -> str:
    """The visitor's choice (cookie) first, then the browser's languages, else German."""
    locales = available_locales()
    if cookie in locales:
        return cookie
    for part in (accept_language or "").split(","):
        lang = part.split(";")[0].strip().lower()[:2]
        if lang in locales:
            return lang
    return SOURCE_LOCALE


def ntranslate(singular: str, plural: str, n: int, locale: str = SOURCE_LOCALE, **params: object) -> str:
    """The form for n ("1 Gerät verbunden", "2 Geräte verbunden"), by the catalogue's plural rule; `{n}` is n."""
    return translations(locale).ngettext(singular, plural, n).format(**{"n": n, **params})


def ngettext(singular: str, plural: str, n: int, **params: object) -> str:
    """ntranslate for the current request."""
    return ntranslate(singular, plural, n, current_locale.get(), **params)


def N_(message: str) -> str:
    """Mark a message for extraction; it is translated later, where the locale is known."""
    return message


def _(message: str, **params: object) -> str:
    """Translate a message for the current request."""
    return translate(message, current_locale.get(), **params)


def _cookie(header: bytes, name: str) -> str | None:
    """One cookie's value from a raw Cookie header; of several with the name, the last."""
    found = None
    for part in header.decode("latin-1").split(";"):
        key, _sep, value = part.strip().partition("=")
        if key == name:
            found = value
    return found


class LocaleMiddleware:
    """Pick the language once per request or socket and keep it in a context variable."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        locale = pick_locale(headers.get(b"accept-language", b"").decode("latin-1"), _cookie(headers.get(b"cookie", b""), LOCALE_COOKIE))
        scope.setdefault("state", {})["locale"] = locale
        token = current_locale.set(locale)
        try:
            await self.app(scope, receive, send)
        finally:
            current_locale.reset(token)
