// The control page: live tally and connected phones; actions stay plain forms (they work without script).
import { connect, loadJSON, showStatus } from "./socket.js";
import { fillServerBars, renderBars, votersText } from "./charts.js";

document.documentElement.classList.add("js");
const strings = loadJSON("strings");
const body = document.body;
const el = (id) => document.getElementById(id);
let question = null;

for (const form of document.querySelectorAll("form[data-confirm]")) {
  form.addEventListener("submit", (event) => {
    if (!window.confirm(form.dataset.confirm)) event.preventDefault();
  });
}

function showChanged() {
  const note = el("changed-note");
  if (!note.hidden) return;
  const button = document.createElement("button");
  button.type = "button";
  button.className = "small";
  button.textContent = strings.reload;
  button.addEventListener("click", () => location.reload());
  note.replaceChildren(strings.changed + " ", button);
  note.hidden = false;
}

function updateTally(results) {
  if (!question || !results || results.question_id !== question.id || !el("live-bars")) return;
  renderBars(el("live-bars"), question, results, strings, null);
  if (el("live-voters")) el("live-voters").textContent = results.voters;
  if (el("votes-" + results.question_id)) el("votes-" + results.question_id).textContent = results.voters;
  if (el("live-voters-text")) el("live-voters-text").textContent = votersText(results.voters, strings);
}

function onState(msg) {
  const currentId = msg.question ? String(msg.question.id) : "";
  const shown = msg.question && msg.question.results_shown ? "true" : "false";
  if (currentId !== body.dataset.currentId || msg.phase !== body.dataset.phase || shown !== body.dataset.resultsShown) {
    showChanged();
    return;
  }
  question = msg.question;
  if (typeof msg.connected === "number") el("live-phones").textContent = msg.connected;
  if (msg.results) updateTally(msg.results);
}

connect("/ws/moderator/" + body.dataset.eventId, {
  onStatus: (state) => showStatus(el("conn"), state, strings),
  onMessage(msg) {
    switch (msg.type) {
      case "state":
        onState(msg);
        break;
      case "tally":
        el("live-phones").textContent = msg.connected;
        updateTally(msg);
        break;
      case "presence":
        el("live-phones").textContent = msg.connected;
        break;
      case "error":
        console.warn(msg.message);
        break;
      default:
        throw new Error("Saalumfrage: unknown message type " + msg.type);
    }
  },
});
fillServerBars(document);
