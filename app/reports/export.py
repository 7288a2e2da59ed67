"""The export formats: name → label, file name, media type and the function that makes the file's bytes.

The writers themselves live beside this module (csv_export, xlsx_export, bundle, pdf_report) and know nothing of
jobs; a job (app/reports/jobs.py) calls `produce` in its child process. A writer module this version lacks makes
its format unavailable (`available`), so the dialog can say so instead of failing later.
"""

import importlib.util
import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from app.i18n import N_
from app.reports.compare import SeriesComparison
from app.reports.resultset import EventResults

PREFACE_MAX = 5000  # characters of the preface a report (PDF, ZIP) may begin with

Stage = Callable[[str], None]  # tell the job what it is doing now (a msgid)


@dataclass(frozen=True, slots=True)
class Options:
    """What the person chose besides the format and the data."""

    preface: str = ""
    licence: str = ""
    title: str | None = None
    series: str | None = None  # the series' title: a series' files are named after it
    left_out_events: tuple[str, ...] = ()  # titles of the series' events the person left out


@dataclass(frozen=True, slots=True)
class Format:
    name: str
    label: str  # msgid, shown in the dialog
    suffix: str  # the end of the file name: "_Ergebnisse.pdf"
    media_type: str
    needs: tuple[str, ...]  # the writer modules (app.reports.<name>) it cannot do without
    preface: bool  # the preface goes into this file
    write: Callable[[Sequence[EventResults], SeriesComparison | None, Options, Stage], bytes]


def _module_there(name: str) -> bool:
    return importlib.util.find_spec(f"app.reports.{name}") is not None


def _pdf(events: Sequence[EventResults], comparison: SeriesComparison | None, options: Options, stage: Stage) -> bytes:
    from app.reports.pdf_report import report_pdf

    stage(N_("PDF-Bericht wird gesetzt"))
    return report_pdf(events, comparison, preface=options.preface, licence=options.licence, title=options.title,
                      left_out_events=options.left_out_events)


def _csv(dialect: str) -> Callable[[Sequence[EventResults], SeriesComparison | None, Options, Stage], bytes]:
    def write(events: Sequence[EventResults], _comparison: SeriesComparison | None, _options: Options, stage: Stage) -> bytes:
        from app.reports.csv_export import write_results_csv

        stage(N_("CSV-Datei wird geschrieben"))
        out = io.BytesIO()
        write_results_csv(events, out, dialect)
        return out.getvalue()

    return write


def _xlsx(events: Sequence[EventResults], comparison: SeriesComparison | None, _options: Options, stage: Stage) -> bytes:
    from app.reports.xlsx_export import write_xlsx

    stage(N_("Excel-Datei wird geschrieben"))
    out = io.BytesIO()
    write_xlsx(events, comparison, out)
    return out.getvalue()


def _zip(events: Sequence[EventResults], comparison: SeriesComparison | None, options: Options, stage: Stage) -> bytes:
    from app.reports.bundle import write_bundle

    pdf = _pdf(events, comparison, options, stage) if _module_there("pdf_report") else None
    stage(N_("ZIP-Paket wird gepackt"))
    out = io.BytesIO()
    write_bundle(events, comparison, out, pdf=pdf, licence=options.licence, stem=file_stem(events, series=options.series))
    return out.getvalue()


FORMATS: dict[str, Format] = {f.name: f for f in [
    Format("pdf", N_("PDF-Bericht"), "_Ergebnisse.pdf", "application/pdf", ("pdf_report", "bundle"), True, _pdf),
    Format("csv-excel", N_("CSV (Excel, deutsch)"), "_Ergebnisse.csv", "text/csv; charset=utf-8", ("csv_export", "bundle"), False,
           _csv("excel-de")),
    Format("csv", N_("CSV (Standard)"), "_Ergebnisse_Standard.csv", "text/csv; charset=utf-8", ("csv_export", "bundle"), False,
           _csv("standard")),
    Format("xlsx", N_("XLSX"), "_Ergebnisse.xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
           ("xlsx_export", "bundle"), False, _xlsx),
    Format("zip", N_("Alles als ZIP für das Ratsinformationssystem"), "_Ergebnisse.zip", "application/zip",
           ("bundle", "csv_export", "xlsx_export"), True, _zip),
]}


def available(name: str) -> bool:
    """Whether this version has every writer the format needs."""
    found = FORMATS.get(name)
    return found is not None and all(_module_there(module) for module in found.needs)


def file_stem(events: Sequence[EventResults], *, series: str | None = None) -> str:
    """The stable start of every file name: "2023-03-15_Doebeln"; a series: "Reihe_<Title>" (the bundle's rule)."""
    from app.reports.bundle import file_stem as bundle_stem

    return bundle_stem(events, series=series)


def file_name(name: str, events: Sequence[EventResults], *, series: str | None = None) -> str:
    return file_stem(events, series=series) + FORMATS[name].suffix


def produce(name: str, events: Sequence[EventResults], comparison: SeriesComparison | None, options: Options, stage: Stage) -> bytes:
    """The file of format `name` (blocking, CPU-bound: the job's child process calls it)."""
    fmt = FORMATS[name]
    if not fmt.preface:
        options = Options(licence=options.licence, title=options.title, series=options.series, left_out_events=options.left_out_events)
    return fmt.write(events, comparison, options, stage)
