"""The report for the Kreistag: an A4 PDF, tagged to PDF/UA-1, in German, drawn by WeasyPrint in this process.

`report_pdf` takes result sets (and, for a series, its comparison) and returns the PDF's bytes: a title page,
the method note, one section per agenda topic (per question the exact wording, n, place and date, a chart with an
alt text that says the result in words *and* its data table, rounds side by side), the comparison chapter, an
appendix of approved texts and word-cloud terms, what was left out, and the licence line. Headings become
bookmarks; every page names the report in its header and says "Seite 3 von 12" in its footer.

Nothing is fetched while drawing: the charts are data: URIs, and the URL fetcher refuses every other address
(http, https, file, …), so a link someone typed into an answer stays text. The caller (the export job) already
runs in a child process, so the app's vote path is not slowed.
"""

import datetime as dt
import logging
from collections.abc import Sequence
from typing import Any

from app.config import settings
from app.i18n import translate
from app.pdf import PdfUnavailable, render_html
from app.reports import formatting as fmt
from app.reports import report_view as view
from app.reports.compare import SeriesComparison
from app.reports.method import method_note
from app.reports.resultset import EventResults

log = logging.getLogger(__name__)
TEMPLATE = "pdf/report.html"
HEADER_MAX = 90  # characters of the title in the running header


class FetchRefused(ValueError):
    """An address the report may not fetch (anything but a data: URI)."""


def local_only_fetcher() -> Any:
    """WeasyPrint's URL fetcher for the report: data: URIs only; anything else is refused, never opened.

    Built here, not at import: WeasyPrint needs Pango, and the rest of the app runs without it."""
    from weasyprint.urls import URLFetcher

    class LocalOnly(URLFetcher):
        def fetch(self, url: str, headers: Any = None) -> Any:
            if not url.startswith("data:"):
                log.warning("report: refused to fetch %s", url[:200])
                raise FetchRefused(f"refused (only data: URIs): {url[:200]}")
            return super().fetch(url, headers)

    return LocalOnly(allowed_protocols={"data"}, allow_redirects=False)


def report_title(events: Sequence[EventResults], comparison: SeriesComparison | None) -> str:
    """The title when none is given: the series' title for several events, else the event's."""
    if comparison is not None and len(events) > 1:
        return translate("Ergebnisse der Reihe „{title}“", "de", title=comparison.title)
    if len(events) == 1:
        return translate("Ergebnisse: {title}", "de", title=events[0].title)
    series = next((e.series_title for e in events if e.series_title), None)
    return translate("Ergebnisse der Reihe „{title}“", "de", title=series) if series else translate("Ergebnisse", "de")


def _dates(events: Sequence[EventResults]) -> str:
    dated = sorted(e.date for e in events if e.date)
    if not dated:
        return fmt.date(None)
    return fmt.date(dated[0]) if dated[0] == dated[-1] else f"{fmt.date(dated[0])} – {fmt.date(dated[-1])}"


def _paragraphs(text: str) -> list[str]:
    """The preface as paragraphs: split at blank lines, each line break kept as a space."""
    blocks = [" ".join(line.strip() for line in block.splitlines()) for block in text.replace("\r\n", "\n").split("\n\n")]
    return [b for b in blocks if b.strip()]


def report_context(events: Sequence[EventResults], comparison: SeriesComparison | None, *, preface: str = "",
                   licence: str, title: str | None = None, left_out_events: Sequence[str] = ()) -> dict[str, Any]:
    """Everything the template prints (the report's content, without drawing it)."""
    title = (title or "").strip() or report_title(events, comparison)
    made = max((e.made_at for e in events), default=dt.datetime.now(dt.UTC))
    left_out = [(e.title, text) for e in events for text in e.left_out]
    series = comparison.title if comparison else next((e.series_title for e in events if e.series_title), None)
    return {
        "title": title,
        "header": title if len(title) <= HEADER_MAX else title[: HEADER_MAX - 1].rstrip() + "…",
        "places": ", ".join(dict.fromkeys(e.place for e in events if e.place)),
        "dates": _dates(events),
        "events": [(e.title, view.where(e)) for e in events],
        "series": series,
        "made": fmt.stamp(made),
        "organisation": settings.report_organisation.strip(),
        "preface": _paragraphs(preface),
        "method": method_note(events, "de"),
        "results": view.event_views(events),
        "several": len(events) > 1,
        "comparison": comparison,
        "comparisons": view.comparison_views(comparison),
        "texts": view.appendix_texts(events),
        "terms": view.appendix_terms(events),
        "left_out": left_out,
        "left_out_events": list(left_out_events),
        "licence": licence.strip(),
        "interim": any(e.interim for e in events),
    }


def report_html(events: Sequence[EventResults], comparison: SeriesComparison | None, *, preface: str = "",
                licence: str, title: str | None = None, left_out_events: Sequence[str] = ()) -> str:
    """The report as HTML for print (what WeasyPrint draws)."""
    context = report_context(events, comparison, preface=preface, licence=licence, title=title, left_out_events=left_out_events)
    return render_html(TEMPLATE, locale="de", **context)


def report_pdf(events: Sequence[EventResults], comparison: SeriesComparison | None, *, preface: str = "",
               licence: str, title: str | None = None, left_out_events: Sequence[str] = ()) -> bytes:
    """The tagged PDF/UA-1 report of the events (and the series comparison) as bytes.

    `left_out_events` names events of the series the person chose to leave out; the report lists them.
    Raises PdfUnavailable when WeasyPrint cannot be loaded (no Pango on the server)."""
    html = report_html(events, comparison, preface=preface, licence=licence, title=title, left_out_events=left_out_events)
    try:
        from weasyprint import HTML
    except OSError as exc:
        log.error("WeasyPrint kann nicht geladen werden (%s)", exc)
        raise PdfUnavailable(
            "pdf_unavailable",
            "PDF-Dateien können auf diesem Server nicht erzeugt werden (es fehlt die Bibliothek Pango). "
            "Bitte wenden Sie sich an die Technik.",
        ) from None
    document = HTML(string=html, url_fetcher=local_only_fetcher())
    return document.write_pdf(pdf_variant="pdf/ua-1", pdf_tags=True)
