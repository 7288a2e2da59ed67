"""The results as an Excel workbook (XlsxWriter, streamed with `constant_memory`): sheets "Methode", one per event
(the long table of the CSV), "Vergleich" (a series), "Freitext" and "Begriffe".

Numbers are number cells (shares with the format 0.0), dates are date cells, and every text is written with
`write_string`, so "=1+1" typed in the hall stays text and no cell is ever a formula. Every sheet has a bold,
frozen header row and a filter over its data. Sheet names are made valid (at most 31 characters, none of []:*?/\\,
never empty, unique regardless of case); a text longer than a cell holds (32,767 characters) is cut with a marker.
"""

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any, BinaryIO

from xlsxwriter import Workbook
from xlsxwriter.format import Format
from xlsxwriter.worksheet import Worksheet

from app.config import settings
from app.i18n import N_, translate
from app.reports import formatting as fmt
from app.reports import tables
from app.reports.compare import Comparison, SeriesComparison
from app.reports.method import method_note
from app.reports.resultset import EventResults

OPTIONS = {"constant_memory": True, "strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False}
CELL_MAX = 32_767
CUT = " … [gekürzt]"
SHEET_MAX = 31
SHEET_INVALID = "[]:*?/\\"
RESERVED = ("history",)  # Excel keeps this name for itself
METHOD, COMPARISON, TEXTS, TERMS = N_("Methode"), N_("Vergleich"), N_("Freitext"), N_("Begriffe")
WIDTHS = {"string": 22, "integer": 9, "decimal": 11, "date": 12, "boolean": 11}
WIDE = {"question": 50, "base": 40, "text": 90, "event": 28, "topic": 24}


def cut(text: str) -> str:
    """A text as a cell holds it: longer than 32,767 characters → cut, ending in " … [gekürzt]"."""
    return text if len(text) <= CELL_MAX else text[: CELL_MAX - len(CUT)] + CUT


def sheet_name(wanted: str, taken: set[str]) -> str:
    """A valid sheet name, not yet in `taken` (compared without case); added to `taken`."""
    name = "".join("-" if c in SHEET_INVALID or not c.isprintable() else c for c in wanted).strip().strip("'").strip()
    name = name[:SHEET_MAX].rstrip().rstrip("'") or translate("Tabelle")
    candidate, number = name, 1
    while candidate.casefold() in taken or candidate.casefold() in RESERVED:
        number += 1
        suffix = f" ({number})"
        candidate = name[: SHEET_MAX - len(suffix)].rstrip() + suffix
    taken.add(candidate.casefold())
    return candidate


def _utc(moment: dt.datetime) -> dt.datetime:
    """A stored time as naive UTC (XlsxWriter writes it as the workbook's creation time, so the bytes stay the same)."""
    return moment.astimezone(dt.UTC).replace(tzinfo=None) if moment.tzinfo else moment


class _Book:
    """The workbook with its formats; writes typed cells."""

    def __init__(self, out: BinaryIO, made: dt.datetime) -> None:
        self.workbook = Workbook(out, OPTIONS)
        self.workbook.set_properties({
            "title": translate("Ergebnisse der Saalumfragen"), "author": settings.report_organisation or "Saalumfrage",
            "comments": settings.report_licence, "created": _utc(made),
        })
        add = self.workbook.add_format
        self.header: Format = add({"bold": True, "text_wrap": True, "valign": "top", "bottom": 1})
        self.percent: Format = add({"num_format": "0.0"})
        self.decimal: Format = add({"num_format": "0.0#"})
        self.date: Format = add({"num_format": "DD.MM.YYYY"})
        self.wrap: Format = add({"text_wrap": True, "valign": "top"})
        self.taken: set[str] = set()

    def sheet(self, name: str, headers: Sequence[str], widths: Sequence[float]) -> Worksheet:
        sheet = self.workbook.add_worksheet(name)
        for i, width in enumerate(widths):
            sheet.set_column(i, i, width, self.wrap if width >= WIDE["text"] else None)
        for i, title in enumerate(headers):
            sheet.write_string(0, i, cut(title), self.header)
        sheet.freeze_panes(1, 0)
        return sheet

    def cell(self, sheet: Worksheet, row: int, col: int, value: tables.Cell, datatype: str = "", name: str = "") -> None:
        if value is None or value == "":
            return
        if isinstance(value, bool):
            sheet.write_string(row, col, translate("ja") if value else translate("nein"))
        elif isinstance(value, dt.datetime | dt.date):
            sheet.write_datetime(row, col, dt.datetime.combine(value, dt.time()) if not isinstance(value, dt.datetime) else value,
                                 self.date)
        elif isinstance(value, int | float):
            number_format = self.percent if name == "percent" else self.decimal if datatype == "decimal" else None
            sheet.write_number(row, col, value, number_format)
        else:
            sheet.write_string(row, col, cut(str(value)), self.wrap if name == "text" else None)

    def table(self, name: str, columns: Sequence[tables.Column], rows: Iterable[Sequence[tables.Cell]]) -> None:
        """A sheet of one of the shared tables: header, typed rows, filter."""
        sheet = self.sheet(name, [translate(c.title) for c in columns],
                           [WIDE.get(c.name, WIDTHS[c.datatype]) for c in columns])
        last = 0
        for last, values in enumerate(rows, start=1):
            for col, (value, column) in enumerate(zip(values, columns, strict=True)):
                self.cell(sheet, last, col, value, column.datatype, column.name)
        sheet.autofilter(0, 0, max(last, 1), len(columns) - 1)


def _method(book: _Book, events: Sequence[EventResults], made: dt.datetime) -> None:
    sheet = book.sheet(book_name(book, METHOD), [translate("Abschnitt"), translate("Text")], [18, 120])
    lines = [(translate("Methode"), p) for p in method_note(events)]
    lines.append((translate("Zahlen"), translate("In dieser Arbeitsmappe stehen Prozentwerte mit einer Nachkommastelle, aus den "
                                                   "ungerundeten Werten berechnet; Bericht und Ergebnisseite runden auf ganze Zahlen.")))
    lines += [(translate("Lizenz"), settings.report_licence), (translate("Erstellt"), fmt.stamp(made))]
    if settings.report_organisation:
        lines.append((translate("Herausgeber"), settings.report_organisation))
    for row, (part, text) in enumerate(lines, start=1):
        sheet.write_string(row, 0, part)
        sheet.write_string(row, 1, cut(text), book.wrap)
    sheet.autofilter(0, 0, len(lines), 1)


def book_name(book: _Book, msgid: str) -> str:
    return sheet_name(translate(msgid), book.taken)


FLAGS = {
    (False, False): N_("vergleichbar"),
    (True, False): N_("Wortlaut geändert – nicht gepoolt"),
    (False, True): N_("Antwortmöglichkeiten oder Fragetyp geändert – nicht gepoolt"),
    (True, True): N_("Wortlaut und Antwortmöglichkeiten geändert – nicht gepoolt"),
}


def _comparison_rows(comparison: SeriesComparison, c: Comparison) -> Iterable[list[Any]]:
    labels: list[str] = []
    for column in c.columns:
        labels += [row.label for row in column.result.rows if row.label not in labels]
    flag = translate(FLAGS[(c.wording_changed, c.options_changed)])
    by_event = {column.event_id: column for column in c.columns}
    for label in labels or [""]:
        line: list[Any] = [c.key, c.text, c.topic, tables.kind_name(c.kind), flag, label]
        for event in comparison.events:
            asked = by_event.get(event.id)
            if asked is None:
                line += [None, translate("nicht gestellt"), None]
                continue
            row = next((r for r in asked.result.rows if r.label == label), None)
            shown = asked.result.percents_shown and row is not None
            line += [asked.result.n, tables.leading_text(c.kind, asked.result), row.percent if shown and row else None]
        pooled = c.pooled
        prow = next((r for r in pooled.rows if r.label == label), None) if pooled else None
        line += [pooled.n if pooled else None, prow.percent if prow and pooled and pooled.percents_shown else None]
        yield line


def _comparison(book: _Book, comparison: SeriesComparison) -> None:
    headers = [translate(t) for t in (N_("Frageschlüssel"), N_("Frage"), N_("Thema"), N_("Fragetyp"), N_("Hinweis"), N_("Antwort"))]
    widths: list[float] = [16, 50, 24, 16, 30, 28]
    for event in comparison.events:
        label = tables.event_label(event)
        headers += [f"{label}: n", translate("{event}: führende Antwort", event=label), translate("{event}: Prozent", event=label)]
        widths += [9, 24, 11]
    pooled = translate("gepoolt, ungewichtet")
    headers += [f"{pooled}: n", translate("{event}: Prozent", event=pooled)]
    widths += [9, 11]
    sheet = book.sheet(book_name(book, COMPARISON), headers, widths)
    lines: list[list[Any]] = [line for c in comparison.comparisons for line in _comparison_rows(comparison, c)]
    for lonely in comparison.not_comparable:
        note = translate("nicht vergleichbar: {reason} ({event})", reason=translate(lonely.reason), event=lonely.event)
        lines.append(["", lonely.text, "", "", note, ""])
    if comparison.single_event:
        lines.append(["", translate("Die Reihe hat nur eine Veranstaltung; es gibt nichts zu vergleichen."), "", "", "", ""])
    percent_cols = {6 + 3 * i + 2 for i in range(len(comparison.events))} | {len(headers) - 1}
    for row, line in enumerate(lines, start=1):
        for col, value in enumerate(line):
            book.cell(sheet, row, col, value, "integer", "percent" if col in percent_cols else "")
    sheet.autofilter(0, 0, max(len(lines), 1), len(headers) - 1)


def write_xlsx(events: Sequence[EventResults], comparison: SeriesComparison | None, out: BinaryIO) -> None:
    """The workbook of the events (and of their series' comparison, if given) into `out`."""
    made = tables.made_at(events)
    book = _Book(out, made)
    fixed = [METHOD, TEXTS, TERMS] + ([COMPARISON] if comparison is not None else [])
    reserved = {translate(m).casefold() for m in fixed}
    taken = set(reserved)  # the events' sheets never take the name of a fixed sheet
    names = [sheet_name(f"{event.place or event.title} {fmt.date(event.date) if event.date else ''}", taken) for event in events]
    _method(book, events, made)
    for event, name in zip(events, names, strict=True):
        book.taken.add(name.casefold())
        book.table(name, tables.RESULT_COLUMNS, tables.result_rows([event]))
    if comparison is not None:
        _comparison(book, comparison)
    book.table(book_name(book, TEXTS), tables.TEXT_COLUMNS, tables.text_rows(events))
    book.table(book_name(book, TERMS), tables.TERM_COLUMNS, tables.term_rows(events))
    book.workbook.close()
