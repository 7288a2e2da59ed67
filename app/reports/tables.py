"""The tables the file exports share: their columns (name, German title, type, description) and their rows as plain
Python values, read from the result set. The CSV writer (csv_export) and the XLSX writer (xlsx_export) only format
these rows; neither computes a number of its own.

Long format: one row per event × question × round × row of the result (an option, a scale value or a term). A round
without rows (open text, a word cloud nobody answered) still has one row, with its n and its base. Values the result
set leaves out stay empty: no percentages below five answers, no shares for rankings and open text.
"""

import datetime as dt
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from app.i18n import N_, translate
from app.models import QuestionStatus
from app.reports import formatting as fmt
from app.reports.compare import Comparison
from app.reports.resultset import EventResults, QuestionResult, Round, Row

Cell = str | int | float | bool | dt.date | None


@dataclass(frozen=True, slots=True)
class Column:
    """One column of an exported table."""

    name: str  # machine name (CSVW "name")
    title: str  # German header the file shows (CSVW "titles")
    datatype: str  # "string", "integer", "decimal", "date" or "boolean"
    description: str


RESULT_COLUMNS = (
    Column("series", N_("Reihe"), "string", N_("Titel der Veranstaltungsreihe; leer, wenn die Veranstaltung zu keiner Reihe gehört.")),
    Column("event", N_("Veranstaltung"), "string", N_("Titel der Veranstaltung.")),
    Column("place", N_("Ort"), "string", N_("Ort der Veranstaltung.")),
    Column("date", N_("Datum"), "date", N_("Datum der Veranstaltung (JJJJ-MM-TT); leer, wenn kein Datum angegeben ist.")),
    Column("topic", N_("Thema"), "string", N_("Tagesordnungspunkt, unter dem die Frage gestellt wurde.")),
    Column("question_key", N_("Frageschlüssel"), "string",
           N_("Kennung der Frage; gleiche Kennung bei mehreren Veranstaltungen einer Reihe heißt: aus derselben Vorlage.")),
    Column("question", N_("Frage"), "string", N_("Wortlaut der Frage, wie er gezeigt wurde.")),
    Column("kind", N_("Fragetyp"), "string", N_("Art der Frage, z. B. Einfachauswahl, Mehrfachauswahl, Skala, Rangfolge.")),
    Column("round", N_("Runde"), "integer", N_("Abstimmungsrunde (1 = erste Abstimmung; die letzte Runde ist das Ergebnis).")),
    Column("status", N_("Status"), "string",
           N_("„abgeschlossen“, „Zwischenstand“ (die Abstimmung lief beim Export noch) oder „nicht gestellt“.")),
    Column("option", N_("Antwort"), "string",
           N_("Antwortmöglichkeit, Skalenwert oder Begriff; leer bei offenen Antworten (diese stehen in einer eigenen Datei).")),
    Column("abstention", N_("Enthaltung"), "boolean", N_("Ob die Zeile eine Enthaltung ist (Enthaltungen zählen zur Basis n).")),
    Column("count", N_("Anzahl"), "decimal",
           N_("Zahl der Personen, die diese Antwort gaben; bei Rangfolgen die Borda-Punkte (letzter Platz 0, jeder Platz darüber "
              "1 mehr); bei Punkteverteilung die durchschnittlichen Punkte je Person.")),
    Column("percent", N_("Prozent"), "decimal",
           N_("Anteil in Prozent an der Basis, mit einer Nachkommastelle aus den ungerundeten Werten (Seiten und Bericht runden "
              "auf ganze Zahlen); leer bei weniger als 5 Antworten und wo es keinen Anteil gibt (Rangfolge, offene Antworten). "
              "Bei Mehrfachauswahl ergeben die Anteile zusammen mehr als 100; bei Punkteverteilung ist es der Anteil an allen "
              "vergebenen Punkten.")),
    Column("n", N_("n"), "integer", N_("Zahl der Personen, die in dieser Runde geantwortet haben (Enthaltungen mitgezählt).")),
    Column("base", N_("Basis"), "string", N_("Worauf sich die Anteile beziehen, in Worten.")),
    Column("mean", N_("Mittelwert"), "decimal",
           N_("Skala: Mittelwert der Runde; Punkteverteilung: durchschnittliche Punkte dieser Antwort; leer bei weniger als 5 Antworten.")),
    Column("median", N_("Median"), "decimal", N_("Skala: Median der Runde; leer bei weniger als 5 Antworten.")),
    Column("avg_rank", N_("Durchschnittlicher Platz"), "decimal",
           N_("Rangfolge: durchschnittlicher Platz (1 = vorn); leer bei weniger als 5 Antworten.")),
    Column("total_points", N_("Punkte gesamt"), "integer", N_("Punkteverteilung: alle Punkte, die diese Antwort erhielt.")),
    # (#18) where the count came from; empty where only phones counted (then "Anzahl" is the phones' count)
    Column("phone", N_("davon Handy"), "integer", N_("Teil der Anzahl, der per Handy abgestimmt hat; leer, wenn nur per Handy abgestimmt wurde.")),
    Column("tablet", N_("davon Hilfe-Tablet"), "integer", N_("Teil der Anzahl vom Hilfe-Tablet am Hilfe-Tisch.")),
    Column("hands", N_("davon Handzeichen"), "integer", N_("Teil der Anzahl, per Handzeichen im Saal gezählt.")),
    Column("paper", N_("davon Stimmzettel"), "integer", N_("Teil der Anzahl, per Stimmzettel gezählt.")),
    Column("estimated", N_("geschätzt"), "boolean", N_("Ob ein Teil der Anzahl geschätzt wurde (auf Seiten und im Bericht „ca.“).")),
)

_WHERE = (
    Column("event", N_("Veranstaltung"), "string", N_("Titel der Veranstaltung.")),
    Column("place", N_("Ort"), "string", N_("Ort der Veranstaltung.")),
    Column("date", N_("Datum"), "date", N_("Datum der Veranstaltung (JJJJ-MM-TT); leer, wenn kein Datum angegeben ist.")),
    Column("topic", N_("Thema"), "string", N_("Tagesordnungspunkt, unter dem die Frage gestellt wurde.")),
    Column("question_key", N_("Frageschlüssel"), "string", N_("Kennung der Frage (gleich bei Fragen aus derselben Vorlage).")),
    Column("question", N_("Frage"), "string", N_("Wortlaut der Frage.")),
    Column("round", N_("Runde"), "integer", N_("Abstimmungsrunde.")),
)
TEXT_COLUMNS = _WHERE + (
    Column("text", N_("Text"), "string", N_("Eine von der Moderation freigegebene offene Antwort, unverändert. Nicht freigegebene "
                                         "Antworten sind nicht enthalten (ihre Zahl nennt der Methodenhinweis).")),
)
TERM_COLUMNS = _WHERE + (
    Column("term", N_("Begriff"), "string", N_("Ein genannter Begriff (gleich geschriebene Begriffe zusammengefasst); "
                                            "von der Moderation ausgeblendete Begriffe fehlen.")),
    Column("people", N_("Personen"), "integer", N_("Zahl der Personen, die den Begriff nannten.")),
    Column("percent", N_("Prozent"), "decimal", N_("Anteil der Abstimmenden der Runde, die den Begriff nannten, mit einer "
                                                "Nachkommastelle; leer bei weniger als 5 Antworten.")),
)
TABLES: dict[str, tuple[Column, ...]] = {"results": RESULT_COLUMNS, "texts": TEXT_COLUMNS, "terms": TERM_COLUMNS}

KIND_NAMES = {
    "single": N_("Einfachauswahl"), "multiple": N_("Mehrfachauswahl"), "yesno": N_("Ja/Nein"), "scale": N_("Skala"),
    "wordcloud": N_("Wortwolke"), "text": N_("Offene Antwort"), "ranking": N_("Rangfolge"), "points": N_("Punkte verteilen"),
}
CLOSED, INTERIM, NOT_ASKED = N_("abgeschlossen"), N_("Zwischenstand"), N_("nicht gestellt")


def titles(table: str) -> list[str]:
    """The header row of a table, in German."""
    return [translate(c.title) for c in TABLES[table]]


def kind_name(kind: str) -> str:
    return translate(KIND_NAMES.get(kind, kind))


def whole(value: float | int | None) -> float | int | None:
    """7.0 → 7 (a count is written as an integer where it is one); other values unchanged."""
    if value is None or isinstance(value, bool):
        return value
    return int(value) if float(value).is_integer() else value


def status(question: QuestionResult, result: Round) -> str:
    """A round's status in words."""
    if result.interim_at is not None:
        return translate(INTERIM)
    if question.status == QuestionStatus.draft and not result.n:
        return translate(NOT_ASKED)
    return translate(CLOSED)


def _row_values(kind: str, result: Round, row: Row | None) -> tuple[Cell, ...]:
    """option … total_points of one row (None: the round has no rows)."""
    shown = result.percents_shown
    mean: float | None = result.mean
    if row is None:
        return ("", False, None, None, result.n, result.base(), mean, result.median, None, None, *_source_cells(result, None))
    if kind == "points":
        mean = row.count if shown else None
    count = None if kind == "points" else whole(row.count)
    return (row.label, row.abstention, count, row.percent if shown else None, result.n, result.base(), mean, result.median,
            row.avg_rank if shown else None, whole(row.total), *_source_cells(result, row))


def _source_cells(result: Round, row: Row | None) -> tuple[Cell, ...]:
    """phone … paper, estimated: the row's count per source (empty when only phones counted)."""
    if not result.sources:
        return (None, None, None, None, None)
    found = dict(row.sources) if row is not None else {}
    return (*(found.get(source) if row is not None and any(s == source for s, _n, _e in result.sources) else None
              for source in ("phone", "tablet", "hands", "paper")), result.estimated)


def result_rows(events: Sequence[EventResults]) -> Iterator[tuple[Cell, ...]]:
    """The long table: RESULT_COLUMNS in order, one tuple per row."""
    for event in events:
        for question in event.questions():
            for result in question.rounds:
                head: tuple[Cell, ...] = (event.series_title or "", event.title, event.place, event.date, question.topic,
                                          question.key, question.text, kind_name(question.kind), result.round,
                                          status(question, result))
                for row in result.rows or (None,):
                    yield head + _row_values(question.kind, result, row)


def _where(event: EventResults, question: QuestionResult, result: Round) -> tuple[Cell, ...]:
    return (event.title, event.place, event.date, question.topic, question.key, question.text, result.round)


def text_rows(events: Sequence[EventResults]) -> Iterator[tuple[Cell, ...]]:
    """The approved open answers: TEXT_COLUMNS in order."""
    for event in events:
        for question in event.questions():
            for result in question.rounds:
                for text in result.texts:
                    yield _where(event, question, result) + (text,)


def term_rows(events: Sequence[EventResults]) -> Iterator[tuple[Cell, ...]]:
    """The word-cloud terms: TERM_COLUMNS in order."""
    for event in events:
        for question in event.questions():
            if question.kind != "wordcloud":
                continue
            for result in question.rounds:
                for row in result.rows:
                    yield _where(event, question, result) + (row.label, whole(row.count),
                                                             row.percent if result.percents_shown else None)


def has_rows(events: Sequence[EventResults], table: str) -> bool:
    """Whether a table would have any data row (the bundle leaves out empty text and term files)."""
    rows = {"results": result_rows, "texts": text_rows, "terms": term_rows}[table](events)
    return next(iter(rows), None) is not None


def made_at(events: Sequence[EventResults]) -> dt.datetime:
    """When the result sets were made (the latest), for stamps and stable file times."""
    return max((e.made_at for e in events), default=dt.datetime(1980, 1, 1, tzinfo=dt.UTC))


def leading_text(kind: str, result: Round) -> str:
    """The leading answer in words, for summaries and the comparison sheet."""
    if not result.n:
        return translate("keine Antworten (n = 0)")
    if kind == "text":
        return translate("{n} freigegebene Antworten", n=len(result.texts))
    best = result.leading()
    if best is None:
        return translate("keine eindeutig führende Antwort")
    return best.label


def event_label(event: EventResults) -> str:
    """Place (or title) and date: "Döbeln, 15.03.2023"."""
    return f"{event.place or event.title}, {fmt.date(event.date)}"


FLAGS = {
    (False, False): N_("vergleichbar"),
    (True, False): N_("Wortlaut geändert – nicht gepoolt"),
    (False, True): N_("Antwortmöglichkeiten oder Fragetyp geändert – nicht gepoolt"),
    (True, True): N_("Wortlaut und Antwortmöglichkeiten geändert – nicht gepoolt"),
}


def comparison_flag(comparison: Comparison) -> str:
    """Whether a linked question compares as asked, in words."""
    return translate(FLAGS[(comparison.wording_changed, comparison.options_changed)])
