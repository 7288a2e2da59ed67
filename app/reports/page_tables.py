"""Result sets laid out as tables for the results pages (the export files have theirs in `tables`): the rounds of a question (or the events of a linked
question) side by side, one column group each, rows matched by their label; the leading answer of the roll-up.

No numbers are computed here: the rows, shares, means and bases come from `resultset` and `compare`; this module
only decides which cell says what ("–" where a share is not shown, an abstention set apart, n and the base in
words in the footer), so the page templates stay free of rules.
"""

from collections.abc import Sequence
from dataclasses import dataclass, replace

from app.i18n import N_, translate
from app.reports import formatting as fmt
from app.reports.charts import bar_chart, value_text
from app.reports.compare import Comparison, SeriesComparison
from app.reports.resultset import QuestionResult, Round, Row
from app.reports.tables import comparison_flag

KIND_NAMES = {
    "single": N_("Einfachauswahl"), "multiple": N_("Mehrfachauswahl"), "yesno": N_("Ja/Nein"), "scale": N_("Skala"),
    "wordcloud": N_("Wortwolke"), "text": N_("Offene Antwort"), "ranking": N_("Rangfolge"), "points": N_("Punkte verteilen"),
}
STATUS_NAMES = {"draft": N_("nicht gestellt"), "open": N_("Abstimmung läuft"), "closed": N_("geschlossen")}
# The two cells of a row per column group, by kind: what the first and the second cell say.
HEADS = {
    "ranking": (N_("Borda-Punkte"), N_("Ø Platz")),
    "points": (N_("Ø Punkte"), N_("Summe")),
    "wordcloud": (N_("Nennungen"), N_("Anteil")),
}
DEFAULT_HEADS = (N_("Anzahl"), N_("Anteil"))
ROW_HEADS = {"scale": N_("Wert"), "wordcloud": N_("Begriff")}
CHART_ROWS = 15


@dataclass(frozen=True, slots=True)
class GridRow:
    """A line of the table: its header cell and its cells (`span` columns each)."""

    label: str
    cells: tuple[str, ...]
    span: int = 1


@dataclass(frozen=True, slots=True)
class Grid:
    """A question's numbers: column groups (rounds or events), their sub-columns, body, abstentions, footer."""

    groups: tuple[str, ...]
    heads: tuple[str, ...]
    body: tuple[GridRow, ...]
    abstentions: tuple[GridRow, ...]
    foot: tuple[GridRow, ...]

    @property
    def width(self) -> int:
        return len(self.heads)


def _labels(kind: str, rounds: Sequence[Round]) -> list[str]:
    """Every row label once: in option order, or (ranking, word cloud) in the order of the last column."""
    ordered = list(rounds) if kind not in ("ranking", "wordcloud") else [rounds[-1], *rounds[:-1]]
    seen: dict[str, None] = {}
    for result in ordered:
        for row in result.rows:
            if not row.abstention:
                seen.setdefault(row.label, None)
    return list(seen)


def _cells(kind: str, row: Row | None, result: Round, second: bool) -> tuple[str, ...]:
    """The cells of one row in one column group."""
    if row is None:  # a term nobody named in this round (0), an option this event did not offer (–)
        missing = "0" if kind == "wordcloud" else "–"
        return (missing, "–") if second else (missing,)
    shown = result.percents_shown
    if kind == "ranking":
        first, other = fmt.number(row.count), fmt.number(row.avg_rank, 2) if shown else "–"
    elif kind == "points":
        first, other = fmt.number(row.count) if shown else "–", fmt.number(row.total)
    else:
        first, other = fmt.number(row.count), fmt.percent(row.percent) if shown else "–"
    return (first, other) if second else (first,)


def grid(kind: str, columns: Sequence[tuple[str, Round]], locale: str = "de") -> Grid:
    """The table of `columns` (label, round): rounds of one question, or one linked question at several events."""
    rounds = [result for _label, result in columns]
    # Counts only (n < 5 everywhere): no share column at all; ranking and points always have their second number.
    second = kind in ("ranking", "points") or any(r.percents_shown for r in rounds)
    heads_one = tuple(translate(h, locale) for h in HEADS.get(kind, DEFAULT_HEADS))[: 2 if second else 1]
    by_label = [{row.label: row for row in r.rows} for r in rounds]
    body = tuple(
        GridRow(label=label, cells=tuple(c for r, rows in zip(rounds, by_label, strict=True)
                                         for c in _cells(kind, rows.get(label), r, second)))
        for label in _labels(kind, rounds)
    )
    abstain_labels = list(dict.fromkeys(row.label for r in rounds for row in r.rows if row.abstention))
    abstentions = tuple(
        GridRow(label=label, cells=tuple(c for r, rows in zip(rounds, by_label, strict=True)
                                         for c in _cells(kind, rows.get(label), r, second)))
        for label in abstain_labels
    )
    span = len(heads_one)
    foot = [GridRow(label=translate("Antworten (n)", locale), cells=tuple(fmt.number(r.n) for r in rounds), span=span),
            GridRow(label=translate("Basis", locale), cells=tuple(r.base(locale) for r in rounds), span=span)]
    if kind == "scale":
        foot.append(GridRow(label=translate("Mittelwert", locale), cells=tuple(fmt.number(r.mean, 2) for r in rounds), span=span))
        foot.append(GridRow(label=translate("Median", locale), cells=tuple(fmt.number(r.median) for r in rounds), span=span))
    if kind == "wordcloud" and any(r.hidden_terms for r in rounds):
        foot.append(GridRow(label=translate("ausgeblendete Begriffe", locale), cells=tuple(fmt.number(r.hidden_terms) for r in rounds),
                            span=span))
    if kind == "wordcloud" and any(r.merged_terms for r in rounds):
        foot.append(GridRow(label=translate("zusammengeführte Begriffe", locale), span=span,
                            cells=tuple("; ".join(f"{a} → {b}" for a, b in r.merged_terms) or "–" for r in rounds)))
    return Grid(groups=tuple(label for label, _r in columns), heads=heads_one * len(rounds), body=body,
                abstentions=abstentions, foot=tuple(foot))


def round_columns(question: QuestionResult, locale: str = "de") -> list[tuple[str, Round]]:
    """A question's rounds as labelled columns ("Runde 1", "Runde 2 – Zwischenstand, Stand 19:42" …)."""
    columns = []
    for r in question.rounds:
        label = translate("Runde {n}", locale, n=r.round)
        if r.interim_at is not None:
            label += " – " + translate("Zwischenstand, Stand {clock}", locale, clock=fmt.clock(r.interim_at))
        columns.append((label, r))
    return columns


def round_grid(question: QuestionResult, locale: str = "de") -> Grid:
    """A question's rounds side by side."""
    return grid(question.kind, round_columns(question, locale), locale)


def chart_list(kind: str, columns: Sequence[tuple[str, Round]], *, title: str, uid: str, compact: bool = False) -> list[tuple[str, str]]:
    """One bar chart per column (label, SVG); a long term list is drawn with its first CHART_ROWS terms only
    (the table beside it has them all). Drawn about as wide as the page shows them, so their text reads at
    its own size: several compact charts side by side, or one beside its table."""
    width = 360 if compact else 480
    return [(label, bar_chart(replace(r, rows=r.rows[:CHART_ROWS]), kind, title=f"{title} – {label}", uid=f"{uid}-{i}",
                              width=width, compact=compact))
            for i, (label, r) in enumerate(columns)]


def leading(kind: str, result: Round, locale: str = "de") -> str:
    """The roll-up's answer: the one given most with its number, "Gleichstand", or why there is none."""
    if not result.n:
        return translate("keine Antworten (n = 0)", locale)
    if kind == "text":
        return translate("freie Antworten, siehe Frage", locale)
    if not any(r.count > 0 and not r.abstention for r in result.rows):
        return translate("nur Enthaltungen", locale)
    row = result.leading()
    if row is None:
        return translate("Gleichstand", locale)
    return f"{row.label} – {value_text(kind, row, result.percents_shown)}"


def row_head(kind: str, locale: str = "de") -> str:
    """The header of a table's first column: "Antwort", "Wert", "Begriff"."""
    return translate(ROW_HEADS.get(kind, N_("Antwort")), locale)


def kind_name(kind: str, locale: str = "de") -> str:
    return translate(KIND_NAMES.get(kind, kind), locale)


def status_name(status: str, locale: str = "de") -> str:
    return translate(STATUS_NAMES.get(status, status), locale)


@dataclass(frozen=True, slots=True)
class RollupLine:
    """A linked question in the series' roll-up: per event (in the series' order) n and the leading answer."""

    comparison: Comparison
    cells: tuple[str, ...]


def series_rollup(series: SeriesComparison, locale: str = "de") -> list[tuple[str, list[RollupLine]]]:
    """The linked questions by topic (the topic's name at the first event that asked it), in agenda order."""
    topics: dict[str, list[RollupLine]] = {}
    for item in series.comparisons:
        by_event = {c.event_id: c for c in item.columns}
        cells = []
        for event in series.events:
            column = by_event.get(event.id)
            if column is None:
                cells.append(translate("dort nicht gestellt", locale))
            else:
                text = leading(item.kind, column.result, locale)
                text = f"n = {fmt.number(column.result.n)}: {text}" if column.result.n else text
                if column.result.interim_at is not None:
                    text += " (" + translate("Zwischenstand, Stand {clock}", locale, clock=fmt.clock(column.result.interim_at)) + ")"
                cells.append(text)
        topics.setdefault(item.topic, []).append(RollupLine(comparison=item, cells=tuple(cells)))
    return list(topics.items())


def flag(item: Comparison) -> str:
    """"vergleichbar" or what changed, in the words the export files use."""
    return comparison_flag(item)


def compare_columns(item: Comparison, locale: str = "de") -> list[tuple[str, Round]]:
    """The events' columns of a linked question ("Döbeln, 15.03.2023"), then the pooled one where there is one."""
    columns = [(f"{c.place or c.title}, {fmt.date(c.date)}", c.result) for c in item.columns]
    if item.pooled is not None:
        columns.append((translate("gepoolt, ungewichtet", locale), item.pooled))
    return columns
