"""No page loads anything from another host: no CDN, no fonts, no analytics, no third-party sockets.

This module runs after all other browser tests (see conftest.py), so it also checks every request those
scenarios' pages made; on its own it still visits each kind of page.
"""

from collections import Counter
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from tests.e2e.helpers import PHONE_DEVICES, device

pytestmark = pytest.mark.e2e


def test_no_page_requests_another_host(traffic, new_context, devices, moderator, projector, phones, demo):
    # Visit every kind of page once more, so the audit is meaningful even when run alone.
    visitor = new_context("audit visitor").new_page()
    for path in ("/", "/join?code=000001", "/login", "/static/favicon.svg"):
        visitor.goto(path)
    # The API documentation: Swagger UI from this app's own files, rendered under the app's CSP.
    visitor.goto("/docs")
    expect(visitor.locator(".opblock").first).to_be_visible(timeout=15_000)
    moderator.page.goto("/moderator")
    moderator.goto()
    phones[0].join(demo.join_url)
    expect(projector.page.locator("#conn")).to_have_attribute("data-state", "open")
    nojs = new_context("audit phone without JavaScript", java_script_enabled=False, **device(devices, PHONE_DEVICES[0]))
    nojs.new_page().goto(demo.join_url)

    allowed = urlsplit(demo.base).netloc
    seen = traffic.seen
    kinds = Counter(kind for _label, kind, _url in seen)
    assert kinds["document"] and kinds["stylesheet"] and kinds["script"] and kinds["websocket"], (
        f"the recorder missed page traffic: {dict(kinds)}"
    )
    foreign = sorted({(label, kind, url) for label, kind, url in seen if traffic.foreign(url, allowed)})
    assert not foreign, f"requests to hosts other than {allowed}:\n" + "\n".join(
        f"  {label}: {kind} {url}" for label, kind, url in foreign
    )
