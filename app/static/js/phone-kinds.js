// The answer fields of the question kinds beyond the choice kinds, for the phone page (attendee.js): scale,
// word cloud, open text, ranking, points. Loaded only while such a question is on, so a phone that only ever
// answers choice questions never downloads it. Builds the same markup as attendee.html, reads the answer
// (`{value}` for the vote message's field, or `{error}` to show) and adds what needs a script: the counter,
// the arrows, the ±10 buttons and the live sum.
import { announce, fmt, h } from "./socket.js";

let strings = {};
let LIMITS = {};
let onChange = () => {};

function hint(text) {
  return h("p", { class: "hint", id: "choice-hint", text });
}
function labelOf(q, id) {
  const opt = q.options.find((o) => String(o.id) === String(id));
  return opt ? opt.label : "";
}
function range(low, high) {
  const values = [];
  for (let v = low; v <= high; v++) values.push(v);
  return values;
}

function buildScale(q, mine) {
  const s = q.scale;
  const picked = Array.isArray(mine) ? Number(mine[0]) : null;
  const values = range(s.min, s.max);
  const end = (v) => {
    const label = v === s.min ? s.label_min : v === s.max ? s.label_max : "";
    return label ? h("span", { class: "visually-hidden", text: " (" + label + ")" }) : null;
  };
  const parts = [
    hint(fmt(strings.ph_hint_scale, { min: s.min, max: s.max })),
    h(
      "div",
      { class: "scale-pick n" + values.length },
      values.map((v) =>
        h(
          "label",
          { class: "scale-value" },
          h("input", { type: "radio", name: "value", value: String(v), checked: picked === v }),
          h("span", { class: "scale-num" }, String(v), end(v)),
        ),
      ),
    ),
  ];
  if (s.label_min || s.label_max) {
    const side = (v, label) => h("span", { text: label ? fmt(strings.ph_scale_end, { value: v, label }) : "" });
    parts.push(
      h("p", { class: "scale-pick-ends", id: "scale-ends", "aria-hidden": "true" }, side(s.min, s.label_min), side(s.max, s.label_max)),
    );
  }
  return parts;
}

function buildTerms(q, mine) {
  const n = q.max_choices;
  const terms = Array.isArray(mine) ? mine : [];
  const parts = [hint(n === 1 ? fmt(strings.ph_hint_terms_1, { max: LIMITS.term_max }) : fmt(strings.ph_hint_terms_n, { n, max: LIMITS.term_max }))];
  for (let i = 1; i <= n; i++) {
    parts.push(h("label", { for: "term-" + i, class: "term-label", text: n === 1 ? strings.ph_term_1 : fmt(strings.ph_term_n, { n: i }) }));
    parts.push(
      h("input", {
        type: "text", id: "term-" + i, name: "term", class: "term-input", maxlength: String(LIMITS.term_max),
        autocomplete: "off", enterkeyhint: "send", value: terms[i - 1] || "",
      }),
    );
  }
  return parts;
}

function buildText(q, mine) {
  return [
    hint(strings.ph_hint_text),
    h("label", { for: "answer-text", text: strings.ph_text_label }),
    h("textarea", {
      id: "answer-text", name: "text", maxlength: String(LIMITS.text_max), rows: 5, "aria-describedby": "text-count",
      value: typeof mine === "string" ? mine : "",
    }),
    h("p", { class: "hint text-count", id: "text-count" }),
  ];
}

function buildRanking(q, mine) {
  const ids = q.options.map((o) => o.id);
  const complete = Array.isArray(mine) && mine.length === ids.length && ids.every((id) => mine.includes(id));
  const order = complete ? mine : ids;
  return [
    hint(strings.ph_hint_ranking),
    h(
      "ol",
      { class: "rank-order", id: "rank-order" },
      order.map((id, i) =>
        h(
          "li",
          { class: "rank-entry", "data-option-id": String(id) },
          h("span", { class: "rank-place", "aria-hidden": "true", text: String(i + 1) }),
          h("span", { class: "rank-name", text: labelOf(q, id) }),
        ),
      ),
    ),
  ];
}

function buildPoints(q, mine) {
  const given = mine && typeof mine === "object" && !Array.isArray(mine) ? mine : {};
  return [
    hint(fmt(strings.ph_hint_points, { total: LIMITS.points_total })),
    h(
      "ul",
      { class: "points-list" },
      q.options.map((opt) =>
        h(
          "li",
          { class: "points-entry" },
          h("label", { class: "points-name", for: "points-" + opt.id, text: opt.label }),
          h(
            "span",
            { class: "points-controls" },
            h("input", {
              type: "number", id: "points-" + opt.id, name: "points-" + opt.id, class: "points-input", min: "0",
              max: String(LIMITS.points_total), step: "1", inputmode: "numeric", value: String(given[String(opt.id)] || 0),
            }),
            h("span", { class: "points-unit", "aria-hidden": "true", text: strings.ph_points_unit }),
          ),
        ),
      ),
    ),
  ];
}

function pointsSumBox() {
  return h(
    "div",
    { class: "points-sum", id: "points-sum" },
    h("p", { class: "points-sum-text", id: "points-sum-text" }),
    h("div", { class: "points-meter", "aria-hidden": "true" }, h("div", { class: "points-meter-fill" })),
    h("p", { class: "hint", id: "points-reason", text: fmt(strings.ph_points_reason, { total: LIMITS.points_total }) }),
  );
}

function readScale(form) {
  const el = form.querySelector("input[name=value]:checked");
  return el ? { value: Number(el.value) } : { error: strings.ph_no_value };
}

function readTerms(form) {
  const terms = [...form.querySelectorAll("input[name=term]")].map((el) => el.value.trim()).filter(Boolean);
  return terms.length ? { value: terms } : { error: strings.ph_no_term };
}

function readText(form) {
  const text = form.querySelector("textarea[name=text]").value;
  return text.trim() ? { value: text } : { error: strings.ph_no_text };
}

function readRanking(form) {
  return { value: [...form.querySelectorAll(".rank-order > li")].map((li) => Number(li.dataset.optionId)) };
}

function readPoints(form) {
  const state = pointsState(form);
  if (state.bad || state.sum !== LIMITS.points_total) return { error: pointsText(state) };
  const points = {};
  for (const entry of state.entries) points[entry.id] = entry.value;
  return { value: points };
}

function enhanceText(form) {
  const area = form.querySelector("textarea[name=text]");
  const counter = document.getElementById("text-count");
  if (!area || !counter) return;
  const max = area.maxLength > 0 ? area.maxLength : LIMITS.text_max;
  // Screen readers hear the count when they reach the field (aria-describedby) and when it runs low, not
  // on every key.
  const band = (left) => (left > 50 ? 3 : left > 20 ? 2 : left > 0 ? 1 : 0);
  let lastBand = null;
  const update = () => {
    const left = max - area.value.length;
    let text;
    if (left < 0) text = fmt(strings.ph_chars_over, { n: -left });
    else if (left === 0) text = fmt(strings.ph_chars_none, { max });
    else text = left === 1 ? strings.ph_chars_left_1 : fmt(strings.ph_chars_left_n, { n: left });
    counter.textContent = text;
    counter.classList.toggle("low", left <= 20);
    const now = band(left);
    if (lastBand !== null && now < lastBand && now < 3) announce(text);
    lastBand = now;
  };
  area.addEventListener("input", update);
  update();
}

function rankButton(q, li, dir) {
  const label = labelOf(q, li.dataset.optionId);
  return h(
    "button",
    { type: "button", class: "secondary rank-move", "data-move": String(dir) },
    h("span", { class: "rank-arrow " + (dir < 0 ? "up" : "down"), "aria-hidden": "true" }),
    h("span", { class: "visually-hidden", text: fmt(dir < 0 ? strings.ph_rank_up : strings.ph_rank_down, { label }) }),
  );
}

function updateRanking(list) {
  const items = [...list.children];
  items.forEach((li, i) => {
    li.querySelector(".rank-place").textContent = String(i + 1);
    li.querySelector("[data-move='-1']").setAttribute("aria-disabled", String(i === 0));
    li.querySelector("[data-move='1']").setAttribute("aria-disabled", String(i === items.length - 1));
  });
}

function enhanceRanking(form, q) {
  const list = form.querySelector(".rank-order");
  if (!list) return;
  // The plain form's places (kept after an error) decide the starting order.
  const items = [...list.children];
  if (items.some((li) => li.querySelector("select"))) {
    items
      .map((li, i) => ({ li, key: Number(li.querySelector("select").value) * 100 + i }))
      .sort((a, b) => a.key - b.key)
      .forEach(({ li }) => list.append(li));
  }
  const hintEl = document.getElementById("choice-hint");
  if (hintEl) hintEl.textContent = strings.ph_hint_ranking;
  for (const li of list.children) {
    // The arrows replace the plain form's place fields.
    const select = li.querySelector(".rank-select");
    if (select) select.remove();
    const name = li.querySelector("label.rank-name");
    if (name) name.replaceWith(h("span", { class: "rank-name", text: labelOf(q, li.dataset.optionId) }));
    // The page as served has them already (shown from the first paint); a form built here gets them now.
    if (!li.querySelector(".rank-moves")) li.append(h("span", { class: "rank-moves" }, rankButton(q, li, -1), rankButton(q, li, 1)));
  }
  updateRanking(list);
  list.addEventListener("click", (event) => {
    const button = event.target.closest("button[data-move]");
    if (!button) return;
    const li = button.closest("li");
    const label = labelOf(q, li.dataset.optionId);
    // The neighbour moves, not this item: the pressed button keeps the focus and goes with its item.
    if (button.dataset.move === "-1") {
      const prev = li.previousElementSibling;
      if (!prev) return announce(fmt(strings.ph_rank_top, { label }));
      list.insertBefore(prev, li.nextElementSibling);
    } else {
      const next = li.nextElementSibling;
      if (!next) return announce(fmt(strings.ph_rank_bottom, { label }));
      list.insertBefore(next, li);
    }
    updateRanking(list);
    if (document.activeElement !== button) button.focus();
    li.scrollIntoView({ block: "nearest" });
    li.classList.remove("moved");
    void li.offsetWidth; // restart the highlight
    li.classList.add("moved");
    announce(fmt(strings.ph_rank_moved, { label, n: [...list.children].indexOf(li) + 1 }));
  });
}

function pointsValue(input) {
  const raw = input.value.trim();
  if (input.validity && input.validity.badInput) return NaN;
  if (raw === "") return 0;
  return /^\d+$/.test(raw) ? Number(raw) : NaN;
}

function pointsState(form) {
  const entries = [...form.querySelectorAll(".points-input")].map((input) => ({
    id: input.name.slice("points-".length), input, value: pointsValue(input),
  }));
  const bad = entries.some((e) => !Number.isInteger(e.value) || e.value < 0 || e.value > LIMITS.points_total);
  const sum = entries.reduce((total, e) => total + (Number.isInteger(e.value) ? e.value : 0), 0);
  return { entries, bad, sum };
}

function pointsText(state) {
  const total = LIMITS.points_total;
  if (state.bad) return fmt(strings.ph_points_bad, { total });
  if (state.sum === total) return fmt(strings.ph_points_done, { total });
  if (state.sum > total) {
    const n = state.sum - total;
    return fmt(n === 1 ? strings.ph_points_over_1 : strings.ph_points_over_n, { n, sum: state.sum, total });
  }
  return fmt(strings.ph_points_left, { n: total - state.sum, total });
}

let pointsSpeech = null;

function updatePoints(form, speak) {
  const state = pointsState(form);
  const box = document.getElementById("points-sum");
  const text = pointsText(state);
  if (box) {
    box.querySelector(".points-sum-text").textContent = text;
    box.classList.toggle("done", !state.bad && state.sum === LIMITS.points_total);
    box.classList.toggle("over", state.bad || state.sum > LIMITS.points_total);
    box.querySelector(".points-meter-fill").style.width = Math.min(100, (state.sum * 100) / LIMITS.points_total) + "%";
  }
  for (const entry of state.entries) {
    const controls = entry.input.parentNode;
    const value = Number.isInteger(entry.value) ? entry.value : 0;
    const minus = controls.querySelector("[data-step='-10']");
    const plus = controls.querySelector("[data-step='10']");
    if (minus) minus.setAttribute("aria-disabled", String(value <= 0));
    if (plus) plus.setAttribute("aria-disabled", String(state.bad || state.sum >= LIMITS.points_total || value >= LIMITS.points_total));
    entry.input.setAttribute("aria-invalid", String(!Number.isInteger(entry.value) || entry.value > LIMITS.points_total));
  }
  onChange();
  if (speak) {
    // Once the tapping or typing pauses, not on every change.
    clearTimeout(pointsSpeech);
    pointsSpeech = setTimeout(() => announce(typeof speak === "string" ? speak + " " + text : text), 700);
  }
}

function enhancePoints(form, q) {
  for (const input of form.querySelectorAll(".points-input")) {
    const label = labelOf(q, input.name.slice("points-".length));
    const step = (n) =>
      h(
        "button",
        { type: "button", class: "secondary points-step", "data-step": String(n) },
        h("span", { text: n < 0 ? "−10" : "+10" }),
        h("span", { class: "visually-hidden", text: " " + fmt(strings.ph_points_for, { label }) }),
      );
    // The page as served has them already (shown from the first paint); a form built here gets them now.
    if (!input.parentNode.querySelector("[data-step]")) {
      input.before(step(-10));
      input.parentNode.append(step(10));
    }
    input.addEventListener("focus", () => {
      try {
        input.select();
      } catch (err) {
        /* some browsers cannot select in a number field */
      }
    });
  }
  form.addEventListener("input", (event) => {
    if (event.target.classList.contains("points-input")) updatePoints(form, true);
  });
  form.addEventListener("click", (event) => {
    const button = event.target.closest("button[data-step]");
    if (!button) return;
    const input = button.parentNode.querySelector(".points-input");
    const label = labelOf(q, input.name.slice("points-".length));
    const state = pointsState(form);
    const value = Number.isInteger(pointsValue(input)) ? pointsValue(input) : 0;
    let next = value;
    if (Number(button.dataset.step) > 0) {
      if (!state.bad) next = value + Math.max(0, Math.min(10, LIMITS.points_total - state.sum, LIMITS.points_total - value));
    } else {
      next = value - Math.min(10, value);
    }
    if (next === value) return updatePoints(form, fmt(strings.ph_points_now, { label, n: value }));
    input.value = String(next);
    updatePoints(form, fmt(strings.ph_points_now, { label, n: next }));
  });
  updatePoints(form, false);
}

function pointsBlocked(form) {
  const state = pointsState(form);
  return state.bad || state.sum !== LIMITS.points_total ? "points-sum-text points-reason" : null;
}

// `limits`: {text, term, points}; `onChange`: the answer's sendability may have changed.
export function createKinds(context) {
  ({ strings, limits: LIMITS, onChange } = context);
  return {
    scale: { field: "value", build: buildScale, read: readScale },
    wordcloud: { field: "terms", build: buildTerms, read: readTerms },
    text: { field: "text", build: buildText, read: readText, enhance: enhanceText },
    ranking: { field: "ranking", build: buildRanking, read: readRanking, enhance: enhanceRanking },
    points: { field: "points", build: buildPoints, read: readPoints, enhance: enhancePoints, blocked: pointsBlocked, after: pointsSumBox },
  };
}
