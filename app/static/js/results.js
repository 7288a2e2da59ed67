// Results of every question kind, for the phone, the control page and the projector. Nodes are updated in
// place, so bars animate and nothing is re-read to screen readers; every number is written out as text,
// and no information is given by colour alone. _results.html renders the same markup on the server
// (without JavaScript); renderResults adopts it.
//
//   renderResults(container, question, results, strings, options)
//     options.mine      this phone's stored answer (see docs/protocol.md, "Stored answers")
//     options.compact   a small card (topic roll-up, phone)
//     options.barsId, options.votersId   ids for the bar list (choice kinds, ranking, points) and the voters line
//     options.listLimit how many word-cloud terms the visible list shows (the rest only to screen readers)
//     options.cloudLimit, options.answersLimit   how many terms / open answers are drawn
//   resultSummary(question, results, strings)   one sentence for an announcement
//   resultText(question, results, strings)      the whole result in words (announced on closing)
//   resultTable(question, results, strings)     {head, rows} for a screen-reader table, or null
import { fmt, h, loadJSON } from "./socket.js";
import { SOURCES, approx, number, percent, placeMark, renderBars, renderLegend, renderRows, setShare, setText, votersText } from "./charts.js";

export const CHOICE_KINDS = new Set(["single", "multiple", "yesno"]);
export const OPTION_KINDS = new Set(["single", "multiple", "yesno", "ranking", "points"]);

const lang = document.documentElement.lang || "de";
// The numbers of the question kinds (domain.kinds.LIMITS), as the page hands them over.
const LIMITS = loadJSON("limits") || {};
// Numbers are rounded in one place for phone, projector and control page (charts.js number).
export const num = number;

function t(strings, key, params) {
  const text = strings[key];
  if (text === undefined) {
    console.error("Saalumfrage: missing text " + key);
    return key;
  }
  return params ? fmt(text, params) : text;
}

// "1 Stimme" / "12 Stimmen": strings key_1 and key_n.
function plural(strings, key, n) {
  return n === 1 ? t(strings, key + "_1") : t(strings, key + "_n", { n: num(n) });
}

export function isShown(results) {
  return Boolean(results && results.counts);
}

// Word-cloud terms are counted by a folded key, exactly as app/domain/kinds/wordcloud.py term_key folds them:
// case (ß is ss), compatibility forms, umlauts spelled out (ä is ae), other accents dropped, spaces, dashes,
// underscores and invisible format characters dropped, and between two letters the marks * : / · . ' ’ ‘.
const UMLAUTS = { ä: "ae", ö: "oe", ü: "ue" };
export function termKey(term) {
  const folded = String(term)
    .normalize("NFKC")
    .toLowerCase()
    .replace(/ß/g, "ss")
    .replace(/ς/g, "σ")
    .replace(/[äöü]/g, (ch) => UMLAUTS[ch])
    .normalize("NFD")
    .replace(/\p{Mn}/gu, "")
    .normalize("NFC")
    .replace(/[\s\p{Pd}\p{Pc}\p{Cf}]/gu, "")
    .replace(/(?<=\p{L})[*:/·.'’‘](?=\p{L})/gu, "");
  return folded.replace(/^[^\p{L}\p{N}]+|[^\p{L}\p{N}]+$/gu, "");
}

// This phone's terms as the cloud counts them: folded, and following the moderator's merges (`merged`).
function mineKeysOf(mine, results) {
  const merged = results.merged || {};
  return new Set((Array.isArray(mine) ? mine : []).map(termKey).map((key) => merged[key] || key));
}

// A stable pseudo-random number per term: the cloud's order and colours never jump between updates.
function hash(text) {
  let value = 2166136261;
  for (let i = 0; i < text.length; i++) {
    value ^= text.charCodeAt(i);
    value = Math.imul(value, 16777619);
  }
  return value >>> 0;
}

function visibleTerms(results) {
  return (results.terms || []).filter((term) => !term.hidden);
}

function approvedAnswers(results) {
  return (results.answers || []).filter((a) => !a.status || a.status === "approved");
}

function optionLabel(question, id) {
  const opt = question.options.find((o) => String(o.id) === String(id));
  return opt ? opt.label : "";
}

// ---- the container's parts ----

function viewOf(container, question, results, options) {
  let view = container.querySelector(":scope > .results-view");
  const qid = String(question.id);
  if (!view || view.dataset.kind !== question.kind || view.dataset.questionId !== qid) {
    view = h("div", { class: "results-view", "data-kind": question.kind, "data-question-id": qid });
    container.replaceChildren(view);
  }
  view.classList.toggle("compact", Boolean(options.compact));
  const state = isShown(results) ? "shown" : "hidden";
  if (view.dataset.state !== state) {
    if (view.dataset.state) view.replaceChildren();
    view.dataset.state = state;
  }
  return view;
}

// The part with this class, made if it is not there yet. Parts are asked for in the order they appear; one
// made later (the wall after "no answers yet") still goes before the voters line, which always comes last.
function part(parent, cls, make) {
  const name = cls.split(" ")[0];
  let node = parent.querySelector(":scope > ." + name);
  if (!node) {
    node = make();
    node.classList.add(...cls.split(" "));
    const last = name === "results-voters" ? null : parent.querySelector(":scope > .results-voters");
    parent.insertBefore(node, last);
  }
  return node;
}

function drop(parent, cls) {
  const node = parent.querySelector(":scope > ." + cls);
  if (node) node.remove();
}

function votersLine(view, text, id) {
  const line = part(view, "results-voters muted", () => h("p", { id: id || null }));
  setText(line, text);
  return line;
}

// ---- per kind ----

function renderChoice(view, question, results, strings, options) {
  const bars = part(view, "bars", () => h("ol", { id: options.barsId || null }));
  renderBars(bars, question, results, strings, Array.isArray(options.mine) ? options.mine : null);
  renderLegend(view, results, strings);
  if (question.kind === "multiple") setText(part(view, "multi-note hint", () => h("p")), t(strings, "multi_note"));
  votersLine(view, approx(results, strings) + votersText(results.voters, strings), options.votersId);
}

function scaleOf(question) {
  const scale = question.scale || {};
  const low = Number.isInteger(scale.min) ? scale.min : 1;
  const high = Number.isInteger(scale.max) ? scale.max : 5;
  return { low, high, labelMin: scale.label_min || "", labelMax: scale.label_max || "" };
}

function scaleValueName(value, scale) {
  if (value === scale.low && scale.labelMin) return value + " (" + scale.labelMin + ")";
  if (value === scale.high && scale.labelMax) return value + " (" + scale.labelMax + ")";
  return String(value);
}

function scaleStats(results, strings) {
  if (!results.voters) return t(strings, "no_votes");
  return t(strings, "scale_stats", { mean: num(results.mean), median: num(results.median) });
}

function renderScale(view, question, results, strings, options) {
  const scale = scaleOf(question);
  const counts = results.counts;
  const voters = results.voters || 0;
  const mine = Array.isArray(options.mine) && options.mine.length ? options.mine[0] : null;
  const values = [];
  for (let v = scale.low; v <= scale.high; v++) values.push(v);
  const top = Math.max(1, ...values.map((v) => counts[String(v)] || 0));

  setText(part(view, "scale-stats", () => h("p")), scaleStats(results, strings));
  const chart = part(view, "scale-chart", () => h("div"));
  const cols = part(chart, "scale-cols", () => h("ol"));
  cols.dataset.count = String(values.length);
  const existing = new Map([...cols.children].map((li) => [li.dataset.value, li]));
  values.forEach((v, index) => {
    const key = String(v);
    let li = existing.get(key);
    if (!li) {
      li = h(
        "li",
        { "data-value": key },
        h("span", { class: "visually-hidden col-sr" }),
        h(
          "span",
          { class: "col-track", "aria-hidden": "true" },
          h("span", { class: "col-bar" }, h("span", { class: "col-fill" })),
          h("span", { class: "col-head" }, h("span", { class: "col-num" }), h("span", { class: "col-pct" })),
        ),
        h("span", { class: "col-label", "aria-hidden": "true" }),
      );
    }
    if (cols.children[index] !== li) cols.insertBefore(li, cols.children[index] || null);
    existing.delete(key);
    const n = counts[key] || 0;
    const pct = percent(n, voters);
    const isMine = mine === v;
    li.classList.toggle("mine", isMine);
    let sr = t(strings, "scale_item", { value: scaleValueName(v, scale), votes: plural(strings, "votes", n), pct });
    if (isMine) sr += " (" + t(strings, "mine") + ")";
    setText(li.querySelector(".col-sr"), sr);
    setText(li.querySelector(".col-num"), num(n));
    setText(li.querySelector(".col-pct"), pct + " %");
    setText(li.querySelector(".col-label"), key);
    setShare(li, n / top);
  });
  for (const li of existing.values()) li.remove();

  // The mean as a mark under the columns (each value is the middle of its column).
  const axis = part(chart, "scale-axis", () => h("div", { "aria-hidden": "true" }, h("span", { class: "scale-mean-mark" })));
  const mark = axis.querySelector(".scale-mean-mark");
  const hasMean = voters > 0 && typeof results.mean === "number";
  mark.hidden = !hasMean;
  if (hasMean) {
    placeMark(mark, ((results.mean - scale.low + 0.5) * 100) / values.length);
    setText(mark, t(strings, "mean_mark", { mean: num(results.mean) }));
  }
  const ends = part(chart, "scale-ends", () =>
    h("div", { "aria-hidden": "true" }, h("span", { class: "scale-end-min" }), h("span", { class: "scale-end-max" })),
  );
  setText(ends.querySelector(".scale-end-min"), scale.labelMin ? scale.low + " = " + scale.labelMin : "");
  setText(ends.querySelector(".scale-end-max"), scale.labelMax ? scale.high + " = " + scale.labelMax : "");
  votersLine(view, votersText(voters, strings), options.votersId);
}

// Places with ties: two options with the same points share a place.
function rankingRows(question, results) {
  const order = results.order && results.order.length ? results.order : question.options.map((o) => o.id);
  const counts = results.counts || {};
  let place = 0;
  let last = null;
  return order.map((id, index) => {
    const points = counts[String(id)] || 0;
    if (points !== last) {
      place = index + 1;
      last = points;
    }
    const avg = results.avg_rank ? results.avg_rank[String(id)] : null;
    return { id, label: optionLabel(question, id), place, points, avg };
  });
}

function renderRanking(view, question, results, strings, options) {
  const max = results.max_points || 0;
  const mine = Array.isArray(options.mine) ? options.mine : null;
  const rows = rankingRows(question, results).map((row) => {
    const myPlace = mine ? mine.indexOf(row.id) + 1 : 0;
    let value = plural(strings, "points", row.points);
    if (results.voters) value = t(strings, "avg_rank", { rank: num(row.avg) }) + " · " + value;
    return {
      key: row.id,
      name: row.place + ". " + row.label,
      value,
      pct: max ? (row.points * 100) / max : 0,
      mine: myPlace ? t(strings, "mine_rank", { n: myPlace }) : false,
    };
  });
  renderRows(part(view, "bars rank-bars", () => h("ol", { id: options.barsId || null })), rows);
  setText(part(view, "rank-note hint", () => h("p")), t(strings, "ranking_note", { n: question.options.length - 1 }));
  votersLine(view, votersText(results.voters, strings), options.votersId);
}

function renderPoints(view, question, results, strings, options) {
  const mine = options.mine && typeof options.mine === "object" && !Array.isArray(options.mine) ? options.mine : null;
  const rows = question.options.map((opt) => {
    const key = String(opt.id);
    const avg = results.counts[key] || 0;
    const my = mine ? mine[key] || 0 : 0;
    return {
      key,
      name: opt.label,
      value: t(strings, "avg_points", { n: num(avg) }),
      pct: (avg * 100) / LIMITS.points_total, // the share of the points each person gives
      mine: mine && my ? t(strings, "mine_points", { n: num(my) }) : false,
    };
  });
  renderRows(part(view, "bars points-bars", () => h("ol", { id: options.barsId || null })), rows);
  setText(part(view, "points-note hint", () => h("p")), t(strings, "points_note", { total: LIMITS.points_total }));
  votersLine(view, votersText(results.voters, strings), options.votersId);
}

// Six sizes, linear from one mention (smallest) to the most frequent term (largest); while every term has
// been named once, all are middle-sized.
function sizeStep(n, top) {
  if (top <= 1) return 3;
  return 1 + Math.round((5 * (n - 1)) / (top - 1));
}

function renderWordcloud(view, question, results, strings, options) {
  const terms = visibleTerms(results);
  const compact = Boolean(options.compact);
  const cloudLimit = options.cloudLimit || (compact ? 20 : 60);
  const listLimit = options.listLimit || (compact ? 5 : 10);
  const mineKeys = mineKeysOf(options.mine, results);
  const box = part(view, "cloud-box", () => h("div"));
  box.classList.toggle("empty", !terms.length);

  // The cloud, for the eye only (the list below says the same): a flowing line of words, stable order.
  const cloud = part(box, "cloud", () => h("p", { "aria-hidden": "true" }));
  const drawn = terms.slice(0, cloudLimit);
  const top = drawn.length ? drawn[0].n : 1;
  drawn.sort((a, b) => hash(a.key) - hash(b.key) || (a.key < b.key ? -1 : 1));
  const words = new Map([...cloud.children].map((span) => [span.dataset.key, span]));
  drawn.forEach((term, index) => {
    let span = words.get(term.key);
    if (!span) span = h("span", { class: "term", "data-key": term.key });
    words.delete(term.key);
    if (cloud.children[index] !== span) cloud.insertBefore(span, cloud.children[index] || null);
    span.className = "term s" + sizeStep(term.n, top) + " c" + (hash(term.key) % 4) + (mineKeys.has(term.key) ? " mine" : "");
    setText(span, term.label);
  });
  for (const span of words.values()) span.remove();

  const listBox = part(box, "term-box", () => h("div"));
  if (!terms.length) {
    drop(listBox, "term-list");
    drop(listBox, "terms-more");
    setText(part(listBox, "results-empty", () => h("p")), t(strings, "no_terms"));
  } else {
    drop(listBox, "results-empty");
    const list = part(listBox, "term-list", () => h("ol"));
    const items = new Map([...list.children].map((li) => [li.dataset.key, li]));
    terms.forEach((term, index) => {
      let li = items.get(term.key);
      if (!li) {
        li = h(
          "li",
          { "data-key": term.key },
          h("span", { class: "term-name" }),
          h("span", { class: "visually-hidden term-sr" }),
          h("span", { class: "term-count", "aria-hidden": "true" }),
        );
      }
      items.delete(term.key);
      if (list.children[index] !== li) list.insertBefore(li, list.children[index] || null);
      const isMine = mineKeys.has(term.key);
      li.classList.toggle("mine", isMine);
      // Beyond the visible top terms the list goes on for screen readers only.
      li.classList.toggle("extra", index >= listLimit);
      setText(li.querySelector(".term-name"), term.label);
      setText(
        li.querySelector(".term-sr"),
        ": " + plural(strings, "people", term.n) + (isMine ? " (" + t(strings, "mine_term") + ")" : ""),
      );
      setText(li.querySelector(".term-count"), num(term.n));
    });
    for (const li of items.values()) li.remove();
    const more = terms.length - listLimit;
    if (more > 0) {
      const note = part(listBox, "terms-more", () => h("p", { "aria-hidden": "true" }));
      setText(note, more === 1 ? t(strings, "terms_more_1") : t(strings, "terms_more_n", { n: num(more) }));
    } else {
      drop(listBox, "terms-more");
    }
  }
  votersLine(view, votersText(results.voters, strings), options.votersId);
}

function renderText(view, question, results, strings, options) {
  const answers = approvedAnswers(results);
  const limit = options.answersLimit || (options.compact ? 3 : answers.length);
  const shown = answers.slice(0, limit);
  const mine = typeof options.mine === "string" ? options.mine.trim() : null;
  if (!answers.length) {
    drop(view, "text-wall");
    drop(view, "answers-more");
    setText(part(view, "results-empty", () => h("p")), t(strings, "no_answers"));
  } else {
    drop(view, "results-empty");
    const wall = part(view, "text-wall", () => h("ul"));
    const cards = new Map([...wall.children].map((li) => [li.dataset.answerId, li]));
    shown.forEach((answer, index) => {
      const key = String(answer.id);
      let li = cards.get(key);
      if (!li) li = h("li", { class: "text-card", "data-answer-id": key }, h("p", { class: "text-body" }));
      cards.delete(key);
      if (wall.children[index] !== li) wall.insertBefore(li, wall.children[index] || null);
      setText(li.querySelector(".text-body"), answer.text);
      const isMine = mine !== null && mine === String(answer.text).trim();
      li.classList.toggle("mine", isMine);
      let note = li.querySelector(".mine-note");
      if (isMine && !note) li.append(h("p", { class: "mine-note", text: t(strings, "mine") }));
      else if (!isMine && note) note.remove();
    });
    for (const li of cards.values()) li.remove();
    const more = answers.length - shown.length;
    const moreText = more === 1 ? t(strings, "answers_more_1") : t(strings, "answers_more", { n: num(more) });
    if (more > 0) setText(part(view, "answers-more muted", () => h("p")), moreText);
    else drop(view, "answers-more");
  }
  votersLine(view, textCountText(results, strings), options.votersId);
}

function textCountText(results, strings) {
  const approved = results.counts && typeof results.counts.approved === "number" ? results.counts.approved : approvedAnswers(results).length;
  return t(strings, "answers_count", { received: plural(strings, "answers", results.voters || 0), approved: num(approved) });
}

const RENDERERS = {
  single: renderChoice,
  multiple: renderChoice,
  yesno: renderChoice,
  scale: renderScale,
  ranking: renderRanking,
  points: renderPoints,
  wordcloud: renderWordcloud,
  text: renderText,
};

export function renderResults(container, question, results, strings, options = {}) {
  const render = RENDERERS[question.kind];
  if (!render) throw new Error("Saalumfrage: unknown question kind " + question.kind);
  const view = viewOf(container, question, results, options);
  if (!isShown(results)) {
    setText(part(view, "results-note", () => h("p")), t(strings, "result_hidden"));
    return container;
  }
  render(view, question, results, strings, options);
  return container;
}

// ---- in words ----

function choiceRows(question, results) {
  const counts = results.counts || {};
  return question.options.map((opt) => {
    const n = counts[String(opt.id)] || 0;
    return { label: opt.label, n, pct: percent(n, results.voters) };
  });
}

function listText(items) {
  if (window.Intl && Intl.ListFormat) return new Intl.ListFormat(lang, { type: "conjunction" }).format(items);
  return items.join(", ");
}

// One sentence: the leading answer and how many took part (for a polite announcement).
export function resultSummary(question, results, strings) {
  if (!isShown(results)) return t(strings, "result_hidden");
  const voters = results.voters || 0;
  const kind = question.kind;
  if (kind === "text") {
    const approved = approvedAnswers(results).length;
    return textCountText(results, strings) + (approved ? "" : " " + t(strings, "no_answers"));
  }
  if (!voters) return t(strings, "no_votes");
  const people = votersText(voters, strings);
  if (CHOICE_KINDS.has(kind)) {
    const rows = choiceRows(question, results);
    const top = Math.max(...rows.map((r) => r.n));
    const leaders = rows.filter((r) => r.n === top);
    const lead =
      leaders.length === 1
        ? t(strings, "leader_1", { name: leaders[0].label, pct: leaders[0].pct })
        : t(strings, "leader_n", { names: listText(leaders.map((r) => r.label)), pct: leaders[0].pct });
    return lead + " " + people;
  }
  if (kind === "scale") {
    return t(strings, "summary_scale", { mean: num(results.mean), median: num(results.median), votes: plural(strings, "votes", voters) });
  }
  if (kind === "ranking") {
    const first = rankingRows(question, results).filter((row) => row.place === 1);
    return t(strings, "summary_ranking", {
      names: listText(first.map((row) => row.label)),
      rank: num(first[0].avg),
    }) + " " + people;
  }
  if (kind === "points") {
    const rows = question.options.map((o) => ({ label: o.label, avg: results.counts[String(o.id)] || 0 }));
    const top = Math.max(...rows.map((r) => r.avg));
    const leaders = rows.filter((r) => r.avg === top);
    return t(strings, "summary_points", { names: listText(leaders.map((r) => r.label)), n: num(top) }) + " " + people;
  }
  if (kind === "wordcloud") {
    const terms = visibleTerms(results).slice(0, 3);
    if (!terms.length) return t(strings, "no_terms");
    return t(strings, "summary_terms", { items: terms.map((term) => term.label + " (" + num(term.n) + ")").join(", ") }) + " " + people;
  }
  throw new Error("Saalumfrage: unknown question kind " + kind);
}

// The whole result in words, e.g. when voting closes.
export function resultText(question, results, strings) {
  if (!isShown(results)) return t(strings, "result_hidden");
  const kind = question.kind;
  const voters = results.voters || 0;
  let items;
  if (CHOICE_KINDS.has(kind)) {
    items = choiceRows(question, results).map((row) =>
      t(strings, "result_item", { name: row.label, votes: plural(strings, "votes", row.n), pct: row.pct }),
    );
  } else if (kind === "scale") {
    if (!voters) return t(strings, "no_votes");
    return t(strings, "summary_scale", { mean: num(results.mean), median: num(results.median), votes: plural(strings, "votes", voters) });
  } else if (kind === "ranking") {
    if (!voters) return t(strings, "no_votes");
    items = rankingRows(question, results).map((row) =>
      t(strings, "ranking_item", { place: row.place, name: row.label, rank: num(row.avg) }),
    );
  } else if (kind === "points") {
    if (!voters) return t(strings, "no_votes");
    items = question.options.map((o) => t(strings, "points_item", { name: o.label, n: num(results.counts[String(o.id)] || 0) }));
  } else if (kind === "wordcloud" || kind === "text") {
    return resultSummary(question, results, strings);
  } else {
    throw new Error("Saalumfrage: unknown question kind " + kind);
  }
  return t(strings, "result_list", { items: items.join("; ") }) + " " + votersText(voters, strings);
}

// The numbers as a table for screen readers: {head: [...], rows: [[header cell, cells...]]}; null for open
// text (the wall of answers reads well as it is).
export function resultTable(question, results, strings) {
  if (!isShown(results)) return null;
  const kind = question.kind;
  const voters = results.voters || 0;
  if (CHOICE_KINDS.has(kind)) {
    const keys = question.options.map((o) => String(o.id));
    return bySource(results, strings, keys, {
      head: [t(strings, "th_answer"), t(strings, "th_votes"), t(strings, "th_percent")],
      rows: choiceRows(question, results).map((row) => [row.label, num(row.n), row.pct + " %"]),
    });
  }
  if (kind === "scale") {
    const scale = scaleOf(question);
    const rows = [];
    const keys = [];
    for (let v = scale.low; v <= scale.high; v++) {
      const n = results.counts[String(v)] || 0;
      keys.push(String(v));
      rows.push([scaleValueName(v, scale), num(n), percent(n, voters) + " %"]);
    }
    return bySource(results, strings, keys, { head: [t(strings, "th_value"), t(strings, "th_votes"), t(strings, "th_percent")], rows });
  }
  if (kind === "ranking") {
    return {
      head: [t(strings, "th_answer"), t(strings, "th_place"), t(strings, "th_avg_rank"), t(strings, "th_points")],
      rows: rankingRows(question, results).map((row) => [row.label, String(row.place), num(row.avg), num(row.points)]),
    };
  }
  if (kind === "points") {
    return {
      head: [t(strings, "th_answer"), t(strings, "th_avg_points"), t(strings, "th_total_points")],
      rows: question.options.map((o) => [
        o.label,
        num(results.counts[String(o.id)] || 0),
        num(results.totals ? results.totals[String(o.id)] || 0 : 0),
      ]),
    };
  }
  if (kind === "wordcloud") {
    return {
      head: [t(strings, "th_term"), t(strings, "th_people")],
      rows: visibleTerms(results).map((term) => [term.label, num(term.n)]),
    };
  }
  return null;
}

// With more sources than phones (#18): a column per source before the total ("ca." where estimated).
function bySource(results, strings, keys, table) {
  const sources = results.sources;
  if (!sources) return table;
  const present = SOURCES.filter((s) => sources[s]);
  const mark = (part) => (part.estimated ? t(strings, "approx") + " " : "");
  return {
    head: [table.head[0], ...present.map((s) => t(strings, "src_" + s)), t(strings, "th_total"), table.head[2]],
    rows: table.rows.map(([label, total, pct], index) => [
      label,
      ...present.map((s) => mark(sources[s]) + num((sources[s].counts && sources[s].counts[keys[index]]) || 0)),
      approx(results, strings) + total,
      pct,
    ]),
  };
}

// Fill a <table> (with <caption>, <thead>, <tbody>) from resultTable(); false when there is no table.
export function renderResultTable(table, question, results, strings) {
  const data = resultTable(question, results, strings);
  if (!data) return false;
  const headRow = h("tr", {}, ...data.head.map((text) => h("th", { scope: "col", text })));
  const thead = table.tHead || table.createTHead();
  if (thead.textContent !== headRow.textContent || thead.rows.length !== 1) thead.replaceChildren(headRow);
  const body = table.tBodies[0] || table.createTBody();
  body.replaceChildren(
    ...data.rows.map(([first, ...cells]) => h("tr", {}, h("th", { scope: "row", text: first }), ...cells.map((text) => h("td", { text })))),
  );
  return true;
}
