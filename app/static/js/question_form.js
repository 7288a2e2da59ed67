// The question form: only the fields of the chosen kind are shown. Without script every field is visible,
// each with a note saying which kinds it applies to; the server ignores what a kind does not use.

document.documentElement.classList.add("js");
const form = document.getElementById("question-form");

const PRESETS = { "1-5": ["1", "5"], "0-10": ["0", "10"] };

function currentKind() {
  const checked = form.querySelector("input[name=kind]:checked");
  if (checked) return checked.value;
  const fixed = form.querySelector("input[type=hidden][name=kind]");
  return fixed ? fixed.value : form.dataset.kind;
}

function applies(el, kind) {
  return el.dataset.kinds.split(/\s+/).includes(kind);
}

function showKind() {
  const kind = currentKind();
  form.dataset.kind = kind;
  for (const el of form.querySelectorAll("[data-kinds]")) {
    const on = applies(el, kind);
    el.hidden = !on;
    // A hidden field is not sent, so a leftover value of another kind can never stand in the way.
    if (el.classList.contains("kind-field")) {
      for (const input of el.querySelectorAll("input, select, textarea")) input.disabled = !on || input.dataset.locked === "true";
    }
  }
  const options = document.getElementById("q-options");
  if (options) options.required = !options.disabled;
  const max = document.getElementById("q-max");
  if (max) {
    const limit = max.dataset["max" + kind.charAt(0).toUpperCase() + kind.slice(1)];
    if (limit) max.max = limit;
  }
}

// ---- scale: 1–5 and 0–10 at one tap, any other span by hand ----

const presets = document.getElementById("scale-presets");
const low = document.getElementById("q-scale-min");
const high = document.getElementById("q-scale-max");

function presetOf() {
  for (const [name, [a, b]] of Object.entries(PRESETS)) if (low.value === a && high.value === b) return name;
  return "custom";
}

function showRange(preset) {
  document.getElementById("scale-range").hidden = preset !== "custom";
}

if (presets && low && high && !low.readOnly) {
  presets.hidden = false;
  const initial = presetOf();
  presets.querySelector(`input[value="${initial}"]`).checked = true;
  showRange(initial);
  presets.addEventListener("change", (event) => {
    const preset = event.target.value;
    if (PRESETS[preset]) [low.value, high.value] = PRESETS[preset];
    showRange(preset);
  });
}

// Locked radios (disabled in the HTML) stay disabled whatever kind is shown.
for (const input of form.querySelectorAll("input:disabled, textarea:disabled, select:disabled")) input.dataset.locked = "true";
form.addEventListener("change", (event) => {
  if (event.target.name === "kind") showKind();
});
showKind();
