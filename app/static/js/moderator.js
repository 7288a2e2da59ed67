// The control page: live results of every kind, connected phones, the countdown, the open-text queue and the
// word-cloud terms. Every action is a plain form (it works without script); the review actions are sent with
// fetch, so the page stays where it is and the socket brings the change.
import { announce, connect, fmt, h, loadJSON, serverNow, showStatus, syncClock } from "./socket.js";
import { fillServerBars } from "./charts.js";
import { renderResults } from "./results.js";
import { installPresenterKeys } from "./presenter-keys.js";
import { installLive, postForJSON, refresh } from "./control-live.js";
import { installTermReview, renderTerms } from "./term-review.js";

document.documentElement.classList.add("js");
const strings = loadJSON("strings");
const body = document.body;
const el = (id) => document.getElementById(id);
let question = null;
let results = null;
const RESULT_OPTIONS = { barsId: "live-bars", votersId: "live-voters-text" };

// The last number of connected devices the socket told (a swapped-in page was rendered without it).
let connected = null;
// Said after the next swap: why the page changed (the countdown ran out).
let noteAfterSwap = null;

function plural(key, n) {
  return n === 1 ? strings[key + "_1"] : fmt(strings[key + "_n"], { n });
}

// What the page was rendered for; a state that differs in any of these needs the page's other buttons (a
// fresh page from the server, swapped in by control-live.js).
function pageKey() {
  const d = body.dataset;
  return [d.currentId, d.phase, d.resultsShown, d.round, d.screen, d.topicView, d.phoneResults, d.compare, d.closesAt, d.agenda].join("|");
}

function stateKey(msg) {
  const q = msg.question;
  return [
    q ? String(q.id) : "",
    msg.phase,
    q && q.results_shown ? "true" : "false",
    q ? String(q.round) : "",
    msg.screen || "",
    msg.topic_view ? String(msg.topic_view.topic.id) : "",
    q ? q.phone_results : "",
    q && q.compare_rounds ? "true" : "false",
    q && q.closes_at ? String(q.closes_at) : "",
    msg.agenda || "",
  ].join("|");
}

// ---- live results ----

// "1 Gerät verbunden", "2 Geräte verbunden": the number and its word, each kept in its own element.
function setPhones(n) {
  if (typeof n !== "number") return;
  connected = n;
  el("live-phones").textContent = n;
  if (el("live-phones-unit")) el("live-phones-unit").textContent = plural("mod_phones_unit", n);
}

// ---- plausibility: voters against devices seen and people in the hall (the server decides the warning) ----

let warned = null;

function setCheck(check) {
  if (!check || !question) return;
  el("check-voters").textContent = check.voters;
  el("check-devices").textContent = check.devices_seen === null || check.devices_seen === undefined ? "–" : check.devices_seen;
  el("check-people").textContent = check.people_in_hall === null || check.people_in_hall === undefined ? strings.mod_not_entered : check.people_in_hall;
  const alert = el("check-alert");
  if (warned === null) warned = Boolean(alert.firstElementChild);
  // Changed only when the warning starts or ends, so a screen reader hears it once (role=alert), not per tally.
  if (check.warning && !warned) {
    alert.replaceChildren(
      h("p", { class: "notice warn check-warning" }, h("span", { class: "icon", "aria-hidden": "true", text: "⚠" }), " ",
        h("strong", { text: strings.mod_check_title }), " " + strings.mod_check_text),
    );
  } else if (!check.warning && warned) {
    alert.replaceChildren();
  }
  warned = Boolean(check.warning);
}

function updateResults(next) {
  if (!question || !next || next.question_id !== question.id) return;
  if (next.round !== undefined && next.round !== question.round) return;
  results = next;
  const container = el("live-results");
  if (container) renderResults(container, question, results, strings, RESULT_OPTIONS);
  const unit = plural(question.kind === "text" ? "mod_answers_unit" : "mod_votes_unit", results.voters);
  if (el("live-voters")) el("live-voters").textContent = results.voters;
  if (el("live-voters-unit")) el("live-voters-unit").textContent = unit;
  const agendaCount = el("votes-" + results.question_id);
  if (agendaCount) agendaCount.textContent = results.voters;
  const agendaUnit = el("votes-unit-" + results.question_id);
  if (agendaUnit) agendaUnit.textContent = unit;
  if (question.kind === "text") renderQueue();
  if (question.kind === "wordcloud") renderTerms(results);
}

// ---- countdown: closes_at − the server's clock (socket.js serverNow) ----

const clock = { closesAt: null, warned: false, over: false };
let ticker = null;

function timeLeft() {
  return clock.closesAt - serverNow();
}

function tick() {
  const box = el("countdown");
  if (!box || clock.closesAt === null) return;
  const ms = timeLeft();
  const seconds = Math.max(0, Math.ceil(ms / 1000));
  const text = Math.floor(seconds / 60) + ":" + String(seconds % 60).padStart(2, "0");
  const time = el("countdown-time");
  if (time.textContent !== text) time.textContent = text;
  if (seconds <= 10 && seconds > 0 && !clock.warned) {
    clock.warned = true;
    announce(strings.mod_countdown_10);
  }
  if (seconds === 0 && !clock.over) {
    clock.over = true;
    box.dataset.state = "over";
    el("countdown-label").textContent = strings.mod_countdown_over;
  }
}

function startClock() {
  clearInterval(ticker);
  clock.closesAt = null;
  const box = el("countdown");
  if (!box) return;
  clock.closesAt = Number(box.dataset.closesAt);
  // The page was stamped with the server's time a moment ago; the socket's first message corrects it.
  const stamped = Number(body.dataset.now);
  if (stamped) syncClock({ type: "state", now: stamped });
  clock.warned = timeLeft() <= 10000;
  tick();
  ticker = setInterval(tick, 250);
}

// ---- review actions without a reload ----

function actionUrl(action) {
  return body.dataset.base + "/questions/" + question.id + "/" + action;
}

function showError(box, text) {
  box.textContent = text;
  box.hidden = false;
}


// A form in the queue or the term list: post it with fetch and get JSON back; without script (or if fetch is
// missing) it is an ordinary form post. The rest of the page's forms: control-live.js. `hooks.before(item)` runs before sending, `hooks.done(item, action)` after (the
// action as sent: a tally may have changed the form meanwhile).
function enhance(selector, errorId, hooks) {
  document.addEventListener("submit", async (event) => {
    const form = event.target;
    if (!window.fetch || !(form instanceof HTMLFormElement) || !form.closest(selector)) return;
    event.preventDefault();
    const errorBox = el(errorId);
    const item = form.closest("li");
    const action = form.action.split("/").pop();
    if (item) item.classList.add("busy");
    errorBox.hidden = true;
    if (hooks.before) hooks.before(item);
    try {
      const data = await postForJSON(form, strings.mod_action_failed);
      hooks.done(item, action);
      if (data.message) announce(data.message);
    } catch (err) {
      if (hooks.failed) hooks.failed(item);
      showError(errorBox, err.message === "Failed to fetch" ? strings.mod_offline : err.message);
      if (item) item.classList.remove("busy");
    }
  });
}

function actionForm(action, label, cls, suffix, fields) {
  return h(
    "form",
    { method: "post", action: actionUrl(action), class: "inline" },
    h("input", { type: "hidden", name: "csrf", value: body.dataset.csrf }),
    ...Object.entries(fields).map(([name, value]) => h("input", { type: "hidden", name, value: String(value) })),
    h("button", { type: "submit", class: cls }, label, h("span", { class: "visually-hidden", text: ": " + suffix })),
  );
}

function short(text) {
  return text.length <= 60 ? text : text.slice(0, 57) + "…";
}

// ---- the open-text queue ----

const GROUPS = ["pending", "approved", "rejected"];
const STATUS_TEXT = { pending: "mod_status_pending", approved: "mod_status_approved", rejected: "mod_status_rejected" };
// After a review: {acted, from, next}; once answer `acted` has left status `from`, the first button of answer
// `next` (or the queue's heading) gets the focus, so a keyboard user carries on where they were.
let focusAfter = null;
let pendingSeen = null;
let pendingTimer = null;

function queueItem(answer) {
  const id = String(answer.id);
  let li = el("answer-" + id);
  const key = answer.status + "|" + (answer.flagged ? 1 : 0) + "|" + answer.text;
  if (li && li.dataset.key === key) return li;
  const meta = h("p", { class: "answer-meta" }, h("span", { class: "status-pill " + answer.status, text: strings[STATUS_TEXT[answer.status]] }));
  if (answer.flagged) {
    meta.append(" ", h("span", { class: "flag" }, h("span", { class: "icon", "aria-hidden": "true", text: "⚠" }), " " + strings.mod_flagged));
  }
  const buttons = h("div", { class: "row" });
  const suffix = short(String(answer.text));
  if (answer.status !== "approved") buttons.append(actionForm("approve", strings.mod_approve, "small", suffix, { answer_id: id }));
  if (answer.status !== "rejected") buttons.append(actionForm("reject", strings.mod_reject, "danger small", suffix, { answer_id: id }));
  if (answer.status !== "pending") buttons.append(actionForm("requeue", strings.mod_requeue, "secondary small", suffix, { answer_id: id }));
  const fresh = h(
    "li",
    { class: "queue-item" + (answer.flagged ? " flagged" : ""), id: "answer-" + id, "data-answer-id": id, "data-status": answer.status },
    h("p", { class: "answer-text", text: String(answer.text) }),
    h("div", { class: "answer-foot" }, meta, buttons),
  );
  fresh.dataset.key = key;
  if (li) li.replaceWith(fresh);
  return fresh;
}

function renderQueue() {
  const queue = el("queue");
  if (!queue || !results) return;
  const answers = results.answers || [];
  const groups = { pending: [], approved: [], rejected: [] };
  for (const a of answers) (groups[a.status] || groups.pending).push(a);
  groups.pending.reverse(); // a queue: the oldest waiting answer first, new ones join at the end
  const active = document.activeElement;
  const hadFocus = active && queue.contains(active) && active.closest("li");
  for (const group of GROUPS) {
    const list = el("queue-" + group);
    const items = groups[group].map(queueItem);
    items.forEach((li, index) => {
      if (list.children[index] !== li) list.insertBefore(li, list.children[index] || null);
    });
    while (list.children.length > items.length) list.lastElementChild.remove();
    el("queue-" + group + "-empty").hidden = items.length > 0;
    el("queue-" + group + "-title").querySelector(".queue-count").textContent = items.length;
  }
  for (const li of queue.querySelectorAll("li.queue-item")) {
    if (!answers.some((a) => String(a.id) === li.dataset.answerId)) li.remove();
  }
  const acted = focusAfter && answers.find((a) => String(a.id) === focusAfter.acted);
  if (focusAfter && (!acted || acted.status !== focusAfter.from)) {
    const target = focusAfter.next && el("answer-" + focusAfter.next);
    const button = target && target.querySelector("button");
    (button || el("queue-title")).focus();
    focusAfter = null;
  } else if (!focusAfter && hadFocus && !document.body.contains(hadFocus)) {
    el("queue-title").focus();
  }
  announcePending(groups.pending.length);
}

// New answers waiting: said politely, at most every 10 s, only when the number grew.
function announcePending(n) {
  if (pendingSeen === null || n <= pendingSeen) {
    pendingSeen = n;
    return;
  }
  if (pendingTimer) return;
  pendingTimer = setTimeout(() => {
    pendingTimer = null;
    const now = results && results.answers ? results.answers.filter((a) => a.status === "pending").length : 0;
    if (now > pendingSeen) announce(plural("mod_waiting", now));
    pendingSeen = now;
  }, 2000);
}

const REVIEWED = { approve: "approved", reject: "rejected", requeue: "pending" };

const review = {
  before(item) {
    const next = item.nextElementSibling || item.previousElementSibling;
    focusAfter = { acted: item.dataset.answerId, from: item.dataset.status, next: next ? next.dataset.answerId : null };
  },
  done(item, action) {
    const status = REVIEWED[action];
    const answer = (results.answers || []).find((a) => String(a.id) === item.dataset.answerId);
    if (answer && status) answer.status = status; // at once; the tally that follows says the same
    renderQueue();
  },
  failed() {
    focusAfter = null;
  },
};

// ---- the page: rendered by the server, swapped in place after every change (control-live.js) ----

// After the first paint and after every swap: the results drawn, the countdown running, the live numbers set.
function pageReady() {
  const initial = loadJSON("control-state") || {};
  question = initial.question || null;
  results = initial.results || null;
  warned = null;
  pendingSeen = null;
  startClock();
  fillServerBars(document);
  if (question && results && el("live-results")) renderResults(el("live-results"), question, results, strings, RESULT_OPTIONS);
  if (connected !== null) setPhones(connected);
  if (noteAfterSwap) {
    el("action-note").replaceChildren(h("p", { class: "flash info", text: noteAfterSwap }));
    announce(noteAfterSwap);
    noteAfterSwap = null;
  }
  // The word-cloud review of this page (term-review.js): its section is new after every swap.
  installTermReview({ strings, actionUrl, getResults: () => results });
}

// ---- the socket ----

function onState(msg) {
  setPhones(msg.connected);
  if (stateKey(msg) !== pageKey()) {
    // The countdown ran out and the server closed the question: say why the page changes.
    const timeUp = body.dataset.phase === "open" && clock.closesAt !== null && timeLeft() < 2000 &&
      msg.phase === "closed" && msg.question && String(msg.question.id) === body.dataset.currentId;
    if (timeUp) noteAfterSwap = strings.mod_time_up;
    refresh(Number(msg.version));
    return;
  }
  question = msg.question;
  if (msg.results) updateResults(msg.results);
  setCheck(msg.check);
}

enhance("#queue", "queue-error", review);
installLive(strings, pageReady);
installPresenterKeys(strings);
pageReady();

connect("/ws/moderator/" + body.dataset.eventId, {
  onStatus(state, code) {
    // 4401: this login ended (logout elsewhere, account switched off, expired): say so, then the login page,
    // which brings the moderator back here. 4403: no longer a moderator of this event. Neither retries.
    if (state === "closed" && code === 4401) {
      showStatus(el("conn"), "closed", { conn_closed: strings.mod_logged_out });
      announce(strings.mod_logged_out);
      setTimeout(() => location.assign("/login?ended=1&next=" + encodeURIComponent(location.pathname)), 1500);
      return;
    }
    if (state === "closed" && code === 4403) {
      showStatus(el("conn"), "closed", { conn_closed: strings.mod_no_access });
      announce(strings.mod_no_access);
      return;
    }
    showStatus(el("conn"), state, strings, code);
  },
  onMessage(msg) {
    switch (msg.type) {
      case "state":
        onState(msg);
        break;
      case "tally":
        setPhones(msg.connected);
        updateResults(msg);
        if (question && msg.question_id === question.id) setCheck(msg.check);
        break;
      case "presence":
        setPhones(msg.connected);
        break;
      case "error":
        console.warn(msg.message);
        break;
      case "desk": // a help-desk tablet unlocked or answered: the Hilfe-Tisch page shows it (help-desk-admin.js)
        break;
      case "export":
        break; // a results export's progress: the export dialog shows it
      default:
        throw new Error("Saalumfrage: unknown message type " + msg.type);
    }
  },
});
