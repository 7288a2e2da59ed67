// The control page without reloads. The forms of the live panel and the agenda are posted with fetch; the
// server answers as it does without script (a redirect back to this page, with the action's message), and
// every part marked data-swap is replaced by the same part of that page. A change made elsewhere (a second
// moderator, the countdown running out) fetches the page the same way. Focus, open <details> and a field
// someone is typing in survive a swap.
import { announce, h } from "./socket.js";

const REGION = "[data-swap]";
const FIELD = "input:not([type=hidden]), textarea, select";
// Review forms (open-text queue, word-cloud terms) answer with JSON; moderator.js posts those itself.
const OWN_PATH = "#queue, #terms, #term-review";

let strings = {};
let onSwap = () => {};
let inflight = false;
let wanted = 0; // the newest state version a refresh was asked for while one was running
let deferred = false; // a region was kept because someone types in it: refresh once they leave it

function pageVersion() {
  return Number(document.body.dataset.version || 0);
}

function el(id) {
  return document.getElementById(id);
}

function typingIn(region) {
  const active = document.activeElement;
  return Boolean(active && region.contains(active) && active.matches(FIELD));
}

// What the focused element is, in words that still mean something in the new page.
function focusKey() {
  const node = document.activeElement;
  if (!node || node === document.body) return null;
  const region = node.closest(REGION);
  if (!region) return null; // not in a part that is swapped: it stays where it is
  const form = node.closest("form");
  return {
    id: node.id || "",
    action: form ? form.getAttribute("action") : "",
    name: node.getAttribute("name") || "",
    value: node.getAttribute("value") || "",
    href: node.getAttribute("href") || "",
    details: node.tagName === "SUMMARY" && node.parentElement.id ? node.parentElement.id : "",
    item: node.closest("li[id]") ? node.closest("li[id]").id : "",
    mainAction: Boolean(node.closest(".main-actions")),
    region: region.id,
  };
}

function refocus(key) {
  if (!key) return;
  const same = (selector) => document.querySelector(selector);
  let target = null;
  if (key.id) target = el(key.id);
  if (!target && key.details) target = same("#" + CSS.escape(key.details) + " > summary");
  if (!target && key.action) {
    const forms = [...document.querySelectorAll("form")].filter((f) => f.getAttribute("action") === key.action);
    for (const form of forms) {
      const buttons = [...form.querySelectorAll("button")];
      target = buttons.find((b) => (b.getAttribute("name") || "") === key.name && (b.getAttribute("value") || "") === key.value) || buttons[0];
      if (target) break;
    }
  }
  if (!target && key.href) target = [...document.querySelectorAll("a")].find((a) => a.getAttribute("href") === key.href) || null;
  // The button is gone ("Schließen" became "Erneut öffnen"): its neighbour in the same place.
  if (!target && key.mainAction) target = same("#now .main-actions button");
  if (!target && key.item && el(key.item)) target = el(key.item).querySelector("button, summary, a");
  if (!target) target = key.region === "agenda-list" ? el("agenda-title") : el("live-title");
  if (target) target.focus({ preventScroll: true });
}

// The action's message (a flash of the page that came back): shown under the live panel's head and said.
function showMessages(doc) {
  const box = el("action-note");
  const flashes = [...doc.querySelectorAll("main > .flash")];
  for (const old of document.querySelectorAll("main > .flash")) old.remove();
  if (!box) return;
  box.replaceChildren(...flashes.map((f) => h("p", { class: "flash " + [...f.classList].filter((c) => c !== "flash").join(" "), text: f.textContent.trim() })));
  const text = flashes.map((f) => f.textContent.trim()).join(" ");
  if (text) announce(text);
}

function swap(html, own) {
  const doc = new DOMParser().parseFromString(html, "text/html");
  if (!doc.querySelector(REGION)) throw new Error("not the control page");
  const version = Number(doc.body.dataset.version || 0);
  if (!own && version && version < pageVersion()) return; // an older page than the one shown (two fetches crossed)
  const key = focusKey();
  let kept = false;
  for (const region of [...document.querySelectorAll(REGION)]) {
    const fresh = doc.getElementById(region.id);
    if (!fresh) continue;
    if (!own && typingIn(region)) {
      kept = true; // someone types here: this part waits until they leave it
      continue;
    }
    const open = new Set([...region.querySelectorAll("details[open][id]")].map((d) => d.id));
    const adopted = document.adoptNode(fresh);
    for (const details of adopted.querySelectorAll("details[id]")) if (open.has(details.id)) details.open = true;
    region.replaceWith(adopted);
  }
  deferred = kept;
  for (const [name, value] of Object.entries(doc.body.dataset)) document.body.dataset[name] = value;
  const state = doc.getElementById("control-state");
  if (state && el("control-state")) el("control-state").textContent = state.textContent;
  if (doc.title) document.title = doc.title;
  showMessages(doc);
  el("changed-note").hidden = true;
  document.body.dataset.swaps = String(Number(document.body.dataset.swaps || 0) + 1);
  onSwap();
  // The focused element was swapped out: the same control (or its nearest stand-in) in the new page.
  if (key && (document.activeElement === document.body || !document.contains(document.activeElement))) refocus(key);
}

function showProblem(text, withReload) {
  const note = el("changed-note");
  const parts = [text];
  if (withReload) {
    const button = h("button", { type: "button", class: "small", text: strings.reload });
    button.addEventListener("click", () => location.reload());
    parts.push(" ", button);
  }
  note.replaceChildren(...parts);
  note.hidden = false;
  announce(text);
}

// The answer to a post or a refresh: this page again (swap it in), or another (the login, after the session
// ended; an error page): then that page is shown as it is.
async function take(response, own) {
  const url = new URL(response.url, location.href);
  if (url.pathname !== location.pathname) {
    location.assign(response.url);
    return;
  }
  const html = await response.text();
  if (!response.ok) {
    const doc = new DOMParser().parseFromString(html, "text/html");
    const message = doc.querySelector("main p");
    showProblem(message ? message.textContent.trim() : strings.mod_action_failed, false);
    return;
  }
  swap(html, own);
}

function setBusy(form, busy) {
  for (const button of form.querySelectorAll("button")) {
    if (busy) button.setAttribute("aria-disabled", "true");
    else button.removeAttribute("aria-disabled");
  }
  form.classList.toggle("busy", busy);
  document.body.classList.toggle("busy", busy);
}

async function post(form, submitter) {
  const data = new FormData(form);
  if (submitter && submitter.name) data.append(submitter.name, submitter.value);
  inflight = true;
  setBusy(form, true);
  try {
    const response = await fetch(form.getAttribute("action"), {
      method: "POST",
      body: new URLSearchParams(data),
      credentials: "same-origin",
      headers: { Accept: "text/html" },
    });
    await take(response, true);
  } catch (err) {
    showProblem(strings.mod_offline, false);
  } finally {
    if (document.contains(form)) setBusy(form, false);
    document.body.classList.remove("busy");
    inflight = false;
    // The action is answered (or failed): presenter-keys.js takes the next key again.
    document.dispatchEvent(new CustomEvent("control:settled"));
    if (wanted > pageVersion()) refresh(wanted);
  }
}

/** Post a review form (open-text queue, word-cloud terms) for a JSON answer; throws with the server's message,
 * or with `failed` when there is none. moderator.js and term-review.js both send theirs through here. */
export async function postForJSON(form, failed) {
  const response = await fetch(form.action, {
    method: "POST",
    body: new FormData(form),
    headers: { Accept: "application/json" },
    credentials: "same-origin",
  });
  let data = {};
  try {
    data = await response.json();
  } catch (err) {
    /* not JSON: the status says enough */
  }
  if (!response.ok) throw new Error(data.detail || failed);
  return data;
}

/** Fetch this page again and swap it in, unless it already shows `version` (a state's version) or newer. */
export async function refresh(version = Infinity) {
  if (version !== Infinity && version <= pageVersion() && !deferred) return;
  if (inflight) {
    wanted = Math.max(wanted, version === Infinity ? pageVersion() + 1 : version);
    return;
  }
  inflight = true;
  wanted = 0;
  try {
    const response = await fetch(location.pathname, { credentials: "same-origin", headers: { Accept: "text/html" }, cache: "no-store" });
    await take(response, false);
  } catch (err) {
    showProblem(strings.mod_refresh_failed, true);
  } finally {
    inflight = false;
    if (wanted > pageVersion()) refresh(wanted);
  }
}

/** Post the live panel's and the agenda's forms with fetch; `swapped` runs after every swap. */
export function installLive(pageStrings, swapped) {
  strings = pageStrings;
  onSwap = swapped;
  document.addEventListener("submit", (event) => {
    const form = event.target;
    if (!(form instanceof HTMLFormElement) || event.defaultPrevented) return;
    if (form.dataset.confirm && !window.confirm(form.dataset.confirm)) {
      event.preventDefault();
      return;
    }
    if (!window.fetch || !window.DOMParser || form.method.toLowerCase() !== "post") return;
    if (!form.closest("#live, #agenda") || form.closest(OWN_PATH)) return;
    event.preventDefault();
    if (form.classList.contains("busy")) return; // a second click while the first is on its way
    post(form, event.submitter);
  });
  // A part kept while someone typed in it is brought up to date once they leave it.
  document.addEventListener("focusout", () => {
    if (!deferred) return;
    setTimeout(() => {
      const active = document.activeElement;
      if (deferred && !(active && active.closest(REGION) && active.matches(FIELD))) refresh();
    }, 0);
  });
}
