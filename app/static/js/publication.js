// The "Veröffentlichen" pages: the copy button beside the public address. Without script the address stays a
// read-only field to select and copy by hand; the button appears only where it can work. Its texts come from
// the page (data-done, data-failed), translated on the server.

for (const button of document.querySelectorAll("button[data-copy]")) {
  const field = document.getElementById(button.dataset.copy);
  const note = button.parentElement.querySelector(".copy-note");
  if (!field || !note || !navigator.clipboard) continue;
  button.hidden = false;
  button.addEventListener("click", async () => {
    try {
      await navigator.clipboard.writeText(field.value);
      note.textContent = button.dataset.done;
    } catch {
      field.select();
      note.textContent = button.dataset.failed;
    }
  });
}
