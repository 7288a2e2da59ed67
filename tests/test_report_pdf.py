"""The Kreistag report (app/reports/pdf_report.py) read back: tagged PDF/UA-1 with language, title, structure tree,
alt text on every chart and header cells (pikepdf); the words it must say (pypdf); hostile text escaped, kept and
wrapped; an event without votes; nothing fetched but data: URIs; pages that render to something (pypdfium2).

One series of two events is built and drawn once for the module (its own SQLite file: the PDF does not depend
on the database, and drawing costs seconds); the smaller cases draw their own.
"""

import datetime as dt
import io
from collections.abc import Iterator

import pikepdf
import pypdfium2 as pdfium
import pytest
from sqlmodel import Session, SQLModel

from app import db
from app.domain import events as e_domain
from app.domain import questions as q_domain
from app.models import QuestionStatus
from app.reports import compare, pdf_report, report_view
from app.reports.resultset import BASES, EventResults, QuestionResult, Round, Row, event_results
from tests.factories import add_votes as _votes

NOW = dt.datetime(2023, 6, 14, 17, 42, tzinfo=dt.UTC)  # 19:42 in Frankenberg (summer time)
LICENCE = "Datenlizenz Deutschland – Namensnennung – Version 2.0"
LONG = ("Busverbindung" * 5 + " ") * 60 + "Ende-des-langen-Textes"  # ≈ 5,000 characters, some of it one unbroken word
LONG_WORD = "X" * 1200  # no place to break at all
SCRIPT = "<script>alert(1)</script>"
EMOJI = "Mehr Radwege 😀🙂 bitte"  # DejaVu Sans draws 😀; 🙂 it lacks (a box on paper, still text in the PDF)
LINK = "http://127.0.0.1:9/tracker.png"
TITLE = "Regionalkonferenzen 2023 – Bericht 😀"


def _ids(session, question):
    return [o.id for o in q_domain.options_of(session=session, question_id=question.id)]


def _done(session, question, status=QuestionStatus.closed):
    question.status = status
    session.add(question)
    session.commit()


def _event(session, place, date, series_id=None):
    return e_domain.create_event(session=session, owner_id=None, title=f"Regionalkonferenz {place}", place=place, date=date,
                                 series_id=series_id)


def _series(session):
    """Döbeln and Frankenberg from one agenda: a linked single choice (pooled), a reworded yes/no (flagged), a
    ranking, a word cloud and open text with hostile answers; a round 2 still open in Frankenberg; a left-out
    question; a small group (n = 3)."""
    series = e_domain.create_series(session=session, title="Regionalkonferenzen Agenda 2030")
    events = []
    for place, date, spread in (("Döbeln", dt.date(2023, 3, 15), (6, 2, 1)), ("Frankenberg", dt.date(2023, 6, 14), (1, 4, 3))):
        event = _event(session, place, date, series.id)
        mobility = e_domain.add_topic(session=session, event_id=event.id, title="Mobilität")
        format_ = e_domain.add_topic(session=session, event_id=event.id, title="Zum Format")
        way = q_domain.create_question(session=session, topic=mobility, text="Wie kommen Sie meistens zur Arbeit?", kind="single",
                                       options=["Auto", "Bus oder Bahn", "Fahrrad"], key="k-way")
        auto, bus, rad = _ids(session, way)
        _votes(session, way, [[auto]] * spread[0] + [[bus]] * spread[1] + [[rad]] * spread[2])
        if place == "Frankenberg":
            _votes(session, way, [[auto]] * 2 + [[bus]] * 7, round=2)
            way.round = 2
            _done(session, way, QuestionStatus.open)
        else:
            _done(session, way)
        rank = q_domain.create_question(session=session, topic=mobility, text="Was ist Ihnen am wichtigsten?", kind="ranking",
                                        options=["Takt", "Preis", "Nähe"], key="k-rank")
        a, b, c = _ids(session, rank)
        _votes(session, rank, [[a, b, c]] * 4 + [[c, b, a]] * 2)
        _done(session, rank)
        wording = "Kommen Sie wieder?" if place == "Döbeln" else "Kommen Sie nächstes Jahr wieder?"
        again = q_domain.create_question(session=session, topic=format_, text=wording, kind="yesno", options=[], key="k-again")
        ja, nein, enth = _ids(session, again)
        _votes(session, again, [[ja]] * 2 + [[enth]])  # n = 3: counts only
        _done(session, again)
        cloud = q_domain.create_question(session=session, topic=format_, text="Ein Wort zum Abend?", kind="wordcloud", options=[], key="k-cloud")
        _votes(session, cloud, [["Spannend"], ["spannend", "Lang"], ["Kaffee"], ["Spannend"], [EMOJI[:20]]])
        _done(session, cloud)
        free = q_domain.create_question(session=session, topic=format_, text="Was sollte der Landkreis anpacken?", kind="text", options=[],
                                        key="k-free")
        _votes(session, free, [LONG, SCRIPT, EMOJI, f"Siehe {LINK}", LONG_WORD], moderation="approved")
        _votes(session, free, ["noch offen"], moderation="pending")
        _done(session, free)
        if place == "Döbeln":
            q_domain.create_question(session=session, topic=format_, text="Vertrauliche Testfrage", kind="single", options=["A", "B"])
        events.append(event)
    return series, events


@pytest.fixture(scope="module")
def drawn(tmp_path_factory) -> Iterator[dict]:
    engine = db.make_engine(f"sqlite:///{tmp_path_factory.mktemp('report')}/report.db")
    SQLModel.metadata.create_all(engine)
    with Session(engine, expire_on_commit=False) as session:
        series, events = _series(session)
        secret = next(q.id for q in q_domain.ordered_questions(session=session, event_id=events[0].id) if q.text.startswith("Vertraulich"))
        results = [event_results(session, e, now=NOW, leave_out=frozenset({secret})) for e in events]
        comparison = compare.series_comparison(session, series, events=events, results=results)
    engine.dispose()
    preface = f"Für den Kreistag.\n\n{SCRIPT} {LONG_WORD[:300]}"
    pdf = pdf_report.report_pdf(results, comparison, preface=preface, licence=LICENCE, title=TITLE, left_out_events=["Regionalkonferenz Freiberg"])
    html = pdf_report.report_html(results, comparison, preface=preface, licence=LICENCE, title=TITLE)
    text = _text(pdf)
    yield {"pdf": pdf, "html": html, "text": text, "results": results}


def _text(pdf: bytes) -> str:
    """The text of every page (pdfium's extraction: pypdf mis-reads WeasyPrint's two-byte font encoding)."""
    document = pdfium.PdfDocument(pdf)
    try:
        # pdfium marks a hyphen it found at a line's end as U+FFFE
        return "\n".join(page.get_textpage().get_text_range() for page in document).replace("\ufffe", "-")
    finally:
        document.close()


def _elements(node, found=None) -> list:
    """Every structure element below `node` (a /StructTreeRoot or /StructElem), depth first."""
    found = [] if found is None else found
    kids = node.get("/K")
    if kids is None:
        return found
    for kid in (kids if isinstance(kids, pikepdf.Array) else [kids]):
        if isinstance(kid, pikepdf.Dictionary) and kid.get("/S") is not None:
            found.append(kid)
            _elements(kid, found)
    return found


def _outline_titles(items, found=None) -> list[str]:
    found = [] if found is None else found
    for item in items:
        found.append(str(item.title))
        _outline_titles(item.children, found)
    return found


def test_the_report_is_tagged_pdf_ua_with_language_title_alt_texts_and_bookmarks(drawn):
    with pikepdf.open(io.BytesIO(drawn["pdf"])) as pdf:
        root = pdf.Root
        assert bool(root.MarkInfo.Marked) is True
        assert str(root.Lang) == "de"
        assert bool(root.ViewerPreferences.DisplayDocTitle) is True
        assert str(pdf.docinfo["/Title"]) == TITLE
        meta = pdf.open_metadata()
        assert meta.get("dc:title") == TITLE and str(meta.get("pdfuaid:part")) == "1"
        elements = _elements(root.StructTreeRoot)
        kinds = [str(e.S) for e in elements]
        figures = [e for e in elements if e.S == "/Figure"]
        # one chart per round of every question with answers, text questions drawn none: per event way (1 or 2
        # rounds), rank, again, cloud → 4 + 5
        assert len(figures) == 9
        alts = [str(f.get("/Alt", "")).replace("\u00a0", " ") for f in figures]
        assert all(alt.startswith("Balkendiagramm") for alt in alts), alts
        assert any("Auto 6 (67 %); Bus oder Bahn 2 (22 %); Fahrrad 1 (11 %)" in alt for alt in alts), alts
        assert any("Runde 2 – Ergebnis: Auto 2 (22 %); Bus oder Bahn 7 (78 %); Fahrrad 0 (0 %). Anteil an 9 Antworten. "
                   "Zwischenstand, Stand 19:42." in alt for alt in alts), alts
        assert kinds.count("/TH") >= 20 and "/Table" in kinds and "/Caption" in kinds
        # every data cell points at its row header (<th scope="row">) and its column header (<th scope="col">)
        cells = [e for e in elements if e.S == "/TD"]
        assert cells and all(len(cell.A.Headers) == 2 for cell in cells)
        assert {"/H1", "/H2", "/H3", "/H4"} <= set(kinds)
        assert "/Outlines" in root
        with pdf.open_outline() as outline:
            titles = _outline_titles(outline.root)
    assert TITLE in titles and "Zur Methode" in titles and "Mobilität" in titles and "Anhang" in titles
    assert "Vergleich über die Veranstaltungen" in titles and "Wie kommen Sie meistens zur Arbeit?" in titles


def test_the_report_says_wording_n_method_comparison_left_out_and_licence(drawn):
    text = " ".join(drawn["text"].split())
    for expected in ("Wie kommen Sie meistens zur Arbeit?", "n = 9", "Döbeln, 15.03.2023", "Frankenberg, 14.06.2023",
                     "nicht repräsentativ", "gepoolt, ungewichtet", "Auf Wunsch nicht aufgenommen",
                     "Regionalkonferenz Döbeln: „Vertrauliche Testfrage“", "Veranstaltung: Regionalkonferenz Freiberg",
                     "Zwischenstand, Stand 19:42", "Runde 1: n = 8 · Runde 2: n = 9", "Borda-Punkte", "Ø Platz",
                     "Weniger als 5 Antworten: nur Anzahlen", "Achtung: Der Wortlaut wurde", "Kommen Sie nächstes Jahr wieder?",
                     "Spannend", "1 Antwort wurde nicht freigegeben", LICENCE, "Seite 2 von"):
        assert expected in text, expected
    assert "Vertrauliche Testfrage" not in text.split("Auf Wunsch nicht aufgenommen")[0].split("Zur Methode")[0]
    # the small group (n = 3) shows counts only: no share appears beside its rows in the table
    assert "Ja 2 67" not in text and "Enthaltung 1 33" not in text


def test_hostile_text_is_escaped_kept_and_wrapped(drawn):
    html, text = drawn["html"], drawn["text"]
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and SCRIPT not in html
    assert f'src="{LINK}' not in html and "<img" in html
    flat = "".join(text.split())
    for kept in (SCRIPT, "😀🙂", LINK, "Ende-des-langen-Textes", LONG_WORD[:400]):
        assert "".join(kept.split()) in flat, kept
    document = pdfium.PdfDocument(drawn["pdf"])
    try:
        for page in document:
            width = page.get_width()
            textpage = page.get_textpage()
            for i in range(textpage.count_chars()):
                left, _bottom, right, _top = textpage.get_charbox(i)
                assert left >= -1 and right <= width + 1, f"text runs off the page ({right:.0f} > {width:.0f})"
    finally:
        document.close()


def test_pages_render_to_something_not_blank(drawn):
    document = pdfium.PdfDocument(drawn["pdf"])
    try:
        assert len(document) >= 5
        for number in (0, 2):
            image = document[number].render(scale=50 / 72).to_pil().convert("RGB")
            colours = image.getcolors(maxcolors=1 << 16) or []
            ink = sum(count for count, rgb in colours if sum(rgb) < 600)
            assert ink > 500, f"page {number + 1} is (nearly) blank"
        chart_page = document[2].render(scale=50 / 72).to_pil().convert("RGB")
        assert any(abs(r - 0x00) < 40 and abs(g - 0x72) < 40 and abs(b - 0xB2) < 40 for _n, (r, g, b) in chart_page.getcolors(1 << 16))
    finally:
        document.close()


def test_an_event_without_votes_renders_no_answers(session):
    event = _event(session, "Roßwein", None)
    topic = e_domain.add_topic(session=session, event_id=event.id, title="Leer")
    q_domain.create_question(session=session, topic=topic, text="Nie gestellt?", kind="single", options=["A", "B"])
    q_domain.create_question(session=session, topic=topic, text="Auch nie?", kind="scale", options=[], scale_min=1, scale_max=5)
    results = event_results(session, event, now=NOW)
    pdf = pdf_report.report_pdf([results], None, licence=LICENCE)
    text = " ".join(_text(pdf).split())
    assert text.count("keine Antworten (n = 0)") == 2 and "Ergebnisse: Regionalkonferenz Roßwein" in text
    assert "Es wurden noch keine Antworten abgegeben." in text and "ohne Datum" in text
    with pikepdf.open(io.BytesIO(pdf)) as doc:
        assert not [e for e in _elements(doc.Root.StructTreeRoot) if e.S == "/Figure"]


def test_a_series_with_one_event_says_there_is_nothing_to_compare(session):
    series = e_domain.create_series(session=session, title="Allein")
    _event(session, "Döbeln", dt.date(2023, 3, 15), series.id)
    comparison = compare.series_comparison(session, series, now=NOW)
    pdf = pdf_report.report_pdf(list(comparison.events), comparison, licence="")
    text = " ".join(_text(pdf).split())
    assert "nur eine Veranstaltung" in text and "Keine Lizenz angegeben." in text


def test_the_fetcher_refuses_everything_but_data_uris(session, monkeypatch):
    fetcher = pdf_report.local_only_fetcher()
    for url in (LINK, "https://example.org/x.png", "file:///etc/passwd", "ftp://example.org/x"):
        with pytest.raises(pdf_report.FetchRefused):
            fetcher.fetch(url)
    assert fetcher.fetch("data:text/plain;base64,aGFsbG8=").read() == b"hallo"
    asked: list[str] = []
    make = pdf_report.local_only_fetcher

    def spy():
        inner = make()
        original = inner.fetch

        def fetch(url, headers=None):
            asked.append(url)
            return original(url, headers)

        inner.fetch = fetch
        return inner

    monkeypatch.setattr(pdf_report, "local_only_fetcher", spy)
    event = _event(session, "Mittweida", dt.date(2023, 9, 1))
    topic = e_domain.add_topic(session=session, event_id=event.id, title="Links")
    q = q_domain.create_question(session=session, topic=topic, text=f"Kennen Sie {LINK}?", kind="single", options=[LINK, "Nein"])
    first, second = _ids(session, q)
    _votes(session, q, [[first]] * 3 + [[second]] * 3)
    _done(session, q)
    pdf = pdf_report.report_pdf([event_results(session, event, now=NOW)], None, licence=LICENCE, preface=f'<img src="{LINK}">')
    assert asked and all(url.startswith("data:") for url in asked), asked
    assert LINK in "".join(_text(pdf).split())


def test_rounds_line_up_by_answer_and_numbers_print_in_german():
    """A ranking's rows come in Borda order, which differs between rounds: the table matches them by answer."""
    first = Round(round=1, n=1587, base_msg=BASES["ranking"], rows=(Row("A", 30, None, avg_rank=1.2), Row("B", 10, None, avg_rank=1.8)))
    second = Round(round=2, n=12, base_msg=BASES["ranking"], rows=(Row("B", 20, None, avg_rank=1.1), Row("A", 4, None, avg_rank=1.9)))
    question = QuestionResult(id=7, key="k", text="Rangfolge?", kind="ranking", status="closed", topic="T", options=("A", "B"),
                              rounds=(first, second))
    event = EventResults(id=1, title="Döbeln", place="Döbeln", date=dt.date(2023, 3, 15), series_id=None, series_title=None,
                         people_in_hall=None, voting_cards=False, topics=(), made_at=NOW)
    shown = report_view.question_view(event, question)
    assert shown.table is not None and shown.table.head == ("Antwort", "Runde 1: Borda-Punkte", "Runde 1: Ø Platz",
                                                            "Runde 2: Borda-Punkte", "Runde 2: Ø Platz")
    assert shown.table.rows == (("B", ("10", "1,80", "20", "1,10")), ("A", ("30", "1,20", "4", "1,90")))
    assert shown.n_line == "Runde 1: n = 1.587 · Runde 2: n = 12"
    assert shown.rounds[0].base.startswith("Borda-Punkte von 1.587 Abstimmenden") and shown.rounds[1].label == "Runde 2 – Ergebnis"
