"""The upload-ready bundle for the council information system: one ZIP per event or series with the report (PDF),
the CSVs with their CSVW metadata, the workbook, a plain-text summary and the licence, under stable names
(`2023-03-15_Doebeln_Ergebnisse.pdf`). Every entry carries the time the results were made, so the same result set
gives the same bytes."""

import datetime as dt
import io
import json
import textwrap
import zipfile
from collections.abc import Callable, Sequence
from typing import BinaryIO

from app.config import settings
from app.i18n import translate
from app.reports import charts, csv_export, tables, xlsx_export
from app.reports import formatting as fmt
from app.reports.compare import SeriesComparison
from app.reports.method import method_note
from app.reports.resultset import EventResults, QuestionResult

NL = "\r\n"  # the summary and the licence open alike in every editor
WIDTH = 100
DL_DE_BY = "https://www.govdata.de/dl-de/by-2-0"


def file_stem(events: Sequence[EventResults], *, series: str | None = None) -> str:
    """"2023-03-15_Doebeln" for one event ("ohne-Datum_Doebeln" without a date); "Reihe_<Titel>" for several events
    or when `series` (a series' title) is given."""
    if series is None and len(events) > 1:
        series = events[0].series_title or events[0].title
    if series is not None:
        return f"Reihe_{fmt.file_part(series)}"
    if not events:
        return "Ergebnisse"
    event = events[0]
    day = event.date.isoformat() if event.date else "ohne-Datum"
    return f"{day}_{fmt.file_part(event.place or event.title)}"


def _title(events: Sequence[EventResults], comparison: SeriesComparison | None) -> str:
    if comparison is not None:
        return translate("Ergebnisse der Saalumfragen – Reihe „{title}“", title=comparison.title)
    return translate("Ergebnisse der Saalumfragen – {names}",
                     names="; ".join(f"{e.title} ({tables.event_label(e)})" for e in events))


def _question_lines(question: QuestionResult) -> list[str]:
    final = question.final
    lines = [f"- {question.text} ({tables.kind_name(question.kind)})"]
    where = translate("Runde {round} von {rounds}", round=final.round, rounds=len(question.rounds)) if len(question.rounds) > 1 else ""
    facts = [f"n = {fmt.number(final.n)}", final.base()]
    if final.mean is not None:
        facts += [translate("Mittelwert {mean}", mean=fmt.number(final.mean, 2)), translate("Median {median}", median=fmt.number(final.median, 2))]
    facts += [where] if where else []
    if final.interim_at is not None:
        facts.append(translate("Zwischenstand, Stand {stamp}", stamp=fmt.stamp(final.interim_at)))
    lines.append("  " + "; ".join(facts))
    best = final.leading() if final.n else None
    if best is not None and question.kind != "text":
        value = charts.value_text(question.kind, best, final.percents_shown)
        lines.append("  " + translate("Führende Antwort: {answer} – {value}", answer=best.label, value=value))
    else:
        lines.append("  " + translate("Ergebnis: {text}", text=tables.leading_text(question.kind, final)))
    return lines


def _heading(text: str, underline: str) -> list[str]:
    return ["", text, underline * min(len(text), WIDTH)]


def summary(events: Sequence[EventResults], comparison: SeriesComparison | None, licence: str) -> str:
    """The plain-text summary: method note, then per event and topic each question's wording, n and leading answer."""
    lines = [_title(events, comparison), "=" * min(len(_title(events, comparison)), WIDTH)]
    lines += _heading(translate("Methode"), "-")
    for paragraph in method_note(events):
        lines += textwrap.wrap(paragraph, WIDTH) + [""]
    for event in events:
        lines += _heading(f"{event.title} – {tables.event_label(event)}", "=")
        for topic in event.topics:
            lines += _heading(translate("Thema: {title}", title=topic.title), "-")
            for question in topic.questions:
                lines += _question_lines(question)
            if not topic.questions:
                lines.append(translate("(keine Fragen)"))
    if comparison is not None and comparison.comparisons:
        lines += _heading(translate("Vergleich über die Reihe"), "=")
        for c in comparison.comparisons:
            flag = "" if c.comparable else " – " + translate("Wortlaut oder Antwortmöglichkeiten geändert, nicht gepoolt")
            lines.append(f"- {c.text}{flag}")
            for column in c.columns:
                lines.append(f"  {column.place or column.title}, {fmt.date(column.date)}: n = {fmt.number(column.result.n)}; "
                             + translate("führend: {answer}", answer=tables.leading_text(c.kind, column.result)))
    lines += ["", translate("Lizenz: {licence}", licence=licence), translate("Erstellt: {stamp}", stamp=fmt.stamp(tables.made_at(events)))]
    return NL.join(lines) + NL


def licence_text(events: Sequence[EventResults], comparison: SeriesComparison | None, licence: str) -> str:
    """LIZENZ.txt: the licence line and how to name the source."""
    source = settings.report_organisation.strip() or "Saalumfrage"
    lines = [translate("Lizenz: {licence}", licence=licence)]
    if "Datenlizenz Deutschland" in licence and "Namensnennung" in licence:
        lines.append(translate("Lizenztext: {url}", url=DL_DE_BY))
    lines += ["", translate("Namensnennung (Quellenvermerk):"),
              translate("Datenquelle: {source}, {title}, Stand {stamp}", source=source, title=_title(events, comparison),
                        stamp=fmt.stamp(tables.made_at(events)))]
    lines += ["", translate("Die Ergebnisse sind nicht repräsentativ, sondern ein Stimmungsbild der Anwesenden.")]
    return NL.join(lines) + NL


def _csv(write: Callable[[Sequence[EventResults], BinaryIO, str], None], events: Sequence[EventResults], dialect: str) -> bytes:
    out = io.BytesIO()
    write(events, out, dialect)
    return out.getvalue()


def entries(events: Sequence[EventResults], comparison: SeriesComparison | None, *, pdf: bytes | None, licence: str,
            stem: str) -> list[tuple[str, bytes]]:
    """The bundle's files in order: (name, bytes)."""
    title = _title(events, comparison)
    files: list[tuple[str, bytes]] = []
    if pdf is not None:
        files.append((f"{stem}_Ergebnisse.pdf", pdf))

    def with_metadata(name: str, table: str, dialect: str, data: bytes, what: str) -> None:
        meta = csv_export.csv_metadata(name, table, dialect, f"{title} – {translate(what)}")
        meta["dc:license"] = licence
        files.append((name, data))
        files.append((f"{name}-metadata.json", json.dumps(meta, ensure_ascii=False, indent=2).encode() + b"\n"))

    with_metadata(f"{stem}_Ergebnisse.csv", "results", "excel-de", _csv(csv_export.write_results_csv, events, "excel-de"),
                  "Ergebnisse (Excel, deutsch)")
    with_metadata(f"{stem}_Ergebnisse_Standard.csv", "results", "standard",
                  _csv(csv_export.write_results_csv, events, "standard"), "Ergebnisse (Standard-CSV)")
    if tables.has_rows(events, "texts"):
        with_metadata(f"{stem}_Freitext.csv", "texts", "excel-de", _csv(csv_export.write_texts_csv, events, "excel-de"),
                      "Freitext-Antworten")
    if tables.has_rows(events, "terms"):
        with_metadata(f"{stem}_Begriffe.csv", "terms", "excel-de", _csv(csv_export.write_terms_csv, events, "excel-de"),
                      "Begriffe der Wortwolken")
    workbook = io.BytesIO()
    xlsx_export.write_xlsx(events, comparison, workbook)
    files.append((f"{stem}_Ergebnisse.xlsx", workbook.getvalue()))
    files.append((f"{stem}_Zusammenfassung.txt", summary(events, comparison, licence).encode()))
    files.append(("LIZENZ.txt", licence_text(events, comparison, licence).encode()))
    return files


def _zip_time(events: Sequence[EventResults]) -> tuple[int, int, int, int, int, int]:
    moment = fmt.local(tables.made_at(events))
    moment = max(moment.replace(tzinfo=None), dt.datetime(1980, 1, 1))  # the oldest time a ZIP entry holds
    return (moment.year, moment.month, moment.day, moment.hour, moment.minute, moment.second - moment.second % 2)


def write_bundle(events: Sequence[EventResults], comparison: SeriesComparison | None, out: BinaryIO, *, pdf: bytes | None,
                 licence: str, stem: str) -> None:
    """The ZIP into `out` (see the module's docstring)."""
    stamp = _zip_time(events)
    with zipfile.ZipFile(out, "w") as archive:
        for name, data in entries(events, comparison, pdf=pdf, licence=licence, stem=stem):
            info = zipfile.ZipInfo(name, date_time=stamp)
            info.compress_type = zipfile.ZIP_STORED if name.endswith((".pdf", ".xlsx")) else zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            info.create_system = 3
            archive.writestr(info, data)
