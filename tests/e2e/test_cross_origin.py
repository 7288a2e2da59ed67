"""A page on another port of the same host (same-site, so the browser sends the moderator's cookies) tries to
drive and read an event through the moderator's logged-in Chromium: fetch, a form post and a websocket all
fail (issue 12, finding 3)."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import _free_port

pytestmark = pytest.mark.e2e

SINGLE = {"text": "Soll die Bibliothek länger öffnen?", "kind": "single", "options": ["Ja", "Nein"]}

ATTACK = """<!doctype html><html lang="de"><head><meta charset="utf-8"><title>Gewinnspiel</title></head><body>
<h1>Gewinnspiel</h1>
<iframe name="sink" title="leer"></iframe>
<form id="forged" method="post" action="{app}/api/events/{event_id}/next" enctype="text/plain" target="sink">
  <input type="hidden" name='{{"x":"' value='"}}'>
</form>
<script>
window.results = {{fetch: null, form: false, ws_opened: false, ws_messages: [], ws_closed: false}};
fetch("{app}/api/events/{event_id}/questions/{question_id}/open", {{method: "POST", mode: "no-cors", credentials: "include"}})
  .then(() => {{ window.results.fetch = "sent"; }}, (err) => {{ window.results.fetch = "failed"; }});
document.getElementById("forged").submit();
window.results.form = true;
const ws = new WebSocket("{ws}/ws/moderator/{event_id}");
ws.onopen = () => {{ window.results.ws_opened = true; }};
ws.onmessage = (e) => {{ window.results.ws_messages.push(e.data.slice(0, 200)); }};
ws.onclose = () => {{ window.results.ws_closed = true; }};
</script></body></html>"""


class _AttackSite:
    """A page served from another port of 127.0.0.1: same host, same site, another origin."""

    def __init__(self, html: str) -> None:
        body = html.encode()

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802
                self.send_response(200)
                self.send_header("content-type", "text/html; charset=utf-8")
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", _free_port()), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/gewinnspiel.html"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def test_a_page_on_another_port_can_neither_drive_nor_read_an_event(browser, make_event, moderator_login, demo):
    own = make_event("Fremde Seite", {"Kultur": [SINGLE]})
    event_id, question_id = own.links.event_id, own.questions[0]["id"]
    app = demo.base
    site = _AttackSite(ATTACK.format(app=app, ws=app.replace("http://", "ws://", 1), event_id=event_id, question_id=question_id))
    # The moderator's own browser, logged in. Not a watched context: this page is foreign on purpose, and the
    # request audit (test_no_foreign_requests.py) is about the app's pages.
    context = browser.new_context(storage_state=moderator_login)
    try:
        assert urlsplit(site.url).hostname == urlsplit(app).hostname and urlsplit(site.url).port != urlsplit(app).port
        page = context.new_page()
        page.goto(site.url)
        expect(page.get_by_role("heading", name="Gewinnspiel")).to_be_visible()
        # Wait until all three attempts are over: the fetch settled, the socket closed (or got something).
        for _ in range(100):
            results = page.evaluate("window.results")
            if results["fetch"] and (results["ws_closed"] or results["ws_messages"]):
                break
            page.wait_for_timeout(100)
        page.wait_for_timeout(500)  # the form post into the frame
        results = page.evaluate("window.results")
    finally:
        context.close()
        site.close()
    assert results["form"] is True and results["fetch"] in ("sent", "failed")
    # The socket was refused at the handshake: no state, no tally, nothing of the event.
    assert results["ws_opened"] is False and results["ws_messages"] == [], json.dumps(results)[:500]
    assert results["ws_closed"] is True
    # Nothing was opened or advanced: the question is still a draft and the audit log has no action of the attack.
    state = own.api.get(f"/api/events/{event_id}").json()
    assert state["state"]["phase"] == "join"
    assert [q["status"] for t in state["topics"] for q in t["questions"]] == ["draft"]
    actions = {e["action"] for e in own.api.get(f"/api/events/{event_id}/audit").json()}
    assert not actions & {"open", "next"}, actions
