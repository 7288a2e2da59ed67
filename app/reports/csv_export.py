"""The results as CSV in long format, in two dialects, with a CSV on the Web (W3C CSVW) metadata document each.

- "excel-de" ("Excel (Deutsch)"): UTF-8 with byte order mark, `;` between fields, decimal comma, CRLF; no `sep=`
  line (Excel shows it as data in other programs and it breaks the byte order mark).
- "standard": UTF-8 without byte order mark, `,`, decimal point, CRLF (RFC 4180).

Text cells that a spreadsheet would read as a formula (starting with = + - @, a tab or a carriage return) get an
apostrophe in front (OWASP "CSV injection"); numbers are written by this module from the result set, never from
what people typed, so they stay numbers. The tables and their rows come from `tables`.
"""

import csv
import datetime as dt
import io
from collections.abc import Iterable, Sequence
from typing import Any, BinaryIO

from app.config import settings
from app.i18n import translate
from app.reports import formatting as fmt
from app.reports import tables
from app.reports.resultset import EventResults

DIALECTS = ("excel-de", "standard")
BOM = b"\xef\xbb\xbf"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
LINE_END = "\r\n"


def _check(dialect: str) -> None:
    if dialect not in DIALECTS:
        raise ValueError(f"unknown CSV dialect {dialect!r}; one of {', '.join(DIALECTS)}")


def neutralise(text: str) -> str:
    """A text cell no spreadsheet runs as a formula: "=1+1" → "'=1+1"."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def _number(value: float | int, dialect: str, datatype: str, name: str) -> str:
    if name == "percent":
        text = f"{fmt.half_up(value, 1):f}"
    elif datatype == "integer" or float(value).is_integer():
        text = str(int(value))
    else:
        text = f"{fmt.half_up(value, 2):f}".rstrip("0").rstrip(".")
    return text.replace(".", ",") if dialect == "excel-de" else text


def cell(value: tables.Cell, column: tables.Column, dialect: str) -> str:
    """One value as the dialect writes it."""
    if value is None:
        return ""
    if isinstance(value, bool):
        yes_no = ("ja", "nein") if dialect == "excel-de" else ("true", "false")
        return yes_no[0] if value else yes_no[1]
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, int | float):
        return _number(value, dialect, column.datatype, column.name)
    return neutralise(str(value))


def _write(table: str, rows: Iterable[tuple[tables.Cell, ...]], out: BinaryIO, dialect: str) -> None:
    _check(dialect)
    columns = tables.TABLES[table]
    if dialect == "excel-de":
        out.write(BOM)
    text = io.TextIOWrapper(out, encoding="utf-8", newline="", write_through=True)
    try:
        writer = csv.writer(text, delimiter=";" if dialect == "excel-de" else ",", lineterminator=LINE_END,
                            quoting=csv.QUOTE_MINIMAL)
        writer.writerow([neutralise(t) for t in tables.titles(table)])
        for row in rows:
            writer.writerow([cell(v, c, dialect) for v, c in zip(row, columns, strict=True)])
        text.flush()
    finally:
        text.detach()  # the caller's file stays open


def write_results_csv(events: Sequence[EventResults], out: BinaryIO, dialect: str) -> None:
    """The long results table (tables.RESULT_COLUMNS) of the events."""
    _write("results", tables.result_rows(events), out, dialect)


def write_texts_csv(events: Sequence[EventResults], out: BinaryIO, dialect: str) -> None:
    """The approved open answers (tables.TEXT_COLUMNS)."""
    _write("texts", tables.text_rows(events), out, dialect)


def write_terms_csv(events: Sequence[EventResults], out: BinaryIO, dialect: str) -> None:
    """The word-cloud terms (tables.TERM_COLUMNS)."""
    _write("terms", tables.term_rows(events), out, dialect)


DESCRIPTIONS = {
    "results": "Ergebnisse der Saalumfragen im Langformat: eine Zeile je Veranstaltung, Frage, Abstimmungsrunde und Antwort.",
    "texts": "Die von der Moderation freigegebenen offenen Antworten, je Veranstaltung, Frage und Runde.",
    "terms": "Die Begriffe der Wortwolken mit der Zahl der Personen, die sie nannten.",
}
DIALECT_NOTES = {
    "excel-de": "Format „Excel (Deutsch)“: UTF-8 mit Byte-Order-Mark, Semikolon als Trennzeichen, Dezimalkomma, "
                "Zeilenende CRLF, Wahrheitswerte ja/nein.",
    "standard": "Format „Standard“: UTF-8 ohne Byte-Order-Mark, Komma als Trennzeichen, Dezimalpunkt, Zeilenende CRLF "
                "(RFC 4180), Wahrheitswerte true/false.",
}
SAFETY_NOTE = ("Textfelder, die mit =, +, -, @, Tabulator oder Wagenrücklauf beginnen, sind mit einem vorangestellten "
               "Apostroph (') versehen, damit Tabellenprogramme sie nicht als Formel ausführen.")


def _datatype(column: tables.Column, dialect: str) -> Any:
    if column.datatype == "decimal" and dialect == "excel-de":
        return {"base": "decimal", "format": {"decimalChar": ","}}
    if column.datatype == "boolean":
        return {"base": "boolean", "format": "ja|nein" if dialect == "excel-de" else "true|false"}
    return column.datatype


def csv_metadata(filename: str, table: str, dialect: str, title: str) -> dict[str, Any]:
    """The CSVW metadata document (`<file>-metadata.json`) describing a CSV written above."""
    _check(dialect)
    if table not in tables.TABLES:
        raise ValueError(f"unknown table {table!r}; one of {', '.join(tables.TABLES)}")
    columns = [
        {"name": c.name, "titles": translate(c.title), "datatype": _datatype(c, dialect),
         "dc:description": translate(c.description), "null": ""}
        for c in tables.TABLES[table]
    ]
    metadata: dict[str, Any] = {
        "@context": "http://www.w3.org/ns/csvw",
        "url": filename,
        "dc:title": title,
        "dc:description": " ".join([translate(DESCRIPTIONS[table]), translate(DIALECT_NOTES[dialect]), translate(SAFETY_NOTE)]),
        "dc:license": settings.report_licence,
        "dc:language": "de",
        "dialect": {
            "delimiter": ";" if dialect == "excel-de" else ",",
            "encoding": "utf-8",
            "header": True,
            "headerRowCount": 1,
            "lineTerminators": [LINE_END],
            "quoteChar": '"',
            "doubleQuote": True,
            "skipInitialSpace": False,
            "trim": False,
        },
        "tableSchema": {"columns": columns},
    }
    if settings.report_organisation.strip():
        metadata["dc:publisher"] = settings.report_organisation.strip()
    return metadata
