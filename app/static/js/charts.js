// Result bars: one row per option, numbers always written, bars updated in place so they animate.
import { fmt, h } from "./socket.js";

export function percent(count, voters) {
  return voters ? Math.round((count * 100) / voters) : 0;
}

export function renderBars(list, question, results, strings, mine) {
  const counts = results && results.counts;
  const voters = results ? results.voters : 0;
  const rows = new Map([...list.children].map((li) => [li.dataset.optionId, li]));
  const wanted = new Set();
  question.options.forEach((opt, index) => {
    const key = String(opt.id);
    wanted.add(key);
    let li = rows.get(key);
    if (!li) {
      li = h(
        "li",
        { "data-option-id": key },
        h("div", { class: "bar-label" }, h("span", { class: "bar-name" }), h("span", { class: "bar-value" })),
        h("div", { class: "bar-track", "aria-hidden": "true" }, h("div", { class: "bar-fill" })),
      );
    }
    if (list.children[index] !== li) list.insertBefore(li, list.children[index] || null);
    li.querySelector(".bar-name").textContent = opt.label;
    const value = li.querySelector(".bar-value");
    const fill = li.querySelector(".bar-fill");
    // Your own answer: a tick for the eye (CSS), words for screen readers; not colour alone.
    const isMine = Boolean(mine && mine.includes(opt.id));
    li.classList.toggle("mine", isMine);
    const note = li.querySelector(".mine-note");
    if (isMine && !note) {
      value.before(h("span", { class: "visually-hidden mine-note", text: " (" + strings.mine + ")" }));
    } else if (!isMine && note) {
      note.remove();
    }
    if (counts) {
      const n = counts[key] || 0;
      const pct = percent(n, voters);
      value.textContent = (n === 1 ? strings.votes_1 : fmt(strings.votes_n, { n })) + " · " + pct + " %";
      fill.style.width = pct + "%";
      li.querySelector(".bar-track").hidden = false;
    } else {
      value.textContent = "";
      fill.style.width = "0";
      li.querySelector(".bar-track").hidden = true;
    }
  });
  for (const [key, li] of rows) if (!wanted.has(key)) li.remove();
  return list;
}

export function votersText(voters, strings) {
  return voters === 1 ? strings.voters_1 : fmt(strings.voters_n, { n: voters });
}

export function fillServerBars(root) {
  for (const fill of root.querySelectorAll(".bar-fill[data-pct]")) fill.style.width = fill.dataset.pct + "%";
}
