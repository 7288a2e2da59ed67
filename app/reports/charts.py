"""Bar charts as SVG, one builder for the results pages and the report.

Every bar carries its label above it and its number (and share) after it, so nothing is told by colour alone;
the bars differ by colour (the Okabe–Ito palette, safe for colour-blind readers) and by pattern as well, and have
a dark outline (contrast against white). An abstention is grey. Shares are drawn on a 0–100 % scale; where a
result has no shares (ranking, fewer than five answers) the longest bar is the largest number.
"""

import base64
from collections.abc import Sequence
from html import escape

from app.reports import formatting as fmt
from app.reports.resultset import Round, Row

COLOURS = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9")
ABSTAIN_COLOUR = "#8a8a8a"
INK = "#1a1a1a"
LABEL_MAX = 70  # characters of a label in the chart; the table beside it has the full text
PATTERNS = (
    "",  # plain
    '<path d="M0,8 L8,0" stroke="#fff" stroke-width="1.6"/>',  # diagonal lines
    '<circle cx="4" cy="4" r="1.6" fill="#fff"/>',  # dots
    '<path d="M0,4 H8 M4,0 V8" stroke="#fff" stroke-width="1.3"/>',  # grid
    '<path d="M0,2 H8 M0,6 H8" stroke="#fff" stroke-width="1.2"/>',  # horizontal lines
    '<path d="M0,0 L8,8 M8,0 L0,8" stroke="#fff" stroke-width="1.2"/>',  # cross-hatch
)


def value_text(kind: str, row: Row, shown: bool) -> str:
    """What a row's bar and table say: "34 (39 %)", "Ø 23,5 Punkte", "41 Punkte, Ø Platz 1,8"."""
    if kind == "ranking":
        return f"{fmt.number(row.count)} Punkte, Ø Platz {fmt.number(row.avg_rank, 2)}" if shown else f"{fmt.number(row.count)} Punkte"
    if kind == "points":
        return f"Ø {fmt.number(row.count)} Punkte"
    if shown and row.percent is not None:
        return f"{fmt.number(row.count)} ({fmt.percent(row.percent)})"
    return fmt.number(row.count)


def _label(text: str, limit: int = LABEL_MAX) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def bar_chart(result: Round, kind: str, *, title: str, uid: str = "c", width: int = 640, compact: bool = False,
              label_max: int = LABEL_MAX) -> str:
    """An SVG document: one horizontal bar per row of the round (none: a line saying there are no answers).
    A narrow chart can cut its labels shorter (`label_max` characters) so they stay inside it."""
    rows: Sequence[Row] = result.rows
    shown = result.percents_shown
    line = 15 if compact else 18
    bar_h = 12 if compact else 16
    step = line + bar_h + (6 if compact else 10)
    top = 4
    height = top + max(len(rows), 1) * step + 4
    value_w = 150 if kind == "ranking" else 110
    bar_max = width - value_w - 10
    by_percent = shown and kind not in ("ranking", "points") and all(r.percent is not None for r in rows)
    largest = max((r.count for r in rows), default=0) or 1
    font = 12 if compact else 14
    defs, body = [], []
    for i, row in enumerate(rows):
        colour = ABSTAIN_COLOUR if row.abstention else COLOURS[i % len(COLOURS)]
        pattern = PATTERNS[i % len(PATTERNS)] if not row.abstention else PATTERNS[1]
        fill = colour
        if pattern:
            pid = f"{uid}-p{i}"
            defs.append(f'<pattern id="{pid}" width="8" height="8" patternUnits="userSpaceOnUse">'
                        f'<rect width="8" height="8" fill="{colour}"/>{pattern}</pattern>')
            fill = f"url(#{pid})"
        share = (row.percent or 0) / 100 if by_percent else row.count / largest
        length = max(share * bar_max, 1.5 if row.count else 0)
        y = top + i * step
        body.append(f'<text x="0" y="{y + font}" font-size="{font}" fill="{INK}">{escape(_label(row.label, label_max))}</text>')
        if length:
            body.append(f'<rect x="0.5" y="{y + line + 0.5}" width="{length:.1f}" height="{bar_h}" fill="{fill}" stroke="{INK}" stroke-width="1"/>')
        body.append(f'<text x="{length + 6:.1f}" y="{y + line + bar_h - 2}" font-size="{font}" fill="{INK}">'
                    f'{escape(value_text(kind, row, shown))}</text>')
    if not rows:
        body.append(f'<text x="0" y="{top + font}" font-size="{font}" fill="{INK}">{escape(fmt_no_answers(result))}</text>')
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
            f'role="img" aria-label="{escape(title)}" font-family="DejaVu Sans, Arial, sans-serif">'
            f'<title>{escape(title)}</title><defs>{"".join(defs)}</defs>{"".join(body)}</svg>')


def fmt_no_answers(result: Round) -> str:
    return "keine Antworten (n = 0)" if not result.n else f"n = {result.n}"


def data_uri(svg: str) -> str:
    """The SVG as a data: URI for an <img> (the report, and pages whose policy admits data: images)."""
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode()
