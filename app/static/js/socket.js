// One websocket with retry, keep-alive and a visible state. The server sends the full state on every
// (re)connect, so a page never has to ask for it. Every message that carries the server's `now` sets the
// page's one server clock (serverNow), which the countdowns of phone, projector and control page read.

const MAX_DELAY = 10000;
// 4404: the event (or projector link) is gone; 4401/4403: not allowed (e.g. a phone whose device cookie is
// lost). Retrying would not help: the socket stops, and the page says what to do instead of "new attempt".
export const FINAL_CLOSE_CODES = new Set([4401, 4403, 4404]);
// 4429: this device has too many sockets open already (other tabs). Try again now and then, not at once.
const CROWDED_DELAY = 30000;

export function connect(path, { onMessage, onStatus }) {
  let ws = null;
  let delay = 500;
  let retryTimer = null;
  let lastSeen = Date.now();
  let stopped = false;

  function url() {
    const proto = location.protocol === "https:" ? "wss:" : "ws:";
    return proto + "//" + location.host + path;
  }

  function open() {
    clearTimeout(retryTimer);
    retryTimer = null;
    if (stopped || (ws && ws.readyState <= 1)) return;
    onStatus("connecting");
    try {
      ws = new WebSocket(url());
    } catch (err) {
      schedule();
      return;
    }
    ws.onopen = () => {
      delay = 500;
      lastSeen = Date.now();
      onStatus("open");
    };
    ws.onmessage = (event) => {
      lastSeen = Date.now();
      let msg;
      try {
        msg = JSON.parse(event.data);
      } catch (err) {
        console.error("Saalumfrage: not JSON", event.data);
        return;
      }
      if (msg.type === "pong") return;
      syncClock(msg);
      onMessage(msg);
    };
    ws.onclose = (event) => {
      onStatus("closed", event.code);
      ws = null;
      if (FINAL_CLOSE_CODES.has(event.code)) {
        stopped = true;
        return;
      }
      if (event.code === 4429) {
        if (!retryTimer) retryTimer = setTimeout(open, CROWDED_DELAY * (0.5 + Math.random()));
        return;
      }
      schedule();
    };
    ws.onerror = () => {}; // onclose follows and schedules the retry
  }

  function schedule() {
    if (stopped || retryTimer) return;
    const wait = Math.min(delay, MAX_DELAY) * (0.5 + Math.random());
    delay = Math.min(delay * 2, MAX_DELAY);
    retryTimer = setTimeout(open, wait);
  }

  function send(msg) {
    if (ws && ws.readyState === 1) {
      ws.send(JSON.stringify(msg));
      return true;
    }
    return false;
  }

  // Keep-alive: a silent socket on a sleeping Wi-Fi is closed and opened afresh.
  setInterval(() => {
    if (!ws || ws.readyState !== 1) return;
    if (Date.now() - lastSeen > 45000) {
      ws.close();
      return;
    }
    send({ type: "ping" });
  }, 20000);

  // A browser that goes offline often keeps reporting the socket as open; drop it at once so the page
  // shows the truth and the vote waits for the network instead of vanishing into a dead socket.
  function drop() {
    if (!ws) return;
    const dead = ws;
    ws = null;
    dead.onclose = null;
    dead.onmessage = null;
    try {
      dead.close();
    } catch (err) {
      /* already closed */
    }
    onStatus("closed");
    schedule();
  }
  window.addEventListener("offline", drop);
  window.addEventListener("online", () => {
    delay = 500;
    open();
  });
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible") open();
  });

  open();
  return {
    send,
    isOpen: () => Boolean(ws && ws.readyState === 1),
    reconnect: drop,
  };
}

// ---- the server's clock ----

// The server's time: the `now` (ms) of the newest message plus the time since it arrived, measured on this
// device's monotonic clock, so a device whose own wall clock is wrong still counts down right. A state is
// stamped when it is sent; a tally may be an older one handed to a new connection, so it only moves the
// clock forward.
let clock = null; // {server: ms, local: performance.now()}

export function syncClock(msg) {
  if (!msg || typeof msg.now !== "number") return;
  const local = performance.now();
  if (msg.type === "state" || !clock || msg.now > clock.server + (local - clock.local)) clock = { server: msg.now, local };
}

// Before the first message (or a page-rendered `now`) there is only the device's own clock.
export function serverNow() {
  return clock ? clock.server + (performance.now() - clock.local) : Date.now();
}

export function loadJSON(id) {
  const el = document.getElementById(id);
  return el ? JSON.parse(el.textContent) : null;
}

export function fmt(template, params) {
  return template.replace(/\{(\w+)\}/g, (m, key) => (key in params ? String(params[key]) : m));
}

// The connection badge; `closeCode` (of a closed socket) tells a socket refused for good from one that retries.
export function showStatus(el, state, strings, closeCode) {
  if (!el) return;
  el.hidden = false;
  el.dataset.state = state;
  const final = state === "closed" && FINAL_CLOSE_CODES.has(closeCode);
  el.textContent = (final ? strings.conn_stopped : strings["conn_" + state]) || state;
}

export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key === "class") el.className = value;
    else if (key === "text") el.textContent = value;
    else if (key.startsWith("data-")) el.setAttribute(key, value);
    else if (key in el) el[key] = value;
    else el.setAttribute(key, value);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

export function announce(text) {
  const region = document.getElementById("announce");
  if (!region) return;
  // Clear first so the same text is announced again.
  region.textContent = "";
  setTimeout(() => {
    region.textContent = text;
  }, 50);
}
