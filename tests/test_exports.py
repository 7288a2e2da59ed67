"""The file exports (app/reports: csv_export, xlsx_export, bundle) read back: CSV bytes in both dialects and their
CSVW metadata, the XLSX through openpyxl, the ZIP bundle; hostile input (formula injection, 5,000 characters,
emoji, odd sheet names) and LibreOffice opening the CSV where it is installed."""

import csv
import datetime as dt
import io
import json
import uuid

import pytest

from app.config import settings
from app.domain import events as e_domain
from app.domain import questions as q_domain
from app.domain import votes as v_domain
from app.models import QuestionStatus
from app.reports import csv_export, tables
from app.reports.resultset import BASES, NO_ANSWERS, EventResults, QuestionResult, Round, Row, TopicResult, event_results

NOW = dt.datetime(2023, 3, 15, 18, 42, tzinfo=dt.UTC)
OWASP = ["=cmd|' /C calc'!A0", "+1+1", "-2+3+cmd|' /C calc'!A0", "@SUM(1+1)*cmd|' /C calc'!A0",
         '=HYPERLINK("http://evil.example","Klick")', "\t=1+1", "\r=1+1", "=1+1"]
LONG = ("Ä" * 4994) + "😀 Ende"  # 5,000 characters, an emoji among them


# --- building result sets -------------------------------------------------------------------------------------

def _votes(session, question, answers, round=1, moderation=""):
    rows = [v_domain.VoteRow(question_id=question.id, event_id=question.event_id, device_hash=uuid.uuid4().hex,
                             choices=a, vote_id=uuid.uuid4().hex, round=round, moderation=moderation) for a in answers]
    v_domain.insert_votes_directly(session=session, rows=rows)


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
                                                               "Anteil an 6 Antworten", "", "", "", ""]]


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
