// The control page's word-cloud review (moderator/_terms.html): hide or show a term, merge two terms into one,
// undo a merge. Every action is a plain form (it works without script); here the forms are sent with fetch, so
// the page stays where it is, and the next tally from the socket redraws the section on every control page.
//
//   installTermReview({ strings, actionUrl, getResults })   once, on a page with a word-cloud question
//     strings            the page's texts (pagestrings.py: the moderator's and TERM_REVIEW_JS_STRINGS)
//     actionUrl(action)  the URL of an action on the current question ("hide-term", "merge-term", …)
//     getResults()       the current question's results as the page holds them (the moderator's: with `merges`)
//   renderTerms(results)  after every tally or state of the current question
import { announce, fmt, h } from "./socket.js";
import { postForJSON } from "./control-live.js";

const el = (id) => document.getElementById(id);
let options = null;
// After "Trennen": once that merge is gone from the list, the focus goes to the next merge's button (or the
// list's heading), so a keyboard user carries on where they were.
let focusAfter = null;
let sending = false;

function say(key, params) {
  const text = options.strings[key];
  if (text === undefined) {
    console.error("Saalumfrage: missing text " + key);
    return key;
  }
  return params ? fmt(text, params) : text;
}

function people(n) {
  return n === 1 ? say("people_1") : say("people_n", { n });
}

function actionForm(action, label, cls, suffix, fields) {
  return h(
    "form",
    { method: "post", action: options.actionUrl(action), class: "inline" },
    h("input", { type: "hidden", name: "csrf", value: document.body.dataset.csrf }),
    ...Object.entries(fields).map(([name, value]) => h("input", { type: "hidden", name, value: String(value) })),
    h("button", { type: "submit", class: cls }, label, h("span", { class: "visually-hidden", text: ": " + suffix })),
  );
}

// ---- the terms: hide or show, and a shortcut to merge one ----

function termItem(term) {
  const list = el("term-review");
  let li = [...list.children].find((node) => node.dataset.key === term.key);
  const action = term.hidden ? "show-term" : "hide-term";
  if (!li) {
    li = h(
      "li",
      { class: "review-term", "data-key": term.key },
      h("span", { class: "review-label" }),
      h("span", { class: "review-n" }),
      actionForm(action, "", "secondary small", "", { term: term.key }),
    );
  }
  li.classList.toggle("hidden-term", Boolean(term.hidden));
  li.classList.toggle("flagged", Boolean(term.flagged));
  li.classList.remove("busy");
  li.querySelector(".review-label").textContent = term.label;
  li.querySelector(".review-n").textContent = people(term.n);
  // The same form and button stay in place (focus stays on them); only what they do changes.
  const form = li.querySelector("form");
  form.action = options.actionUrl(action);
  const button = form.querySelector("button");
  button.replaceChildren(term.hidden ? say("mod_show_term") : say("mod_hide_term"), h("span", { class: "visually-hidden", text: ": " + term.label }));
  // A shown term can be merged: this picks it in the merge form below (a hidden one cannot).
  let pick = li.querySelector(".merge-pick");
  if (!term.hidden) {
    if (!pick) {
      pick = h("button", { type: "button", class: "secondary small merge-pick" });
      form.after(pick);
    }
    pick.dataset.key = term.key;
    pick.replaceChildren(say("mod_merge_pick"), h("span", { class: "visually-hidden", text: ": " + term.label }));
  } else if (pick) {
    if (document.activeElement === pick) button.focus();
    pick.remove();
  }
  let state = li.querySelector(".review-state");
  if (term.flagged || term.hidden) {
    if (!state) {
      state = h("p", { class: "review-state" });
      li.append(state);
    }
    const parts = [];
    if (term.flagged) {
      parts.push(h("span", { class: "flag" }, h("span", { class: "icon", "aria-hidden": "true", text: "⚠" }), " " + say("mod_flagged")));
      if (term.hidden) parts.push(" – " + say("mod_term_flagged_hidden"));
    } else {
      parts.push(say("mod_term_hidden"));
    }
    state.replaceChildren(...parts);
  } else if (state) {
    state.remove();
  }
  return li;
}

function renderList(terms) {
  const list = el("term-review");
  // Flagged terms still hidden come first: they wait for a decision.
  const order = [
    ...terms.filter((t) => t.flagged && t.hidden),
    ...terms.filter((t) => !t.flagged),
    ...terms.filter((t) => t.flagged && !t.hidden),
  ];
  const items = order.map(termItem);
  const keep = new Set(items);
  items.forEach((li, index) => {
    if (list.children[index] !== li) list.insertBefore(li, list.children[index] || null);
  });
  for (const li of [...list.children]) if (!keep.has(li)) li.remove();
  el("terms-empty").hidden = terms.length > 0;
  const summary = terms.length === 1 ? say("mod_terms_summary_1") : say("mod_terms_summary");
  el("terms-summary").textContent = fmt(summary, { n: terms.length, hidden: terms.filter((t) => t.hidden).length });
}

// ---- the merge form: two lists of the shown terms, by key (so the order stays put while counts change) ----

function fillSelect(select, shown) {
  const wanted = [...shown].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  const chosen = select.value;
  // Changed in place, option by option: a list that is open while a tally arrives stays open.
  const existing = new Map([...select.options].filter((o) => o.value).map((o) => [o.value, o]));
  wanted.forEach((term, index) => {
    let option = existing.get(term.key);
    if (!option) option = h("option", { value: term.key });
    existing.delete(term.key);
    if (option.textContent !== term.label) option.textContent = term.label;
    if (select.options[index + 1] !== option) select.insertBefore(option, select.options[index + 1] || null);
  });
  for (const option of existing.values()) option.remove();
  if (chosen && !wanted.some((t) => t.key === chosen)) select.value = "";
}

function syncMergeChoices() {
  const source = el("merge-term");
  const into = el("merge-into");
  for (const option of into.options) option.disabled = Boolean(option.value) && option.value === source.value;
  if (into.value && into.value === source.value) into.value = "";
}

function renderMergeForm(terms) {
  const shown = terms.filter((t) => !t.hidden);
  fillSelect(el("merge-term"), shown);
  fillSelect(el("merge-into"), shown);
  syncMergeChoices();
}

// ---- the merges, each with "Trennen" ----

function mergeItem(merge) {
  const list = el("merge-list");
  let li = [...list.children].find((node) => node.dataset.from === merge.from);
  const text = merge.from_label + "|" + merge.into_label;
  if (li && li.dataset.text === text) return li;
  const fresh = h(
    "li",
    { class: "merge-item", "data-from": merge.from },
    h(
      "span",
      { class: "merge-pair" },
      h("span", { class: "merge-from", text: merge.from_label }),
      " ",
      h("span", { "aria-hidden": "true", text: "→" }),
      h("span", { class: "visually-hidden", text: say("mod_merge_counts_as") }),
      " ",
      h("span", { class: "merge-into", text: merge.into_label }),
    ),
    " ",
    actionForm("unmerge-term", say("mod_unmerge"), "secondary small", say("mod_unmerge_suffix", { term: merge.from_label, into: merge.into_label }),
      { term: merge.from }),
  );
  fresh.dataset.text = text;
  if (li) {
    const hadFocus = li.contains(document.activeElement);
    li.replaceWith(fresh);
    if (hadFocus) fresh.querySelector("button").focus();
  }
  return fresh;
}

function renderMerges(merges) {
  const list = el("merge-list");
  const items = merges.map(mergeItem);
  const keep = new Set(items);
  items.forEach((li, index) => {
    if (list.children[index] !== li) list.insertBefore(li, list.children[index] || null);
  });
  for (const li of [...list.children]) if (!keep.has(li)) li.remove();
  el("merges-count").textContent = merges.length;
  el("merges-empty").hidden = merges.length > 0;
  if (focusAfter && !merges.some((m) => m.from === focusAfter.from)) {
    const next = focusAfter.next && [...list.children].find((node) => node.dataset.from === focusAfter.next);
    (next ? next.querySelector("button") : el("merges-title")).focus();
    focusAfter = null;
  }
}

export function renderTerms(results) {
  if (!options || !el("terms") || !results) return;
  const terms = results.terms || [];
  renderList(terms);
  renderMergeForm(terms);
  renderMerges(results.merges || []);
}


function done(action, form, item) {
  const results = options.getResults();
  if (action === "hide-term" || action === "show-term") {
    // At once; the tally that follows says the same.
    const term = results && (results.terms || []).find((t) => t.key === item.dataset.key);
    if (term) term.hidden = action === "hide-term";
    renderTerms(results);
  } else if (action === "merge-term") {
    form.reset();
    syncMergeChoices();
  }
}

async function onSubmit(event) {
  const form = event.target;
  if (!window.fetch || !(form instanceof HTMLFormElement)) return;
  event.preventDefault();
  if (sending) return;
  const action = form.action.split("/").pop();
  const item = form.closest("li");
  const errorBox = el("terms-error");
  errorBox.hidden = true;
  if (item) item.classList.add("busy");
  if (action === "unmerge-term") {
    const next = item.nextElementSibling || item.previousElementSibling;
    focusAfter = { from: item.dataset.from, next: next ? next.dataset.from : null };
  }
  sending = true;
  try {
    const data = await postForJSON(form, say("mod_action_failed"));
    done(action, form, item);
    if (data.message) announce(data.message);
  } catch (err) {
    focusAfter = null;
    errorBox.textContent = err instanceof TypeError ? say("mod_offline") : err.message;
    errorBox.hidden = false;
    if (item) item.classList.remove("busy");
  } finally {
    sending = false;
  }
}

function onClick(event) {
  const pick = event.target.closest(".merge-pick");
  if (!pick) return;
  const source = el("merge-term");
  source.value = pick.dataset.key;
  syncMergeChoices();
  el("merge-into").focus();
}

export function installTermReview({ strings, actionUrl, getResults }) {
  const section = el("terms");
  if (!section) return;
  options = { strings, actionUrl, getResults };
  section.addEventListener("submit", onSubmit);
  section.addEventListener("click", onClick);
  el("merge-term").addEventListener("change", syncMergeChoices);
  renderTerms(getResults());
}
