// The export dialog: follows the person's running exports and shows the download link when one is done.
// An event's page hears the progress on the moderator socket ("export" messages); a series page (no socket of
// its own) and any page whose socket is down ask the job's status now and then. Without JavaScript the page
// shows the state it was loaded with and an "Aktualisieren" link.

import { connect } from "./socket.js";

const body = document.body;
const texts = body.dataset;
const live = document.getElementById("export-live");
const POLL_MS = 1500;
const ANNOUNCE_EVERY_MS = 8000;
let lastAnnounced = 0;
let socket = null;

function jobItem(id) {
  return document.querySelector(`li.job[data-job-id="${Number(id)}"]`);
}

function active(item) {
  return item && (item.dataset.status === "queued" || item.dataset.status === "running");
}

function announce(text, now = false) {
  const t = Date.now();
  if (!live || (!now && t - lastAnnounced < ANNOUNCE_EVERY_MS)) return;
  lastAnnounced = t;
  live.textContent = text;
}

function progressText(job) {
  if (!job.total) return job.stage || texts.textWaiting;
  const counted = texts.textProgress.replace("{done}", job.done).replace("{total}", job.total);
  return job.done >= job.total && job.stage ? `${counted} · ${job.stage}` : counted;
}

function render(item, job) {
  const state = item.querySelector(".job-state");
  state.replaceChildren();
  state.dataset.status = job.status;
  item.dataset.status = job.status;
  const text = document.createElement("span");
  text.className = "job-text";
  if (job.status === "queued" || job.status === "running") {
    const bar = document.createElement("progress");
    bar.max = job.total || 1;
    bar.value = job.done;
    bar.setAttribute("aria-label", item.querySelector(".job-title").textContent.trim());
    bar.textContent = `${job.done}/${job.total}`;
    text.textContent = progressText(job);
    state.append(bar, text);
    announce(progressText(job));
    return;
  }
  const strong = document.createElement("strong");
  if (job.status === "done") {
    strong.textContent = texts.textDone;
    text.append(strong);
    if (job.expires) text.append(" · " + texts.textReady.replace("{size}", job.size_text).replace("{until}", job.expires));
    const link = document.createElement("a");
    link.className = "button download";
    link.href = item.dataset.download;
    link.setAttribute("download", "");
    link.textContent = texts.textDownload;
    const name = document.createElement("span");
    name.className = "visually-hidden";
    name.textContent = ": " + (job.file_name || "");
    link.append(name);
    state.append(text, link);
    announce(`${texts.textDone}: ${job.file_name || ""}`, true);
  } else {
    strong.textContent = texts.textFailed + ":";
    text.append(strong, " " + (job.error || ""));
    state.append(text);
    announce(`${texts.textFailed}: ${job.error || ""}`, true);
  }
}

async function refresh(item) {
  try {
    const response = await fetch(item.dataset.statusUrl, { headers: { Accept: "application/json" }, credentials: "same-origin" });
    if (!response.ok) return;
    render(item, await response.json());
  } catch (err) {
    /* offline for a moment: the next round asks again */
  }
}

function onExport(msg) {
  const item = jobItem(msg.job_id);
  if (!item) return;
  if (msg.status === "done" || msg.status === "failed") {
    refresh(item); // the file's name and the message come with the full status
  } else {
    render(item, msg);
  }
}

function poll() {
  const items = [...document.querySelectorAll("li.job")].filter(active);
  if (!items.length) return;
  if (!socket || !socket.isOpen()) items.forEach(refresh);
  setTimeout(poll, POLL_MS);
}

if (body.dataset.eventId && [...document.querySelectorAll("li.job")].some(active)) {
  socket = connect("/ws/moderator/" + body.dataset.eventId, {
    onStatus(state) {
      // Progress sent while the socket was away is not repeated: ask once on every (re)connect.
      if (state === "open") [...document.querySelectorAll("li.job")].filter(active).forEach(refresh);
    },
    onMessage(msg) {
      switch (msg.type) {
        case "export":
          onExport(msg);
          break;
        case "state":
        case "tally":
        case "presence":
        case "error":
          break; // the control page's business
        default:
          throw new Error("Saalumfrage: unknown message type " + msg.type);
      }
    },
  });
}
setTimeout(poll, POLL_MS);
