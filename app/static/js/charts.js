// Result bars: one row per option, numbers always written, bars updated in place so they animate.
import { fmt, h } from "./socket.js";

// A whole percentage of the voters, half up (1 of 8 → 13 %); the server's pages.live_share does the same.
export function percent(count, voters) {
  return voters ? Math.round((count * 100) / voters) : 0;
}

// Every mean, median, average place and average points the pages show goes through here: the server sends
// exact values, and this rounds them once, half up, to at most `digits` decimals, as people of the page's
// language write them (7.3469 → "7,3", 7.96 → "8", 1234.5 → "1.234,5"). Intl.NumberFormat rounds "halfExpand"
// from the shortest decimal of the number (7.35 → "7,4"), as the server's formatting.half_up does.
const numberFormats = new Map();
export function number(value, digits = 1) {
  if (value === null || value === undefined || typeof value !== "number" || Number.isNaN(value)) return "–";
  if (!numberFormats.has(digits)) {
    const lang = document.documentElement.lang || "de-DE";
    let format;
    try {
      format = new Intl.NumberFormat(lang, { maximumFractionDigits: digits, roundingMode: "halfExpand" });
    } catch (err) {
      const factor = 10 ** digits;
      format = { format: (v) => String(Math.round(v * factor) / factor).replace(".", ",") };
    }
    numberFormats.set(digits, format);
  }
  return numberFormats.get(digits).format(value);
}

// Only touch the DOM when the text really changed: fewer mutations, nothing for a screen reader to re-read.
export function setText(node, text) {
  if (node.textContent !== text) node.textContent = text;
}

function barRow(key) {
  return h(
    "li",
    { "data-option-id": key },
    h("div", { class: "bar-label" }, h("span", { class: "bar-name" }), h("span", { class: "bar-value" })),
    h("div", { class: "bar-track", "aria-hidden": "true" }, h("div", { class: "bar-fill" })),
  );
}

/* Rows of bars in the given order, updated in place (a row keeps its node, so its bar animates when it
   grows or moves). Each row: {key, name, value (text, "" for none), pct (bar width 0–100, null: no bar),
   mine (false or the words said to screen readers, e.g. "Ihre Antwort")}. */
export function renderRows(list, rows) {
  const existing = new Map([...list.children].map((li) => [li.dataset.optionId, li]));
  const wanted = new Set();
  rows.forEach((row, index) => {
    const key = String(row.key);
    wanted.add(key);
    let li = existing.get(key);
    if (!li) li = barRow(key);
    if (list.children[index] !== li) list.insertBefore(li, list.children[index] || null);
    setText(li.querySelector(".bar-name"), row.name);
    const value = li.querySelector(".bar-value");
    // Your own answer: a tick for the eye (CSS), words for screen readers; not colour alone.
    li.classList.toggle("mine", Boolean(row.mine));
    let note = li.querySelector(".mine-note");
    if (row.mine && !note) {
      note = h("span", { class: "visually-hidden mine-note" });
      value.before(note);
    } else if (!row.mine && note) {
      note.remove();
      note = null;
    }
    if (note) setText(note, " (" + row.mine + ")");
    setText(value, row.value || "");
    const track = li.querySelector(".bar-track");
    const fill = li.querySelector(".bar-fill");
    if (row.pct === null || row.pct === undefined) {
      fill.style.width = "0";
      track.hidden = true;
    } else {
      fill.style.width = Math.max(0, Math.min(100, row.pct)) + "%";
      track.hidden = false;
    }
    showParts(li, track, fill, row);
  });
  for (const [key, li] of existing) if (!wanted.has(key)) li.remove();
  return list;
}

export function renderBars(list, question, results, strings, mine) {
  const counts = results && results.counts;
  const voters = results ? results.voters : 0;
  const rows = question.options.map((opt) => {
    const key = String(opt.id);
    const row = { key, name: opt.label, value: "", pct: null, mine: mine && mine.includes(opt.id) ? strings.mine : false };
    if (counts) {
      const n = counts[key] || 0;
      row.pct = percent(n, voters);
      row.value = approx(results, strings) + (n === 1 ? strings.votes_1 : fmt(strings.votes_n, { n })) + " · " + row.pct + " %";
      Object.assign(row, sourceParts(results, key, strings));
    }
    return row;
  });
  list.classList.toggle("by-source", Boolean(results && results.sources));
  return renderRows(list, rows);
}

// ---- sources (#18): phones, the help-desk tablet, raised hands, paper slips ----

export const SOURCES = ["phone", "tablet", "hands", "paper"];

export function approx(results, strings) {
  return results && results.estimated ? strings.approx + " " : "";
}

/* A bar's parts when more than phones counted: each source's share of all voters (a stacked bar, told apart by
   pattern, CSS .src-<source>) and the numbers in words ("Handy 30 · Handzeichen ca. 12"), so nothing is colour alone. */
export function sourceParts(results, key, strings) {
  const sources = results && results.sources;
  if (!sources) return {};
  const voters = results.voters || 0;
  const parts = [];
  const words = [];
  for (const source of SOURCES) {
    const part = sources[source];
    if (!part) continue;
    const n = (part.counts && part.counts[key]) || 0;
    parts.push({ source, pct: voters ? (n * 100) / voters : 0 });
    words.push(strings["src_" + source] + " " + (part.estimated ? strings.approx + " " : "") + number(n, 0));
  }
  return { parts, detail: words.join(" · ") };
}

function showParts(li, track, fill, row) {
  let box = track.querySelector(".bar-parts");
  let detail = li.querySelector(".bar-detail");
  if (!row.parts || track.hidden) {
    if (box) box.remove();
    if (detail) detail.remove();
    fill.hidden = false;
    return;
  }
  fill.hidden = true;
  if (!box) box = track.appendChild(h("div", { class: "bar-parts" }));
  const existing = new Map([...box.children].map((span) => [span.dataset.source, span]));
  row.parts.forEach((part, index) => {
    let span = existing.get(part.source);
    if (!span) span = h("span", { class: "bar-part src-" + part.source, "data-source": part.source });
    existing.delete(part.source);
    if (box.children[index] !== span) box.insertBefore(span, box.children[index] || null);
    span.style.width = Math.max(0, Math.min(100, part.pct)) + "%";
    span.hidden = !part.pct;
  });
  for (const span of existing.values()) span.remove();
  if (!detail) detail = li.appendChild(h("div", { class: "bar-detail" }));
  setText(detail, row.detail);
}

// The legend of the stacked bars: a swatch with the pattern and the source's name, for each source counted.
export function renderLegend(container, results, strings) {
  let legend = container.querySelector(":scope > .source-legend");
  const sources = results && results.sources;
  if (!sources) {
    if (legend) legend.remove();
    return;
  }
  if (!legend) legend = container.insertBefore(h("ul", { class: "source-legend" }), container.firstChild);
  const items = SOURCES.filter((s) => sources[s]).map((s) =>
    h("li", {}, h("span", { class: "swatch src-" + s, "aria-hidden": "true" }), h("span", { text: strings["src_" + s] + (sources[s].estimated ? " (" + strings.approx + ")" : "") })),
  );
  if (legend.textContent !== items.map((li) => li.textContent).join("")) legend.replaceChildren(...items);
}

export function votersText(voters, strings) {
  return voters === 1 ? strings.voters_1 : fmt(strings.voters_n, { n: voters });
}

// A scale column's height, 0–1 of the tallest: moves the column and its numbers by transform (results.css), so
// a changing tally animates without shifting the page's layout.
export function setShare(column, share) {
  column.style.setProperty("--share", String(Math.max(0, Math.min(1, share))));
}

// The mean's mark at `at` percent of the axis; unseen until it has a place (results.css).
export function placeMark(mark, at) {
  mark.style.left = at + "%";
  mark.classList.add("placed");
}

// Bars rendered by the server carry their size in data-pct, the mean's mark its place in data-left (a style
// attribute would break the CSP).
export function fillServerBars(root) {
  for (const fill of root.querySelectorAll(".bar-fill[data-pct], .bar-part[data-pct]")) fill.style.width = fill.dataset.pct + "%";
  for (const fill of root.querySelectorAll(".col-fill[data-pct]")) setShare(fill.closest("li"), Number(fill.dataset.pct) / 100);
  for (const mark of root.querySelectorAll(".scale-mean-mark[data-left]")) placeMark(mark, Number(mark.dataset.left));
}
