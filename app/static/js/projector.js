// The projector: join screen while nothing is on, otherwise the question with live bars, the same numbers as a
// table for screen readers, and spoken updates that never come more often than every ANNOUNCE_EVERY_MS.
import { announce, connect, fmt, h, loadJSON, showStatus } from "./socket.js";
import { percent, renderBars } from "./charts.js";

document.documentElement.classList.add("js");
const strings = loadJSON("strings");
const token = document.body.dataset.token;
const el = (id) => document.getElementById(id);
const captionText = el("p-table-caption").textContent;
const ANNOUNCE_EVERY_MS = 10000;
let current = null;

function countText(voters) {
  return voters === 1 ? strings.count_votes_1 : fmt(strings.count_votes_n, { n: voters });
}
function phonesText(n) {
  return n === 1 ? strings.phones_1 : fmt(strings.phones_n, { n });
}
function votesText(n) {
  return n === 1 ? strings.votes_1 : fmt(strings.votes_n, { n });
}

// ---- the numbers as a table ----

function rowsOf(question, results) {
  const counts = (results && results.counts) || {};
  const voters = results ? results.voters : 0;
  return question.options.map((opt) => {
    const n = counts[String(opt.id)] || 0;
    return { label: opt.label, n, pct: percent(n, voters) };
  });
}

function renderTable(question, results) {
  const shown = Boolean(results && results.counts);
  el("p-table-wrap").hidden = !shown;
  // While the table has the numbers, screen readers read it instead of the bar list (which says the same).
  if (shown) el("p-bars").setAttribute("aria-hidden", "true");
  else el("p-bars").removeAttribute("aria-hidden");
  if (!shown) return;
  el("p-table-caption").textContent = question.kind === "multiple" ? captionText + " (" + strings.multi_note + ")" : captionText;
  el("p-table-body").replaceChildren(
    ...rowsOf(question, results).map((row) =>
      h("tr", {}, h("th", { scope: "row", text: row.label }), h("td", { text: String(row.n) }), h("td", { text: row.pct + " %" })),
    ),
  );
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

function resultList(question, results) {
  const items = rowsOf(question, results).map((row) =>
    fmt(strings.result_item, { name: row.label, votes: votesText(row.n), pct: row.pct }),
  );
  return fmt(strings.result_list, { items: items.join("; ") }) + " " + countText(results.voters) + ".";
}

function interimText(question, results) {
  const rows = rowsOf(question, results);
  const top = Math.max(...rows.map((row) => row.n));
  const leaders = rows.filter((row) => row.n === top);
  const lead =
    leaders.length === 1
      ? fmt(strings.leader_1, { name: leaders[0].label, pct: leaders[0].pct })
      : fmt(strings.leader_n, { names: listFormat.format(leaders.map((row) => row.label)), pct: leaders[0].pct });
  return fmt(strings.interim, { votes: countText(results.voters) }) + " " + lead;
}

// Results of an open question changed: say the interim result, but at most every ANNOUNCE_EVERY_MS.
function resultsChanged() {
  if (interimTimer) return; // already due; it will read the newest numbers
  const wait = Math.max(0, lastSpoken + ANNOUNCE_EVERY_MS - Date.now());
  interimTimer = setTimeout(() => {
    interimTimer = null;
    const r = current && current.results;
    if (!current || current.phase !== "open" || !r || !r.counts || !r.voters) return;
    const key = JSON.stringify([r.voters, r.counts]);
    if (key === spokenResults) return;
    spokenResults = key;
    say(interimText(current.question, r));
  }, wait);
}

// ---- layout ----

// A long question with many options may not fit the screen: shrink it a little (never below 60 %). Only on
// projector-sized windows; zoomed-in or small windows scroll instead, as text there must not get smaller.
function fitToScreen() {
  const screen = el("question-screen");
  screen.style.removeProperty("--fit");
  if (screen.hidden || window.innerWidth < 1000) return;
  const root = document.documentElement;
  for (let fit = 0.95; root.scrollHeight > window.innerHeight && fit >= 0.6; fit -= 0.05) {
    screen.style.setProperty("--fit", fit.toFixed(2));
  }
}
window.addEventListener("resize", () => fitToScreen());

function showResults(question, results) {
  const hidden = !results || !results.counts;
  el("p-hidden").hidden = !hidden;
  const bars = el("p-bars");
  bars.dataset.count = String(question.options.length);
  bars.classList.toggle("no-counts", hidden);
  renderBars(bars, question, results, strings, null);
  renderTable(question, results);
  el("p-votes").textContent = countText(results ? results.voters : 0);
}

function onState(msg) {
  const previous = current;
  current = msg;
  const q = msg.question;
  const joinScreen = msg.phase === "join" || !q;
  el("join-screen").hidden = !joinScreen;
  el("question-screen").hidden = joinScreen;
  if (typeof msg.connected === "number") el("p-phones").textContent = phonesText(msg.connected);
  if (joinScreen) {
    if (previous && previous.phase !== "join") say(el("join-title").textContent);
    return;
  }
  const newQuestion = !previous || !previous.question || previous.question.id !== q.id;
  el("question-screen").dataset.count = String(q.options.length);
  el("p-topic").textContent = q.topic;
  el("p-question").textContent = q.text;
  el("p-hint").textContent = q.kind === "multiple" ? fmt(strings.hint_multiple, { n: q.max_choices }) : strings.hint_single;
  const phase = el("p-phase");
  phase.dataset.phase = msg.phase;
  phase.textContent = msg.phase === "open" ? strings.proj_open : strings.proj_closed;
  if (newQuestion) el("p-bars").replaceChildren();
  showResults(q, msg.results);
  fitToScreen();

  const shown = Boolean(msg.results && msg.results.counts);
  const wasShown = Boolean(previous && previous.results && previous.results.counts);
  if (newQuestion) {
    spokenResults = "";
    let text = fmt(strings.new_question, { text: q.text });
    if (msg.phase !== "open") text += " " + strings.proj_closed + "." + (shown ? " " + resultList(q, msg.results) : "");
    say(text);
  } else if (previous.phase !== msg.phase) {
    // Closing says the whole result at once; opening again just says so.
    if (msg.phase === "open") say(strings.proj_open);
    else say(strings.proj_closed + ". " + (shown ? resultList(q, msg.results) : strings.proj_hidden));
  } else if (shown !== wasShown) {
    say(shown ? resultList(q, msg.results) : strings.proj_hidden);
  } else if (msg.phase === "open" && shown) {
    resultsChanged();
  }
}

function onTally(msg) {
  if (typeof msg.connected === "number") el("p-phones").textContent = phonesText(msg.connected);
  if (!current || !current.question || current.question.id !== msg.question_id) return;
  current.results = { question_id: msg.question_id, voters: msg.voters, counts: msg.counts };
  showResults(current.question, current.results);
  if (current.phase === "open" && msg.counts) resultsChanged();
}

connect("/ws/p/" + encodeURIComponent(token), {
  onStatus: (state) => showStatus(el("conn"), state, strings),
  onMessage(msg) {
    switch (msg.type) {
      case "state":
        onState(msg);
        break;
      case "tally":
        onTally(msg);
        break;
      case "presence":
        el("p-phones").textContent = phonesText(msg.connected);
        break;
      case "error":
        announce(msg.message);
        break;
      default:
        throw new Error("Saalumfrage: unknown message type " + msg.type);
    }
  },
});
