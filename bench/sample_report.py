"""Make the sample Kreistag report in docs/reports/ from demo data, and time it.

    uv run --frozen python -m bench.sample_report                       # docs/reports/Regionalkonferenzen_Ergebnisse.pdf + 3 PNGs
    uv run --frozen python -m bench.sample_report --voters 2000 --out /tmp/big   # the benchmark size

A temporary SQLite database gets the demo series "Regionalkonferenzen Agenda 2030": Döbeln (15.03.2023),
Frankenberg (14.06.2023) and Freiberg (16.11.2023), made from one agenda (linked questions), each with its own
spread of answers, a round 2 in Frankenberg, a reworded question and a question of its own in Freiberg. When
`saalumfrage demo --with-votes` already makes that series (app.demo.seed), the script uses it; otherwise, or
with --voters, it builds the series itself with the same domain calls. Then it builds the result sets, the
comparison and the PDF (app.reports.pdf_report.report_pdf) and renders three pages to PNG with pypdfium2.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import tempfile
import time
import uuid
from pathlib import Path

from sqlmodel import Session, SQLModel, select

from app import db, demo
from app.config import settings
from app.domain import events as e_domain
from app.domain import questions as q_domain
from app.domain import votes as v_domain
from app.models import Question, QuestionStatus, Series
from app.reports import compare
from app.reports.pdf_report import report_pdf
from app.reports.resultset import event_results

ROOT = Path(__file__).resolve().parent.parent

PLACES = (("Döbeln", dt.date(2023, 3, 15)), ("Frankenberg", dt.date(2023, 6, 14)), ("Freiberg", dt.date(2023, 11, 16)))
REWORDED = ("Wie kommen Sie meistens zur Arbeit, Schule oder Ausbildung?",
            "Wie kommen Sie an den meisten Tagen zur Arbeit, Schule oder Ausbildung?")
ROUND_TWO = "Sollte es weitere Regionalkonferenzen geben?"
OWN = ("Sollte der Landkreis die Bergstadt-Buslinie nach Freiberg verlängern?", "yesno", [], {})
PREFACE = ("Dieser Bericht fasst die Saalumfragen der drei Regionalkonferenzen zur Kreisentwicklungsstrategie "
           "„Agenda 2030“ zusammen. Er ist für die Beratung im Kreistag und in seinen Ausschüssen bestimmt.\n\n"
           "Die Beispieldaten sind erfunden (Demodaten der Saalumfrage).")


def _answer(kind: str, question: Question, options: list, weights: list[int], rng: random.Random, i: int) -> tuple[object, str]:
    if kind in ("single", "yesno"):
        return (rng.choices(options, weights)[0].id,), ""
    if kind == "multiple":
        k = rng.randint(1, question.max_choices or len(options))
        return tuple(sorted({rng.choices(options, weights)[0].id for _ in range(k)})), ""
    if kind == "scale":
        values = list(range(question.scale_min, question.scale_max + 1))
        tilt = weights[0] if weights else 3
        return (rng.choices(values, [1 + abs(v - tilt % len(values)) for v in range(len(values))][::-1])[0],), ""
    if kind == "ranking":
        return tuple(o.id for o in sorted(options, key=lambda o: -weights[options.index(o)] * rng.random())), ""
    if kind == "points":
        cuts = sorted(rng.sample(range(0, 101, 10), len(options) - 1))
        shares = [b - a for a, b in zip([0, *cuts], [*cuts, 100], strict=True)]
        ranked = sorted(options, key=lambda o: -weights[options.index(o)] * rng.random())
        return {str(o.id): n for o, n in zip(ranked, sorted(shares, reverse=True), strict=True) if n}, ""
    if kind == "wordcloud":
        words = demo.WORDS
        return tuple(dict.fromkeys(rng.choices(words, [len(words) - k + weights[0] for k in range(len(words))], k=rng.randint(1, 3)))), ""
    text = demo.ANSWERS[i % len(demo.ANSWERS)]
    return text, ("approved" if i % 3 != 2 else "pending")


def _vote(session: Session, question: Question, rng: random.Random, voters: int, round_: int = 1) -> None:
    options = q_domain.options_of(session=session, question_id=question.id)
    weights = [rng.randint(1, 10) for _ in options] or [rng.randint(0, 6)]
    count = voters if question.kind != "text" else min(voters, 12)
    rows = []
    for i in range(int(count * rng.uniform(0.75, 1.0))):
        picked, moderation = _answer(question.kind, question, options, weights, rng, i)
        rows.append(v_domain.VoteRow(question_id=question.id, event_id=question.event_id, device_hash=uuid.uuid4().hex,
                                     choices=picked, vote_id=uuid.uuid4().hex, round=round_, moderation=moderation))
    v_domain.insert_votes_directly(session=session, rows=rows)


def build_series(session: Session, voters: int) -> Series:
    """The three events from one agenda (shared question keys), with votes."""
    series = e_domain.create_series(session=session, title=demo.DEMO_SERIES)
    for index, (place, date) in enumerate(PLACES):
        event = e_domain.create_event(session=session, owner_id=None, title=f"Regionalkonferenz {place}", place=place,
                                      date=date, series_id=series.id)
        event.people_in_hall = int(voters * 1.1)
        session.add(event)
        session.commit()
        rng = random.Random(f"{place}-{voters}")
        number = 0
        for title, questions in demo.AGENDA:
            topic = e_domain.add_topic(session=session, event_id=event.id, title=title)
            made = [(text, kind, options, {"max_choices": mc} if mc else {}) for text, kind, options, mc in questions]
            made += demo.MORE_KINDS.get(title, [])
            for text, kind, options, extra in made:
                number += 1
                if place == "Freiberg" and text == REWORDED[0]:
                    text = REWORDED[1]
                question = q_domain.create_question(session=session, topic=topic, text=text, kind=kind, options=options,
                                                    key=f"demo-{number}", **extra)
                _vote(session, question, rng, voters)
                if place == "Frankenberg" and text == ROUND_TWO:
                    question.round = 2
                    session.add(question)
                    session.commit()
                    _vote(session, question, random.Random(f"{place}-r2"), voters, round_=2)
                question.status = QuestionStatus.closed
                session.add(question)
                session.commit()
            if place == "Freiberg" and title == "Mobilität":
                text, kind, options, extra = OWN
                own = q_domain.create_question(session=session, topic=topic, text=text, kind=kind, options=options, **extra)
                _vote(session, own, rng, voters)
                own.status = QuestionStatus.closed
                session.add(own)
                session.commit()
        del index
    return series


def demo_series(session: Session) -> Series | None:
    """The series `demo --with-votes` makes, when this version of app.demo makes all three events."""
    demo.seed(session, with_votes=True)
    series = session.exec(select(Series).where(Series.title == demo.DEMO_SERIES)).first()
    if series is None or len(compare.series_events(session, series.id)) < len(PLACES):
        return None
    return series


def render_pages(pdf: bytes, pages: list[int], out: Path, stem: str, dpi: int = 100) -> list[Path]:
    """PNGs of some pages (1-based) at about `dpi`."""
    import pypdfium2 as pdfium

    document = pdfium.PdfDocument(pdf)
    written = []
    for number in pages:
        if number > len(document):
            continue
        image = document[number - 1].render(scale=dpi / 72).to_pil()
        path = out / f"{stem}_Seite{number}.png"
        image.save(path, optimize=True)
        written.append(path)
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "reports")
    parser.add_argument("--voters", type=int, default=0, help="voters per event (0: the demo's own data)")
    parser.add_argument("--pages", default="1,4,12", help="pages to render to PNG")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        engine = db.make_engine(f"sqlite:///{tmp}/sample.db")
        SQLModel.metadata.create_all(engine)
        db.set_engine(engine)
        with Session(engine, expire_on_commit=False) as session:
            started = time.perf_counter()
            series = None if args.voters else demo_series(session)
            source = "app.demo.seed(with_votes=True)"
            if series is None:
                series = build_series(session, args.voters or 60)
                source = f"own builder, {args.voters or 60} voters per event"
            seeded = time.perf_counter()
            events = compare.series_events(session, series.id)
            now = dt.datetime(2023, 11, 16, 21, 0, tzinfo=dt.UTC)
            results = [event_results(session, e, now=now) for e in events]
            comparison = compare.series_comparison(session, series, events=events, results=results)
            aggregated = time.perf_counter()
        pdf = report_pdf(results, comparison, preface=PREFACE, licence=settings.report_licence)
        drawn = time.perf_counter()
        engine.dispose()
    path = args.out / "Regionalkonferenzen_Ergebnisse.pdf"
    path.write_bytes(pdf)
    pngs = render_pages(pdf, [int(p) for p in args.pages.split(",")], args.out, "Regionalkonferenzen_Ergebnisse")
    questions = sum(1 for r in results for _q in r.questions())
    print(f"data: {source}; {len(results)} events, {questions} questions")
    print(f"seed {seeded - started:.1f} s, result sets + comparison {aggregated - seeded:.2f} s, PDF {drawn - aggregated:.2f} s, "
          f"{len(pdf) / 1024:.0f} KiB -> {path}")
    for png in pngs:
        print(f"page -> {png}")


if __name__ == "__main__":
    main()
