"""The smaller findings of issue 12 (9): message limits in bytes, look-alike insults, /docs without a CDN,
HSTS and Secure cookies behind an HTTPS proxy."""

import json
import re

import pytest
from fastapi.testclient import TestClient

from app.config import settings
from app.cookies import DEVICE_COOKIE
from app.domain import profanity
from app.realtime import protocol
from tests import factories
from tests.helpers import csrf_of
from tests.test_hostile_input import hub_module_time_travel
from tests.test_question_kinds import check, live, make, r_domain, results_of, store
from tests.test_realtime import phone, until

# ---- message size limits count bytes ---------------------------------------------------------------------


def test_the_socket_message_limit_counts_bytes_not_characters():
    """1,500 emoji are 1,500 characters but 6,000 bytes: over the 4 KiB limit."""
    emoji = json.dumps({"type": "ping", "x": "\U0001F600" * 1500}, ensure_ascii=False)
    assert len(emoji) < protocol.MAX_MESSAGE_BYTES < len(emoji.encode())
    with pytest.raises(protocol.ProtocolError) as exc:
        protocol.parse(emoji, "attendee")
    assert exc.value.code == "too_large"
    # Just under the limit in bytes is fine, whatever the characters.
    umlauts = json.dumps({"type": "ping", "x": "ä" * 2000}, ensure_ascii=False)
    assert len(umlauts.encode()) <= protocol.MAX_MESSAGE_BYTES
    assert protocol.parse(umlauts, "attendee")["type"] == "ping"


def test_sixteen_kib_of_emoji_on_the_phone_socket_is_too_large(client, event):
    with phone(client, event) as p:
        until(p, "state")
        hub_module_time_travel(client)
        p.send_text(json.dumps({"type": "ping", "x": "\U0001F600" * 4000}, ensure_ascii=False))  # 16 KiB, 4,000 characters
        assert until(p, "error")["code"] == "too_large"
        p.send_json({"type": "ping"})
        until(p, "pong")


# ---- look-alike spellings of flagged words ---------------------------------------------------------------

LOOK_ALIKES = [
    "ｆｕｃｋ",  # fullwidth
    "Ｓｃｈｅｉßｅ",
    "Ｉｄｉｏｔ",
    "𝐟𝐮𝐜𝐤",  # mathematical bold
    "ⓕⓤⓒⓚ",  # circled
    "fuсk",  # Cyrillic с
    "ѕhit",  # Cyrillic ѕ
    "Аrschloch",  # Cyrillic А
    "іdiot",  # Cyrillic і
    "Ріssеr",  # Cyrillic Р, і, е
    "ΗURE",  # Greek Eta
    "ιdiot",  # Greek iota
    "f\u200buck",  # zero-width space inside
    "sch\u00adeiße",  # soft hyphen inside
    "f\u0336u\u0336c\u0336k\u0336",  # struck through
    "Ihr Ｈｕｒｅｎｓｏｈｎ!",
]
HARMLESS = ["Marsch", "Guten Morgen", "Schöne Grüße", "Москва", "Ελλάδα", "Glasfaser", "Bus", "Kassel", "Ｂｕｓ"]


@pytest.mark.parametrize("text", LOOK_ALIKES)
def test_fullwidth_and_look_alike_spellings_are_flagged(text):
    assert profanity.is_suspect(text), text


@pytest.mark.parametrize("text", HARMLESS)
def test_harmless_words_in_other_scripts_are_not_flagged(text):
    assert not profanity.is_suspect(text), text


def test_a_look_alike_term_is_hidden_in_the_word_cloud_and_a_look_alike_answer_flagged(session, event):
    cloud = make(session, event, "wordcloud")
    store(session, cloud, "d1", ("Glasfaser",))
    store(session, cloud, "d2", ("ｆｕｃｋ",))
    store(session, cloud, "d3", ("Аrschloch",))
    assert [t["label"] for t in r_domain.public(results_of(session, cloud))["terms"]] == ["Glasfaser"]
    q_domain_text = make(session, event, "text")
    _answer, _moderation, flagged = check(live(session, q_domain_text), text="Ihr ѕсhеіßkеrlе")
    assert flagged


# ---- /docs without a CDN ---------------------------------------------------------------------------------


def test_docs_are_served_from_this_app_and_obey_the_csp(client):
    page = client.get("/docs")
    assert page.status_code == 200 and "content-security-policy" in page.headers
    urls = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert urls and all(u.startswith("/") and not u.startswith("//") for u in urls), urls
    assert "<script>" not in page.text and not re.search(r"<script(?![^>]*\bsrc=)", page.text)  # no inline script
    assert "cdn" not in page.text.lower()
    for url in urls:
        assert client.get(url).status_code == 200, url
    assert client.get("/docs/assets/swagger-ui-bundle.js").headers["content-type"].startswith("text/javascript")
    assert client.get("/docs/assets/index.html").status_code == 404  # only what the page needs is served
    assert client.get("/docs/assets/..%2Fswagger-ui.css").status_code == 404
    assert client.get("/openapi.json").json()["info"]["title"] == "Saalumfrage"


# ---- HTTPS: HSTS and Secure cookies, also behind a proxy without PUBLIC_URL ------------------------------


def _cookies_over(app, base_url: str, event) -> tuple[list[str], dict]:
    """Every Set-Cookie line of a login and a phone's first visit, and the login page's headers."""
    with TestClient(app, base_url=base_url) as c:
        page = c.get("/login")
        token = csrf_of(page.text)
        r = c.post("/login", data={"username": factories.MODERATOR, "password": factories.PASSWORD, "csrf": token},
                   follow_redirects=False)
        device = c.get(f"/j/{event.join_code}")
        return r.headers.get_list("set-cookie") + device.headers.get_list("set-cookie"), page.headers


@pytest.mark.parametrize("public_url", ["", "http://umfrage.example"])
def test_over_https_without_public_url_cookies_are_secure_and_hsts_is_sent(session, event, monkeypatch, public_url):
    """Behind an HTTPS proxy the request's scheme is https (uvicorn's proxy headers, X-Forwarded-Proto from a
    trusted proxy; tests/test_server.py shows that with the real server). PUBLIC_URL need not say so."""
    from app.main import create_app

    monkeypatch.setattr(settings, "auto_migrate", False)
    monkeypatch.setattr(settings, "public_url", public_url)
    app = create_app()
    cookies, headers = _cookies_over(app, "https://testserver", event)
    # saal_known: the browser's own lane for the account name after a login (app.auth, finding 6).
    assert {c.split("=")[0] for c in cookies} == {"saal_session", DEVICE_COOKIE, "saal_known"}
    for cookie in cookies:
        attributes = [a.strip().lower() for a in cookie.split(";")[1:]]
        assert attributes.count("secure") == 1, cookie  # set, and not twice where the app had set it already
    assert headers["strict-transport-security"] == "max-age=31536000"
    # Plain http (a hall's own Wi-Fi without TLS): no Secure (the browser would drop the cookie), no HSTS.
    cookies, headers = _cookies_over(app, "http://testserver", event)
    assert cookies and not any("secure" in c.lower() for c in cookies)
    assert "strict-transport-security" not in headers


def test_public_url_https_sends_hsts(session, event, monkeypatch):
    from app.main import create_app

    monkeypatch.setattr(settings, "auto_migrate", False)
    monkeypatch.setattr(settings, "public_url", "https://umfrage.landkreis.example")
    with TestClient(create_app(), base_url="https://testserver") as c:
        for path in ("/", f"/j/{event.join_code}", "/login", "/docs", "/static/favicon.svg"):
            assert c.get(path).headers["strict-transport-security"] == "max-age=31536000", path


# ---- browser tests wait in a way the app's CSP allows ----------------------------------------------------


def test_no_browser_test_waits_with_a_string_wait_for_function():
    """A string predicate is compiled inside the page when Playwright polls, which the app's CSP forbids: the
    wait passed only when the condition was already true (flaky). tests/e2e/helpers.py::wait_until polls from
    Python instead; expect(...) waits need no script in the page at all."""
    from pathlib import Path

    offenders = []
    for path in sorted((Path(__file__).parent / "e2e").glob("*.py")):
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if re.search(r"\.wait_for_function\(", line):
                offenders.append(f"{path.name}:{n}: {line.strip()}")
    assert not offenders, "\n".join(offenders)
