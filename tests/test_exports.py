"""The file exports (app/reports: csv_export, xlsx_export, bundle) read back: CSV bytes in both dialects and their
CSVW metadata, the XLSX through openpyxl, the ZIP bundle; hostile input (formula injection, 5,000 characters,
emoji, odd sheet names) and LibreOffice opening the CSV where it is installed."""

import csv
import datetime as dt
import io
import json
import shutil
import subprocess
import zipfile

import openpyxl
import pytest

from app.config import settings
from app.domain import events as e_domain
from app.domain import questions as q_domain
from app.models import QuestionStatus
from app.reports import bundle, csv_export, tables, xlsx_export
from app.reports import formatting as fmt
from app.reports.compare import series_comparison
from app.reports.resultset import BASES, NO_ANSWERS, EventResults, QuestionResult, Round, Row, TopicResult, event_results
from tests.factories import add_votes as _votes

NOW = dt.datetime(2023, 3, 15, 18, 42, tzinfo=dt.UTC)
OWASP = ["=cmd|' /C calc'!A0", "+1+1", "-2+3+cmd|' /C calc'!A0", "@SUM(1+1)*cmd|' /C calc'!A0",
         '=HYPERLINK("http://evil.example","Klick")', "\t=1+1", "\r=1+1", "=1+1"]
LONG = ("Ä" * 4994) + "😀 Ende"  # 5,000 characters, an emoji among them


# --- building result sets -------------------------------------------------------------------------------------

def _close(session, *questions):
    for question in questions:
        question.status = QuestionStatus.closed
        session.add(question)
    session.commit()


def _ids(session, question):
    return [o.id for o in q_domain.options_of(session=session, question_id=question.id)]


def _doebeln(session, series_id=None, place="Döbeln", date=dt.date(2023, 3, 15), key_prefix="k"):
    """An evening with every kind of question, umlauts and an injection string among the options."""
    event = e_domain.create_event(session=session, owner_id=None, title=f"Regionalkonferenz {place}", place=place,
                                  date=date, series_id=series_id)
    topic = e_domain.add_topic(session=session, event_id=event.id, title="Mobilität & Öffis")
    q = {}
    q["single"] = q_domain.create_question(session=session, topic=topic, text="Wie kommen Sie zur Arbeit?", kind="single",
                                           options=["Auto", "Bus", "=1+1"], key=f"{key_prefix}-single")
    q["yesno"] = q_domain.create_question(session=session, topic=topic, text="Brauchen wir mehr Busse?", kind="yesno", options=[],
                                          key=f"{key_prefix}-yesno")
    q["multiple"] = q_domain.create_question(session=session, topic=topic, text="Was fehlt?", kind="multiple",
                                             options=["Takt", "Abendfahrten", "Preis"], max_choices=2)
    q["scale"] = q_domain.create_question(session=session, topic=topic, text="Wie zufrieden?", kind="scale", options=[],
                                          scale_min=1, scale_max=5)
    q["ranking"] = q_domain.create_question(session=session, topic=topic, text="Was zuerst?", kind="ranking",
                                            options=["Radwege", "Straßen", "Schiene"])
    q["points"] = q_domain.create_question(session=session, topic=topic, text="Wohin das Geld?", kind="points",
                                           options=["Schule", "Straße"])
    q["cloud"] = q_domain.create_question(session=session, topic=topic, text="Ein Wort für Döbeln?", kind="wordcloud", options=[])
    q["text"] = q_domain.create_question(session=session, topic=topic, text="Was möchten Sie sagen?", kind="text", options=[])
    q["never"] = q_domain.create_question(session=session, topic=topic, text="Nie gestellt", kind="single", options=["A", "B"])
    auto, bus, formula = _ids(session, q["single"])
    _votes(session, q["single"], [[auto]] * 5 + [[bus]] * 2 + [[formula]])  # n = 8
    ja, nein, enth = _ids(session, q["yesno"])
    _votes(session, q["yesno"], [[ja]] * 6 + [[nein]] * 3 + [[enth]])
    takt, abend, preis = _ids(session, q["multiple"])
    _votes(session, q["multiple"], [[takt, abend]] * 4 + [[takt]] * 2 + [[preis]] * 4)
    _votes(session, q["scale"], [[1], [2], [2], [4], [5], [5]])
    a, b, c = _ids(session, q["ranking"])
    _votes(session, q["ranking"], [[a, b, c]] * 3 + [[c, a, b]] * 2)
    x, y = _ids(session, q["points"])
    _votes(session, q["points"], [{str(x): 70, str(y): 30}] * 4 + [{str(x): 20, str(y): 80}])
    _votes(session, q["cloud"], [["Grün"], ["grün"], ["Schön"], ["@Döbeln"], ["Grün"]])
    _votes(session, q["text"], ["Mehr Grün in der Stadt!", "=HYPERLINK(\"http://evil.example\")"], moderation="approved")
    _votes(session, q["text"], ["noch offen"], moderation="pending")
    _close(session, *[v for k, v in q.items() if k != "never"])
    return event, q


def _round(n=0, rows=(), texts=(), kind="single", **extra):
    return Round(round=1, n=n, base_msg=BASES[kind] if n else NO_ANSWERS, rows=tuple(rows), texts=tuple(texts), **extra)


def _made(questions, *, title="Test <Abend>", place="Döbeln", date=dt.date(2023, 3, 15), series=None, event_id=1):
    """A result set by hand (for input the forms would not let through)."""
    return EventResults(id=event_id, title=title, place=place, date=date, series_id=1 if series else None, series_title=series,
                        people_in_hall=None, voting_cards=False, made_at=NOW,
                        topics=(TopicResult(id=1, title="Thema", questions=tuple(questions)),))


def _question(text, kind="text", rounds=(), options=(), key=None, qid=1):
    return QuestionResult(id=qid, key=key or f"k{qid}", text=text, kind=kind, status=QuestionStatus.closed, topic="Thema",
                          options=tuple(options), rounds=tuple(rounds) or (_round(kind=kind),))


def _csv(write, events, dialect):
    out = io.BytesIO()
    write(events, out, dialect)
    return out.getvalue()


def _parse(data, dialect):
    text = data.decode("utf-8-sig" if dialect == "excel-de" else "utf-8")
    return list(csv.reader(io.StringIO(text, newline=""), delimiter=";" if dialect == "excel-de" else ","))


# --- CSV --------------------------------------------------------------------------------------------------------

def test_csv_dialects_bytes_bom_separator_decimal_and_line_ends(session):
    event, _q = _doebeln(session)
    results = [event_results(session, event, now=NOW)]
    de = _csv(csv_export.write_results_csv, results, "excel-de")
    std = _csv(csv_export.write_results_csv, results, "standard")
    assert de.startswith(b"\xef\xbb\xbf") and not std.startswith(b"\xef\xbb\xbf")
    assert not de[3:].startswith(b"sep=") and not std.startswith(b"sep=")
    for data in (de, std):
        assert data.count(b"\r\n") == data.count(b"\n") > 10  # CRLF only, never a bare LF
    de_head, std_head = de[3:].split(b"\r\n")[0].decode(), std.split(b"\r\n")[0].decode()
    assert de_head == ";".join(tables.titles("results")) and std_head == ",".join(tables.titles("results"))
    assert de_head.startswith("Reihe;Veranstaltung;Ort;Datum;Thema;Frageschlüssel;Frage;Fragetyp;Runde;Status;Antwort")
    assert "Mobilität & Öffis" in de.decode("utf-8-sig") and "Regionalkonferenz Döbeln" in std.decode()  # umlauts intact
    # one line: the single-choice "Auto", 5 of 8 = 62.5 %
    de_rows, std_rows = _parse(de, "excel-de"), _parse(std, "standard")
    auto_de = next(r for r in de_rows if r[10] == "Auto")
    auto_std = next(r for r in std_rows if r[10] == "Auto")
    assert auto_de[12:16] == ["5", "62,5", "8", "Anteil an 8 Antworten"] and auto_de[11] == "nein"
    assert auto_std[12:16] == ["5", "62.5", "8", "Anteil an 8 Antworten"] and auto_std[11] == "false"
    assert auto_de[3] == auto_std[3] == "2023-03-15" and auto_de[9] == "abgeschlossen"


def test_csv_numbers_parse_back_to_the_result_set(session):
    event, _q = _doebeln(session)
    result = event_results(session, event, now=NOW)
    for dialect in csv_export.DIALECTS:
        rows = _parse(_csv(csv_export.write_results_csv, [result], dialect), dialect)
        header, body = rows[0], rows[1:]
        col = {c.name: i for i, c in enumerate(tables.RESULT_COLUMNS)}
        assert len(header) == len(tables.RESULT_COLUMNS) and all(len(r) == len(header) for r in body)

        def num(text, dialect=dialect):
            return None if text == "" else float(text.replace(",", ".") if dialect == "excel-de" else text)

        expected = []
        for q in result.questions():
            for rnd in q.rounds:
                for row in rnd.rows or (None,):
                    expected.append((q.text, rnd.n, row))
        assert len(body) == len(expected)  # one line per row; a round without rows (open text) has one line
        for line, (text, n, row) in zip(body, expected, strict=True):
            assert line[col["question"]] == text and int(line[col["n"]]) == n
            if row is None:
                assert line[col["option"]] == "" and line[col["count"]] == ""
                continue
            kind = line[col["kind"]]
            if kind != "Punkte verteilen":
                assert num(line[col["count"]]) == row.count
            if row.percent is not None and kind != "Punkte verteilen":
                assert num(line[col["percent"]]) == pytest.approx(row.percent, abs=0.05)
            else:
                assert line[col["percent"]] in ("", csv_export.cell(row.percent, tables.RESULT_COLUMNS[col["percent"]], dialect))
        by = {(r[col["question"]], r[col["option"]]): r for r in body}
        assert num(by[("Was fehlt?", "Takt")][col["percent"]]) == 60.0  # of the 10 people, sums over 100
        assert num(by[("Was zuerst?", "Radwege")][col["count"]]) == 8  # Borda points
        assert num(by[("Was zuerst?", "Radwege")][col["avg_rank"]]) == 1.4
        assert num(by[("Wohin das Geld?", "Schule")][col["mean"]]) == 60 and by[("Wohin das Geld?", "Schule")][col["total_points"]] == "300"
        assert by[("Wie zufrieden?", "1")][col["mean"]] == ("3,17" if dialect == "excel-de" else "3.17")
        assert by[("Brauchen wir mehr Busse?", "Enthaltung")][col["abstention"]] in ("ja", "true")
        never = [r for r in body if r[col["question"]] == "Nie gestellt"]
        assert [r[col["n"]] for r in never] == ["0", "0"] and never[0][col["base"]] == "keine Antworten (n = 0)"
        assert never[0][col["status"]] == "nicht gestellt" and never[0][col["percent"]] == ""
        text_line = by[("Was möchten Sie sagen?", "")]
        assert text_line[col["n"]] == "3" and text_line[col["base"]] == "3 freie Antworten"


def test_csv_neutralises_formula_injection_and_keeps_numbers(session):
    event, _q = _doebeln(session)
    db_result = event_results(session, event, now=NOW)
    made = _made([_question(s, kind="single", qid=i, rounds=(_round(n=6, rows=[Row(label=s, count=6, percent=100.0)]),))
                  for i, s in enumerate(OWASP, start=1)], title="=Abend", place="+Ort")
    for dialect in csv_export.DIALECTS:
        rows = _parse(_csv(csv_export.write_results_csv, [db_result, made], dialect), dialect)
        cells = [c for r in rows for c in r]
        for cell in cells:
            assert not cell.startswith(csv_export.FORMULA_STARTS), cell
        for s in OWASP:
            assert cells.count("'" + s) == (3 if s == "=1+1" else 2)  # the question and its option (and an option at Döbeln)
        assert "'=1+1" in cells and "'=Abend" in cells and "'+Ort" in cells
        assert "'@Döbeln" in cells  # a word-cloud term
        texts = _parse(_csv(csv_export.write_texts_csv, [db_result], dialect), dialect)
        assert "'=HYPERLINK(\"http://evil.example\")" in [r[-1] for r in texts]
        assert [r[6:] for r in rows if r[6] == "'+1+1"] == [["'+1+1", "Einfachauswahl", "1", "abgeschlossen", "'+1+1",
                                                               "nein" if dialect == "excel-de" else "false", "6",
                                                               "100,0" if dialect == "excel-de" else "100.0", "6",
                                                               "Anteil an 6 Antworten", "", "", "", "",
                                                               "", "", "", "", ""]]  # no sources but phones: empty (#18)


def test_texts_csv_keeps_long_text_emoji_and_line_breaks_and_terms_csv(session):
    event, _q = _doebeln(session)
    made = _made([_question("Frei", rounds=(_round(n=3, texts=[LONG, "Zeile 1\r\nZeile 2; mit \"Zitat\"", "<script>x</script>"]),))])
    for dialect in csv_export.DIALECTS:
        texts = _parse(_csv(csv_export.write_texts_csv, [made], dialect), dialect)
        assert texts[0] == tables.titles("texts") and [r[-1] for r in texts[1:]] == [LONG, "Zeile 1\r\nZeile 2; mit \"Zitat\"",
                                                                                      "<script>x</script>"]
        assert len(texts[1][-1]) == 5000 and texts[1][0] == "Test <Abend>" and texts[1][2] == "2023-03-15"
        terms = _parse(_csv(csv_export.write_terms_csv, [event_results(session, event, now=NOW)], dialect), dialect)
        assert terms[0] == tables.titles("terms")
        assert sorted((r[7], r[8], r[9]) for r in terms[1:]) == sorted([
            ("Grün", "3", "60,0" if dialect == "excel-de" else "60.0"), ("Schön", "1", "20,0" if dialect == "excel-de" else "20.0"),
            ("'@Döbeln", "1", "20,0" if dialect == "excel-de" else "20.0")])


def test_csv_of_an_event_without_any_answers_and_an_unknown_dialect():
    empty = _made([_question("Nie", kind="single", options=["A"], rounds=(_round(rows=[Row(label="A", count=0, percent=None)]),))])
    rows = _parse(_csv(csv_export.write_results_csv, [empty], "excel-de"), "excel-de")
    assert rows[1][12:16] == ["0", "", "0", "keine Antworten (n = 0)"]
    assert _parse(_csv(csv_export.write_texts_csv, [empty], "standard"), "standard") == [tables.titles("texts")]
    with pytest.raises(ValueError):
        csv_export.write_results_csv([empty], io.BytesIO(), "excel")



def test_rounds_interim_and_small_groups_in_csv_and_summary():
    interim = dt.datetime(2023, 3, 15, 19, 5, tzinfo=dt.UTC)  # 20:05 in Döbeln
    first = Round(round=1, n=8, base_msg=BASES["single"], rows=(Row(label="Ja", count=2, percent=25.0), Row(label="Nein", count=6, percent=75.0)))
    second = Round(round=2, n=10, base_msg=BASES["single"], interim_at=interim,
                   rows=(Row(label="Ja", count=7, percent=70.0), Row(label="Nein", count=3, percent=30.0)))
    twice = QuestionResult(id=1, key="k1", text="Zweimal", kind="single", status=QuestionStatus.open, topic="Thema",
                           options=("Ja", "Nein"), rounds=(first, second))
    few = _question("Wenige", kind="ranking", qid=2, rounds=(Round(round=1, n=3, base_msg=BASES["ranking"], rows=(
        Row(label="A", count=5, percent=None, avg_rank=1.33), Row(label="B", count=1, percent=None, avg_rank=1.67))),))
    made = _made([twice, few])
    rows = _parse(_csv(csv_export.write_results_csv, [made], "standard"), "standard")[1:]
    assert [(r[8], r[9], r[10], r[12], r[13], r[14]) for r in rows[:4]] == [
        ("1", "abgeschlossen", "Ja", "2", "25.0", "8"), ("1", "abgeschlossen", "Nein", "6", "75.0", "8"),
        ("2", "Zwischenstand", "Ja", "7", "70.0", "10"), ("2", "Zwischenstand", "Nein", "3", "30.0", "10")]
    assert [(r[10], r[12], r[13], r[18]) for r in rows[4:]] == [("A", "5", "", ""), ("B", "1", "", "")]  # n < 5: counts only
    text = bundle.summary([made], None, "Lizenz X")
    assert "n = 10; Anteil an 10 Antworten; Runde 2 von 2; Zwischenstand, Stand 15.03.2023, 20:05" in text
    assert "Führende Antwort: Ja – 7 (70\u00a0%)" in text and "Führende Antwort: A – 5 Punkte\r\n" in text


def test_csvw_metadata_names_every_column_in_order_with_the_dialect(session):
    event, _q = _doebeln(session)
    results = [event_results(session, event, now=NOW)]
    for table, write in (("results", csv_export.write_results_csv), ("texts", csv_export.write_texts_csv),
                         ("terms", csv_export.write_terms_csv)):
        for dialect in csv_export.DIALECTS:
            meta = json.loads(json.dumps(csv_export.csv_metadata("x.csv", table, dialect, "Ergebnisse Döbeln")))
            header = _parse(_csv(write, results, dialect), dialect)[0]
            columns = meta["tableSchema"]["columns"]
            assert [c["titles"] for c in columns] == header
            assert [c["name"] for c in columns] == [c.name for c in tables.TABLES[table]]
            assert all(c["dc:description"] and c["datatype"] for c in columns)
            assert meta["@context"] == "http://www.w3.org/ns/csvw" and meta["url"] == "x.csv"
            assert meta["dc:license"] == settings.report_licence and meta["dc:title"] == "Ergebnisse Döbeln"
            assert meta["dialect"]["delimiter"] == (";" if dialect == "excel-de" else ",")
            assert meta["dialect"]["encoding"] == "utf-8" and meta["dialect"]["header"] is True
            assert meta["dialect"]["lineTerminators"] == ["\r\n"]
            decimals = [c["datatype"] for c in columns if c["name"] == "percent"]
            assert table == "texts" or decimals == ([{"base": "decimal", "format": {"decimalChar": ","}}] if dialect == "excel-de" else ["decimal"])
    with pytest.raises(ValueError):
        csv_export.csv_metadata("x.csv", "votes", "standard", "x")


# --- XLSX -------------------------------------------------------------------------------------------------------

def _xlsx(events, comparison=None):
    out = io.BytesIO()
    xlsx_export.write_xlsx(events, comparison, out)
    return out.getvalue()


def _book(data):
    return openpyxl.load_workbook(io.BytesIO(data))


def _cells(book):
    return [cell for sheet in book.worksheets for row in sheet.iter_rows() for cell in row]


def test_xlsx_sheets_numbers_text_and_no_formula_anywhere(session):
    event, _q = _doebeln(session)
    result = event_results(session, event, now=NOW)
    data = _xlsx([result])
    book = _book(data)
    assert book.sheetnames == ["Methode", "Döbeln 15.03.2023", "Freitext", "Begriffe"]
    for sheet in book.worksheets:
        assert sheet.freeze_panes == "A2" and sheet.auto_filter.ref and sheet.auto_filter.ref.startswith("A1:")
        assert all(cell.font.b for cell in sheet[1] if cell.value is not None)  # bold header row
    assert not [c.coordinate for c in _cells(book) if c.data_type == "f"]  # no formula cell anywhere
    sheet = book["Döbeln 15.03.2023"]
    rows = list(sheet.iter_rows(values_only=True))
    assert list(rows[0]) == tables.titles("results") and sheet.auto_filter.ref == f"A1:{chr(ord('A') + len(tables.titles('results')) - 1)}{len(rows)}"
    assert len(rows) - 1 == sum(max(len(r.rows), 1) for q in result.questions() for r in q.rounds)
    auto = next(r for r in sheet.iter_rows(min_row=2) if r[10].value == "Auto")
    assert [auto[i].value for i in (12, 13, 14)] == [5, 62.5, 8] and all(auto[i].data_type == "n" for i in (12, 13, 14))
    assert auto[13].number_format == "0.0" and auto[8].value == 1 and auto[8].data_type == "n"
    assert auto[3].value == dt.datetime(2023, 3, 15) and auto[3].number_format.upper() == "DD.MM.YYYY"
    formula = next(r for r in sheet.iter_rows(min_row=2) if r[10].value == "=1+1")[10]
    assert formula.data_type == "s" and formula.value == "=1+1"  # text, not a formula, not neutralised either
    scale = next(r for r in sheet.iter_rows(min_row=2, values_only=True) if r[6] == "Wie zufrieden?")
    # The mean as a number cell with its exact value (19 / 6); the cell's format shows it as 3.17.
    assert scale[16] == pytest.approx(19 / 6, abs=1e-12) and scale[17] == 3.0
    texts = list(book["Freitext"].iter_rows(values_only=True))
    assert sorted(r[-1] for r in texts[1:]) == sorted(['=HYPERLINK("http://evil.example")', "Mehr Grün in der Stadt!"])
    terms = list(book["Begriffe"].iter_rows(min_row=2))
    assert sorted((r[7].value, r[8].value) for r in terms) == [("@Döbeln", 1), ("Grün", 3), ("Schön", 1)]
    assert all(r[8].data_type == "n" and r[9].data_type == "n" for r in terms)
    method = [r[1] for r in book["Methode"].iter_rows(min_row=2, values_only=True)]
    assert any("nicht repräsentativ" in t for t in method) and settings.report_licence in method
    assert _xlsx([result]) == data  # the same data, the same bytes


def test_xlsx_cuts_text_at_the_cell_limit_and_keeps_emoji():
    huge = "x" * 40_000
    made = _made([_question("Frei", rounds=(_round(n=3, texts=[huge, LONG, "=1+1"]),))])
    book = _book(_xlsx([made]))
    cells = [r[-1] for r in book["Freitext"].iter_rows(min_row=2)]
    assert len(cells[0].value) == 32_767 and cells[0].value.endswith("… [gekürzt]") and cells[0].value.startswith("x" * 30_000)
    assert cells[1].value == LONG and cells[2].value == "=1+1" and cells[2].data_type == "s"
    heights = book["Freitext"].row_dimensions
    assert heights[2].height == heights[3].height > 400 and heights[4].height is None  # wrapped text gets tall rows (at most 409 pt)
    assert book.worksheets[1].title == "Döbeln 15.03.2023"


def test_sheet_names_are_made_valid_and_unique():
    taken = set()
    names = [xlsx_export.sheet_name(n, taken) for n in
             ["Döbeln", "döbeln", "a/b:c*?[x]\\y", "", "'", "History", "L" * 40, "L" * 40, "'Zitat'", "Methode"]]
    assert names == ["Döbeln", "döbeln (2)", "a-b-c---x--y", "Tabelle", "Tabelle (2)", "History (2)", "L" * 31,
                     "L" * 27 + " (2)", "Zitat", "Methode"]
    assert all(0 < len(n) <= 31 and not set(n) & set("[]:*?/\\") for n in names)
    events = [_made([], place=p, title=t, date=None, event_id=i)
              for i, (p, t) in enumerate([("Methode", "x"), ("Freitext", "y"), ("", ""), ("a[1]:b", "z"), ("a[1]:b", "z"),
                                          ("Ein sehr langer Ortsname, der nicht passt", "w")], start=1)]
    book = _book(_xlsx(events))
    assert book.sheetnames == ["Methode", "Methode (2)", "Freitext (2)", "Tabelle", "a-1--b", "a-1--b (2)",
                               "Ein sehr langer Ortsname, der n", "Freitext", "Begriffe"]


def _series(session):
    series = e_domain.create_series(session=session, title="Regionalkonferenzen 2023")
    made = [_doebeln(session, series_id=series.id, place=p, date=d)
            for p, d in (("Döbeln", dt.date(2023, 3, 15)), ("Frankenberg", dt.date(2023, 6, 14)), ("Freiberg", dt.date(2023, 11, 16)))]
    changed = made[1][1]["yesno"]
    changed.text = "Brauchen wir im Landkreis mehr Busse?"
    session.add(changed)
    session.commit()
    results = [event_results(session, e, now=NOW) for e, _q in made]
    return series, results, series_comparison(session, series, events=[e for e, _q in made], results=results)


def test_xlsx_comparison_sheet_per_event_and_pooled_with_flags(session):
    _series_, results, comparison = _series(session)
    book = _book(_xlsx(results, comparison))
    assert book.sheetnames == ["Methode", "Döbeln 15.03.2023", "Frankenberg 14.06.2023", "Freiberg 16.11.2023", "Vergleich",
                               "Freitext", "Begriffe"]
    sheet = book["Vergleich"]
    assert sheet.freeze_panes == "A2" and sheet.auto_filter.ref
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:9] == ("Frageschlüssel", "Frage", "Thema", "Fragetyp", "Hinweis", "Antwort", "Döbeln, 15.03.2023: n",
                           "Döbeln, 15.03.2023: führende Antwort", "Döbeln, 15.03.2023: Prozent")
    assert rows[0][-2:] == ("gepoolt, ungewichtet: n", "gepoolt, ungewichtet: Prozent")
    auto = next(r for r in rows if r[0] == "k-single" and r[5] == "Auto")
    assert auto[4] == "vergleichbar" and auto[6:9] == (8, "Auto", 62.5) and auto[-2:] == (24, 62.5)
    yes = next(r for r in rows if r[0] == "k-yesno" and r[5] == "Ja")
    assert yes[4] == "Wortlaut geändert – nicht gepoolt" and yes[-2:] == (None, None)
    numbers = [c for r in sheet.iter_rows(min_row=2) for c in r[6:] if isinstance(c.value, int | float)]
    assert numbers and all(c.data_type == "n" for c in numbers)
    assert not [c for c in _cells(book) if c.data_type == "f"]


# --- the bundle -------------------------------------------------------------------------------------------------

def _zip(events, comparison, pdf=None, stem=None):
    out = io.BytesIO()
    bundle.write_bundle(events, comparison, out, pdf=pdf, licence="Datenlizenz Deutschland – Namensnennung – Version 2.0",
                        stem=stem or bundle.file_stem(events))
    return out.getvalue()


def test_file_stems():
    doebeln = _made([], place="Döbeln")
    assert bundle.file_stem([doebeln]) == "2023-03-15_Doebeln"
    assert bundle.file_stem([_made([], place="Döbeln", date=None)]) == "ohne-Datum_Doebeln"
    assert bundle.file_stem([_made([], place="", title="Bürgerforum")]) == "2023-03-15_Buergerforum"
    two = [_made([], place="A", series="Regionalkonferenzen 2023"), _made([], place="B", series="Regionalkonferenzen 2023")]
    assert bundle.file_stem(two) == "Reihe_Regionalkonferenzen-2023"
    assert bundle.file_stem([doebeln], series="Reihe: Größe/Über") == "Reihe_Reihe-Groesse-Ueber"


def test_bundle_names_metadata_summary_licence_and_the_same_bytes_twice(session):
    _series_, results, comparison = _series(session)
    data = _zip(results, comparison, pdf=b"%PDF-1.7 stand-in")
    archive = zipfile.ZipFile(io.BytesIO(data))
    stem = "Reihe_Regionalkonferenzen-2023"
    assert archive.namelist() == [
        f"{stem}_Ergebnisse.pdf", f"{stem}_Ergebnisse.csv", f"{stem}_Ergebnisse.csv-metadata.json",
        f"{stem}_Ergebnisse_Standard.csv", f"{stem}_Ergebnisse_Standard.csv-metadata.json",
        f"{stem}_Freitext.csv", f"{stem}_Freitext.csv-metadata.json", f"{stem}_Begriffe.csv", f"{stem}_Begriffe.csv-metadata.json",
        f"{stem}_Ergebnisse.xlsx", f"{stem}_Zusammenfassung.txt", "LIZENZ.txt"]
    assert archive.testzip() is None and archive.read(f"{stem}_Ergebnisse.pdf") == b"%PDF-1.7 stand-in"
    assert {i.date_time for i in archive.infolist()} == {(2023, 3, 15, 19, 42, 0)}  # made_at in Döbeln's time
    for name in archive.namelist():
        if name.endswith(".csv"):
            meta = json.loads(archive.read(f"{name}-metadata.json"))
            dialect = "standard" if name.endswith("_Standard.csv") else "excel-de"
            assert meta["url"] == name and meta["dc:license"] == "Datenlizenz Deutschland – Namensnennung – Version 2.0"
            assert [c["titles"] for c in meta["tableSchema"]["columns"]] == _parse(archive.read(name), dialect)[0]
            assert archive.read(name).startswith(b"\xef\xbb\xbf") == (dialect == "excel-de")
    assert archive.read(f"{stem}_Ergebnisse.csv") == _csv(csv_export.write_results_csv, results, "excel-de")
    assert _book(archive.read(f"{stem}_Ergebnisse.xlsx")).sheetnames[-3:] == ["Vergleich", "Freitext", "Begriffe"]
    text = archive.read(f"{stem}_Zusammenfassung.txt").decode("utf-8")
    assert "nicht repräsentativ" in text and "Thema: Mobilität & Öffis" in text and "Regionalkonferenz Frankenberg" in text
    assert "- Wie kommen Sie zur Arbeit? (Einfachauswahl)\r\n  n = 8; Anteil an 8 Antworten\r\n  Führende Antwort: Auto – 5 (" + fmt.percent(62.5) + ")" in text
    assert "- Wie zufrieden? (Skala)\r\n  n = 6; Anteil an 6 Antworten; Mittelwert 3,17; Median 3\r\n" in text
    assert "- Nie gestellt (Einfachauswahl)\r\n  n = 0; keine Antworten (n = 0)\r\n  Ergebnis: keine Antworten (n = 0)" in text
    assert "- Brauchen wir mehr Busse? (Wortlaut geändert – nicht gepoolt)" in text  # the touched-up question in the comparison
    assert "- Wie kommen Sie zur Arbeit? (vergleichbar)\r\n  Döbeln, 15.03.2023: n = 8; führend: Auto\r\n" in text
    assert "  gepoolt, ungewichtet: n = 24; führend: Auto\r\n" in text
    licence = archive.read("LIZENZ.txt").decode("utf-8")
    assert "Lizenz: Datenlizenz Deutschland – Namensnennung – Version 2.0" in licence and bundle.DL_DE_BY in licence
    assert "Datenquelle: die Veranstalter, Ergebnisse der Saalumfragen – Reihe „Regionalkonferenzen 2023“" in licence
    assert _zip(results, comparison, pdf=b"%PDF-1.7 stand-in") == data  # the same data, the same bytes


def test_bundle_of_one_event_leaves_out_empty_text_and_term_files_and_a_missing_pdf():
    made = _made([_question("Bus?", kind="single", options=["Ja"], rounds=(_round(n=5, rows=[Row(label="Ja", count=5, percent=100.0)]),))])
    names = zipfile.ZipFile(io.BytesIO(_zip([made], None))).namelist()
    assert names == ["2023-03-15_Doebeln_Ergebnisse.csv", "2023-03-15_Doebeln_Ergebnisse.csv-metadata.json",
                     "2023-03-15_Doebeln_Ergebnisse_Standard.csv", "2023-03-15_Doebeln_Ergebnisse_Standard.csv-metadata.json",
                     "2023-03-15_Doebeln_Ergebnisse.xlsx", "2023-03-15_Doebeln_Zusammenfassung.txt", "LIZENZ.txt"]


# --- LibreOffice ------------------------------------------------------------------------------------------------

OFFICE = shutil.which("soffice") or shutil.which("libreoffice")
# Headless LibreOffice asks nobody how to read a CSV: without filter options it reads the system's 8-bit character
# set and commas (LibreOffice 7.4 ignores the byte order mark there), so the options name them, as a person picks
# them in the import dialog: separator, quote, UTF-8 (76), first line, language (1031 German, 1033 English).
INFILTER = {"excel-de": "CSV:59,34,76,1,,1031", "standard": "CSV:44,34,76,1,,1033"}


@pytest.mark.skipif(OFFICE is None, reason="LibreOffice (soffice) is not installed: apt-get install libreoffice-calc-nogui")
@pytest.mark.parametrize("dialect", csv_export.DIALECTS)
def test_libreoffice_opens_the_csv_with_umlauts_numbers_and_injection_as_text(tmp_path, dialect):
    made = _made([_question(s, kind="single", qid=i, rounds=(_round(n=6, rows=[Row(label="Übermäßig 😀", count=4, percent=200 / 3)]),))
                  for i, s in enumerate(OWASP, start=1)], place="Döbeln")
    source = tmp_path / f"{dialect}.csv"
    source.write_bytes(_csv(csv_export.write_results_csv, [made], dialect))
    subprocess.run([OFFICE, f"-env:UserInstallation=file://{tmp_path}/profile", "--headless", "--convert-to", "xlsx",
                    f"--infilter={INFILTER[dialect]}", "--outdir", str(tmp_path), str(source)],
                   check=True, timeout=180, capture_output=True)
    sheet = openpyxl.load_workbook(tmp_path / f"{dialect}.xlsx").active
    rows = list(sheet.iter_rows())
    assert [c.value for c in rows[0]] == tables.titles("results")  # "Frageschlüssel" intact
    assert len(rows) == len(OWASP) + 1
    for row, text in zip(rows[1:], OWASP, strict=True):
        assert row[2].value == "Döbeln" and row[10].value == "Übermäßig 😀"
        assert row[6].data_type == "s" and row[6].value.startswith("'")  # never a formula
        assert row[6].value[1:].replace("\n", "\r") == text.replace("\n", "\r")
        assert (row[12].value, row[13].value, row[14].value) == (4, 66.7, 6) and row[13].data_type == "n"


def test_the_organisation_is_named_as_source_when_set(monkeypatch):
    made = _made([_question("Bus?", kind="single", options=["Ja"], rounds=(_round(n=5, rows=[Row(label="Ja", count=5, percent=100.0)]),))])
    assert "dc:publisher" not in csv_export.csv_metadata("x.csv", "results", "standard", "x")
    monkeypatch.setattr(settings, "report_organisation", "Landkreis Mittelsachsen")
    assert csv_export.csv_metadata("x.csv", "results", "standard", "x")["dc:publisher"] == "Landkreis Mittelsachsen"
    licence = bundle.licence_text([made], None, "CC BY 4.0")
    assert licence.startswith("Lizenz: CC BY 4.0\r\n") and "Datenquelle: Landkreis Mittelsachsen, " in licence
    assert bundle.DL_DE_BY not in licence  # the link only for the Datenlizenz Deutschland
