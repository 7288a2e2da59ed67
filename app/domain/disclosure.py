"""Small-group suppression of a published table (#18): no cell of fewer than 5 people can be read or worked out.

A breakdown (domain.segments) is a table of people: a row per answer option, a column per group. What an
onlooker knows besides the table: each row's sum (the overall result is public), each column's sum (a group's
size may be public too) and, per cell, a known part (tablet, hand and paper counts of "ohne Angabe" are public
as per-source subtotals). Rules:

- primary: a cell under `THRESHOLD` (0 included) shows "< 5" (`SMALL`);
- secondary: more cells are hidden (`HIDDEN`, shown "×") until no small cell's value follows from what is
  published: the row and column sums, the shown cells, "< 5" meaning 0–4 and "×" meaning at least 5.

Whether a cell's value follows is decided exactly: the cells still unknown form a transportation problem with
bounds (totally unimodular), so the values a cell can take are a whole interval, and the cell is safe when its
value ± 1 is still feasible (a max-flow with lower bounds). A cell whose value already follows from the public
sums alone (an option nobody chose) is no secret the table could keep.
"""

from collections import deque
from collections.abc import Sequence

THRESHOLD = 5
SHOWN, SMALL, HIDDEN = "shown", "small", "hidden"

Table = Sequence[Sequence[int]]
Marks = list[list[str]]


def _max_flow(capacity: list[list[int]], source: int, sink: int) -> int:
    """Edmonds–Karp on a dense matrix: the tables are a dozen rows and columns at most."""
    n = len(capacity)
    flow = 0
    while True:
        parent = [-1] * n
        parent[source] = source
        queue = deque([source])
        while queue and parent[sink] == -1:
            u = queue.popleft()
            for v in range(n):
                if parent[v] == -1 and capacity[u][v] > 0:
                    parent[v] = u
                    queue.append(v)
        if parent[sink] == -1:
            return flow
        push, v = None, sink
        while v != source:
            u = parent[v]
            push = capacity[u][v] if push is None else min(push, capacity[u][v])
            v = u
        assert push is not None
        v = sink
        while v != source:
            u = parent[v]
            capacity[u][v] -= push
            capacity[v][u] += push
            v = u
        flow += push


def feasible(
    cells: Table, unknown: set[tuple[int, int]], bounds: dict[tuple[int, int], tuple[int, int]]
) -> bool:
    """Whether some table with these row and column sums has the known cells as given and each unknown cell
    within its bounds (lower, upper)."""
    rows, cols = len(cells), len(cells[0])
    need_row = [sum(cells[i]) - sum(cells[i][j] for j in range(cols) if (i, j) not in unknown) for i in range(rows)]
    need_col = [sum(cells[i][j] for i in range(rows)) - sum(cells[i][j] for i in range(rows) if (i, j) not in unknown)
                for j in range(cols)]
    for (i, j) in unknown:
        low, high = bounds[(i, j)]
        if low > high:
            return False
        need_row[i] -= low
        need_col[j] -= low
    if min(need_row, default=0) < 0 or min(need_col, default=0) < 0:
        return False
    source, sink = rows + cols, rows + cols + 1
    capacity = [[0] * (rows + cols + 2) for _ in range(rows + cols + 2)]
    for i in range(rows):
        capacity[source][i] = need_row[i]
    for j in range(cols):
        capacity[rows + j][sink] = need_col[j]
    for (i, j) in unknown:
        low, high = bounds[(i, j)]
        capacity[i][rows + j] = high - low
    return _max_flow(capacity, source, sink) == sum(need_row) == sum(need_col)


def _determined(cells: Table, unknown: set[tuple[int, int]], bounds: dict[tuple[int, int], tuple[int, int]],
                cell: tuple[int, int]) -> bool:
    """Whether the published numbers leave this unknown cell exactly one value (its true one)."""
    value = cells[cell[0]][cell[1]]
    low, high = bounds[cell]
    return not any(
        low <= other <= high and feasible(cells, unknown, {**bounds, cell: (other, other)}) for other in (value - 1, value + 1)
    )


def bounds_of(cells: Table, marks: Marks, floor: Table) -> dict[tuple[int, int], tuple[int, int]]:
    """What "< 5" and "×" tell an onlooker about each suppressed cell, with the part of it that is public."""
    top = sum(sum(row) for row in cells)
    bounds = {}
    for i, row in enumerate(marks):
        for j, mark in enumerate(row):
            if mark == SMALL:
                bounds[(i, j)] = (floor[i][j], THRESHOLD - 1)
            elif mark == HIDDEN:
                bounds[(i, j)] = (max(THRESHOLD, floor[i][j]), top)
    return bounds


def public_cells(cells: Table, floor: Table | None = None) -> set[tuple[int, int]]:
    """The cells whose value follows from the public sums and parts alone, with no breakdown published
    (an option nobody chose, a group nobody is in, a column that is all tablet and hand counts)."""
    floor = floor or [[0] * len(cells[0]) for _ in cells]
    everything = {(i, j) for i in range(len(cells)) for j in range(len(cells[0]))}
    top = sum(sum(row) for row in cells)
    bounds = {c: (floor[c[0]][c[1]], top) for c in everything}
    return {c for c in everything if _determined(cells, everything, bounds, c)}


def exposed(cells: Table, marks: Marks, floor: Table | None = None, public: set[tuple[int, int]] | None = None) -> list[tuple[int, int]]:
    """The small cells whose value the published table gives away (and the public sums alone would not)."""
    floor = floor or [[0] * len(cells[0]) for _ in cells]
    public = public_cells(cells, floor) if public is None else public
    unknown = {(i, j) for i, row in enumerate(marks) for j, mark in enumerate(row) if mark != SHOWN}
    bounds = bounds_of(cells, marks, floor)
    return [
        cell for cell in sorted(unknown)
        if marks[cell[0]][cell[1]] == SMALL and cell not in public and _determined(cells, unknown, bounds, cell)
    ]


def _hide_one(cells: Table, marks: Marks, line: list[tuple[int, int]]) -> bool:
    """Hide the smallest shown cell of a row or column, preferring one whose cross line already has a
    suppressed cell (so the suppressions close a cycle); False when the line has none left."""
    candidates = [c for c in line if marks[c[0]][c[1]] == SHOWN]
    if not candidates:
        return False

    def crossed(c: tuple[int, int]) -> int:
        i, j = c
        row = sum(m != SHOWN for m in marks[i])
        col = sum(marks[r][j] != SHOWN for r in range(len(marks)))
        return row + col

    i, j = min(candidates, key=lambda c: (-min(crossed(c), 1), cells[c[0]][c[1]], c))
    marks[i][j] = HIDDEN
    return True


def protect(cells: Table, floor: Table | None = None) -> Marks | None:
    """Mark every cell shown, small ("< 5") or hidden ("×") so that no small cell can be worked out.

    None when no such marking leaves a cell shown.
    """
    rows, cols = len(cells), len(cells[0])
    public = public_cells(cells, floor)
    marks: Marks = [[SMALL if cells[i][j] < THRESHOLD else SHOWN for j in range(cols)] for i in range(rows)]
    lines = [[(i, j) for j in range(cols)] for i in range(rows)] + [[(i, j) for i in range(rows)] for j in range(cols)]
    while True:
        # No row or column with a single suppressed cell: its sum would give it away at once (a cell whose value
        # is public anyway neither needs nor gives cover).
        changed = True
        while changed:
            changed = False
            for line in lines:
                if sum(marks[i][j] != SHOWN and (i, j) not in public for i, j in line) == 1:
                    if not _hide_one(cells, marks, line):
                        return None
                    changed = True
        bad = exposed(cells, marks, floor, public)
        if not bad:
            break
        progress = False
        for i, j in bad:
            progress |= _hide_one(cells, marks, lines[i])
            progress |= _hide_one(cells, marks, lines[rows + j])
        if not progress:
            return None
    if all(mark != SHOWN for row in marks for mark in row):
        return None
    return marks
