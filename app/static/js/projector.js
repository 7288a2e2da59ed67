// The projector: the join screen, the current question with its live result (any kind, earlier rounds beside
// it when compared, a countdown when one runs), or the roll-up of one topic. The numbers are also a table for
// screen readers, and spoken updates never come more often than every ANNOUNCE_EVERY_MS.
import { announce, connect, fmt, h, loadJSON, serverNow, showStatus } from "./socket.js";
import { number, percent, renderBars, setText } from "./charts.js";
import { showBreakdown } from "./segments.js";
import { CHOICE_KINDS, OPTION_KINDS, isShown, renderResultTable, renderResults, resultSummary, resultText } from "./results.js";

document.documentElement.classList.add("js");
const strings = loadJSON("strings");
const LIMITS = loadJSON("limits"); // the numbers of the question kinds (domain.kinds.LIMITS)
const token = document.body.dataset.token;
const el = (id) => document.getElementById(id);
const captionText = el("p-table-caption").textContent;
const ANNOUNCE_EVERY_MS = 10000;
const COUNTDOWN_SAY_AT = [60, 30, 10]; // seconds left that are said aloud
let current = null;

function countText(voters) {
  return voters === 1 ? strings.count_votes_1 : fmt(strings.count_votes_n, { n: voters });
}
function answersText(n) {
  return n === 1 ? strings.count_answers_1 : fmt(strings.count_answers_n, { n });
}
function phonesText(n) {
  return n === 1 ? strings.phones_1 : fmt(strings.phones_n, { n });
}
function votesText(n) {
  return n === 1 ? strings.votes_1 : fmt(strings.votes_n, { n });
}
function givenText(question, voters) {
  return question && question.kind === "text" ? answersText(voters) : countText(voters);
}
function setPhones(n) {
  el("p-phones").textContent = phonesText(n);
  el("p-topic-phones").textContent = phonesText(n);
}

// A tally carries the result plus its envelope; the result is the rest.
function resultOf(msg) {
  const results = { ...msg };
  for (const key of ["type", "connected", "now"]) delete results[key];
  return results;
}

// ---- the numbers as a table ----

function renderTable(question, results) {
  const shown = isShown(results) && renderResultTable(el("p-table"), question, results, strings);
  el("p-table-wrap").hidden = !shown;
  // While the table has the numbers, screen readers read it instead of the chart (which says the same).
  for (const node of [el("p-results"), el("p-bars")]) {
    if (!node) continue;
    if (shown) node.setAttribute("aria-hidden", "true");
    else node.removeAttribute("aria-hidden");
  }
  if (!shown) {
    setText(el("p-table-caption"), captionText);
    return;
  }
  let caption = captionText;
  if (question.kind === "multiple") caption += " (" + strings.multi_note + ")";
  if (question.kind === "scale" && results.voters) {
    caption += " (" + fmt(strings.scale_stats, { mean: number(results.mean), median: number(results.median) }) + ")";
  }
  setText(el("p-table-caption"), caption);
}

// ---- what a screen reader says ----

// "A, B und C"; older browsers without Intl.ListFormat get "A, B, C".
const listFormat =
  window.Intl && Intl.ListFormat
    ? new Intl.ListFormat(document.documentElement.lang || "de", { type: "conjunction" })
    : { format: (items) => items.join(", ") };
let lastSpoken = 0;
let spokenResults = "";
let interimTimer = null;

function say(text) {
  clearTimeout(interimTimer);
  interimTimer = null;
  lastSpoken = Date.now();
  announce(text);
}

function choiceRows(question, results) {
  const counts = (results && results.counts) || {};
  const voters = results ? results.voters : 0;
  return question.options.map((opt) => {
    const n = counts[String(opt.id)] || 0;
    return { label: opt.label, n, pct: percent(n, voters) };
  });
}

// The whole result (on closing, on showing it).
function resultList(question, results) {
  if (!CHOICE_KINDS.has(question.kind)) return resultText(question, results, strings);
  const items = choiceRows(question, results).map((row) =>
    fmt(strings.result_item, { name: row.label, votes: votesText(row.n), pct: row.pct }),
  );
  return fmt(strings.result_list, { items: items.join("; ") }) + " " + countText(results.voters) + ".";
}

function interimText(question, results) {
  const head = fmt(strings.interim, { votes: givenText(question, results.voters) });
  if (!CHOICE_KINDS.has(question.kind)) return head + " " + resultSummary(question, results, strings);
  const rows = choiceRows(question, results);
  const top = Math.max(...rows.map((row) => row.n));
  const leaders = rows.filter((row) => row.n === top);
  const lead =
    leaders.length === 1
      ? fmt(strings.leader_1, { name: leaders[0].label, pct: leaders[0].pct })
      : fmt(strings.leader_n, { names: listFormat.format(leaders.map((row) => row.label)), pct: leaders[0].pct });
  return head + " " + lead;
}

// Results of an open question changed: say the interim result, but at most every ANNOUNCE_EVERY_MS.
function resultsChanged() {
  if (interimTimer) return; // already due; it will read the newest numbers
  const wait = Math.max(0, lastSpoken + ANNOUNCE_EVERY_MS - Date.now());
  interimTimer = setTimeout(() => {
    interimTimer = null;
    const r = current && current.results;
    if (!current || current.screen === "topic" || current.phase !== "open" || !isShown(r) || !r.voters) return;
    const key = JSON.stringify([r.voters, r.counts]);
    if (key === spokenResults) return;
    spokenResults = key;
    say(interimText(current.question, r));
  }, wait);
}

// ---- the countdown ----

// On the server's clock (socket.js serverNow): the device's own wall clock never enters.
let countdownTimer = null;
let countdownFor = null; // "question id/closes_at" the countdown runs for
let countdownSaid = new Set();
let timeUpSaid = false; // "Zeit abgelaufen" was said for the countdown that just ended

function clockText(seconds) {
  const m = Math.floor(seconds / 60);
  const s = seconds % 60;
  return m + ":" + String(s).padStart(2, "0");
}

function timeWords(seconds) {
  if (seconds >= 60 && seconds % 60 === 0) {
    const m = seconds / 60;
    return m === 1 ? strings.minutes_1 : fmt(strings.minutes_n, { n: m });
  }
  return seconds === 1 ? strings.seconds_1 : fmt(strings.seconds_n, { n: seconds });
}

function tickCountdown() {
  const q = current && current.question;
  const box = el("p-countdown");
  if (!q || !q.closes_at || current.phase !== "open") {
    if (!box.hidden) {
      box.hidden = true;
      fitToScreen();
    }
    clearInterval(countdownTimer);
    countdownTimer = null;
    return;
  }
  const left = Math.max(0, Math.ceil((q.closes_at - serverNow()) / 1000));
  const appearing = box.hidden;
  box.hidden = false;
  box.dataset.urgent = String(left <= 10);
  box.classList.toggle("over", left === 0);
  setText(el("p-countdown-time"), clockText(left));
  setText(box.querySelector(".p-countdown-label"), left === 0 ? strings.time_up : strings.time_left);
  for (const at of COUNTDOWN_SAY_AT) {
    if (left <= at && !countdownSaid.has(at)) {
      countdownSaid.add(at);
      // Only the moment it passes is said; a page opened with 45 s left does not say "60".
      if (left > at - 2 && left > 0) say(fmt(strings.time_left_say, { time: timeWords(at) }));
    }
  }
  if (left === 0 && !countdownSaid.has(0)) {
    countdownSaid.add(0);
    timeUpSaid = true;
    say(strings.time_up);
  }
  if (appearing) fitToScreen();
}

// Returns {started: seconds left} when a countdown has just begun (or become known), else null.
function updateCountdown() {
  const q = current && current.question;
  const key = q && q.closes_at && current.phase === "open" ? q.id + "/" + q.closes_at : null;
  let started = null;
  if (key !== countdownFor) {
    countdownFor = key;
    countdownSaid = new Set();
    if (key) {
      timeUpSaid = false;
      started = Math.max(0, Math.ceil((q.closes_at - serverNow()) / 1000));
      // The start is said with the time left; thresholds already reached are not said again.
      for (const at of COUNTDOWN_SAY_AT) if (started <= at) countdownSaid.add(at);
    }
  }
  if (key && !countdownTimer) countdownTimer = setInterval(tickCountdown, 250);
  tickCountdown();
  return started === null ? null : { started };
}

// ---- layout ----

// Every screen must fit the beamer without scrolling, with no text under --floor (24 px; projector.css). A
// crowded screen is first made smaller (--fit, down to the floor), then long labels are clamped to two lines
// and one (data-squeeze; the full text stays in their title and in the table), and a big word cloud or many
// open answers show fewer items (the rarest terms and the oldest answers go first). The roll-up also picks
// how many cards stand side by side. Only on projector-sized windows; zoomed-in or small windows scroll
// instead, as text there must not get smaller.
const MAX_ITEMS = 60;
const MAX_LISTED = 10;
const MIN_CARD_EM = 12; // the narrowest card of the roll-up, in the smallest text's size
let itemLimit = MAX_ITEMS; // terms in the cloud, open answers on the wall
let listLimit = MAX_LISTED; // terms in the visible list beside the cloud

function overflowing() {
  const root = document.documentElement;
  if (root.scrollHeight > window.innerHeight || root.scrollWidth > window.innerWidth) return true;
  // A roll-up card whose content is wider than the card (e.g. eleven scale columns) needs a wider card.
  if (el("topic-screen").hidden) return false;
  return [...el("p-topic-grid").children].some((card) => card.scrollWidth > card.clientWidth + 1);
}

// The smallest --fit that still changes anything: below it, max(var(--floor), …) holds the text at the floor.
function lowestFit() {
  const u = parseFloat(getComputedStyle(document.body).fontSize);
  const floor = parseFloat(getComputedStyle(el("p-corner")).fontSize);
  return u > 0 && floor > 0 ? Math.min(1, Math.max(0.5, Math.floor((floor / u) * 20) / 20)) : 1;
}

// The largest `name` (--fit) in [lowest, highest] (in steps of 0.05) at which nothing overflows; lowest if none.
function shrink(screen, lowest, highest = 1, name = "--fit") {
  const set = (fit) => screen.style.setProperty(name, fit.toFixed(2));
  set(highest);
  if (!overflowing()) return;
  let lo = Math.round(lowest * 20);
  let hi = Math.round(highest * 20) - 1;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    set(mid / 20);
    if (overflowing()) hi = mid - 1;
    else lo = mid;
  }
  set(lo / 20);
}

function squeeze(node, level) {
  if (level) node.dataset.squeeze = String(level);
  else delete node.dataset.squeeze;
}

// Smaller first, then clamped labels: the first squeeze level at which the screen fits.
function fitQuestion(screen) {
  const lowest = lowestFit();
  for (const level of [0, 1, 2]) {
    squeeze(screen, level);
    shrink(screen, lowest);
    if (!overflowing()) return;
  }
}

// Column counts worth trying for n cards: one row, two rows, …, each as wide as the screen allows.
function columnChoices(n) {
  const floor = parseFloat(getComputedStyle(el("p-corner")).fontSize) || 24;
  const widest = Math.max(1, Math.floor(window.innerWidth / (MIN_CARD_EM * floor)));
  const choices = [];
  for (let rows = 1; rows <= n; rows++) {
    const cols = Math.min(widest, Math.ceil(n / rows));
    if (!choices.includes(cols)) choices.push(cols);
  }
  return choices;
}

// The roll-up: the arrangement with the largest text that fits (a topic of few questions grows, up to 150 %);
// if none fits, labels are clamped (squeeze 1), then the tallest cards, one by one, say their result in one
// sentence instead of their chart (summarized): the arrangement that needs the fewest of those wins.
function summarize(cards, level) {
  for (const card of cards) card.classList.remove("summarized");
  if (level < 2) return 0;
  let count = 0;
  while (overflowing() && count < cards.length) {
    const open = cards.filter((card) => !card.classList.contains("summarized") && card.querySelector(".topic-card-summary").textContent);
    if (!open.length) break;
    open.sort((a, b) => b.offsetHeight - a.offsetHeight)[0].classList.add("summarized");
    count += 1;
  }
  // The room that is left may take back a smaller chart.
  for (const card of cards.filter((c) => c.classList.contains("summarized"))) {
    card.classList.remove("summarized");
    if (overflowing()) card.classList.add("summarized");
    else count -= 1;
  }
  return count;
}

function fitTopic(screen) {
  const grid = el("p-topic-grid");
  const cards = [...grid.children];
  const lowest = lowestFit();
  const choices = columnChoices(Math.max(1, cards.length));
  let best = null;
  let least = null; // if nothing fits: the arrangement that overflows least
  for (const level of [0, 1, 2]) {
    squeeze(grid, Math.min(level, 1));
    for (const cols of choices) {
      grid.style.setProperty("--cols", String(cols));
      summarize(cards, 0);
      shrink(screen, lowest, level ? 1 : 1.5);
      const summarized = summarize(cards, level);
      const fit = Number(screen.style.getPropertyValue("--fit"));
      if (!overflowing()) {
        if (!best || summarized < best.summarized || (summarized === best.summarized && fit > best.fit + 0.001)) {
          best = { level, cols, fit, summarized };
        }
      } else if (level === 2) {
        const over = document.documentElement.scrollHeight;
        if (!least || over < least.over) least = { level, cols, fit, over };
      }
    }
    if (best) break;
  }
  const chosen = best || least;
  squeeze(grid, Math.min(chosen.level, 1));
  grid.style.setProperty("--cols", String(chosen.cols));
  screen.style.setProperty("--fit", chosen.fit.toFixed(2));
  summarize(cards, chosen.level);
}

let fitting = false;
let fullFitAt = -Infinity;
let fullFitTimer = null;
// `full`: also try all items again (they may fit now) and every arrangement of the roll-up; done at most every
// 2 s while tallies stream in, as it takes several layouts.
function fitToScreen(full = false) {
  if (fitting) return;
  fitting = true;
  try {
    for (const screen of [el("question-screen"), el("topic-screen")]) {
      if (screen.hidden || window.innerWidth < 1000) {
        screen.style.removeProperty("--fit");
        delete screen.dataset.fitFor;
        squeeze(screen, 0);
        if (screen.id === "topic-screen") {
          squeeze(el("p-topic-grid"), 0);
          el("p-topic-grid").style.removeProperty("--cols");
        }
        continue;
      }
      if (screen.id === "topic-screen") {
        // A new tally that still fits keeps the arrangement; anything else looks for the best one again.
        const view = current && current.topic_view;
        const key = view ? view.topic.id + "/" + view.items.length : "";
        if (full || overflowing() || screen.dataset.fitFor !== key) fitTopic(screen);
        screen.dataset.fitFor = key;
        continue;
      }
      screen.style.removeProperty("--fit");
      const kind = current && current.question && current.question.kind;
      const trims = (kind === "wordcloud" || kind === "text") && isShown(current.results);
      if (!trims) {
        fitQuestion(screen);
        continue;
      }
      squeeze(screen, 0);
      const again = full || performance.now() - fullFitAt > 2000;
      if (again) fullFitAt = performance.now();
      else if (!fullFitTimer) {
        fullFitTimer = setTimeout(() => {
          fullFitTimer = null;
          fitToScreen(true);
        }, 2000 - (performance.now() - fullFitAt));
      }
      if (again && (itemLimit !== MAX_ITEMS || listLimit !== MAX_LISTED)) {
        itemLimit = MAX_ITEMS;
        listLimit = MAX_LISTED;
        showResults(current.question, current.results, current.rounds);
      }
      const lowest = lowestFit();
      const box = el("p-results");
      if (again) box.style.removeProperty("--cloud");
      box.style.removeProperty("--wall");
      shrink(screen, lowest);
      // A big cloud gets smaller as a whole (to half its size, never under the floor) before rare terms are left out.
      if (overflowing() && kind === "wordcloud") shrink(box, 0.5, Number(box.style.getPropertyValue("--cloud") || 1), "--cloud");
      if (overflowing() && kind === "text") {
        // As many of the newest answers as fit (at least one).
        let lo = 1;
        let hi = Math.min(itemLimit, MAX_ITEMS) - 1;
        while (lo < hi) {
          itemLimit = Math.ceil((lo + hi) / 2);
          showResults(current.question, current.results, current.rounds);
          if (overflowing()) hi = itemLimit - 1;
          else lo = itemLimit;
        }
        itemLimit = lo;
        showResults(current.question, current.results, current.rounds);
      }
      while (overflowing() && (itemLimit > 1 || listLimit > 1)) {
        // Whichever is taller gives way: the list beside the cloud, or the cloud (or the wall) itself.
        const list = screen.querySelector("#p-results .term-box");
        const cloud = screen.querySelector("#p-results .cloud");
        if (list && cloud && listLimit > 1 && (list.offsetHeight > cloud.offsetHeight || itemLimit <= 1)) listLimit -= 1;
        else if (itemLimit > 1) itemLimit = Math.max(1, Math.floor(itemLimit * 0.8));
        else break;
        showResults(current.question, current.results, current.rounds);
      }
      shrink(screen, lowest); // with fewer items the text may be larger again
      // A few answers: larger cards, read from the back of the hall.
      if (kind === "text" && screen.style.getPropertyValue("--fit") === "1.00") shrink(box, 1, 1.6, "--wall");
    }
  } finally {
    fitting = false;
  }
}
window.addEventListener("resize", () => {
  measureCorner();
  fitToScreen(true);
});

// ---- the corner: connection and fullscreen ----

// The screens keep the top right corner free: its size goes to --corner-w / --corner-h (0 when it is not
// fixed there, on a small window).
const corner = el("p-corner");
function measureCorner() {
  const fixed = getComputedStyle(corner).position === "fixed";
  const box = corner.getBoundingClientRect();
  const top = parseFloat(getComputedStyle(document.querySelector("main")).paddingTop) || 0;
  const width = fixed && box.width ? Math.ceil(window.innerWidth - box.left) : 0;
  const height = fixed && box.height ? Math.ceil(Math.max(0, box.bottom - top)) : 0;
  document.body.style.setProperty("--corner-w", width + "px");
  document.body.style.setProperty("--corner-h", height + "px");
}
if (window.ResizeObserver) {
  new ResizeObserver(() => {
    measureCorner();
    fitToScreen();
  }).observe(corner);
}
measureCorner();

// Fullscreen (button or key F), where the browser allows it; in fullscreen the button hides itself (Esc or F
// leave it).
const fullscreenButton = el("fullscreen");
const canFullscreen = Boolean(document.fullscreenEnabled && document.documentElement.requestFullscreen);
function toggleFullscreen() {
  if (!canFullscreen) return;
  const done = document.fullscreenElement ? document.exitFullscreen() : document.documentElement.requestFullscreen();
  if (done && done.catch) done.catch(() => {}); // refused (no user gesture): nothing changes
}
function fullscreenChanged() {
  fullscreenButton.hidden = !canFullscreen || Boolean(document.fullscreenElement);
}
fullscreenButton.addEventListener("click", toggleFullscreen);
document.addEventListener("fullscreenchange", fullscreenChanged);
document.addEventListener("keydown", (event) => {
  if (event.key !== "f" && event.key !== "F") return;
  if (event.ctrlKey || event.metaKey || event.altKey || event.repeat || event.defaultPrevented) return;
  const target = event.target;
  if (target instanceof Element && target.closest("input, textarea, select, [contenteditable]")) return;
  event.preventDefault();
  toggleFullscreen();
});
fullscreenChanged();

// ---- the question screen ----

function hintText(q) {
  switch (q.kind) {
    case "multiple":
      return fmt(strings.hint_multiple, { n: q.max_choices });
    case "scale":
      return fmt(strings.hint_scale, { min: q.scale ? q.scale.min : 1, max: q.scale ? q.scale.max : 5 });
    case "ranking":
      return strings.hint_ranking;
    case "points":
      return fmt(strings.hint_points, { total: LIMITS.points_total });
    case "wordcloud":
      return q.max_choices === 1 ? strings.hint_terms_1 : fmt(strings.hint_terms_n, { n: q.max_choices });
    case "text":
      return strings.hint_text;
    default:
      return strings.hint_single;
  }
}

function renderOptions(container, barsId, question) {
  // Hidden numbers: the answers to choose from are still listed, without values.
  let view = container.querySelector(":scope > .results-view");
  if (!view || view.dataset.state !== "names" || view.dataset.questionId !== String(question.id)) {
    view = h("div", { class: "results-view", "data-kind": question.kind, "data-question-id": String(question.id), "data-state": "names" });
    container.replaceChildren(view);
  }
  let list = view.querySelector(":scope > .bars");
  if (!list) list = view.appendChild(h("ol", { class: "bars", id: barsId || null }));
  renderBars(list, question, null, strings, null);
}

function renderInto(container, question, results, barsId) {
  if (isShown(results)) {
    renderResults(container, question, results, strings, { barsId, listLimit, cloudLimit: itemLimit, answersLimit: itemLimit });
  } else if (OPTION_KINDS.has(question.kind)) {
    renderOptions(container, barsId, question);
  } else {
    container.replaceChildren();
  }
  const bars = container.querySelector(".bars");
  if (bars) {
    // A label clamped on a crowded screen keeps its full text here (and in the table).
    for (const name of bars.querySelectorAll(".bar-name")) if (name.title !== name.textContent) name.title = name.textContent;
    bars.classList.add("p-bars");
    bars.dataset.count = String(question.options.length);
    bars.classList.toggle("no-counts", !isShown(results));
  }
}

function showRounds(question, rounds) {
  const box = el("p-rounds");
  const comparing = Boolean(rounds && rounds.length);
  el("p-stage").classList.toggle("comparing", comparing);
  el("p-stage").dataset.rounds = String(comparing ? rounds.length + 1 : 1);
  const title = el("p-current-title");
  title.hidden = !comparing;
  setText(title, fmt(strings.round_n, { n: question.round }) + (comparing ? " · " + strings.round_current : ""));
  if (!comparing) {
    box.replaceChildren();
    return;
  }
  const sections = new Map([...box.children].map((s) => [s.dataset.round, s]));
  rounds.forEach((item, index) => {
    const key = question.id + "/" + item.round;
    let section = sections.get(key);
    if (!section) {
      const id = "p-round-" + item.round;
      section = h(
        "section",
        { class: "p-round", "data-round": key, "aria-labelledby": id + "-title" },
        h("h2", { class: "p-round-title", id: id + "-title" }),
        h("div", { class: "p-results" }),
      );
    }
    sections.delete(key);
    if (box.children[index] !== section) box.insertBefore(section, box.children[index] || null);
    const r = item.results;
    setText(
      section.querySelector(".p-round-title"),
      fmt(strings.round_n, { n: item.round }) + " · " + givenText(question, r ? r.voters : 0),
    );
    renderInto(section.querySelector(".p-results"), question, r, null);
  });
  for (const section of sections.values()) section.remove();
}

function showResults(question, results, rounds) {
  const hidden = !isShown(results);
  el("p-hidden").hidden = !hidden;
  renderInto(el("p-results"), question, results, "p-bars");
  showRounds(question, rounds);
  renderTable(question, results);
  el("p-votes").textContent = givenText(question, results ? results.voters : 0);
}

// ---- the topic roll-up ----

function statusText(q, phase, currentId) {
  if (q.status === "draft") return strings.topic_not_asked;
  if (q.id === currentId && phase === "open") return strings.proj_open;
  return strings.proj_closed;
}

function showTopic(msg) {
  const view = msg.topic_view;
  setText(el("p-topic-title"), view.topic.title);
  const grid = el("p-topic-grid");
  grid.dataset.count = String(view.items.length);
  const currentId = msg.question ? msg.question.id : null;
  const cards = new Map([...grid.children].map((li) => [li.dataset.questionId, li]));
  let asked = 0;
  view.items.forEach((item, index) => {
    const q = item.question;
    const key = String(q.id);
    let card = cards.get(key);
    if (!card) {
      card = h(
        "li",
        { class: "topic-card", "data-question-id": key },
        h("h2", { class: "topic-card-question" }),
        h("p", { class: "topic-card-status" }),
        h("div", { class: "topic-card-results" }),
        h("p", { class: "topic-card-summary" }),
      );
    }
    cards.delete(key);
    if (grid.children[index] !== card) grid.insertBefore(card, grid.children[index] || null);
    const heading = card.querySelector(".topic-card-question");
    setText(heading, q.text);
    heading.title = q.text; // clamped on a crowded roll-up
    const status = card.querySelector(".topic-card-status");
    const draft = q.status === "draft" || !item.results;
    if (!draft) asked += 1;
    status.dataset.phase = draft ? "draft" : q.id === currentId && msg.phase === "open" ? "open" : "closed";
    setText(status, statusText(q, msg.phase, currentId));
    card.classList.toggle("draft", draft);
    card.classList.toggle("current", q.id === currentId);
    const box = card.querySelector(".topic-card-results");
    // On a roll-up too full for every chart, each card says its result in one sentence instead.
    const summary = card.querySelector(".topic-card-summary");
    setText(summary, draft ? "" : resultSummary(q, item.results, strings));
    summary.title = summary.textContent; // clamped to four lines
    if (draft) box.replaceChildren();
    else {
      renderResults(box, q, item.results, strings, { compact: true, listLimit: 5, cloudLimit: 20, answersLimit: 3 });
      for (const node of box.querySelectorAll(".bar-name, .text-body")) if (node.title !== node.textContent) node.title = node.textContent;
    }
  });
  for (const card of cards.values()) card.remove();
  setText(el("p-topic-count"), fmt(strings.topic_count, { asked, n: view.items.length }));
}

// ---- messages ----

function onState(msg) {
  const previous = current;
  current = msg;
  const q = msg.question;
  const screen = msg.screen || (msg.phase === "join" || !q ? "join" : "question");
  const topicScreen = screen === "topic" && Boolean(msg.topic_view);
  const joinScreen = !topicScreen && (screen === "join" || !q);
  const previousScreen = previous ? previous.screenShown : null;
  msg.screenShown = topicScreen ? "topic" : joinScreen ? "join" : "question";
  if (showBreakdown(msg)) { // the result by group (segments.js) takes the whole screen
    msg.screenShown = "breakdown";
    for (const id of ["join-screen", "question-screen", "topic-screen"]) el(id).hidden = true;
    return;
  }
  el("join-screen").hidden = !joinScreen;
  el("question-screen").hidden = joinScreen || topicScreen;
  el("topic-screen").hidden = !topicScreen;
  if (typeof msg.connected === "number") setPhones(msg.connected);
  // On the join screen while a question is open, late-comers see what they can still answer.
  const live = el("join-live");
  live.hidden = !(joinScreen && q && msg.phase === "open");
  if (!live.hidden) setText(live, fmt(strings.join_live, { text: q.text }));

  if (joinScreen) {
    updateCountdown();
    if (previousScreen && previousScreen !== "join") say(el("join-title").textContent);
    return;
  }
  if (topicScreen) {
    updateCountdown();
    showTopic(msg);
    fitToScreen();
    const topicChanged = !previous || previousScreen !== "topic" || !previous.topic_view || previous.topic_view.topic.id !== msg.topic_view.topic.id;
    if (topicChanged) say(fmt(strings.topic_overview, { topic: msg.topic_view.topic.title, n: msg.topic_view.items.length }));
    return;
  }

  const newQuestion = !previous || !previous.question || previous.question.id !== q.id || previousScreen !== "question";
  const newRound = !newQuestion && previous.question.round !== q.round;
  el("question-screen").dataset.count = String(q.options.length);
  el("question-screen").dataset.kind = q.kind;
  el("p-topic").textContent = q.topic;
  el("p-question").textContent = q.text;
  el("p-hint").textContent = hintText(q);
  const phase = el("p-phase");
  phase.dataset.phase = msg.phase;
  phase.textContent = msg.phase === "open" ? strings.proj_open : strings.proj_closed;
  if (newQuestion || newRound) {
    el("p-results").replaceChildren();
    itemLimit = MAX_ITEMS;
    listLimit = MAX_LISTED;
  }
  showResults(q, msg.results, msg.rounds);
  const counting = msg.phase === "closed" ? msg.counting || "" : "";
  el("p-counting").hidden = !counting;
  if (counting) setText(el("p-counting"), strings["pr_count_" + counting]);
  const countingBefore = previous && previous.phase === "closed" && !newQuestion ? previous.counting || "" : "";
  const countdown = updateCountdown();
  fitToScreen(newQuestion || newRound);

  const shown = isShown(msg.results);
  const wasShown = Boolean(previous && isShown(previous.results));
  const samePlace = previous && previous.question && !newQuestion;
  if (newQuestion) {
    spokenResults = "";
    let text = fmt(strings.new_question, { text: q.text });
    if (msg.phase !== "open") text += " " + strings.proj_closed + "." + (shown ? " " + resultList(q, msg.results) : "");
    else if (countdown) text += " " + fmt(strings.time_left_say, { time: timeWords(countdown.started) });
    say(text);
  } else if (newRound) {
    spokenResults = "";
    say(fmt(strings.round_started, { n: q.round }) + (msg.phase === "open" ? " " + strings.proj_open + "." : ""));
  } else if (counting !== countingBefore) {
    say(counting ? strings["pr_count_" + counting] : shown ? resultList(q, msg.results) : strings.proj_closed);
  } else if (previous.phase !== msg.phase) {
    // Closing says the whole result at once; opening again just says so. A countdown that ran out says so
    // first, unless the page already said it.
    const ranOut = msg.phase !== "open" && previous.question.closes_at && serverNow() >= previous.question.closes_at - 1500;
    const prefix = ranOut && !timeUpSaid ? strings.time_up + ". " : "";
    if (msg.phase === "open") say(strings.proj_open);
    else say(prefix + strings.proj_closed + ". " + (shown ? resultList(q, msg.results) : strings.proj_hidden));
  } else if (shown !== wasShown) {
    say(shown ? resultList(q, msg.results) : strings.proj_hidden);
  } else if (countdown && samePlace) {
    say(fmt(strings.time_left_say, { time: timeWords(countdown.started) }));
  } else if (Boolean(msg.rounds && msg.rounds.length) !== Boolean(previous.rounds && previous.rounds.length)) {
    say(msg.rounds && msg.rounds.length ? strings.rounds_compared : fmt(strings.round_n, { n: q.round }));
  } else if (msg.phase === "open" && shown) {
    resultsChanged();
  }
}

function onTally(msg) {
  if (typeof msg.connected === "number") setPhones(msg.connected);
  if (!current) return;
  const results = resultOf(msg);
  if (current.topic_view) {
    const item = current.topic_view.items.find((i) => i.question.id === msg.question_id);
    if (item && (msg.round === undefined || msg.round === item.question.round)) item.results = results;
  }
  if (current.screenShown === "topic") {
    showTopic(current);
    fitToScreen();
    return;
  }
  if (!current.question || current.question.id !== msg.question_id) return;
  if (msg.round !== undefined && msg.round !== current.question.round) return;
  current.results = results;
  if (current.screenShown !== "question") return;
  showResults(current.question, current.results, current.rounds);
  fitToScreen();
  if (current.phase === "open" && msg.counts) resultsChanged();
}

connect("/ws/p/" + encodeURIComponent(token), {
  onStatus: (state, code) => showStatus(el("conn"), state, strings, code),
  onMessage(msg) {
    switch (msg.type) {
      case "state":
        onState(msg);
        break;
      case "tally":
        onTally(msg);
        break;
      case "presence":
        setPhones(msg.connected);
        break;
      case "error":
        announce(msg.message);
        break;
      default:
        throw new Error("Saalumfrage: unknown message type " + msg.type);
    }
  },
});
