// Presenter keys on the control page: the keyboard and a presenter clicker (PageDown / PageUp / B / period) drive
// the evening. Each key submits the very form a button of the page submits (with its CSRF token), so the server's
// rules, its message and the audit log are the same as for a click. No key acts while the moderator types in a
// field, while a dialog is open, or with Ctrl, Alt or Meta; a key that needs a question says why it did nothing,
// visibly. "?" opens the help dialog (templates/moderator/_keys.html); the keys can be switched off there.
import { fmt } from "./socket.js";

const STORE = "saalumfrage-presenter-keys";
const BUSY_MS = 1500; // a second press during the reload (a clicker's double click) does not act twice
const NOTE_MS = 8000;

// event.key (letters in lower case) → what it does
const KEYS = {
  PageDown: "next",
  ArrowRight: "next",
  n: "next",
  PageUp: "previous",
  ArrowLeft: "previous",
  p: "previous",
  o: "openClose",
  e: "result",
  ".": "result",
  q: "join",
  b: "join",
  "?": "help",
};

const TYPING = "input, textarea, select, [contenteditable]:not([contenteditable='false'])";

export function installPresenterKeys(strings) {
  const el = (id) => document.getElementById(id);
  const dialog = el("keys-help");
  const status = el("key-status");
  if (!dialog || !status) return;
  let busyUntil = 0;
  let noteTimer = null;
  let opener = null;

  function enabled() {
    try {
      return localStorage.getItem(STORE) !== "off";
    } catch (err) {
      return true; // storage blocked: the keys stay on, the switch still works for this page
    }
  }

  let on = enabled();

  function setOn(value) {
    on = value;
    try {
      if (value) localStorage.removeItem(STORE);
      else localStorage.setItem(STORE, "off");
    } catch (err) {
      /* storage blocked: for this page only */
    }
    el("keys-off-note").hidden = on;
  }

  // Visible and said: the status region stays in the page; only its content changes.
  function say(text) {
    clearTimeout(noteTimer);
    status.replaceChildren();
    // A moment empty, so that the same text twice is announced twice.
    noteTimer = setTimeout(() => {
      const note = document.createElement("p");
      note.className = "notice info";
      note.textContent = text;
      status.replaceChildren(note);
      noteTimer = setTimeout(() => status.replaceChildren(), NOTE_MS);
    }, 50);
  }

  // The path a form posts to (getAttribute: form.action would be a field named "action").
  function path(form) {
    return new URL(form.getAttribute("action"), location.href).pathname;
  }

  // The live panel's form for an action: the same form its button submits.
  function formFor(pattern) {
    const panel = el("live");
    return panel ? [...panel.querySelectorAll("form[action]")].find((form) => pattern.test(path(form))) || null : null;
  }

  function submit(form, button) {
    const label = (button || form.querySelector("button")).textContent.trim().replace(/\s+/g, " ");
    busyUntil = Date.now() + BUSY_MS;
    say(fmt(strings.key_running, { action: label }));
    if (typeof form.requestSubmit === "function") form.requestSubmit(button || undefined);
    else (button || form.querySelector("button")).click();
  }

  function currentId() {
    return document.body.dataset.currentId || "";
  }

  const actions = {
    next() {
      const form = formFor(/\/next$/);
      if (form) submit(form);
    },

    // No "previous" action: the agenda's "Ergebnis auf Beamer" of the nearest earlier closed question
    // (shown again, not reopened). Without a current question, the last closed one.
    previous() {
      const items = [...document.querySelectorAll("#agenda li[id^='question-']")];
      const index = items.findIndex((li) => li.id === "question-" + currentId());
      const before = index >= 0 ? items.slice(0, index) : currentId() ? [] : items;
      for (const li of before.reverse()) {
        const id = li.id.slice("question-".length);
        const form = [...li.querySelectorAll("form[action]")].find((f) => path(f).endsWith("/questions/" + id + "/show"));
        if (form) return submit(form);
      }
      say(strings.key_no_previous);
    },

    openClose() {
      const form = formFor(/\/questions\/\d+\/(open|close)$/);
      if (form) submit(form);
      else say(strings.key_no_question);
    },

    result() {
      const form = formFor(/\/questions\/\d+\/(show|hide)-results$/);
      if (form) submit(form);
      else say(strings.key_no_question);
    },

    join() {
      const form = el("projector-switch");
      const toJoin = form && form.querySelector("button[name='mode'][value='join']");
      const toQuestion = form && form.querySelector("button[name='mode'][value='question']");
      if (!toJoin) return;
      const showingJoin = toJoin.getAttribute("aria-current") === "true";
      if (!showingJoin) submit(form, toJoin);
      else if (toQuestion && !toQuestion.disabled) submit(form, toQuestion);
      else say(strings.key_join_already);
    },

    help() {
      openHelp();
    },
  };

  function openHelp() {
    if (dialog.open) return;
    opener = document.activeElement;
    dialog.showModal();
  }

  dialog.addEventListener("close", () => {
    // Back where the moderator was (the browser does so too; said here for the browsers that do not).
    const back = opener && opener !== document.body && document.contains(opener) ? opener : null;
    opener = null;
    if (back) back.focus();
  });
  el("keys-close").addEventListener("click", () => dialog.close());
  // A click on the backdrop (outside the dialog's box) closes it too.
  dialog.addEventListener("click", (event) => {
    if (event.target === dialog) {
      const r = dialog.getBoundingClientRect();
      const inside = event.clientX >= r.left && event.clientX <= r.right && event.clientY >= r.top && event.clientY <= r.bottom;
      if (!inside) dialog.close();
    }
  });

  const toggle = el("keys-on");
  toggle.checked = on;
  toggle.addEventListener("change", () => setOn(toggle.checked));
  setOn(on);

  el("keys-open").addEventListener("click", openHelp);
  el("keys-hint").hidden = false;

  document.addEventListener("keydown", (event) => {
    if (!on || event.defaultPrevented || event.isComposing || event.repeat) return;
    if (event.ctrlKey || event.altKey || event.metaKey) return;
    const key = event.key && event.key.length === 1 ? event.key.toLowerCase() : event.key;
    const action = KEYS[key];
    if (!action) return;
    const target = event.target instanceof Element ? event.target : null;
    if (target && (target.closest(TYPING) || target.isContentEditable)) return;
    if (document.querySelector("dialog[open]")) return;
    event.preventDefault();
    if (Date.now() < busyUntil) return;
    actions[action]();
  });

  // Back from the browser's page cache: the page may be stale, but no submit is running any more.
  window.addEventListener("pageshow", () => {
    busyUntil = 0;
  });
  // The control page posted the action with fetch and swapped in the answer (control-live.js): ready again.
  document.addEventListener("control:settled", () => {
    busyUntil = 0;
  });
}
