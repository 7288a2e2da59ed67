// The phone: enhances the plain form with the socket. A vote carries an id made here, is kept until
// the server acknowledges it, and is sent again after a lost connection (the server counts it once).
// Every question kind renders the same markup as attendee.html, so the page works before (and without)
// this script. The choice kinds are here; the other kinds' fields (phone-kinds.js) and their results
// (results.js) are loaded when such a question is on: the first load stays small.
import { FINAL_CLOSE_CODES, announce, connect, fmt, h, loadJSON, serverNow, showStatus, syncClock } from "./socket.js";
import { fillServerBars, renderBars, setText, votersText } from "./charts.js";

document.documentElement.classList.add("js");

const body = document.body;
const code = body.dataset.code;
const strings = loadJSON("strings");
let view = loadJSON("initial-state");
const phone = document.getElementById("phone");
const connEl = document.getElementById("conn");
const offlineNote = document.getElementById("offline-note");
const PENDING_KEY = "saal-pending-" + code;
const VOTES_KEY = "saal-votes-" + code;
const SEQS_KEY = "saal-seqs-" + code;
const VOTES_KEPT = 40;
// What the answer fields allow, the same numbers the server checks (domain.kinds.LIMITS).
const LIMITS = loadJSON("limits");
// Bars from charts.js (already loaded) for these; the other kinds' charts come from results.js.
const BAR_KINDS = new Set(["single", "multiple", "yesno"]);

function readStore(key, fallback) {
  try {
    return JSON.parse(localStorage.getItem(key)) || fallback;
  } catch (err) {
    return fallback;
  }
}
function writeStore(key, value) {
  try {
    if (value === null) localStorage.removeItem(key);
    else localStorage.setItem(key, JSON.stringify(value));
  } catch (err) {
    /* private mode: the vote still goes out, it just is not kept across reloads */
  }
}

// A pending vote: {message (as sent), round, answer (in the stored shape, to show it again)}.
let pending = readStore(PENDING_KEY, null);
if (pending && !pending.message) pending = null; // kept by an older version of this page
// Own answers by question and round ("7:2"): a new round is a new question for the phone.
const myVotes = readStore(VOTES_KEY, {});
// The highest answer number (`seq`) this phone made or the server stored, by question and round. A new answer
// gets the next one, a resend keeps its own: so the server can tell a late, older answer from a newer one.
const mySeqs = {};

function voteKey(questionId, round) {
  return questionId + ":" + (round || 1);
}
function isPendingFor(q) {
  return Boolean(pending && q && pending.message.question_id === q.id && pending.round === q.round);
}
function mineFor(q) {
  if (isPendingFor(q)) return pending.answer;
  const mine = myVotes[voteKey(q.id, q.round)];
  return mine === undefined ? null : mine;
}
function remember(questionId, round, answer) {
  const key = voteKey(questionId, round);
  delete myVotes[key];
  if (answer !== null && answer !== undefined) myVotes[key] = answer;
  const keys = Object.keys(myVotes);
  for (const old of keys.slice(0, Math.max(0, keys.length - VOTES_KEPT))) delete myVotes[old];
  writeStore(VOTES_KEY, myVotes);
}
// Kept in this page and in localStorage, which the phone's other tabs share (read afresh each time).
function sharedSeq(store, key) {
  return Number.isInteger(store[key]) ? store[key] : 0;
}
function noteSeq(questionId, round, seq) {
  if (!Number.isInteger(seq)) return;
  const key = voteKey(questionId, round);
  if (seq > (mySeqs[key] || 0)) mySeqs[key] = seq;
  const shared = readStore(SEQS_KEY, {});
  if (seq <= sharedSeq(shared, key)) return;
  delete shared[key];
  shared[key] = seq;
  const keys = Object.keys(shared);
  for (const old of keys.slice(0, Math.max(0, keys.length - VOTES_KEPT))) delete shared[old];
  writeStore(SEQS_KEY, shared);
}
function nextSeq(q) {
  const key = voteKey(q.id, q.round);
  const seq = Math.max(mySeqs[key] || 0, sharedSeq(readStore(SEQS_KEY, {}), key)) + 1;
  noteSeq(q.id, q.round, seq); // kept before it is sent: a reload or another tab must not use the same number
  return seq;
}
function setPending(value) {
  pending = value;
  writeStore(PENDING_KEY, value);
}

function newVoteId() {
  if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");
}

function isShown(results) {
  return Boolean(results && results.counts);
}
function isWords(kind) {
  return kind === "wordcloud" || kind === "text";
}
function buttonText(kind, voted) {
  if (isWords(kind)) return voted ? strings.ph_change_answer : strings.ph_send;
  return voted ? strings.change : strings.vote;
}
// Once the server has stored the answer: a vote is counted; words are received (open text waits for review).
function receivedText(kind) {
  if (kind === "text") return strings.ph_received_review;
  return isWords(kind) ? strings.ph_received : strings.voted;
}
function alreadyText(kind) {
  return isWords(kind) ? strings.ph_already_answered : strings.already;
}

// ---- the answer fields of each kind (the same markup the server renders for the plain form) ----

function hint(text) {
  return h("p", { class: "hint", id: "choice-hint", text });
}

function choiceLabel(type, opt, mine, cls) {
  const checked = Boolean(Array.isArray(mine) && mine.includes(opt.id));
  return h(
    "label",
    { class: cls },
    h("input", { type, name: "choice", value: String(opt.id), checked }),
    h("span", { text: opt.label }),
  );
}

function buildChoices(q, mine) {
  const type = q.kind === "single" ? "radio" : "checkbox";
  const text = q.kind === "single" ? strings.hint_single : fmt(strings.hint_multiple, { n: q.max_choices });
  return [hint(text), ...q.options.map((opt) => choiceLabel(type, opt, mine, "choice"))];
}

function buildYesNo(q, mine) {
  return [
    hint(strings.hint_single),
    h("div", { class: "yesno-grid" }, q.options.map((opt) => choiceLabel("radio", opt, mine, "choice tile"))),
  ];
}

// ---- reading an answer: {value} in the vote message's field, or {error} to show ----

function readChoices(form) {
  const choices = [...form.querySelectorAll("input[name=choice]:checked")].map((el) => Number(el.value));
  return choices.length ? { value: choices } : { error: strings.choose_one };
}
// The answer as the server stores it (docs/protocol.md), to mark it before the acknowledgement comes.
function storedShape(kind, value) {
  switch (kind) {
    case "scale":
      return [value];
    case "points": {
      const kept = {};
      for (const key of Object.keys(value).sort((a, b) => a - b)) if (value[key]) kept[key] = value[key];
      return kept;
    }
    case "text":
      return value.trim();
    case "ranking":
    case "wordcloud":
      return value;
    default:
      return [...value].sort((a, b) => a - b);
  }
}

// ---- every kind: {field of the vote message, build(q, mine), read(form, q), enhance?, blocked?, after?} ----

const KINDS = {
  single: { field: "choices", build: buildChoices, read: readChoices },
  multiple: { field: "choices", build: buildChoices, read: readChoices },
  yesno: { field: "choices", build: buildYesNo, read: readChoices },
};
const MORE_KINDS = new Set(["scale", "wordcloud", "text", "ranking", "points"]);
let moreKinds = null;

// A promise when the question's kind needs phone-kinds.js first, else null. A failed load is tried again
// (the link may be bad just then).
function kindReady(q) {
  if (!q || KINDS[q.kind] || !MORE_KINDS.has(q.kind)) return null;
  const load = (tries) =>
    import("./phone-kinds.js").catch((err) => {
      if (tries <= 1) throw err;
      return new Promise((resolve) => setTimeout(resolve, 2000)).then(() => load(tries - 1));
    });
  moreKinds =
    moreKinds ||
    load(4).then(
      (mod) => Object.assign(KINDS, mod.createKinds({ strings, limits: LIMITS, onChange: updateSendable })),
      (err) => {
        moreKinds = null;
        throw err;
      },
    );
  return moreKinds;
}

// Messages are handled in order. One whose question needs phone-kinds.js waits for it, and so do the
// messages after it; otherwise a message is handled at once.
let inbox = null;
function deliver(msg, handler, wait = msg.type === "state" ? kindReady(msg.question) : null) {
  if (!wait && !inbox) {
    handler(msg);
    return;
  }
  const queued = (inbox || Promise.resolve())
    .then(() => wait)
    .then(() => handler(msg))
    .catch((err) => console.error("Saalumfrage:", err))
    .then(() => {
      if (inbox === queued) inbox = null;
    });
  inbox = queued;
}

function kindOf(q) {
  const kind = KINDS[q.kind];
  if (!kind) throw new Error("Saalumfrage: unknown question kind " + q.kind);
  return kind;
}

// ---- countdown: on the server's clock (socket.js serverNow), never the phone's own ----

const clock = { closesAt: null, last: null, timer: null, expired: false };

function setCountdown(closesAt) {
  closesAt = closesAt || null;
  if (closesAt !== clock.closesAt) {
    clock.closesAt = closesAt;
    clock.last = null;
    clock.said = {};
  }
  clearTimeout(clock.timer);
  clock.timer = null;
  if (closesAt) {
    tick();
  } else {
    const el = document.getElementById("countdown");
    if (el) el.hidden = true;
    setExpired(false);
  }
}

function tick() {
  if (!clock.closesAt) return;
  const now = serverNow();
  const left = Math.max(0, Math.ceil((clock.closesAt - now) / 1000));
  const el = document.getElementById("countdown");
  if (el) {
    el.hidden = false;
    const time = Math.floor(left / 60) + ":" + String(left % 60).padStart(2, "0");
    const text = left > 0 ? fmt(strings.ph_time_left, { time }) : strings.ph_time_up;
    if (el.textContent !== text) el.textContent = text;
    el.classList.toggle("soon", left > 0 && left <= 10);
    el.classList.toggle("over", left === 0);
  }
  const before = clock.last;
  clock.last = left;
  // Each mark is said once per countdown: a clock corrected by the server (a reply carrying its time) may cross it again.
  const said = clock.said || (clock.said = {});
  if (before !== null && left !== before) {
    const mark = before > 30 && left <= 30 && left > 10 ? 30 : before > 10 && left <= 10 && left > 0 ? 10 : null;
    if (mark !== null && !said[mark]) {
      said[mark] = true;
      announce(mark === 30 ? strings.ph_time_30 : strings.ph_time_10);
    }
  }
  setExpired(left === 0);
  // Next when the shown second changes, so "0" comes when the server's time is up, not up to a tick later.
  clearTimeout(clock.timer);
  clock.timer = left > 0 ? setTimeout(tick, (((clock.closesAt - now) % 1000) + 1000) % 1000 + 20) : null;
}

function setExpired(expired) {
  if (clock.expired === expired) return;
  clock.expired = expired;
  updateSendable();
}

// The vote button is off while the time is up or the points do not add up; the reason is on screen.
function updateSendable() {
  const button = document.getElementById("vote-button");
  const form = document.getElementById("vote-form");
  if (!button || !form) return;
  const kind = KINDS[form.dataset.kind];
  const blocked = kind && kind.blocked ? kind.blocked(form) : null;
  const reason = clock.expired ? "countdown" : blocked;
  button.disabled = Boolean(reason);
  if (reason) button.setAttribute("aria-describedby", reason);
  else button.removeAttribute("aria-describedby");
  const why = document.getElementById("points-reason");
  if (why) why.hidden = !blocked || clock.expired;
}

// ---- rendering ----

function keepFocus(render) {
  const hadFocus = phone.contains(document.activeElement);
  render();
  if (hadFocus) {
    const heading = document.getElementById("phone-heading");
    if (heading) {
      heading.tabIndex = -1;
      heading.focus();
    }
  }
}

function meta(q) {
  return h(
    "p",
    { class: "topic-label" },
    q.topic,
    q.round > 1 ? [" ", h("span", { class: "round-badge", id: "round", text: fmt(strings.ph_round, { n: q.round }) })] : null,
  );
}

function renderWaiting() {
  phone.replaceChildren(
    h(
      "div",
      { class: "waiting" },
      h("h1", { id: "phone-heading", text: strings.waiting_title }),
      h("p", { class: "big", text: strings.waiting_big }),
      h("p", { text: strings.waiting_text }),
      h("p", {}, h("span", { class: "pulse", "aria-hidden": "true" })),
    ),
  );
}

function renderOpen(q) {
  const mine = mineFor(q);
  const kind = kindOf(q);
  const described = q.kind === "scale" && (q.scale.label_min || q.scale.label_max) ? "choice-hint scale-ends" : "choice-hint";
  const form = h(
    "form",
    {
      method: "post", action: "/j/" + code + "/vote", id: "vote-form", class: "vote-form kind-" + q.kind,
      "data-question-id": String(q.id), "data-kind": q.kind, noValidate: true,
    },
    h("input", { type: "hidden", name: "question_id", value: String(q.id) }),
    h(
      "fieldset",
      { class: "choices", "aria-describedby": described },
      h("legend", {}, h("h1", { id: "phone-heading", text: q.text })),
      kind.build(q, mine),
    ),
    kind.after ? kind.after() : null,
    h("p", { id: "status", class: "vote-status", role: "status" }),
    h("button", { type: "submit", class: "block", id: "vote-button", text: buttonText(q.kind, mine !== null) }),
  );
  phone.replaceChildren(meta(q), h("p", { class: "countdown", id: "countdown", role: "timer", hidden: true }), form);
  bindForm();
  if (isPendingFor(q)) setStatus("info", strings.sending);
  else if (mine !== null) setStatus("muted", alreadyText(q.kind));
}

function renderClosed(q, results) {
  const parts = [meta(q), h("h1", { id: "phone-heading", text: q.text }), h("p", { class: "notice info", text: strings.closed })];
  if (isShown(results)) {
    const container = h("div", { id: "results", class: "phone-results" });
    parts.push(h("h2", { id: "results-heading", text: strings.result }), container);
    phone.replaceChildren(...parts);
    drawResults(container, q, results);
  } else {
    parts.push(h("p", { id: "result-soon", text: strings.result_soon }));
    phone.replaceChildren(...parts);
  }
}

// While voting, with phone_results = live: the interim result under the form.
function showLiveResults(q, results) {
  let section = document.getElementById("live-results");
  if (!isShown(results)) {
    if (section) section.remove();
    return;
  }
  if (!section) {
    section = h(
      "section",
      { id: "live-results", class: "phone-results-live", "aria-labelledby": "live-results-heading" },
      h("h2", { id: "live-results-heading", text: strings.ph_live_results }),
      h("div", { id: "results", class: "phone-results" }),
    );
    phone.append(section);
  }
  drawResults(document.getElementById("results"), q, results);
}

let resultsModule = null;

function drawResults(container, q, results) {
  const mine = mineFor(q);
  if (BAR_KINDS.has(q.kind)) {
    drawBars(container, q, results, mine);
    return;
  }
  // Loaded on first use only: most phones never need it, and a slow link pays for it once.
  resultsModule = resultsModule || import("./results.js");
  resultsModule
    .then((mod) => {
      if (!container.isConnected) return;
      mod.renderResults(container, q, results, strings, { mine, compact: true, barsId: "bars", votersId: "voters" });
    })
    .catch((err) => {
      resultsModule = null;
      console.error("Saalumfrage: results.js", err);
    });
}

// The same markup as results.js and _results.html make for the choice kinds, with charts.js alone.
function drawBars(container, q, results, mine) {
  let box = container.querySelector(":scope > .results-view");
  if (!box || box.dataset.questionId !== String(q.id) || box.dataset.kind !== q.kind || box.dataset.state !== "shown") {
    box = h("div", { class: "results-view compact", "data-kind": q.kind, "data-question-id": String(q.id), "data-state": "shown" });
    container.replaceChildren(box);
  }
  let bars = box.querySelector(":scope > .bars");
  if (!bars) box.append((bars = h("ol", { class: "bars", id: "bars" })));
  renderBars(bars, q, results, strings, Array.isArray(mine) ? mine : null);
  if (q.kind === "multiple" && !box.querySelector(":scope > .multi-note")) {
    box.append(h("p", { class: "multi-note hint", text: strings.multi_note }));
  }
  let voters = box.querySelector(":scope > .results-voters");
  if (!voters) box.append((voters = h("p", { class: "results-voters muted", id: "voters" })));
  const text = votersText(results.voters, strings);
  if (voters.textContent !== text) voters.textContent = text;
}

function setStatus(kind, text) {
  const status = document.getElementById("status");
  if (!status) return;
  status.replaceChildren(text ? h("span", { class: kind === "muted" ? "muted" : "notice " + kind, text }) : "");
}

function questionKey(q) {
  return q ? q.id + ":" + q.round : null;
}

function render(next, previous) {
  const q = next.question;
  const same = Boolean(previous && q && questionKey(previous.question) === questionKey(q) && previous.phase === next.phase);
  if (next.phase === "join" || !q) {
    if (!previous || previous.phase !== "join") {
      keepFocus(renderWaiting);
      if (previous) announce(strings.announce_waiting);
    }
  } else if (next.phase === "open") {
    if (!(same && document.getElementById("vote-form"))) {
      keepFocus(() => renderOpen(q));
      announce(q.round > 1 ? fmt(strings.ph_new_round, { n: q.round, text: q.text }) : fmt(strings.new_question, { text: q.text }));
    }
    showLiveResults(q, next.results);
  } else {
    const shown = isShown(next.results);
    const wasShown = Boolean(previous && isShown(previous.results));
    const container = document.getElementById("results");
    if (!(same && document.getElementById("phone-heading")) || shown !== wasShown || (shown && !container)) {
      keepFocus(() => renderClosed(q, next.results));
      announce(shown ? strings.announce_results : strings.announce_closed);
    } else if (shown && next.results !== previous.results) {
      drawResults(container, q, next.results);
    }
  }
  if (next.phase === "closed" && q) showCounting(q, next.counting, previous && previous.counting);
  setCountdown(next.phase === "open" && q ? q.closes_at : null);
}

// Hands or paper slips are counted (#18): whoever voted by phone keeps their hand down.
function showCounting(q, counting, before) {
  let note = document.getElementById("counting-note");
  if (!counting) {
    if (note) note.remove();
    return;
  }
  const text = strings["ph_count_" + counting + (mineFor(q) !== null ? "_voted" : "_other")];
  if (!note) {
    note = h("p", { id: "counting-note", class: "notice warn counting-note", role: "status" });
    document.getElementById("phone-heading").nextElementSibling.after(note);
  }
  setText(note, text);
  if (counting !== before) announce(text);
}

// ---- voting ----

function bindForm() {
  const form = document.getElementById("vote-form");
  if (!form || form.dataset.bound) return;
  form.dataset.bound = "1";
  const q = view.question;
  if (!q || String(q.id) !== form.dataset.questionId) return;
  const kind = kindOf(q);
  if (kind.enhance) kind.enhance(form, q);
  form.classList.add("enhanced");
  form.addEventListener("input", () => {
    // A message about the answer goes once the answer changes.
    const status = document.getElementById("status");
    if (status && status.querySelector(".notice.error")) setStatus("", "");
  });
  form.addEventListener("change", (event) => {
    // Multiple choice: stop at the maximum instead of failing on send.
    if (q.kind === "multiple" && event.target.checked) {
      const checked = form.querySelectorAll("input[name=choice]:checked");
      if (checked.length > q.max_choices) {
        event.target.checked = false;
        setStatus("error", fmt(strings.too_many, { n: q.max_choices }));
      }
    }
  });
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const current = view.question;
    if (clock.expired || !current || current.id !== q.id || current.round !== q.round) return;
    const answer = kind.read(form, q);
    if (answer.error) {
      setStatus("error", answer.error);
      return;
    }
    const message = { type: "vote", vote_id: newVoteId(), question_id: q.id, seq: nextSeq(q), [kind.field]: answer.value };
    setPending({ message, round: q.round, answer: storedShape(q.kind, answer.value) });
    setStatus("info", strings.sending);
    flushPending();
  });
  updateSendable();
}

let ackTimer = null;

function flushPending() {
  if (!pending) return;
  if (!isPendingFor(view.question) || view.phase !== "open") return;
  if (!socket.send(pending.message)) {
    if (refused) return; // the note already says to reload the page
    offlineNote.textContent = strings.offline_pending;
    offlineNote.hidden = false;
    return;
  }
  // No acknowledgement within a few seconds: the connection is probably dead without saying so.
  clearTimeout(ackTimer);
  const voteId = pending.message.vote_id;
  ackTimer = setTimeout(() => {
    if (pending && pending.message.vote_id === voteId) socket.reconnect();
  }, 6000);
}

function onAck(msg) {
  const q = view.question;
  const here = Boolean(q && q.id === msg.question_id && q.round === msg.round);
  const shown = here ? mineFor(q) : null; // the answer the page shows as this phone's, before this ack
  if (pending && pending.message.vote_id === msg.vote_id) setPending(null);
  remember(msg.question_id, msg.round, msg.answer);
  noteSeq(msg.question_id, msg.round, msg.seq);
  if (!here || isPendingFor(q)) return; // another answer is on its way: its own ack follows
  if (msg.superseded && view.phase === "open" && JSON.stringify(shown) !== JSON.stringify(msg.answer)) {
    // This vote arrived after a newer answer of this phone (another tab, a socket that delivered late): the
    // newer one stands, and the form shows it.
    keepFocus(() => renderOpen(q));
    setCountdown(q.closes_at);
    setStatus("info", strings.ph_newer_kept);
    announce(strings.ph_newer_kept);
  } else {
    setStatus("success", receivedText(q.kind));
    const button = document.getElementById("vote-button");
    if (button) button.textContent = buttonText(q.kind, true);
  }
  if (view.phase === "open") showLiveResults(q, view.results); // marks the own answer
}

// Strict mode (voting cards): without a valid card the server sends a `card_…` error and closes the socket
// with 4403, which socket.js does not retry; the page then leads to the card entry form.
let cardNeeded = false;
function needCard(message) {
  cardNeeded = true;
  setCountdown(null);
  offlineNote.hidden = true;
  connEl.hidden = true;
  phone.replaceChildren(
    h("h1", { id: "phone-heading", text: strings.ph_card_enter }),
    h("p", { class: "notice error", role: "alert", text: message }),
    h("p", {}, h("a", { class: "button", href: "/j/" + encodeURIComponent(code) + "/karte", text: strings.ph_card_enter })),
  );
}

// Why the server is about to close the socket (e.g. too many tabs of this phone): shown in the connection note.
const CLOSING_ERRORS = ["too_many_sockets", "no_device"];
let closingReason = null;
let refused = false; // the socket was refused for good (socket.js FINAL_CLOSE_CODES)

function onError(msg) {
  if (typeof msg.code === "string" && msg.code.startsWith("card_")) {
    needCard(msg.message);
    return;
  }
  if (msg.vote_id && pending && pending.message.vote_id === msg.vote_id) setPending(null);
  if (document.getElementById("status")) setStatus("error", msg.message);
  else announce(msg.message);
}

function onState(msg) {
  const previous = view;
  if (msg.phase === "gone") {
    setCountdown(null);
    phone.replaceChildren(h("p", { class: "notice error", text: strings.gone }));
    return;
  }
  // Sent on connect only: the server's word on this device's answer, also when it has none.
  if (msg.question && "my_vote" in msg) remember(msg.question.id, msg.question.round, msg.my_vote);
  if (msg.question && "my_seq" in msg) noteSeq(msg.question.id, msg.question.round, msg.my_seq);
  view = msg;
  render(msg, previous);
  if (pending && (!isPendingFor(msg.question) || msg.phase !== "open")) {
    // The question moved on before the vote got through: it cannot count any more.
    setPending(null);
  }
  flushPending();
}

function onTally(msg) {
  const q = view.question;
  if (!q || msg.question_id !== q.id || msg.round !== q.round) return;
  const results = { ...msg };
  delete results.type;
  delete results.now;
  delete results.connected;
  const previous = view;
  view = { ...view, results };
  render(view, previous);
}

// The phone's badge names the state in a word or two, so it fits beside the name on a 320 px screen and the
// header never grows; what happens next (a new attempt, or reload the page) is the note's to say.
const badgeStrings = { ...strings, conn_closed: strings.conn_stopped };

const socket = connect("/ws/j/" + encodeURIComponent(code), {
  onStatus(state, closeCode) {
    if (closeCode === 4403 && !cardNeeded) needCard(strings.ph_card_needed);
    if (cardNeeded) return;
    showStatus(connEl, state, badgeStrings, closeCode);
    if (state === "open") {
      closingReason = null;
      offlineNote.hidden = true;
    } else if (state === "closed" && FINAL_CLOSE_CODES.has(closeCode)) {
      // Refused for good (e.g. the device cookie is lost): no new attempt follows, so say what to do.
      refused = true;
      const button = h("button", { type: "button", class: "small", text: strings.reload });
      button.addEventListener("click", () => location.reload());
      offlineNote.replaceChildren((closingReason || strings.refused) + " ", button);
      offlineNote.hidden = false;
    } else if (state === "closed") {
      offlineNote.textContent = closingReason || (pending ? strings.offline_pending : strings.offline);
      offlineNote.hidden = false;
    }
  },
  onMessage(msg) {
    switch (msg.type) {
      case "state":
        deliver(msg, onState);
        break;
      case "tally":
        deliver(msg, onTally);
        break;
      case "ack":
        deliver(msg, onAck);
        break;
      case "error":
        if (CLOSING_ERRORS.includes(msg.code)) {
          // At once: the close follows, and the connection note says it (not a second time in the status line).
          closingReason = msg.message;
          break;
        }
        deliver(msg, onError);
        break;
      default:
        throw new Error("Saalumfrage: unknown message type " + msg.type);
    }
  },
});

// The page as the server rendered it (stamped with the server's `now`): bars and marks drawn, the form
// enhanced, the clock started.
syncClock(view);
if (view.question) noteSeq(view.question.id, view.question.round, view.my_seq);
fillServerBars(document);
// The server's form works as it is until its kind's script is there.
deliver(view, bindForm, view.phase === "open" ? kindReady(view.question) : null);
if (view.question && view.phase === "open") {
  if (isPendingFor(view.question)) setStatus("info", strings.sending);
  showLiveResults(view.question, view.results);
}
setCountdown(view.question && view.phase === "open" ? view.question.closes_at : null);
