// The projector: join screen while nothing is on, otherwise the question with live bars.
import { announce, connect, fmt, loadJSON, showStatus } from "./socket.js";
import { renderBars } from "./charts.js";

document.documentElement.classList.add("js");
const strings = loadJSON("strings");
const token = document.body.dataset.token;
const el = (id) => document.getElementById(id);
let current = null;

function countText(voters) {
  return voters === 1 ? strings.count_votes_1 : fmt(strings.count_votes_n, { n: voters });
}
function phonesText(n) {
  return n === 1 ? strings.phones_1 : fmt(strings.phones_n, { n });
}

function showResults(question, results) {
  const hidden = !results || !results.counts;
  el("p-hidden").hidden = !hidden;
  const bars = el("p-bars");
  bars.dataset.count = String(question.options.length);
  bars.classList.toggle("no-counts", hidden);
  renderBars(bars, question, results, strings, null);
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
    if (previous && previous.phase !== "join") announce(el("join-title").textContent);
    return;
  }
  el("p-topic").textContent = q.topic;
  el("p-question").textContent = q.text;
  el("p-hint").textContent = q.kind === "multiple" ? fmt(strings.hint_multiple, { n: q.max_choices }) : strings.hint_single;
  const phase = el("p-phase");
  phase.dataset.phase = msg.phase;
  phase.textContent = msg.phase === "open" ? strings.proj_open : strings.proj_closed;
  if (!previous || !previous.question || previous.question.id !== q.id) el("p-bars").replaceChildren();
  showResults(q, msg.results);
  if (!previous || !previous.question || previous.question.id !== q.id) announce(fmt(strings.new_question, { text: q.text }));
  else if (previous.phase !== msg.phase) announce(msg.phase === "open" ? strings.proj_open : strings.proj_closed);
}

function onTally(msg) {
  if (typeof msg.connected === "number") el("p-phones").textContent = phonesText(msg.connected);
  if (!current || !current.question || current.question.id !== msg.question_id) return;
  current.results = { question_id: msg.question_id, voters: msg.voters, counts: msg.counts };
  showResults(current.question, current.results);
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
