// The helper's page (#18): the open question and each tablet's state (waiting, answered, expired), asked from the
// server every few seconds; the unlock itself is the page's plain form.
const token = document.body.dataset.token;
const EVERY_MS = 2000;

async function refresh() {
  try {
    const response = await fetch("/hilfe/" + token + "/stand", { headers: { Accept: "application/json" }, cache: "no-store" });
    if (!response.ok) return;
    const data = await response.json();
    const question = document.getElementById("open-question");
    if (question.textContent !== data.question) question.textContent = data.question;
    for (const tablet of data.tablets) {
      const el = document.getElementById("tablet-" + tablet.id + "-state");
      // Only a change of state is written (and so announced); the seconds left are not read out every time.
      if (el && el.dataset.state !== tablet.state) {
        el.dataset.state = tablet.state;
        el.textContent = tablet.text;
      }
    }
  } catch (err) {
    /* offline for a moment: the next round asks again */
  }
}

setInterval(refresh, EVERY_MS);
