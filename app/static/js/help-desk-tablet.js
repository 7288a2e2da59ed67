// The help-desk tablet (#18). It rests on a neutral screen; when a helper unlocks it (`unlock`, or a pending
// ballot in `ballot_state` on connect) it loads its ballot page, which the server renders with a fresh single-use
// token. The answer goes over the socket as a `vote` with that `ballot` (the plain form is the fallback); after the
// `ack` the form leaves the page, "Ihre Stimme wurde gezählt" shows, and the page loads afresh: neutral, display
// settings reset, no trace of the choice. An abandoned ballot warns WARN_S before it expires, then goes back.
import { FINAL_CLOSE_CODES, announce, connect, fmt, h, loadJSON } from "./socket.js";
import { createKinds } from "./phone-kinds.js";

const body = document.body;
const strings = loadJSON("strings");
const LIMITS = loadJSON("limits");
const question = loadJSON("ballot-question");
const token = body.dataset.token;
const ballot = body.dataset.ballot || "";
const screen = body.dataset.screen;
const home = "/tablet/" + token;
const THANKS_MS = 4000;
const REFUSED_MS = 8000;
// Refusals after which the ballot is gone (as routes/desk.py FINAL): the message, then neutral again.
const FINAL = new Set(["closed", "not_current", "ballot_used", "no_ballot", "link_revoked"]);

const form = document.getElementById("vote-form");
const kind = form ? form.dataset.kind : null;
const kinds = createKinds({ strings, limits: LIMITS, onChange: () => {} });
let sending = null;
let stopped = false;

function rest(delay) {
  if (stopped) return;
  setTimeout(() => location.replace(home), delay);
}

// ---- display settings: this ballot only (the page is loaded afresh after it) ----
for (const [id, cls] of [["bigger", "tablet-big"], ["contrast", "tablet-contrast"]]) {
  const button = document.getElementById(id);
  if (!button) continue;
  button.addEventListener("click", () => {
    const on = button.getAttribute("aria-pressed") !== "true";
    button.setAttribute("aria-pressed", on ? "true" : "false");
    document.documentElement.classList.toggle(cls, on);
  });
}

// ---- the screens ----
function showThanks() {
  stopped = false;
  const section = document.getElementById("tablet");
  section.replaceChildren(
    h("div", { class: "tablet-rest tablet-thanks", id: "thanks" },
      h("h1", { id: "tablet-heading", tabindex: "-1", text: strings.tablet_thanks }),
      h("p", { class: "big", text: strings.tablet_thanks_big })),
  );
  document.getElementById("tablet-heading").focus();
  announce(strings.tablet_thanks);
  rest(THANKS_MS);
}

function showRefused(message) {
  const section = document.getElementById("tablet");
  section.replaceChildren(
    h("div", { class: "tablet-rest", id: "neutral" },
      h("p", { class: "notice error", role: "alert", id: "vote-error", text: message }),
      h("h1", { id: "tablet-heading", text: strings.tablet_welcome }),
      h("p", { class: "big", text: strings.tablet_rest })),
  );
  rest(REFUSED_MS);
}

function showError(message) {
  const el = document.getElementById("vote-error");
  el.textContent = message;
  el.hidden = false;
  el.focus?.();
}

// ---- the vote ----
function answerOf() {
  if (kind === "single" || kind === "multiple" || kind === "yesno") {
    const choices = [...form.querySelectorAll("input[name=choice]:checked")].map((el) => Number(el.value));
    return choices.length ? { field: "choices", value: choices } : { error: strings.hint_single };
  }
  const def = kinds[kind];
  const read = def.read(form);
  return read.error ? { error: read.error } : { field: def.field, value: read.value };
}

if (form) {
  const def = kinds[kind];
  if (def && def.enhance) def.enhance(form, question);
  const button = document.getElementById("vote-button");
  form.addEventListener("submit", (event) => {
    if (sending) {
      event.preventDefault();
      return;
    }
    const answer = answerOf();
    if (answer.error) {
      event.preventDefault();
      showError(answer.error);
      return;
    }
    const voteId = (crypto.randomUUID ? crypto.randomUUID() : String(Date.now()) + Math.random()).slice(0, 64);
    const msg = { type: "vote", vote_id: voteId, question_id: Number(form.dataset.questionId), ballot: form.elements.ballot.value,
                  [answer.field]: answer.value };
    if (!socket.send(msg)) return; // no socket: the plain form goes (the same checks, the same writer)
    event.preventDefault();
    sending = voteId;
    button.disabled = true;
    button.textContent = strings.sending;
  });

  // An abandoned ballot: a warning WARN_S before it expires (announced), then back to neutral.
  const left = Number(body.dataset.expiresIn);
  const warnS = Number(body.dataset.warnS);
  const warning = document.getElementById("expiry-warning");
  setTimeout(() => {
    if (!document.getElementById("vote-form")) return;
    warning.textContent = fmt(strings.tablet_expiry_warning, { s: warnS });
    warning.hidden = false;
  }, Math.max(0, left - warnS * 1000));
  setTimeout(() => {
    if (document.getElementById("vote-form")) location.replace(home);
  }, left + 500);
}

if (screen === "thanks") rest(THANKS_MS);
if (screen === "refused") rest(REFUSED_MS);

// ---- the socket ----
function onMessage(msg) {
  switch (msg.type) {
    case "ballot_state":
    case "unlock":
      // A new ballot for this tablet (or the shown one gone): the server renders it with a fresh token.
      if (String(msg.ballot ?? "") !== ballot && (screen !== "thanks" || msg.type === "unlock") && !sending) location.replace(home);
      break;
    case "ack":
      if (msg.vote_id === sending) showThanks();
      break;
    case "error":
      if (msg.code === "link_revoked") {
        stopped = true;
        showRefused(msg.message);
        return;
      }
      if (msg.vote_id && msg.vote_id !== sending) return;
      sending = null;
      if (FINAL.has(msg.code) || !form) {
        showRefused(msg.message);
      } else {
        const button = document.getElementById("vote-button");
        button.disabled = false;
        button.textContent = kind === "wordcloud" || kind === "text" ? strings.tablet_send : strings.vote;
        showError(msg.message);
      }
      break;
    case "tally":
    case "state":
    case "presence":
      break;
    default:
      throw new Error("Saalumfrage: unknown message type " + msg.type);
  }
}

function onStatus(state, code) {
  if (state === "closed" && FINAL_CLOSE_CODES.has(code)) stopped = true;
}

const socket = connect("/ws/tablet/" + token, { onMessage, onStatus });
