// The phone: enhances the plain form with the socket. A vote carries an id made here, is kept until
// the server acknowledges it, and is sent again after a lost connection (the server counts it once).
import { announce, connect, fmt, h, loadJSON, showStatus } from "./socket.js";
import { fillServerBars, renderBars, votersText } from "./charts.js";

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

let pending = readStore(PENDING_KEY, null);
const myVotes = readStore(VOTES_KEY, {});

function newVoteId() {
  if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");
}

function mineFor(questionId) {
  if (pending && pending.question_id === questionId) return pending.choices;
  return myVotes[questionId] || null;
}

// ---- rendering (the same markup the server renders for the plain form) ----

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
  const mine = mineFor(q.id);
  const type = q.kind === "single" ? "radio" : "checkbox";
  const choices = q.options.map((opt) =>
    h(
      "label",
      { class: "choice" },
      h("input", { type, name: "choice", value: String(opt.id), checked: Boolean(mine && mine.includes(opt.id)) }),
      h("span", { text: opt.label }),
    ),
  );
  const hint = q.kind === "single" ? strings.hint_single : fmt(strings.hint_multiple, { n: q.max_choices });
  const form = h(
    "form",
    { method: "post", action: "/j/" + code + "/vote", id: "vote-form", "data-question-id": String(q.id) },
    h("input", { type: "hidden", name: "question_id", value: String(q.id) }),
    h(
      "fieldset",
      { class: "choices", "aria-describedby": "choice-hint" },
      h("legend", { id: "phone-heading", text: q.text }),
      h("p", { class: "hint", id: "choice-hint", text: hint }),
      choices,
    ),
    h("p", { id: "status", class: "vote-status", role: "status" }),
    h("button", { type: "submit", class: "block", id: "vote-button", text: mine ? strings.change : strings.vote }),
  );
  phone.replaceChildren(h("p", { class: "topic-label", text: q.topic }), form);
  bindForm();
  if (pending && pending.question_id === q.id) setStatus("info", strings.sending);
  else if (mine) setStatus("muted", strings.already);
}

function renderClosed(q, results) {
  const parts = [
    h("p", { class: "topic-label", text: q.topic }),
    h("h1", { id: "phone-heading", text: q.text }),
    h("p", { class: "notice info", text: strings.closed }),
  ];
  if (results && results.counts) {
    parts.push(h("h2", { text: strings.result }));
    parts.push(renderBars(h("ol", { class: "bars", id: "bars" }), q, results, strings, mineFor(q.id)));
    if (q.kind === "multiple") parts.push(h("p", { class: "hint", text: strings.multi_note }));
    parts.push(h("p", { class: "muted", id: "voters", text: votersText(results.voters, strings) }));
  } else {
    parts.push(h("p", { text: strings.result_soon }));
  }
  phone.replaceChildren(...parts);
}

function setStatus(kind, text) {
  const status = document.getElementById("status");
  if (!status) return;
  status.replaceChildren(text ? h("span", { class: kind === "muted" ? "muted" : "notice " + kind, text }) : "");
}

function render(next, previous) {
  const q = next.question;
  const sameQuestion = previous && previous.question && q && previous.question.id === q.id;
  const samePhase = previous && previous.phase === next.phase;
  if (next.phase === "join" || !q) {
    if (!previous || previous.phase !== "join") {
      keepFocus(renderWaiting);
      if (previous) announce(strings.announce_waiting);
    }
  } else if (next.phase === "open") {
    if (!(sameQuestion && samePhase && document.getElementById("vote-form"))) {
      keepFocus(() => renderOpen(q));
      announce(fmt(strings.new_question, { text: q.text }));
    }
  } else {
    const hadResults = previous && previous.results && previous.results.counts;
    if (!(sameQuestion && samePhase) || Boolean(hadResults) !== Boolean(next.results && next.results.counts)) {
      keepFocus(() => renderClosed(q, next.results));
      announce(next.results && next.results.counts ? strings.announce_results : strings.announce_closed);
    } else if (next.results && next.results.counts) {
      renderBars(document.getElementById("bars"), q, next.results, strings, mineFor(q.id));
    }
  }
}

// ---- voting ----

function bindForm() {
  const form = document.getElementById("vote-form");
  if (!form || form.dataset.bound) return;
  form.dataset.bound = "1";
  const q = view.question;
  form.addEventListener("change", (event) => {
    // Multiple choice: stop at the maximum instead of failing on send.
    if (q && q.kind === "multiple" && event.target.checked) {
      const checked = form.querySelectorAll("input[name=choice]:checked");
      if (checked.length > q.max_choices) {
        event.target.checked = false;
        setStatus("error", fmt(strings.too_many, { n: q.max_choices }));
      }
    }
  });
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const choices = [...form.querySelectorAll("input[name=choice]:checked")].map((el) => Number(el.value));
    if (!choices.length) {
      setStatus("error", strings.choose_one);
      return;
    }
    pending = { type: "vote", vote_id: newVoteId(), question_id: Number(form.dataset.questionId), choices };
    writeStore(PENDING_KEY, pending);
    setStatus("info", strings.sending);
    flushPending();
  });
}

let ackTimer = null;

function flushPending() {
  if (!pending) return;
  if (!view.question || view.question.id !== pending.question_id || view.phase !== "open") return;
  if (!socket.send(pending)) {
    offlineNote.textContent = strings.offline_pending;
    offlineNote.hidden = false;
    return;
  }
  // No acknowledgement within a few seconds: the connection is probably dead without saying so.
  clearTimeout(ackTimer);
  const voteId = pending.vote_id;
  ackTimer = setTimeout(() => {
    if (pending && pending.vote_id === voteId) socket.reconnect();
  }, 6000);
}

function onAck(msg) {
  if (pending && pending.vote_id === msg.vote_id) {
    pending = null;
    writeStore(PENDING_KEY, null);
  }
  myVotes[msg.question_id] = msg.choices;
  writeStore(VOTES_KEY, myVotes);
  if (view.question && view.question.id === msg.question_id) {
    setStatus("success", strings.voted);
    const button = document.getElementById("vote-button");
    if (button) button.textContent = strings.change;
  }
}

function onError(msg) {
  if (msg.vote_id && pending && pending.vote_id === msg.vote_id) {
    pending = null;
    writeStore(PENDING_KEY, null);
  }
  if (document.getElementById("status")) setStatus("error", msg.message);
  else announce(msg.message);
}

function onState(msg) {
  const previous = view;
  if (msg.phase === "gone") {
    phone.replaceChildren(h("p", { class: "notice error", text: strings.gone }));
    return;
  }
  if (msg.question && Array.isArray(msg.my_vote)) {
    myVotes[msg.question.id] = msg.my_vote;
    writeStore(VOTES_KEY, myVotes);
  }
  view = msg;
  render(msg, previous);
  if (pending && (!msg.question || msg.question.id !== pending.question_id || msg.phase !== "open")) {
    // The question moved on before the vote got through: it cannot count any more.
    pending = null;
    writeStore(PENDING_KEY, null);
  }
  flushPending();
}

const socket = connect("/ws/j/" + encodeURIComponent(code), {
  onStatus(state) {
    showStatus(connEl, state, strings);
    if (state === "open") {
      offlineNote.hidden = true;
    } else if (state === "closed") {
      offlineNote.textContent = pending ? strings.offline_pending : strings.offline;
      offlineNote.hidden = false;
    }
  },
  onMessage(msg) {
    switch (msg.type) {
      case "state":
        onState(msg);
        break;
      case "ack":
        onAck(msg);
        break;
      case "error":
        onError(msg);
        break;
      default:
        throw new Error("Saalumfrage: unknown message type " + msg.type);
    }
  },
});

fillServerBars(document);
bindForm();
