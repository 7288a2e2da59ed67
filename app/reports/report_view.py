"""What the Kreistag report prints, made ready for its template (templates/pdf/report.html): per question its
rounds side by side (a chart with an alt text that says the result in words, and one data table for all rounds),
per linked question of a series one table with a column per event, and the appendix of texts and terms.

Nothing is computed here that the result set has not computed already: the rows, shares, bases and stamps come
from app.reports.resultset and app.reports.compare; this module only lays them out and words them.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field

from app.i18n import translate
from app.reports import charts
from app.reports import formatting as fmt
from app.reports.compare import Column, Comparison, SeriesComparison
from app.reports.resultset import EventResults, QuestionResult, Round, Row

ALT_ROWS = 12  # rows an alt text names; the table beside the chart has them all
CLOUD_ROWS = 10  # terms a word cloud shows in its section; the appendix lists them all
NARROW = 330  # px: a chart is half the page wide (about its own size in print), beside its table or the other round's chart
LABEL_MAX = 42  # characters of a label the chart shows; the table has them all


def _(msgid: str, **params: object) -> str:
    return translate(msgid, "de", **params)


@dataclass(frozen=True, slots=True)
class Table:
    """A data table: a caption, column headers (the first heads the row headers) and rows (row header, cells)."""

    caption: str
    head: tuple[str, ...]
    rows: tuple[tuple[str, tuple[str, ...]], ...]


@dataclass(frozen=True, slots=True)
class RoundView:
    label: str  # "Runde 1", or "" when the question had one round
    n: int
    base: str
    chart: str  # data: URI of the SVG; "" when there is nothing to draw
    alt: str
    notes: tuple[str, ...]  # interim stamp, counts only, mean and median


@dataclass(frozen=True, slots=True)
class QuestionView:
    anchor: str
    text: str
    kind: str
    where: str  # "Döbeln, 15.03.2023"
    n_line: str  # "n = 87" or "Runde 1: n = 40 · Runde 2: n = 52"
    rounds: tuple[RoundView, ...]
    table: Table | None
    notes: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class TopicView:
    title: str
    questions: tuple[QuestionView, ...]


@dataclass(frozen=True, slots=True)
class EventView:
    heading: str
    topics: tuple[TopicView, ...]


@dataclass(frozen=True, slots=True)
class ComparisonView:
    text: str
    kind: str
    flags: tuple[str, ...]
    wordings: tuple[str, ...]  # "Frankenberg: …" when the wording changed
    table: Table
    note: str = ""  # the base of the shares in words


@dataclass(frozen=True, slots=True)
class AppendixItem:
    heading: str
    texts: tuple[str, ...] = ()
    table: Table | None = None
    notes: tuple[str, ...] = field(default=())


def _base(r: Round) -> str:
    """The base of the shares in words, its number printed as everywhere else in the report ("1.587")."""
    return r.base("de")


def where(event: EventResults) -> str:
    """Place and date: "Döbeln, 15.03.2023"."""
    return ", ".join(part for part in (event.place, fmt.date(event.date)) if part)


def _value_columns(kind: str, shown: bool) -> tuple[str, ...]:
    if kind == "ranking":
        return (_("Borda-Punkte"), _("Ø Platz"))
    if kind == "points":
        return (_("Ø Punkte"), _("Punkte gesamt"))
    if kind == "wordcloud":
        return (_("Nennungen"), _("Anteil")) if shown else (_("Nennungen"),)
    return (_("Anzahl"), _("Anteil")) if shown else (_("Anzahl"),)


def _cells(kind: str, row: Row | None, shown: bool) -> tuple[str, ...]:
    width = len(_value_columns(kind, shown))
    if row is None:
        return ("–",) * width
    if kind == "ranking":
        return (fmt.number(row.count), fmt.number(row.avg_rank, 2))
    if kind == "points":
        return (fmt.number(row.count), fmt.number(row.total))
    return (fmt.number(row.count), fmt.percent(row.percent)) if shown else (fmt.number(row.count),)


def _labels(rounds: Sequence[Round]) -> list[str]:
    """Every row label of the rounds, in the order of the last round (the result), then any only earlier."""
    seen: dict[str, None] = {}
    for r in (rounds[-1], *rounds[:-1]):
        seen.update((row.label, None) for row in r.rows)
    return list(seen)


def _scale_label(question: QuestionResult, label: str) -> str:
    if question.scale is None:
        return label
    low, high, at_low, at_high = question.scale
    words = {str(low): at_low, str(high): at_high}.get(label, "")
    return f"{label} ({words})" if words else label


def _alt(kind: str, r: Round, label: str, rows: Sequence[Row]) -> str:
    parts = [f"{row.label} {charts.value_text(kind, row, r.percents_shown)}" for row in rows[:ALT_ROWS]]
    more = len(rows) - ALT_ROWS
    text = _("Balkendiagramm") + (f", {label}" if label else "") + ": " + "; ".join(parts)
    if more > 0:
        text += "; " + _("und {n} weitere", n=more)
    text = f"{text}. {_base(r)}."
    return text + " " + _("Zwischenstand, Stand {clock}", clock=fmt.clock(r.interim_at)) + "." if r.interim_at else text


def _round_notes(kind: str, r: Round) -> tuple[str, ...]:
    notes = []
    if r.interim_at:
        notes.append(_("Zwischenstand, Stand {clock}", clock=fmt.clock(r.interim_at)))
    if r.n and not r.percents_shown and kind not in ("text",):
        notes.append(_("Weniger als 5 Antworten: nur Anzahlen, keine Prozente."))
    if r.mean is not None:
        notes.append(_("Mittelwert {mean}, Median {median}", mean=fmt.number(r.mean, 2), median=fmt.number(r.median)))
    if r.sources:
        notes.append(r.sources_text())
    if r.archived:
        notes.append(_("Aus dem Archiv: die einzelnen Antworten sind nach der Aufbewahrungsfrist gelöscht."))
    return tuple(notes)


def _round_view(question: QuestionResult, r: Round, label: str, uid: str) -> RoundView:
    kind = question.kind
    rows = r.rows[:CLOUD_ROWS] if kind == "wordcloud" else r.rows
    chart = alt = ""
    if r.n and rows and kind != "text":
        shown = Round(round=r.round, n=r.n, base_msg=r.base_msg, rows=tuple(rows))
        title = f"{question.text[:120]} – {label}" if label else question.text[:120]
        chart = charts.data_uri(charts.bar_chart(shown, kind, title=title, uid=uid, compact=True, width=NARROW, label_max=LABEL_MAX))
        alt = _alt(kind, r, label, rows)
    return RoundView(label=label, n=r.n, base=_base(r), chart=chart, alt=alt, notes=_round_notes(kind, r))


def _table(question: QuestionResult, rounds: Sequence[Round], caption: str) -> Table | None:
    kind = question.kind
    if kind == "text" or not any(r.n for r in rounds):
        return None
    several = len(rounds) > 1
    head: list[str] = [_("Begriff") if kind == "wordcloud" else _("Wert") if kind == "scale" else _("Antwort")]
    for r in rounds:
        prefix = _("Runde {n}", n=r.round) + ": " if several else ""
        head += [prefix + c for c in _value_columns(kind, r.percents_shown)]
    labels = _labels(rounds)
    if kind == "wordcloud":
        labels = labels[:CLOUD_ROWS]
    by_label = [{row.label: row for row in r.rows} for r in rounds]
    body = []
    for label in labels:
        cells: tuple[str, ...] = ()
        for r, found in zip(rounds, by_label, strict=True):
            cells += _cells(kind, found.get(label), r.percents_shown)
        body.append((_scale_label(question, label), cells))
    return Table(caption=caption, head=tuple(head), rows=tuple(body))


def question_view(event: EventResults, question: QuestionResult) -> QuestionView:
    """One question of an event: wording, where and when, n, each round's chart, one table."""
    several = len(question.rounds) > 1
    labels = [_("Runde {n}", n=r.round) + (" – " + _("Ergebnis") if r is question.final else "") if several else ""
              for r in question.rounds]
    rounds = tuple(_round_view(question, r, label, f"q{question.id}r{r.round}")
                   for r, label in zip(question.rounds, labels, strict=True))
    n_line = (" · ".join(_("Runde {r}: n = {n}", r=r.round, n=fmt.number(r.n)) for r in question.rounds) if several
              else f"n = {fmt.number(question.final.n)}")
    notes = []
    final = question.final
    if question.kind == "text":
        approved = (_("1 freigegebene Antwort, {rest} nicht freigegeben; die freigegebene steht im Anhang.", rest=final.not_approved)
                    if len(final.texts) == 1 else
                    _("{n} freigegebene Antworten, {rest} nicht freigegeben; die freigegebenen stehen im Anhang.",
                      n=len(final.texts), rest=final.not_approved))
        notes.append(approved if final.n else "")
    if question.kind == "wordcloud" and len(final.rows) > CLOUD_ROWS:
        notes.append(_("Die {shown} häufigsten von {n} Begriffen; alle stehen im Anhang.", shown=CLOUD_ROWS, n=len(final.rows)))
    caption = _("Daten zu: {text}", text=question.text[:200] + ("…" if len(question.text) > 200 else ""))
    return QuestionView(
        anchor=f"q{question.id}", text=question.text, kind=question.kind, where=where(event), n_line=n_line,
        rounds=rounds, table=_table(question, question.rounds, caption), notes=tuple(n for n in notes if n),
    )


def event_views(events: Sequence[EventResults]) -> tuple[EventView, ...]:
    """The results chapter: per event (its title, place and date) its topics with their questions."""
    return tuple(
        EventView(heading=f"{e.title} ({where(e)})",
                  topics=tuple(TopicView(title=t.title, questions=tuple(question_view(e, q) for q in t.questions))
                               for t in e.topics if t.questions))
        for e in events
    )


def _column_head(column: Column) -> str:
    round_note = " " + _("(Runde {n})", n=column.rounds) if column.rounds > 1 else ""
    return f"{column.place or column.title}\n{fmt.date(column.date)}{round_note}\nn = {fmt.number(column.result.n)}"


def comparison_view(c: Comparison) -> ComparisonView:
    """One linked question: one column per event and the pooled column if there is one."""
    flags = []
    if c.wording_changed:
        flags.append(_("Achtung: Der Wortlaut wurde zwischen den Veranstaltungen geändert."))
    if c.options_changed:
        flags.append(_("Achtung: Antwortmöglichkeiten oder Fragetyp wurden geändert."))
    if not c.comparable:
        flags.append(_("Die Werte sind daher nicht direkt vergleichbar; es wird kein Unterschied berechnet und nichts gepoolt."))
    wordings = tuple(f"{col.place or col.title}: {col.text}" for col in c.columns) if c.wording_changed else ()
    results = [col.result for col in c.columns] + ([c.pooled] if c.pooled else [])
    head = [_("Begriff") if c.kind == "wordcloud" else _("Antwort"), *(_column_head(col) for col in c.columns)]
    if c.pooled:
        head.append(_("gepoolt, ungewichtet") + f"\nn = {fmt.number(c.pooled.n)}")
    rows = []
    if c.kind != "text":
        by_label = [{row.label: row for row in r.rows} for r in results]
        labels = _labels(results[: len(c.columns)])[: CLOUD_ROWS if c.kind == "wordcloud" else None]
        for label in labels:
            rows.append((label, tuple(charts.value_text(c.kind, found[label], r.percents_shown) if label in found else "–"
                                      for r, found in zip(results, by_label, strict=True))))
    if c.kind == "scale":
        rows.append((_("Mittelwert"), tuple(fmt.number(r.mean, 2) for r in results)))
        rows.append((_("Median"), tuple(fmt.number(r.median) for r in results)))
    caption = _("Vergleich: {text}", text=c.text[:200])
    base = next((r.base_msg for r in results if r.n), "")
    note = _("Basis je Spalte: {base}", base=translate(base, "de", n="n")) if base else _("keine Antworten (n = 0)")
    return ComparisonView(text=c.text, kind=c.kind, flags=tuple(flags), wordings=wordings,
                          table=Table(caption=caption, head=tuple(head), rows=tuple(rows)), note=note)


def comparison_views(comparison: SeriesComparison | None) -> tuple[ComparisonView, ...]:
    return tuple(comparison_view(c) for c in comparison.comparisons) if comparison else ()


def appendix_texts(events: Sequence[EventResults]) -> tuple[AppendixItem, ...]:
    """Every open-text question: its approved answers (all rounds) and how many were not approved."""
    items = []
    for e in events:
        for q in e.questions():
            if q.kind != "text":
                continue
            texts = tuple(t for r in q.rounds for t in r.texts)
            rest = sum(r.not_approved for r in q.rounds)
            left_out = (_("1 Antwort wurde nicht freigegeben und ist nicht enthalten.") if rest == 1 else
                        _("{n} Antworten wurden nicht freigegeben und sind nicht enthalten.", n=rest))
            notes = (left_out,) if rest else ()
            if not texts:
                notes = (_("Keine freigegebenen Antworten."), *notes)
            items.append(AppendixItem(heading=f"{q.text} – {where(e)}", texts=texts, notes=notes))
    return tuple(items)


def appendix_terms(events: Sequence[EventResults]) -> tuple[AppendixItem, ...]:
    """Every word-cloud question: all its terms of the last round, and how many the moderation hid."""
    items = []
    for e in events:
        for q in e.questions():
            if q.kind != "wordcloud":
                continue
            r = q.final
            table = None
            if r.rows:
                head = (_("Begriff"), *_value_columns("wordcloud", r.percents_shown))
                table = Table(caption=_("Alle Begriffe: {text}", text=q.text[:200]), head=head,
                              rows=tuple((row.label, _cells("wordcloud", row, r.percents_shown)) for row in r.rows))
            notes = [_base(r)]
            if r.hidden_terms:
                notes.append(_("{n} Begriffe hat die Moderation ausgeblendet; sie sind nicht enthalten.", n=r.hidden_terms))
            if r.merged_terms:
                notes.append(_("Von der Moderation zusammengeführt (gezählt als der zweite Begriff; wer beide nannte, zählt einmal): "
                               "{pairs}.", pairs="; ".join(f"„{a}“ → „{b}“" for a, b in r.merged_terms)))
            items.append(AppendixItem(heading=f"{q.text} – {where(e)}", table=table, notes=tuple(notes)))
    return tuple(items)
