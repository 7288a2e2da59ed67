"""Numbers that are right (#16, point 5): the protocol carries exact values and every page rounds them once, half
up, the same way; the percent base, the median of an even count and the tie-breaks are as docs/protocol.md says.

The browser side (phone, projector and control page showing "7,3" for a mean of 7.3469) is
tests/e2e/test_numbers.py."""

from app.domain import live as live_domain
from app.domain import review
from app.pages import live_number, live_share
from app.reports import csv_export, tables
from app.reports import formatting as fmt
from tests.factories import option_ids
from tests.test_question_kinds import make, results_of, store

# 49 votes on a scale of 1 to 10: 17 × 8 and 32 × 7 sum to 360, so the mean is 360 / 49 = 7.3469… ("7,3").
# Rounded to 2 digits first (7.35) and then to 1 it would read "7,4": the double rounding of issue 16.
SCALE_49 = [8] * 17 + [7] * 32
MEAN_49 = 360 / 49


def test_the_scale_mean_is_sent_exact_and_rounded_once(session, event):
    assert sum(SCALE_49) == 360 and len(SCALE_49) == 49
    q = make(session, event, "scale", scale_min=1, scale_max=10)
    for i, value in enumerate(SCALE_49):
        store(session, q, f"d{i}", (value,))
    r = results_of(session, q)
    assert r["voters"] == 49 and r["mean"] == MEAN_49 and r["median"] == 7  # exact: 7.346938775510204
    assert live_number(r["mean"]) == "7,3"  # phone, projector and control page (server-rendered as in results.js)
    assert live_number(round(r["mean"], 2)) == "7,4"  # what rounding twice said
    assert fmt.number(r["mean"], 2) == "7,35"  # the results pages and the report: two decimals, from the same value


def test_the_median_of_an_even_count_is_the_mean_of_the_two_middle_values(session, event):
    q = make(session, event, "scale", scale_min=1, scale_max=5)
    for i, value in enumerate([1, 2, 3, 4]):
        store(session, q, f"d{i}", (value,))
    r = results_of(session, q)
    assert r["median"] == 2.5 and r["mean"] == 2.5 and live_number(r["median"]) == "2,5"


def test_average_place_and_points_are_exact_in_the_protocol(session, event):
    rank = make(session, event, "ranking", ["A", "B", "C"])
    a, b, c = option_ids(session, rank)
    for i, answer in enumerate([(a, b, c), (b, a, c), (b, c, a)]):
        store(session, rank, f"r{i}", answer)
    r = results_of(session, rank)
    assert r["avg_rank"] == {str(a): 2.0, str(b): 4 / 3, str(c): 8 / 3}
    assert [live_number(r["avg_rank"][str(i)]) for i in (a, b, c)] == ["2", "1,3", "2,7"]

    points = make(session, event, "points", ["X", "Y", "Z"])
    x, y, z = option_ids(session, points)
    for i, answer in enumerate([{str(x): 100}, {str(y): 100}, {str(x): 50, str(z): 50}]):
        store(session, points, f"p{i}", answer)
    r = results_of(session, points)
    assert r["counts"] == {str(x): 150 / 3, str(y): 100 / 3, str(z): 50 / 3}
    assert [live_number(r["counts"][str(i)]) for i in (x, y, z)] == ["50", "33,3", "16,7"]


def test_display_rounding_is_half_up_as_the_browser_rounds():
    # Intl.NumberFormat (charts.js number) rounds "halfExpand" from the shortest decimal of the float: so does
    # formatting.half_up, and with it pages.live_number. Python's round() would say 2.2 and 7.3 here.
    for value, text in [(0.05, "0,1"), (2.25, "2,3"), (7.35, "7,4"), (7.3469, "7,3"), (7.96, "8"), (8.0, "8"),
                        (1234.56, "1.234,6"), (0, "0"), (None, "–")]:
        assert live_number(value) == text, value
    # Whole percentages of the voters, half up, as charts.js percent(): 1 of 8 is 12.5 %, shown as 13 %.
    assert [live_share(1, 8), live_share(1, 3), live_share(2, 3), live_share(3, 0)] == [13, 33, 67, 0]


def test_the_phone_page_without_javascript_rounds_the_mean_once(client, session, event):
    q = make(session, event, "scale", scale_min=1, scale_max=10)
    live_domain.open_question(session=session, question=q)
    live_domain.set_phone_results(session=session, question=q, mode="live")
    for i, value in enumerate(SCALE_49):
        store(session, q, f"d{i}", (value,))
    page = client.get(f"/j/{event.join_code}").text
    assert "Mittelwert 7,3 · Median 7" in page and "Ø 7,3" in page and "7,4" not in page
    # 17 of 49 chose 8: 34.69 % → 35 %; 32 of 49: 65.31 % → 65 %.
    assert "8: 17 Stimmen, 35 %" in page and "7: 32 Stimmen, 65 %" in page


def test_csv_files_round_the_exact_value_half_up():
    mean = next(c for c in tables.RESULT_COLUMNS if c.name == "mean")
    share = next(c for c in tables.RESULT_COLUMNS if c.name == "percent")
    assert csv_export.cell(MEAN_49, mean, "excel-de") == "7,35" and csv_export.cell(MEAN_49, mean, "standard") == "7.35"
    assert csv_export.cell(2.675, mean, "standard") == "2.68"  # Python's format would say 2.67
    assert csv_export.cell(12.25, share, "standard") == "12.3"  # and 12.2 here


def test_ties_and_hidden_terms_are_as_the_protocol_says(session, event):
    # Ranking: equal Borda points keep the moderator's order of the options.
    rank = make(session, event, "ranking", ["A", "B", "C"])
    a, b, c = option_ids(session, rank)
    store(session, rank, "r1", (c, a, b))
    store(session, rank, "r2", (a, c, b))
    r = results_of(session, rank)
    assert r["counts"][str(a)] == r["counts"][str(c)] == 3 and r["order"] == [a, c, b]
    # Word cloud: equal counts alphabetically by key; `counts` leaves hidden terms out, `terms` marks them.
    words = make(session, event, "wordcloud")
    store(session, words, "w1", ("Zug", "Bus"))
    store(session, words, "w2", ("Auto",))
    store(session, words, "w3", ("bus",))
    review.set_term_hidden(session=session, question=words, term="Zug", hidden=True)
    r = results_of(session, words)
    assert [(t["key"], t["n"], t["hidden"]) for t in r["terms"]] == [("bus", 2, False), ("auto", 1, False), ("zug", 1, True)]
    assert r["counts"] == {"bus": 2, "auto": 1}
