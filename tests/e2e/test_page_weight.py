"""The attendee page is light: at most 30 KB gzipped on first load, and usable within 3 s on a slow 3G link.

The figures go to test-artifacts/page-weight.json (and are printed with `-s`); docs/benchmarks.md ("Attendee page
weight and slow 3G") has them with the command. Both limits hold on a 400 kbit/s link with 400 ms per request and
on Chrome DevTools' own "Slow 3G" preset (2 s per request).
"""

import gzip
import json
import urllib.request
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import ARTIFACTS
from tests.e2e.helpers import PHONE_DEVICES, device, wait_until

pytestmark = pytest.mark.e2e

SEGMENT = {"text": "Ich bin hier als …", "kind": "single", "segment": True, "phone_results": "hidden",
           "options": ["Bürger:in", "Politik", "Wirtschaft", "Verwaltung", "Zivilgesellschaft"]}
WEIGHT_LIMIT = 30 * 1024  # bytes, gzipped: HTML + CSS + JS + favicon
USABLE_LIMIT_MS = 3_000

# Request-level throttling through the DevTools protocol: every response waits `latency` ms, bodies trickle at
# the given rate. The profile the issue asks for; DevTools' own "Slow 3G" preset is the same rate with
# 400 ms × 5 latency (its multiplier stands in for TCP/TLS round trips that request-level throttling leaves out).
SLOW_3G = {"offline": False, "latency": 400, "downloadThroughput": 400_000 / 8, "uploadThroughput": 400_000 / 8}
DEVTOOLS_SLOW_3G = dict(SLOW_3G, latency=400 * 5)

QUESTION = {"text": "Wie zufrieden sind Sie mit der Müllabfuhr?", "kind": "single",
            "options": ["Sehr zufrieden", "Eher zufrieden", "Eher unzufrieden", "Sehr unzufrieden"]}

# Stamps, from navigation start (performance.now()), the first frame in which the vote form's first option is
# on screen, styled, visible and enabled, and the moment the live connection is up.
STAMP_USABLE = """(() => {
  const t = (window.__timing = {});
  function check() {
    const input = document.querySelector('#vote-form input[name=choice]');
    if (input && t.usable === undefined) {
      const label = input.closest('label.choice');
      const box = input.getBoundingClientRect();
      const styled = label && getComputedStyle(label).display === 'flex';
      if (styled && box.width > 0 && box.height > 0 && box.bottom <= window.innerHeight &&
          getComputedStyle(input).visibility === 'visible' && !input.disabled) {
        t.usable = performance.now();
      }
    }
    const conn = document.getElementById('conn');
    if (conn && conn.dataset.state === 'open' && t.live === undefined) t.live = performance.now();
    if (t.usable === undefined || t.live === undefined) requestAnimationFrame(check);
  }
  requestAnimationFrame(check);
})();"""

TIMINGS = """() => {
  const nav = performance.getEntriesByType('navigation')[0];
  const fcp = performance.getEntriesByName('first-contentful-paint')[0];
  return {usable: window.__timing.usable, live: window.__timing.live, html: nav.responseEnd,
          domContentLoaded: nav.domContentLoadedEventEnd, load: nav.loadEventEnd, fcp: fcp ? fcp.startTime : null};
}"""


def _gzipped(body: bytes, level: int) -> int:
    return len(gzip.compress(body, compresslevel=level, mtime=0))


def _fetch(url: str, cookie: str | None = None) -> bytes:
    request = urllib.request.Request(url, headers={"Cookie": cookie} if cookie else {})
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.read()


def _load(new_context, devices, url: str, conditions: dict, label: str) -> tuple[dict, list]:
    """One first visit (empty cache) of `url` on a throttled phone; returns the timings and every response."""
    context = new_context(label, **device(devices, PHONE_DEVICES[0]))
    context.add_init_script(STAMP_USABLE)
    page = context.new_page()
    responses = []
    page.on("response", lambda response: responses.append(response))
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
    cdp.send("Network.emulateNetworkConditions", conditions)
    page.goto(url, wait_until="commit", timeout=30_000)
    wait_until(page, "window.__timing && window.__timing.usable !== undefined && window.__timing.live !== undefined",
               timeout=30_000)
    page.wait_for_load_state("load")
    expect(page.locator("#vote-form input[name=choice]").first).to_be_enabled()
    return page.evaluate(TIMINGS), responses


def test_attendee_page_weight_and_time_to_usable_on_slow_3g(new_context, make_event, devices):
    # The heaviest first visit: the segment question's prompt (#18) above the open question.
    own = make_event("Seitengewicht", {"Alltag": [SEGMENT, QUESTION]})
    own.act(own.questions[1], "open")
    url = own.links.join_url

    timings, responses = _load(new_context, devices, url, SLOW_3G, "phone slow 3G")

    # Everything the first visit loaded over HTTP (the websocket is not a download), plus the favicon, which
    # headless Chromium does not always ask for.
    kinds = {"document", "stylesheet", "script", "image", "font", "fetch", "xhr", "other"}
    urls = []
    for response in responses:
        if response.request.resource_type in kinds and response.url not in urls and response.url.startswith("http"):
            urls.append(response.url)
    favicon = own.links.base + "/static/favicon.svg"
    if favicon not in urls:
        urls.append(favicon)
    assert any(urlsplit(u).path == urlsplit(url).path for u in urls), f"the page itself is missing from {urls}"
    # The stylesheet comes inline with the page (one round trip less) or as a file; either way it is counted.
    page_html = _fetch(url).decode()
    assert any(u.endswith(".css") for u in urls) or "<style>" in page_html, urls
    assert any(u.endswith(".js") for u in urls), urls

    # The dev server does not compress; a reverse proxy would. Bodies fetched again, gzipped here.
    rows = []
    for u in urls:
        body = _fetch(u)
        rows.append({"path": urlsplit(u).path, "raw": len(body), "gzip1": _gzipped(body, 1), "gzip6": _gzipped(body, 6)})
    total = {key: sum(row[key] for row in rows) for key in ("raw", "gzip1", "gzip6")}

    figures = {"url_path": urlsplit(url).path, "resources": rows, "total": total, "slow_3g": SLOW_3G,
               "timings_ms": {k: round(v) if v is not None else None for k, v in timings.items()}}
    devtools_timings, _ = _load(new_context, devices, url, DEVTOOLS_SLOW_3G, "phone DevTools slow 3G")
    figures["devtools_slow_3g"] = DEVTOOLS_SLOW_3G
    figures["devtools_timings_ms"] = {k: round(v) if v is not None else None for k, v in devtools_timings.items()}
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "page-weight.json").write_text(json.dumps(figures, indent=2) + "\n", "utf-8")

    # nginx's default gzip level is 1, the least compression any proxy applies: the limit must hold even there.
    assert total["gzip1"] <= WEIGHT_LIMIT, (
        f"the attendee page's first load is {total['gzip1']} bytes gzipped (level 1), over {WEIGHT_LIMIT}: {rows}"
    )
    assert timings["usable"] <= USABLE_LIMIT_MS, (
        f"on slow 3G the first answer was usable only after {timings['usable']:.0f} ms (limit {USABLE_LIMIT_MS}): {timings}"
    )
    # Also on Chrome DevTools' own "Slow 3G" preset, 2 s per request: the stylesheet comes inline for this.
    assert devtools_timings["usable"] <= USABLE_LIMIT_MS, (
        f"on DevTools' Slow 3G the first answer was usable only after {devtools_timings['usable']:.0f} ms: {devtools_timings}"
    )
