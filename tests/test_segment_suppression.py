"""Small-group suppression of segment breakdowns (#18): primary, secondary and differencing attacks.

The attacks are checked by brute force, independent of the max-flow the suppression itself uses: every table
an onlooker could hold for true given what is published is enumerated.
"""

import itertools
import random
import uuid
from collections.abc import Iterator

import pytest
from sqlmodel import select

from app.domain import disclosure, segments
from app.domain import events as e_domain
from app.domain import live as l_domain
from app.domain import questions as q_domain
from app.domain import votes as v_domain
from app.domain.disclosure import HIDDEN, SHOWN, SMALL, THRESHOLD
from app.domain.errors import Conflict
from app.models import Event, Vote
from tests.factories import make_event, option_ids, questions_of


def _consistent(cells, marks, floor=None) -> Iterator[list[list[int]]]:
    """Every table an onlooker cannot rule out: shown cells as shown, "< 5" 0–4, "×" at least 5, row sums (the
    overall result) and column sums (group sizes) as in the truth, each cell at least its public part.
    `marks` None: nothing of the breakdown published, only the sums and the public parts."""
    rows, cols = len(cells), len(cells[0])
    floor = floor or [[0] * cols for _ in range(rows)]
    row_sums = [sum(r) for r in cells]
    col_sums = [sum(cells[i][j] for i in range(rows)) for j in range(cols)]

    def options(i, j, left):
        mark = SHOWN if marks is None else marks[i][j]
        if marks is None:
            values = range(floor[i][j], left[j] + 1)
        elif mark == SHOWN:
            values = range(cells[i][j], cells[i][j] + 1)
        elif mark == SMALL:
            values = range(floor[i][j], THRESHOLD)
        else:
            values = range(max(THRESHOLD, floor[i][j]), row_sums[i] + 1)
        return [v for v in values if v <= left[j]]

    def row_parts(i, j, left, need):
        if j == cols:
            if need == 0:
                yield []
            return
        for v in options(i, j, left):
            if v <= need:
                for rest in row_parts(i, j + 1, left, need - v):
                    yield [v, *rest]

    def rows_from(i, left):
        if i == rows:
            if not any(left):
                yield []
            return
        for row in row_parts(i, 0, left, row_sums[i]):
            for rest in rows_from(i + 1, [a - b for a, b in zip(left, row, strict=True)]):
                yield [row, *rest]

    yield from rows_from(0, col_sums)


def _values(tables) -> dict[tuple[int, int], set[int]]:
    seen: dict[tuple[int, int], set[int]] = {}
    for table in tables:
        for i, row in enumerate(table):
            for j, value in enumerate(row):
                seen.setdefault((i, j), set()).add(value)
    return seen


def _revealed(cells, marks, floor=None) -> list[tuple[int, int]]:
    """Small cells that take one value in every table the onlooker cannot rule out, where the public sums
    and parts alone (nothing of the breakdown shown) would leave more than one."""
    published = _values(_consistent(cells, marks, floor))
    public = _values(_consistent(cells, None, floor))
    return sorted(c for c, values in published.items()
                  if marks[c[0]][c[1]] == SMALL and len(values) == 1 and len(public[c]) > 1)


def test_a_cell_under_five_is_small_and_its_row_and_column_get_a_second_suppression():
    cells = [[8, 6, 3], [7, 5, 8], [6, 7, 5]]
    marks = disclosure.protect(cells)
    assert marks is not None
    assert marks[0][2] == SMALL
    assert sum(m != SHOWN for m in marks[0]) >= 2
    assert sum(marks[i][2] != SHOWN for i in range(3)) >= 2
    assert HIDDEN in {m for row in marks for m in row}
    assert _revealed(cells, marks) == []


def test_overall_result_and_group_sizes_do_not_give_a_small_cell_away():
    """The differencing attack: overall per-option result minus the shown cells, and group size minus the
    shown cells of its column, leave every small cell open."""
    cells = [[9, 2, 6], [7, 8, 6], [5, 6, 7]]
    marks = disclosure.protect(cells)
    assert marks is not None
    assert _revealed(cells, marks) == []
    naive = [[SMALL if c < THRESHOLD else SHOWN for c in row] for row in cells]
    assert _revealed(cells, naive) == [(0, 1)]  # what primary suppression alone would give away


@pytest.mark.parametrize("seed", range(60))
def test_random_small_tables_never_reveal_a_small_cell(seed):
    """The property, brute force: for random tables no published breakdown determines a suppressed cell."""
    rng = random.Random(seed)
    rows, cols = rng.choice([(2, 3), (3, 3), (2, 4)])
    cells = [[rng.choice([0, 1, 2, 3, 4, 5, 6, 7, 9]) for _ in range(cols)] for _ in range(rows)]
    floor = [[0] * cols for _ in range(rows)]
    for i in range(rows):  # the last column is "ohne Angabe": part of it is tablet and hand counts, public
        floor[i][-1] = rng.randint(0, cells[i][-1])
    marks = disclosure.protect(cells, floor)
    if marks is None:
        return
    assert all(marks[i][j] == SMALL for i in range(rows) for j in range(cols) if cells[i][j] < THRESHOLD)
    assert _revealed(cells, marks, floor) == []


def test_when_every_cell_would_have_to_go_there_is_no_table():
    assert disclosure.protect([[1, 2, 0], [2, 1, 3]]) is None


# -- breakdowns from the database --------------------------------------------------------------------------

def _event_with_segments(session, *, groups, answers_by_group, second=None):
    """An event, a closed single-choice question answered by voters of each group, a segment question
    "Ich bin hier als …" and optionally a second segment question grouping the same voters differently."""
    event = make_event(session)
    question = questions_of(session, event)[0]
    topic = e_domain.topics(session=session, event_id=event.id)[0]
    segment = q_domain.create_question(session=session, topic=topic, text="Ich bin hier als …", kind="single",
                                       options=list(groups), segment=True)
    l_domain.open_question(session=session, question=question)
    opts, seg_opts = option_ids(session, question), option_ids(session, segment)
    other = q_domain.create_question(session=session, topic=topic, text="Ich wohne in …", kind="single",
                                     options=["Döbeln", "Freiberg"], segment=True) if second else None
    rows = []
    for g, per_option in enumerate(answers_by_group):
        for o, n in enumerate(per_option):
            for k in range(n):
                voter = uuid.uuid4().hex
                rows.append(_row(question, voter, [opts[o]]))
                if g < len(seg_opts):
                    rows.append(_row(segment, voter, [seg_opts[g]]))
                if other is not None:
                    rows.append(_row(other, voter, [option_ids(session, other)[second(g, o, k)]]))
    v_domain.insert_votes_directly(session=session, rows=rows)
    l_domain.close_question(session=session, question=question)
    return question, segment, other


def _row(question, voter, answer):
    return v_domain.VoteRow(question_id=question.id, event_id=question.event_id, device_hash=voter, choices=answer,
                            vote_id=uuid.uuid4().hex)


def _numbers(view):
    return [[c["n"] for c in row["cells"]] for row in view["rows"]]


def test_rows_add_up_to_the_overall_result_with_ohne_angabe(session):
    question, segment, _ = _event_with_segments(
        session, groups=["Bürger:in", "Politik"], answers_by_group=[[12, 8, 6], [7, 9, 5], [2, 1, 0]])
    view = segments.breakdown(session=session, question=question, segment=segment)
    assert [c["key"] for c in view["columns"]][-1] == "none"
    assert [row["total"] for row in view["rows"]] == [21, 18, 11]
    assert view["voters"] == 50
    assert [c["n"] for c in view["columns"]] == [26, 21, None]  # "ohne Angabe" has 3: shown as fewer than 5
    for row in view["rows"]:
        shown = [c["n"] for c in row["cells"] if c["mark"] == SHOWN]
        assert sum(shown) <= row["total"]
    for j, column in enumerate(view["columns"]):
        if column["suppressed"]:
            assert all(row["cells"][j]["share"] is None for row in view["rows"])


def test_breakdown_vs_the_segment_questions_own_result_reveals_nothing(session):
    """The segment question's own result (how many are Politik) is a column size: the check assumes every
    column size is known, so the table stays safe with it."""
    question, segment, _ = _event_with_segments(
        session, groups=["Bürger:in", "Politik", "Wirtschaft"], answers_by_group=[[7, 6, 5], [6, 3, 1], [5, 5, 6]])
    view = segments.breakdown(session=session, question=question, segment=segment)
    truth = [[7, 6, 5, 0], [6, 3, 5, 0], [5, 1, 6, 0]]
    marks = [[c["mark"] for c in row["cells"]] for row in view["rows"]]
    assert marks[1][1] == marks[2][1] == SMALL
    assert _revealed(truth, marks) == []


def test_two_breakdowns_by_different_segment_questions_reveal_nothing_together(session):
    """Any pair of tables the onlooker cannot rule out for the two breakdowns is made by one population of
    people (option, group 1, group 2): so together they exclude no table either alone allows."""
    question, segment, other = _event_with_segments(
        session, groups=["Bürger:in", "Politik"], answers_by_group=[[7, 2, 6], [3, 6, 8]],
        second=lambda g, o, k: (g + (k % 4 == 0)) % 2)
    first = segments.breakdown(session=session, question=question, segment=segment)
    second = segments.breakdown(session=session, question=question, segment=other)
    truth_a = [[7, 3, 0], [2, 6, 0], [6, 8, 0]]
    marks_a = [[c["mark"] for c in row["cells"]] for row in first["rows"]]
    marks_b = [[c["mark"] for c in row["cells"]] for row in second["rows"]]
    truth_b = [[0, 0, 0] for _ in range(3)]
    for g, per_option in enumerate([[7, 2, 6], [3, 6, 8]]):
        for o, n in enumerate(per_option):
            for k in range(n):
                truth_b[o][(g + (k % 4 == 0)) % 2] += 1
    tables_a = list(_consistent(truth_a, marks_a))
    tables_b = list(_consistent(truth_b, marks_b))
    for a, b in itertools.product(tables_a[:40], tables_b[:40]):
        for i in range(3):  # per option: one person list realising both rows (same sum, non-negative)
            people_a = [j for j, n in enumerate(a[i]) for _ in range(n)]
            people_b = [j for j, n in enumerate(b[i]) for _ in range(n)]
            assert len(people_a) == len(people_b)
    assert _revealed(truth_a, marks_a) == [] and _revealed(truth_b, marks_b) == []


def test_a_segment_answer_given_after_the_close_does_not_change_the_breakdown(session):
    question, segment, _ = _event_with_segments(
        session, groups=["Bürger:in", "Politik"], answers_by_group=[[12, 8, 6], [7, 9, 5], [2, 1, 0]])
    before = segments.breakdown(session=session, question=question, segment=segment)
    late = list(session.exec(select(Vote).where(Vote.question_id == question.id)))
    voters_with_group = {v.device_hash for v in session.exec(select(Vote).where(Vote.question_id == segment.id))}
    newcomer = next(v.device_hash for v in late if v.device_hash not in voters_with_group)
    v_domain.insert_votes_directly(session=session, rows=[_row(segment, newcomer, [option_ids(session, segment)[0]])])
    assert segments.breakdown(session=session, question=question, segment=segment) == before


def test_refused_with_a_clear_german_reason(session):
    question, segment, _ = _event_with_segments(
        session, groups=["Bürger:in", "Politik"], answers_by_group=[[12, 8, 6], [2, 1, 1]])
    with pytest.raises(Conflict) as err:
        segments.breakdown(session=session, question=question, segment=segment)
    assert err.value.code == "breakdown_impossible"
    assert err.value.message.startswith("Aufschlüsselung nicht möglich: Mindestens zwei Gruppen")
    open_one = questions_of(session, session.get(Event, question.event_id))[1]
    l_domain.open_question(session=session, question=open_one)
    with pytest.raises(Conflict) as err:
        segments.breakdown(session=session, question=open_one, segment=segment)
    assert "läuft noch" in err.value.message
