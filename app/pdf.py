"""PDF documents from the app's Jinja templates, with WeasyPrint (printed voting cards; reports).

Light on purpose: no web framework is imported, so a child process that only draws a PDF starts quickly.
"""

import logging
from pathlib import Path

import jinja2

from app.domain.errors import DomainError
from app.i18n import N_, translate

log = logging.getLogger(__name__)
TEMPLATES = Path(__file__).resolve().parent / "templates"


class PdfUnavailable(DomainError):
    status = 503


def render_html(template: str, *, locale: str, **context) -> str:
    """A template for print, with the same `_()` as the pages, in `locale`."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True, extensions=["jinja2.ext.i18n"],
        trim_blocks=True, lstrip_blocks=True,
    )
    env.install_gettext_callables(  # type: ignore[attr-defined]  # added by jinja2.ext.i18n
        gettext=lambda s, **kw: translate(s, locale, **kw),
        ngettext=lambda s, p, n, **kw: translate(s if n == 1 else p, locale, **{"num": n, **kw}),
        newstyle=False,
    )
    env.globals["locale"] = lambda: locale
    return env.get_template(template).render(**context)


def render_pdf(template: str, *, locale: str, **context) -> bytes:
    """Render `template` (HTML for print) to PDF bytes. Nothing is fetched: only data: URIs are allowed."""
    try:
        # Imported here: WeasyPrint needs the system's Pango, and the rest of the app runs without it.
        from weasyprint import HTML
        from weasyprint.urls import URLFetcher
    except OSError as exc:
        log.error("WeasyPrint kann nicht geladen werden (%s); fehlt Pango? apt-get install libpango-1.0-0 libpangoft2-1.0-0", exc)
        raise PdfUnavailable(
            "pdf_unavailable",
            N_("PDF-Dateien können auf diesem Server nicht erzeugt werden (es fehlt die Bibliothek Pango). "
               "Bitte wenden Sie sich an die Technik."),
        ) from None
    html = render_html(template, locale=locale, **context)
    return HTML(string=html, url_fetcher=URLFetcher(allowed_protocols={"data"})).write_pdf()
