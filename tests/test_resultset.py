"""The result set (app/reports) against hand-counted answers: every kind, abstentions, rounds, the multiple-choice
base, small groups, no answers; the series comparison with its pooled column and its flags; the method note."""

import datetime as dt

from app.domain import events as e_domain
from app.domain import questions as q_domain
from app.models import QuestionStatus
from app.reports import charts, compare, method
from app.reports import formatting as fmt
from app.reports.resultset import event_results
from tests.factories import add_votes as _votes

NOW = dt.datetime(2023, 3, 15, 18, 42, tzinfo=dt.UTC)  # 19:42 in Döbeln


def _close(session, question, status=QuestionStatus.closed):
    question.status = status
    session.add(question)
    session.commit()


def _event(session, title="Regionalkonferenz Döbeln", place="Döbeln", date=dt.date(2023, 3, 15), series_id=None):
    event = e_domain.create_event(session=session, owner_id=None, title=title, place=place, date=date, series_id=series_id)
    return event, e_domain.add_topic(session=session, event_id=event.id, title="Mobilität")


def _q(session, topic, text, kind, options=(), key=None, **settings):
    extra = {"key": key} if key else {}
    return q_domain.create_question(session=session, topic=topic, text=text, kind=kind, options=list(options), **extra, **settings)


def _ids(session, question):
    return [o.id for o in q_domain.options_of(session=session, question_id=question.id)]


def _only(results):
    return {q.text: q for q in results.questions()}


def test_every_kind_against_hand_counts(session):
    event, topic = _event(session)
    single = _q(session, topic, "Single", "single", ["Auto", "Bus", "Rad"])
    multiple = _q(session, topic, "Multiple", "multiple", ["Takt", "Abend", "Preis"], max_choices=2)
    yesno = _q(session, topic, "Ja/Nein", "yesno")
    scale = _q(session, topic, "Skala", "scale", scale_min=1, scale_max=5)
    ranking = _q(session, topic, "Rangfolge", "ranking", ["A", "B", "C"])
    points = _q(session, topic, "Punkte", "points", ["X", "Y"])
    cloud = _q(session, topic, "Begriffe", "wordcloud")
    text = _q(session, topic, "Frei", "text")
    auto, bus, rad = _ids(session, single)
    _votes(session, single, [[auto]] * 5 + [[bus]] * 3)  # n = 8
    takt, abend, preis = _ids(session, multiple)
    _votes(session, multiple, [[takt, abend]] * 4 + [[takt]] * 2 + [[preis]] * 4)  # n = 10 people
    ja, nein, enth = _ids(session, yesno)
    _votes(session, yesno, [[ja]] * 6 + [[nein]] * 3 + [[enth]] * 1)
    _votes(session, scale, [[1], [2], [2], [4], [5], [5]])
    a, b, c = _ids(session, ranking)
    _votes(session, ranking, [[a, b, c]] * 3 + [[c, a, b]] * 2)
    x, y = _ids(session, points)
    _votes(session, points, [{str(x): 70, str(y): 30}] * 4 + [{str(x): 20, str(y): 80}])
    _votes(session, cloud, [["Bus", "Rad"], ["bus"], ["Bus"], ["Zug"], ["Rad"]])
    _votes(session, text, ["gut", "schön"], moderation="approved")
    _votes(session, text, ["offen"], moderation="pending")
    _votes(session, text, ["weg"], moderation="rejected")
    for q in (single, multiple, yesno, scale, ranking, points, cloud, text):
        _close(session, q)

    r = _only(event_results(session, event, now=NOW))

    s = r["Single"].final
    assert s.n == 8 and s.base() == "Anteil an 8 Antworten"
    assert [(row.label, row.count, row.percent) for row in s.rows] == [("Auto", 5, 62.5), ("Bus", 3, 37.5), ("Rad", 0, 0.0)]
    assert s.leading().label == "Auto" and s.interim_at is None

    m = r["Multiple"].final
    assert m.n == 10 and m.base() == "Mehrfachnennung: Prozent der 10 Abstimmenden"
    assert {row.label: row.percent for row in m.rows} == {"Takt": 60.0, "Abend": 40.0, "Preis": 40.0}  # of people: sums to 140

    yn = r["Ja/Nein"].final
    assert [(row.label, row.count, row.abstention) for row in yn.rows] == [("Ja", 6, False), ("Nein", 3, False), ("Enthaltung", 1, True)]
    assert yn.rows[2].percent == 10.0 and "Enthaltungen mitgezählt" in yn.base()

    sc = r["Skala"].final
    assert [row.count for row in sc.rows] == [1, 2, 0, 1, 2] and sc.mean == 19 / 6 and sc.median == 3.0

    rk = r["Rangfolge"].final
    # Borda (3 options: 2, 1, 0 points): A = 3·2 + 2·1 = 8, B = 3·1 + 0 = 3, C = 0 + 2·2 = 4
    assert [(row.label, row.count) for row in rk.rows] == [("A", 8), ("C", 4), ("B", 3)]
    assert rk.rows[0].avg_rank == 1.4 and all(row.percent is None for row in rk.rows)

    pt = r["Punkte"].final
    assert [(row.label, row.count, row.total) for row in pt.rows] == [("X", 60.0, 300), ("Y", 40.0, 200)]

    wc = r["Begriffe"].final
    assert [(row.label, row.count) for row in wc.rows] == [("Bus", 3), ("Rad", 2), ("Zug", 1)]
    assert wc.rows[0].percent == 60.0

    tx = r["Frei"].final
    assert sorted(tx.texts) == ["gut", "schön"] and tx.not_approved == 2 and tx.n == 4 and tx.rows == ()


def test_small_groups_show_counts_only_and_no_answers_divide_by_nothing(session):
    event, topic = _event(session)
    small = _q(session, topic, "Klein", "scale", scale_min=1, scale_max=3)
    never = _q(session, topic, "Nie gestellt", "single", ["A", "B"])
    _votes(session, small, [[1], [3]])
    _close(session, small)
    r = _only(event_results(session, event, now=NOW))
    assert r["Klein"].final.n == 2 and not r["Klein"].final.percents_shown
    assert all(row.percent is None for row in r["Klein"].final.rows) and r["Klein"].final.mean is None
    n0 = r["Nie gestellt"].final
    assert n0.n == 0 and n0.base() == "keine Antworten (n = 0)" and not r["Nie gestellt"].asked and n0.leading() is None
    assert [(row.label, row.count, row.percent) for row in n0.rows] == [("A", 0, None), ("B", 0, None)]
    del never


def test_rounds_side_by_side_and_an_open_round_is_an_interim_result(session):
    event, topic = _event(session)
    q = _q(session, topic, "Zweimal", "single", ["Ja", "Nein"])
    ja, nein = _ids(session, q)
    _votes(session, q, [[ja]] * 2 + [[nein]] * 6, round=1)
    _votes(session, q, [[ja]] * 7 + [[nein]] * 3, round=2)
    q.round = 2
    _close(session, q, QuestionStatus.open)
    result = _only(event_results(session, event, now=NOW))["Zweimal"]
    assert [(r.round, r.n, r.rows[0].count) for r in result.rounds] == [(1, 8, 2), (2, 10, 7)]
    assert result.rounds[0].interim_at is None and result.final.interim_at == NOW
    assert fmt.clock(result.final.interim_at) == "19:42"  # Europe/Berlin in winter: UTC+1


def test_left_out_questions_are_named_not_shown(session):
    event, topic = _event(session)
    keep = _q(session, topic, "Bleibt", "single", ["A", "B"])
    drop = _q(session, topic, "Fällt weg", "single", ["A", "B"])
    results = event_results(session, event, now=NOW, leave_out=frozenset({drop.id}))
    assert [q.text for q in results.questions()] == ["Bleibt"] and results.left_out == ("Fällt weg",)
    assert any("„Fällt weg“" in p for p in method.method_note([results]))
    del keep


def _series_of_three(session):
    series = e_domain.create_series(session=session, title="Regionalkonferenzen")
    made = []
    for place, date, spread in (("Döbeln", dt.date(2023, 3, 15), (6, 2)), ("Frankenberg", dt.date(2023, 6, 14), (1, 4)),
                                ("Freiberg", dt.date(2023, 11, 16), (3, 3))):
        event, topic = _event(session, title=f"Regionalkonferenz {place}", place=place, date=date, series_id=series.id)
        q = _q(session, topic, "Wie gefällt Ihnen das Format?", "single", ["Gut", "Schlecht"], key="k-format")
        good, bad = _ids(session, q)
        _votes(session, q, [[good]] * spread[0] + [[bad]] * spread[1])
        _close(session, q)
        made.append((event, topic))
    return series, made


def test_series_comparison_pools_identical_questions_only(session):
    series, made = _series_of_three(session)
    # Freiberg also asked a question of its own, and Frankenberg touched up a linked one.
    _q(session, made[2][1], "Nur in Freiberg", "single", ["A", "B"])
    for _event_, topic in made:
        text = "Kennen Sie den ÖPNV?" if _event_.place != "Frankenberg" else "Kennen Sie den ÖPNV im Landkreis?"
        _q(session, topic, text, "yesno", key="k-oepnv")
    result = compare.series_comparison(session, series, now=NOW)
    assert [e.place for e in result.events] == ["Döbeln", "Frankenberg", "Freiberg"] and not result.single_event
    by_key = {c.key: c for c in result.comparisons}
    fmt_q = by_key["k-format"]
    assert [c.result.n for c in fmt_q.columns] == [8, 5, 6] and fmt_q.comparable
    assert fmt_q.pooled is not None and fmt_q.pooled.n == 19
    assert [(r.label, r.count) for r in fmt_q.pooled.rows] == [("Gut", 10), ("Schlecht", 9)]
    oepnv = by_key["k-oepnv"]
    assert oepnv.wording_changed and not oepnv.comparable and oepnv.pooled is None
    assert [(n.event, n.text) for n in result.not_comparable] == [("Regionalkonferenz Freiberg", "Nur in Freiberg")]


def test_a_series_with_one_event_says_so(session):
    series = e_domain.create_series(session=session, title="Allein")
    event, topic = _event(session, series_id=series.id)
    _q(session, topic, "Eine Frage", "single", ["A", "B"])
    result = compare.series_comparison(session, series, now=NOW)
    assert result.single_event and result.comparisons == () and result.not_comparable == ()


def test_pooled_scale_median_and_mean(session):
    series = e_domain.create_series(session=session, title="Skalen")
    for place, values in (("A", [1, 1, 2, 5, 5]), ("B", [3, 4, 4, 4, 5, 5])):
        event, topic = _event(session, title=place, place=place, series_id=series.id)
        q = _q(session, topic, "Wie wichtig?", "scale", key="k-scale", scale_min=1, scale_max=5)
        _votes(session, q, [[v] for v in values])
        _close(session, q)
    pooled = compare.series_comparison(session, series, now=NOW).comparisons[0].pooled
    # all eleven: 1 1 2 3 4 4 4 5 5 5 5 → median 4, mean 39 / 11 (exact; printed as 3,55)
    assert pooled.n == 11 and pooled.median == 4.0 and pooled.mean == 39 / 11


def test_method_note_is_built_from_the_data(session):
    series, made = _series_of_three(session)
    event = made[0][0]
    event.people_in_hall = 120
    session.add(event)
    session.commit()
    note = " ".join(method.method_note([event_results(session, event, now=NOW)]))
    assert "„Regionalkonferenz Döbeln“ am 15.03.2023 in Döbeln" in note
    assert "etwa 120 Personen" in note and "zwischen 8 und 8" in note
    assert "nicht repräsentativ, sondern ein Stimmungsbild der Anwesenden" in note
    assert "ohne Anmeldung" in note and "Zwischenstand" not in note


def test_numbers_in_german():
    assert fmt.number(1234.5) == "1.234,5" and fmt.number(7) == "7" and fmt.number(None) == "–"
    assert fmt.percent(62.5) == "63\u00a0%" and fmt.percent(37.5) == "38\u00a0%" and fmt.percent(37.49) == "37\u00a0%"
    assert fmt.number(2.25, 1) == "2,3" and fmt.number(0.125, 2) == "0,13"  # half up, as by hand
    assert fmt.date(dt.date(2023, 3, 15)) == "15.03.2023" and fmt.file_part("Regionalkonferenz Döbeln") == "Regionalkonferenz-Doebeln"


def test_charts_say_everything_in_text_not_colour_alone(session):
    event, topic = _event(session)
    q = _q(session, topic, "Ja/Nein", "yesno")
    ja, nein, enth = _ids(session, q)
    _votes(session, q, [[ja]] * 6 + [[nein]] * 3 + [[enth]])
    _close(session, q)
    final = _only(event_results(session, event, now=NOW))["Ja/Nein"].final
    svg = charts.bar_chart(final, "yesno", title="Ja/Nein <Test>", uid="q1")
    assert 'role="img"' in svg and "<title>Ja/Nein &lt;Test&gt;</title>" in svg
    for text in ("Ja", "Nein", "Enthaltung", "6 (60\u00a0%)", "3 (30\u00a0%)", "1 (10\u00a0%)"):
        assert f">{text}</text>" in svg
    assert svg.count("<pattern") == 2 and charts.ABSTAIN_COLOUR in svg  # patterns as well as colours
