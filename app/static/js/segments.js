// The projector's breakdown screen (#18): the closed question's result by group, as the server suppressed it
// (domain.segments): "< 5" and "×" are text, a bar in each shown cell of a column without suppressed cells, so
// nothing is told by colour alone. Called by projector.js for every state; says whether it took the screen.
import { h } from "./socket.js";
import { setText } from "./charts.js";

const el = (id) => document.getElementById(id);

function cellOf(cell) {
  if (cell.mark === "small") return h("td", { class: "small" }, h("abbr", { title: el("bd-small").textContent, text: "< 5" }));
  if (cell.mark === "hidden") return h("td", { class: "hidden" }, h("abbr", { title: el("bd-hidden").textContent, text: "×" }));
  const td = h("td", { class: "shown" }, String(cell.n));
  if (cell.share !== null && cell.share !== undefined) {
    const pct = Math.round(cell.share * 100);
    td.append(" ", h("span", { class: "share", text: `(${pct} %)` }));
    const bar = h("span", { class: "bd-bar", "aria-hidden": "true" });
    bar.style.width = `${pct}%`; // through the CSSOM, which the strict CSP allows
    td.append(bar);
  }
  return td;
}

export function showBreakdown(msg) {
  const screen = el("breakdown-screen");
  const view = msg.screen === "breakdown" ? msg.breakdown : null;
  screen.hidden = !view;
  if (!view) return false;
  setText(el("bd-question"), view.text);
  setText(el("bd-segment"), view.segment_text);
  const head = h("tr", null, h("th", { scope: "col", text: el("bd-answer").textContent }),
    view.columns.map((c) => h("th", { scope: "col" }, c.label, h("br"), h("span", { class: "n", text: c.n === null ? "n < 5" : `n = ${c.n}` }))),
    h("th", { scope: "col", text: el("bd-total").textContent }));
  const rows = view.rows.map((row) => h("tr", null, h("th", { scope: "row", text: row.label }), row.cells.map(cellOf), h("td", { text: String(row.total) })));
  // Through the CSSOM (the strict CSP allows it): the type shrinks with the number of columns (projector.css).
  el("bd-head").parentElement.style.setProperty("--cols", String(view.columns.length + 2));
  el("bd-head").replaceChildren(head);
  el("bd-body").replaceChildren(...rows);
  return true;
}
