"""What every page shares: templates with the translation catalogue, locale, flash messages, the device cookie."""

import base64
import contextvars
import hashlib
import secrets
import uuid
from dataclasses import dataclass
from typing import Annotated, Any

import jinja2
from fastapi import Path, Request
from fastapi.templating import Jinja2Templates
from itsdangerous import BadSignature, Signer
from markupsafe import Markup
from starlette.types import ASGIApp, Receive, Scope, Send

from app import guards
from app.config import ROOT, settings
from app.i18n import SOURCE_LOCALE, N_, pick_locale, translate
from app.models import ID_MAX

# Ids in URLs: a number the database's INTEGER columns can hold, so a made-up huge one is invalid input, never a crash.
Id = Annotated[int, Path(ge=1, le=ID_MAX)]

DEVICE_COOKIE = "saal_device"
DEVICE_MAX_AGE = 30 * 24 * 3600

current_locale: contextvars.ContextVar[str] = contextvars.ContextVar("current_locale", default=SOURCE_LOCALE)


def _(message: str, **params: object) -> str:
    """Translate a message for the current request."""
    return translate(message, current_locale.get(), **params)


templates = Jinja2Templates(
    env=jinja2.Environment(
        loader=jinja2.FileSystemLoader(ROOT / "app" / "templates"),
        autoescape=True,
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
)
templates.env.install_gettext_callables(
    gettext=lambda s, **kw: _(s, **kw),
    ngettext=lambda s, p, n, **kw: _(s if n == 1 else p, **{"num": n, **kw}),
    newstyle=False,
)
templates.env.globals["locale"] = lambda: current_locale.get()


class LocaleMiddleware:
    """Pick the language once per request or socket and keep it in a context variable."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket"):
            headers = dict(scope.get("headers") or [])
            cookie_lang = None
            for part in headers.get(b"cookie", b"").decode("latin-1").split(";"):
                name, _sep, value = part.strip().partition("=")
                if name == "lang":
                    cookie_lang = value
            locale = pick_locale(headers.get(b"accept-language", b"").decode("latin-1"), cookie_lang)
            scope.setdefault("state", {})["locale"] = locale
            token = current_locale.set(locale)
            try:
                await self.app(scope, receive, send)
            finally:
                current_locale.reset(token)
        else:
            await self.app(scope, receive, send)


def render(request: Request, name: str, status_code: int = 200, **context: Any):
    context.setdefault("flashes", pop_flashes(request))
    context.setdefault("csrf_token", csrf_token(request))
    return templates.TemplateResponse(request, name, context, status_code=status_code)


def flash(request: Request, message: str, kind: str = "info") -> None:
    request.session.setdefault("flashes", []).append({"message": message, "kind": kind})


def pop_flashes(request: Request) -> list[dict[str, str]]:
    if "session" not in request.scope:
        return []
    return request.session.pop("flashes", [])


def csrf_token(request: Request) -> str:
    if "session" not in request.scope:
        return ""
    token = request.session.get("csrf")
    if not token:
        token = request.session["csrf"] = secrets.token_urlsafe(24)
    return token


_device_signer = Signer(settings.secret_key, salt="saalumfrage.device")

# A device cookie remembers the events its id was admitted to (each admission paced by that event's budget),
# so ids fetched from one event's page cannot be spent at another. The newest few are kept.
DEVICE_EVENTS_MAX = 8


@dataclass(frozen=True, slots=True)
class Device:
    """The device id from the signed cookie and the events it was admitted to.

    `events` None: a cookie from before admissions were recorded (server-made only, so it counts for any event
    until it expires, DEVICE_MAX_AGE after the upgrade).
    """

    id: str
    events: tuple[int, ...] | None = ()

    def admitted(self, event_id: int) -> bool:
        return self.events is None or event_id in self.events

    def admit(self, event_id: int) -> "Device":
        kept = tuple(e for e in (self.events or ()) if e != event_id)
        return Device(self.id, (kept + (event_id,))[-DEVICE_EVENTS_MAX:])

    def cookie(self) -> str:
        # Only characters a cookie value may hold unquoted.
        payload = self.id if self.events is None else f"{self.id}:{'-'.join(map(str, self.events))}"
        return _device_signer.sign(payload).decode()


def read_device_cookie(cookie: str | None) -> Device | None:
    """The device from its signed cookie, or None if missing or tampered with."""
    if not cookie:
        return None
    try:
        payload = _device_signer.unsign(cookie).decode()
    except (BadSignature, UnicodeDecodeError):
        return None
    device_id, sep, events = payload.partition(":")
    if not device_id:
        return None
    if not sep:
        return Device(device_id, None)
    try:
        return Device(device_id, tuple(int(e) for e in events.split("-") if e))
    except ValueError:
        return None


def new_device(event_id: int) -> Device:
    """A fresh device id, admitted to one event (the caller has paced it: see routes.attendee)."""
    return Device(uuid.uuid4().hex, (event_id,))


def new_device_cookie(*event_ids: int) -> tuple[str, str]:
    """A device id and its cookie, admitted to `event_ids`; without any, in the format from before admissions
    (valid at every event) — what tests and benchmarks use to stand in for a phone that came through the page."""
    device = Device(uuid.uuid4().hex, tuple(event_ids) if event_ids else None)
    return device.id, device.cookie()


def is_https(request: Request) -> bool:
    return guards.is_https(request.scope)


def public_base(request: Request) -> str:
    return settings.public_url.rstrip("/") if settings.public_url else str(request.base_url).rstrip("/")


# Texts the page scripts show, translated on the server and handed over as JSON.
JS_STRINGS = {
    "conn_open": N_("Verbunden"),
    "conn_connecting": N_("Verbinde …"),
    "conn_closed": N_("Keine Verbindung – neuer Versuch läuft"),
    "offline_pending": N_("Keine Verbindung. Ihre Stimme wird gesendet, sobald die Verbindung wieder steht."),
    "offline": N_("Keine Verbindung. Die Seite verbindet sich von selbst wieder."),
    "waiting_title": N_("Sie sind dabei!"),
    "waiting_big": N_("Gleich geht es los."),
    "waiting_text": N_("Sobald die Moderation eine Frage startet, erscheint sie hier."),
    "hint_single": N_("Bitte wählen Sie eine Antwort."),
    "hint_multiple": N_("Sie können bis zu {n} Antworten wählen."),
    "vote": N_("Abstimmen"),
    "change": N_("Stimme ändern"),
    "sending": N_("Wird gesendet …"),
    "voted": N_("Danke! Ihre Stimme wurde gezählt."),
    "already": N_("Sie haben bereits abgestimmt. Sie können Ihre Stimme ändern, solange die Abstimmung läuft."),
    "closed": N_("Die Abstimmung ist beendet."),
    "result_soon": N_("Das Ergebnis wird gleich vorne im Saal gezeigt."),
    "result": N_("Ergebnis"),
    "votes_n": N_("{n} Stimmen"),
    "votes_1": N_("1 Stimme"),
    "voters_n": N_("{n} Personen haben abgestimmt."),
    "voters_1": N_("1 Person hat abgestimmt."),
    "choose_one": N_("Bitte wählen Sie eine Antwort aus."),
    "too_many": N_("Bitte wählen Sie höchstens {n} Antworten."),
    "new_question": N_("Neue Frage: {text}"),
    "announce_closed": N_("Die Abstimmung ist beendet."),
    "announce_results": N_("Das Ergebnis wird angezeigt."),
    "announce_waiting": N_("Bitte warten Sie auf die nächste Frage."),
    "proj_open": N_("Abstimmung läuft"),
    "proj_closed": N_("Abstimmung beendet"),
    "proj_hidden": N_("Das Ergebnis wird später gezeigt."),
    "phones_n": N_("{n} Geräte verbunden"),
    "phones_1": N_("1 Gerät verbunden"),
    "count_votes_n": N_("{n} Stimmen abgegeben"),
    "count_votes_1": N_("1 Stimme abgegeben"),
    "changed": N_("Die Veranstaltung wurde geändert (z. B. in einem anderen Fenster)."),
    "reload": N_("Seite neu laden"),
    "gone": N_("Diese Veranstaltung gibt es nicht mehr."),
    "multi_note": N_("Mehrfachauswahl: Prozent der Abstimmenden, die diese Antwort gewählt haben."),
    "mine": N_("Ihre Antwort"),
    "interim": N_("Zwischenstand: {votes}."),
    "leader_1": N_("Vorne: {name} mit {pct} %."),
    "leader_n": N_("Gleichauf vorne: {names} mit je {pct} %."),
    "result_list": N_("Ergebnis: {items}."),
    "result_item": N_("{name}: {votes}, {pct} %"),
}


# Texts of the newer question kinds, one dict per script so each page's texts stay together.
# results.js (charts of every kind, shared by phone, projector and control page):
RESULTS_JS_STRINGS: dict[str, str] = {
    "result_hidden": N_("Das Ergebnis wird später gezeigt."),
    "no_votes": N_("Noch keine Stimmen."),
    "no_terms": N_("Noch keine Begriffe."),
    "no_answers": N_("Noch keine freigegebenen Antworten."),
    "people_1": N_("1 Person"),
    "people_n": N_("{n} Personen"),
    "points_1": N_("1 Punkt"),
    "points_n": N_("{n} Punkte"),
    "answers_1": N_("1 Antwort"),
    "answers_n": N_("{n} Antworten"),
    "scale_stats": N_("Mittelwert {mean} · Median {median}"),
    "scale_item": N_("{value}: {votes}, {pct} %"),
    "mean_mark": N_("Ø {mean}"),
    "avg_rank": N_("Ø Platz {rank}"),
    "avg_points": N_("Ø {n} Punkte"),
    "mine_rank": N_("Ihr Platz: {n}"),
    "mine_points": N_("Ihre Punkte: {n}"),
    "mine_term": N_("Ihr Begriff"),
    "ranking_note": N_("Punkte: Platz 1 bringt {n} Punkte, jeder Platz darunter einen weniger, der letzte keinen."),
    "points_note": N_("Durchschnitt der 100 Punkte, die jede Person verteilt hat."),
    "terms_more_1": N_("… und 1 weiterer Begriff"),
    "terms_more_n": N_("… und {n} weitere Begriffe"),
    "answers_more": N_("… und {n} weitere Antworten"),
    "answers_count": N_("{received} eingegangen, {approved} freigegeben."),
    "summary_scale": N_("Mittelwert {mean}, Median {median}, {votes}."),
    "summary_ranking": N_("Platz 1: {names} (Ø Platz {rank})."),
    "summary_points": N_("Vorne: {names} mit Ø {n} Punkten."),
    "summary_terms": N_("Vorne: {items}."),
    "ranking_item": N_("{place}. {name}, Ø Platz {rank}"),
    "points_item": N_("{name}: Ø {n} Punkte"),
    "th_answer": N_("Antwort"),
    "th_votes": N_("Stimmen"),
    "th_percent": N_("Prozent"),
    "th_value": N_("Wert"),
    "th_place": N_("Platz"),
    "th_avg_rank": N_("Ø Platz"),
    "th_points": N_("Punkte"),
    "th_avg_points": N_("Ø Punkte"),
    "th_total_points": N_("Punkte insgesamt"),
    "th_term": N_("Begriff"),
    "th_people": N_("Personen"),
}
# attendee.js (the phone):
PHONE_JS_STRINGS: dict[str, str] = {
    "ph_round": N_("Runde {n}"),
    "ph_new_round": N_("Runde {n}: {text}"),
    "ph_time_left": N_("Noch {time}"),
    "ph_time_up": N_("Zeit abgelaufen"),
    "ph_time_30": N_("Noch 30 Sekunden."),
    "ph_time_10": N_("Noch 10 Sekunden."),
    "ph_send": N_("Absenden"),
    "ph_change_answer": N_("Antwort ändern"),
    "ph_live_results": N_("Zwischenstand"),
    "ph_hint_scale": N_("Bitte wählen Sie einen Wert von {min} bis {max}."),
    "ph_scale_end": N_("{value} = {label}"),
    "ph_no_value": N_("Bitte wählen Sie einen Wert."),
    "ph_hint_terms_1": N_("Bitte geben Sie einen Begriff ein, höchstens {max} Zeichen."),
    "ph_hint_terms_n": N_("Sie können bis zu {n} Begriffe eingeben, je höchstens {max} Zeichen."),
    "ph_term_1": N_("Ihr Begriff"),
    "ph_term_n": N_("Begriff {n}"),
    "ph_no_term": N_("Bitte geben Sie mindestens einen Begriff ein."),
    "ph_hint_text": N_("Ihre Antwort wird von der Moderation geprüft, bevor sie vorne im Saal erscheint."),
    "ph_text_label": N_("Ihre Antwort"),
    "ph_no_text": N_("Bitte schreiben Sie eine Antwort."),
    "ph_chars_left_n": N_("Noch {n} Zeichen"),
    "ph_chars_left_1": N_("Noch 1 Zeichen"),
    "ph_chars_none": N_("Keine Zeichen mehr übrig (höchstens {max})."),
    "ph_chars_over": N_("{n} Zeichen zu viel"),
    "ph_hint_ranking": N_("Ordnen Sie die Antworten mit den Pfeilen: oben steht, was Ihnen am wichtigsten ist."),
    "ph_rank_up": N_("{label} nach oben"),
    "ph_rank_down": N_("{label} nach unten"),
    "ph_rank_moved": N_("{label} auf Platz {n}"),
    "ph_rank_top": N_("{label} ist schon auf Platz 1."),
    "ph_rank_bottom": N_("{label} ist schon auf dem letzten Platz."),
    "ph_hint_points": N_("Verteilen Sie genau {total} Punkte auf die Antworten: mehr Punkte für das, was Ihnen wichtiger ist."),
    "ph_points_unit": N_("Punkte"),
    "ph_points_for": N_("Punkte für {label}"),
    "ph_points_now": N_("{label}: {n} Punkte."),
    "ph_points_left": N_("Noch {n} von {total} Punkten zu verteilen"),
    "ph_points_done": N_("Alle {total} Punkte sind verteilt."),
    "ph_points_over_1": N_("1 Punkt zu viel ({sum} von {total})"),
    "ph_points_over_n": N_("{n} Punkte zu viel ({sum} von {total})"),
    "ph_points_bad": N_("Bitte nur ganze Zahlen von 0 bis {total} eingeben."),
    "ph_points_reason": N_("Abstimmen geht, sobald genau {total} Punkte verteilt sind."),
    "ph_card_enter": N_("Abstimmkarte eingeben"),
    "ph_card_needed": N_("Bei dieser Veranstaltung stimmen Sie mit einer Abstimmkarte ab. Bitte geben Sie den Code Ihrer Karte ein."),
}
# projector.js:
PROJECTOR_JS_STRINGS: dict[str, str] = {
    "count_answers_1": N_("1 Antwort eingegangen"),
    "count_answers_n": N_("{n} Antworten eingegangen"),
    "hint_scale": N_("Bitte wählen Sie einen Wert von {min} bis {max}."),
    "hint_ranking": N_("Bringen Sie die Antworten in Ihre Reihenfolge."),
    "hint_points": N_("Verteilen Sie 100 Punkte auf die Antworten."),
    "hint_terms_1": N_("Ein Begriff pro Person."),
    "hint_terms_n": N_("Bis zu {n} Begriffe pro Person."),
    "hint_text": N_("Antworten erscheinen hier, sobald die Moderation sie freigibt."),
    "time_left": N_("Noch"),
    "time_up": N_("Zeit abgelaufen"),
    "time_left_say": N_("Noch {time} zum Abstimmen."),
    "minutes_1": N_("1 Minute"),
    "minutes_n": N_("{n} Minuten"),
    "seconds_1": N_("1 Sekunde"),
    "seconds_n": N_("{n} Sekunden"),
    "round_n": N_("Runde {n}"),
    "round_current": N_("aktuell"),
    "round_started": N_("Runde {n} beginnt."),
    "rounds_compared": N_("Die Runden werden nebeneinander gezeigt."),
    "topic_not_asked": N_("Noch nicht gestellt"),
    "topic_count": N_("{asked} von {n} Fragen gestellt"),
    "topic_overview": N_("Überblick: {topic}, {n} Fragen."),
    "join_live": N_("Gerade läuft: {text}"),
}
# moderator.js (the control page):
MODERATOR_JS_STRINGS: dict[str, str] = {
    "mod_time_up": N_("Die Zeit ist um: Die Abstimmung wurde geschlossen."),
    "mod_countdown_10": N_("Noch 10 Sekunden."),
    "mod_countdown_over": N_("Zeit abgelaufen – die Abstimmung wird geschlossen …"),
    "mod_countdown_closed": N_("Zeit abgelaufen – die Abstimmung ist geschlossen."),
    "mod_action_failed": N_("Das ging nicht. Bitte versuchen Sie es noch einmal."),
    "mod_offline": N_("Keine Verbindung zum Server. Bitte versuchen Sie es gleich noch einmal."),
    "mod_logged_out": N_("Abgemeldet – bitte laden Sie die Seite neu und melden Sie sich an."),
    "mod_no_access": N_("Sie moderieren diese Veranstaltung nicht mehr."),
    "mod_status_pending": N_("wartet"),
    "mod_status_approved": N_("freigegeben"),
    "mod_status_rejected": N_("abgelehnt"),
    "mod_flagged": N_("Verdacht auf beleidigende Sprache"),
    "mod_approve": N_("Freigeben"),
    "mod_reject": N_("Ablehnen"),
    "mod_requeue": N_("Zurück in die Warteschlange"),
    "mod_waiting_1": N_("1 Antwort wartet auf Prüfung."),
    "mod_waiting_n": N_("{n} Antworten warten auf Prüfung."),
    "mod_hide_term": N_("Ausblenden"),
    "mod_show_term": N_("Einblenden"),
    "mod_term_hidden": N_("ausgeblendet"),
    "mod_term_flagged_hidden": N_("ausgeblendet, bis Sie den Begriff einblenden"),
    "mod_terms_summary": N_("{n} Begriffe, davon {hidden} ausgeblendet. Ausgeblendete Begriffe sehen weder Beamer noch Handys."),
    "mod_check_title": N_("Achtung: mehr Stimmen als plausibel."),
    "mod_check_text": N_("Es gibt mehr Stimmen, als Geräte verbunden waren oder Personen im Saal sind. Vielleicht hat jemand mehrfach abgestimmt (z. B. mit immer neuen Cookies). Prüfen Sie das Ergebnis, bevor Sie es verwenden."),
    "mod_not_entered": N_("nicht eingetragen"),
}


PAGE_JS_STRINGS = {"attendee": PHONE_JS_STRINGS, "projector": PROJECTOR_JS_STRINGS, "moderator": MODERATOR_JS_STRINGS}


def js_strings(page: str | None = None) -> dict[str, str]:
    """The texts a page's script shows; a page gets only its own (the phone page is kept small)."""
    own = PAGE_JS_STRINGS.get(page) if page else None
    extra = own if own is not None else {**PHONE_JS_STRINGS, **PROJECTOR_JS_STRINGS, **MODERATOR_JS_STRINGS}
    texts = {**JS_STRINGS, **RESULTS_JS_STRINGS, **extra}
    return {key: _(text) for key, text in texts.items()}


templates.env.globals["js_strings"] = js_strings

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
