"""Rendering HTML pages: the Jinja environment with the translation catalogue, flash messages, the CSRF token.

Every page is rendered through `render`, which hands the template the session's flash messages and CSRF token.
The phone page's stylesheet is inlined (see APP_CSS) and admitted by the Content-Security-Policy by its hash.
"""

import base64
import hashlib
import re
import secrets
from typing import Any

import jinja2
from fastapi.templating import Jinja2Templates
from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import Response

from app.config import ROOT, settings
from app.domain.kinds import LIMITS
from app.domain.kinds.wordcloud import mine_keys
from app.i18n import _, current_locale, ngettext
from app.pagestrings import js_strings
from app.reports import formatting as fmt

templates = Jinja2Templates(
    env=jinja2.Environment(
        loader=jinja2.FileSystemLoader(ROOT / "app" / "templates"),
        autoescape=True,
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
)
templates.env.install_gettext_callables(  # type: ignore[attr-defined]  # added by jinja2.ext.i18n
    gettext=lambda s, **kw: _(s, **kw),
    ngettext=lambda s, p, n, **kw: ngettext(s, p, n, **kw),
    newstyle=False,
)
templates.env.globals["locale"] = current_locale.get


def live_number(value: float | int | None, digits: int = 1) -> str:
    """A mean, median, average place or points on the live pages, as their script (charts.js number) writes it:
    rounded once, half up, from the exact value, at most `digits` decimals (7.3469 → "7,3", 7.96 → "8"); None → "–"."""
    text = fmt.number(value, digits)
    if "," in text:
        text = text.rstrip("0").rstrip(",")
    if current_locale.get()[:2] == "de":
        return text
    return text.replace(".", "\u2009").replace(",", ".").replace("\u2009", ",")


def live_share(count: float, voters: int) -> int:
    """A whole percentage of the voters, half up (1 of 8 → 13 %), as charts.js percent()."""
    return int(fmt.half_up(100 * count / voters, 0)) if voters else 0


def place_beside(title: str, place: str | None) -> str:
    """The place to print beside an event's title, or "" when the title names it already
    ("Regionalkonferenz Döbeln" in Döbeln: no "· Döbeln" after it)."""
    place = (place or "").strip()
    if not place:
        return ""
    named = re.search(rf"(?<!\w){re.escape(place.casefold())}(?!\w)", (title or "").casefold())
    return "" if named else place


templates.env.globals["place_beside"] = place_beside
templates.env.globals["number"] = live_number
templates.env.globals["share"] = live_share
# Logged times in the events' time zone with the zone named (the audit log), and as <time datetime>.
templates.env.globals["local_stamp"] = fmt.stamp_seconds
templates.env.globals["iso_utc"] = fmt.iso_utc
templates.env.globals["time_zone"] = fmt.zone
templates.env.globals["js_strings"] = js_strings
# Every limit a page states (answer lengths, points, terms …) comes from the question kinds' one definition.
templates.env.globals["limits"] = LIMITS
# A phone's own word-cloud terms as the cloud counts them (folded, merges followed).
templates.env.globals["mine_keys"] = mine_keys

# The phone page carries its stylesheet inline: on a slow link every extra request costs a round trip
# (2 s on Chrome's "Slow 3G"), and the page must be usable within 3 s. The CSP admits exactly this text
# by its hash, so no other inline style can run.
APP_CSS = Markup(
    "\n".join((ROOT / "app" / "static" / "css" / name).read_text(encoding="utf-8") for name in ("app.css", "results.css"))
)
APP_CSS_CSP_HASH = "'sha256-" + base64.b64encode(hashlib.sha256(str(APP_CSS).encode()).digest()).decode() + "'"
templates.env.globals["inline_app_css"] = APP_CSS
# BITV 2.0 § 7: every page links the operator's accessibility statement (ACCESSIBILITY_URL).
templates.env.globals["accessibility_url"] = settings.accessibility_url


def render(request: Request, name: str, status_code: int = 200, **context: Any) -> Response:
    """The template `name` as a page, with the session's flash messages and CSRF token unless given."""
    context.setdefault("flashes", pop_flashes(request))
    context.setdefault("csrf_token", csrf_token(request))
    return templates.TemplateResponse(request, name, context, status_code=status_code)


def flash(request: Request, message: str, kind: str = "info") -> None:
    """A message shown once, on the next page this session renders."""
    request.session.setdefault("flashes", []).append({"message": message, "kind": kind})


def pop_flashes(request: Request) -> list[dict[str, str]]:
    if "session" not in request.scope:
        return []
    flashes: list[dict[str, str]] = request.session.pop("flashes", [])
    return flashes


def csrf_token(request: Request) -> str:
    """The session's form token (made on first use); empty where there is no session (the phones' fast path)."""
    if "session" not in request.scope:
        return ""
    token: str | None = request.session.get("csrf")
    if not token:
        token = request.session["csrf"] = secrets.token_urlsafe(24)
    return token


def public_base(request: Request) -> str:
    """The app's address as people should type or scan it: PUBLIC_URL, else the address of this request."""
    return settings.public_url.rstrip("/") if settings.public_url else str(request.base_url).rstrip("/")
