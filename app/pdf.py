"""PDF documents from the app's Jinja templates, with WeasyPrint (printed voting cards; reports)."""

import logging

from app.domain.errors import DomainError
from app.web import templates

log = logging.getLogger(__name__)


class PdfUnavailable(DomainError):
    status = 503


def render_pdf(template: str, **context) -> bytes:
    """Render `template` (HTML for print) to PDF bytes. Nothing is fetched: only data: URIs are allowed."""
    try:
        # Imported here: WeasyPrint needs the system's Pango, and the rest of the app runs without it.
        from weasyprint import HTML
        from weasyprint.urls import URLFetcher
    except OSError as exc:
        log.error("WeasyPrint kann nicht geladen werden (%s); fehlt Pango? apt-get install libpango-1.0-0 libpangoft2-1.0-0", exc)
        raise PdfUnavailable(
            "pdf_unavailable",
            "PDF-Dateien können auf diesem Server nicht erzeugt werden (es fehlt die Bibliothek Pango). "
            "Bitte wenden Sie sich an die Technik.",
        ) from None
    html = templates.env.get_template(template).render(**context)
    return HTML(string=html, url_fetcher=URLFetcher(allowed_protocols={"data"})).write_pdf()
