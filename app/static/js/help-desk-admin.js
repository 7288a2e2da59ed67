// The moderator's "Hilfe-Tisch" page (#18): the answers per tablet stay current through the control socket's
// `desk` messages (a tablet unlocked, answered or revoked).
import { connect } from "./socket.js";

const eventId = document.body.dataset.eventId;
const live = document.getElementById("desk-live");

function onMessage(msg) {
  switch (msg.type) {
    case "desk": {
      const el = document.getElementById("answers-" + msg.desk_id);
      if (el && typeof msg.answers === "number" && el.textContent !== String(msg.answers)) {
        el.textContent = String(msg.answers);
        if (live) live.textContent = el.closest("tr").querySelector("th").textContent + ": " + msg.answers + " " + live.dataset.unit;
      }
      break;
    }
    case "state":
    case "tally":
    case "presence":
    case "export":
    case "error":
      break;
    default:
      throw new Error("Saalumfrage: unknown message type " + msg.type);
  }
}

connect("/ws/moderator/" + eventId, { onMessage, onStatus: () => {} });
