"""Real-browser acceptance tests: the app as a subprocess, one Chromium for the package, one context per device.

The app server, Playwright and Chromium are package-scoped: they end with the last browser test, because
Playwright's sync API keeps an event loop running in the main thread that would break any test run after it
(under pytest-xdist the worker that ran the browser tests goes on with others).

Run with `.venv/bin/pytest tests/e2e -q`. Chromium comes from Debian (`apt-get install chromium`), never from
`playwright install`. Without /usr/bin/chromium the tests skip, except with CI=true, where they fail.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.e2e.helpers import (
    PHONE_DEVICES,
    Moderator,
    Phone,
    Projector,
    device,
    log_in,
)

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
SCREENSHOTS = ARTIFACTS / "screenshots"
DOCS_SCREENSHOTS = ROOT / "docs" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]


def _port_range() -> range:
    """8300-8399 unless E2E_PORTS=LOW-HIGH says otherwise (e.g. to keep clear of another run on the machine)."""
    low, _sep, high = os.environ.get("E2E_PORTS", "8300-8399").partition("-")
    return range(int(low), int(high or low) + 1)


PORTS = _port_range()
START_TIMEOUT_S = 30
# The audit of every request the pages made runs after all other browser tests.
AUDIT_FILE = "test_no_foreign_requests.py"


def pytest_collection_modifyitems(session, config, items):
    """Move the request audit behind every other e2e test, so it sees the traffic of all scenarios."""
    audit = [item for item in items if item.path.name == AUDIT_FILE and "e2e" in item.path.parts]
    if audit:
        rest = [item for item in items if item not in audit]
        items[:] = rest + audit


def _missing_browser(reason: str) -> None:
    message = (
        f"{reason} The browser tests need Debian's Chromium at {CHROMIUM}: "
        "install it with `apt-get install chromium` (never `playwright install`)."
    )
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(message + " CI=true: browser tests are required, so this is a failure.", pytrace=False)
    pytest.skip(message)


# ---- the app as a subprocess --------------------------------------------------------------------


def _port_is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn binds
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _free_port() -> int:
    # Start at a per-process offset so two runs at once rarely race for the same port.
    offset = os.getpid() % len(PORTS)
    for i in range(len(PORTS)):
        port = PORTS[(offset + i) % len(PORTS)]
        if _port_is_free(port):
            return port
    raise RuntimeError(f"no free port in {PORTS.start}-{PORTS.stop - 1}")


@dataclass
class DemoLinks:
    base: str
    moderator_url: str
    projector_url: str
    join_url: str
    join_code: str
    event_id: int


class AppServer:
    """`python -m app.cli serve --demo` on its own SQLite file; can be killed and started again on the same port."""

    def __init__(self, workdir: Path, port: int) -> None:
        self.workdir = workdir
        self.port = port
        self.db_path = workdir / "saalumfrage-e2e.db"
        self.log_path = workdir / "server.log"
        self.base = f"http://127.0.0.1:{port}"
        self.proc: subprocess.Popen | None = None
        self.links: DemoLinks | None = None
        self.starts = 0

    def _env(self) -> dict[str, str]:
        env = dict(os.environ)
        # The unit-test conftest tunes these for the in-process app; the e2e server runs with the real defaults.
        for key in ("TALLY_INTERVAL_MS", "ENVIRONMENT", "VOTE_BATCH_MS", "VOTE_BATCH_MAX", "PUBLIC_URL", "AUTO_MIGRATE"):
            env.pop(key, None)
        env.update(
            DATABASE_URL=f"sqlite:///{self.db_path}",
            BUS_URL="memory://",
            # Fixed across restarts: the moderator's session cookie and the phones' device cookies stay valid.
            SECRET_KEY="e2e-only-secret-not-for-production-0123456789",
            PYTHONUNBUFFERED="1",
        )
        return env

    def start(self) -> DemoLinks:
        assert self.proc is None or self.proc.poll() is not None, "server already running"
        log_offset = self.log_path.stat().st_size if self.log_path.exists() else 0
        log = self.log_path.open("ab")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "app.cli", "serve", "--demo", "--port", str(self.port)],
            cwd=ROOT,
            env=self._env(),
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        log.close()
        self.starts += 1
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"the app exited with {self.proc.returncode}:\n{self.log_tail()}")
            try:
                with urllib.request.urlopen(self.base + "/healthz", timeout=1) as resp:
                    if resp.status == 200:
                        break
            except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
                pass
            if time.monotonic() > deadline:
                self.kill()
                raise RuntimeError(f"the app did not answer on {self.base} within {START_TIMEOUT_S}s:\n{self.log_tail()}")
            time.sleep(0.05)
        self.links = self._parse_links(self.log_path.read_bytes()[log_offset:].decode("utf-8", "replace"))
        return self.links

    def _parse_links(self, output: str) -> DemoLinks:
        def find(pattern: str) -> str:
            match = re.search(pattern, output)
            if not match:
                raise RuntimeError(f"could not find {pattern!r} in the demo output:\n{output}")
            return match.group(1)

        moderator_url = find(r"Moderation:\s+(\S+/moderator/events/\d+)")
        projector_url = find(r"Beamer:\s+(\S+/p/\S+)")
        join_url = find(r"Teilnehmen:\s+(\S+/j/\d{6})\b")
        for url in (moderator_url, projector_url, join_url):
            assert url.startswith(self.base + "/"), f"{url} is not on {self.base}"
        return DemoLinks(
            base=self.base,
            moderator_url=moderator_url,
            projector_url=projector_url,
            join_url=join_url,
            join_code=join_url.rsplit("/", 1)[1],
            event_id=int(moderator_url.rsplit("/", 1)[1]),
        )

    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def kill(self) -> None:
        """Hard stop, as when the machine or the process dies mid-event: no goodbye to any socket."""
        if self.proc is None:
            return
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=10)

    def restart(self) -> DemoLinks:
        """Kill and start again on the same port and database."""
        self.kill()
        return self.start()

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.kill()

    def log_tail(self, n: int = 60) -> str:
        if not self.log_path.exists():
            return "(no output)"
        return "\n".join(self.log_path.read_text("utf-8", "replace").splitlines()[-n:])


@pytest.fixture(scope="package")
def app_server(tmp_path_factory):
    server = AppServer(tmp_path_factory.mktemp("e2e-app"), _free_port())
    server.start()
    yield server
    server.stop()
    ARTIFACTS.mkdir(exist_ok=True)
    shutil.copyfile(server.log_path, ARTIFACTS / "e2e-server.log")


@pytest.fixture
def demo(app_server) -> DemoLinks:
    """The demo event's links; brings the app back if an earlier test left it stopped."""
    if not app_server.running():
        app_server.start()
    return app_server.links


# ---- every request every page makes ---------------------------------------------------------------


class Traffic:
    """Records the URL of every request and websocket of every context, for the third-party audit."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, str, str]] = []  # (context label, kind, url)

    def watch(self, context, label: str) -> None:
        context.on("request", lambda request: self.seen.append((label, request.resource_type, request.url)))

        def on_page(page) -> None:
            page.on("websocket", lambda ws: self.seen.append((label, "websocket", ws.url)))

        context.on("page", on_page)

    @staticmethod
    def foreign(url: str, allowed_netloc: str) -> bool:
        parts = urlsplit(url)
        if parts.scheme in ("data", "blob", "about"):
            return False  # no network involved
        return parts.scheme not in ("http", "https", "ws", "wss") or parts.netloc != allowed_netloc


@pytest.fixture(scope="package")
def traffic() -> Traffic:
    return Traffic()


# ---- the browser ---------------------------------------------------------------------------------


@pytest.fixture(scope="package")
def playwright_instance():
    if not os.path.exists(CHROMIUM):
        _missing_browser(f"{CHROMIUM} is missing.")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as exc:  # pragma: no cover - a dev dependency
        _missing_browser(f"Playwright for Python is not installed ({exc}).")
    manager = sync_playwright()
    pw = manager.start()
    yield pw
    manager.__exit__(None, None, None)


@pytest.fixture(scope="package")
def browser(playwright_instance):
    try:
        browser = playwright_instance.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    except Exception as exc:
        _missing_browser(f"Chromium at {CHROMIUM} did not start: {exc}.")
    yield browser
    browser.close()


@pytest.fixture(autouse=True)
def _browser_required(browser):
    """Every e2e test needs the browser: skip (or, with CI=true, fail) before the app is even started."""


@pytest.fixture(scope="package")
def devices(playwright_instance):
    return playwright_instance.devices


@pytest.fixture(scope="package")
def moderator_login(browser, app_server, traffic) -> dict:
    """Log in once through the form; every moderator context starts from these cookies."""
    base = app_server.links.base
    context = browser.new_context(base_url=base, viewport={"width": 1440, "height": 900})
    traffic.watch(context, "moderator-login")
    page = context.new_page()
    log_in(page)
    assert urlsplit(page.url).path == "/moderator", f"login did not reach /moderator but {page.url}"
    state = context.storage_state()
    context.close()
    return state


@pytest.fixture
def new_context(browser, traffic, demo):
    """Factory for browser contexts; all are closed at the end of the test."""
    created = []

    def make(label: str, **options):
        options.setdefault("base_url", demo.base)
        context = browser.new_context(**options)
        context.set_default_timeout(10_000)
        traffic.watch(context, label)
        created.append(context)
        return context

    yield make
    for context in created:
        try:
            context.close()
        except Exception:
            pass


@dataclass
class OwnEvent:
    """An event a test made for itself through the JSON API (so it does not touch the demo agenda)."""

    links: DemoLinks
    questions: list[dict]  # as the API returned them: id, text, kind, options [{id, label}], …
    api: object  # the moderator's APIRequestContext (login session)

    def act(self, question: dict | int, action: str) -> dict:
        """A question action through the API: open, close, show-results, hide-results, …; returns the new state."""
        qid = question if isinstance(question, int) else question["id"]
        response = self.api.post(f"/api/events/{self.links.event_id}/questions/{qid}/{action}")
        assert response.ok, f"{action} on question {qid}: HTTP {response.status} {response.text()}"
        return response.json()

    def next(self) -> dict:
        response = self.api.post(f"/api/events/{self.links.event_id}/next")
        assert response.ok, f"next: HTTP {response.status} {response.text()}"
        return response.json()


def create_event(api, base: str, title: str, agenda: dict[str, list[dict]]) -> OwnEvent:
    """An event with its agenda made through the JSON API with `api` (a moderator's APIRequestContext)."""

    def post(path: str, body: dict) -> dict:
        response = api.post(path, data=body)
        assert response.ok, f"POST {path}: HTTP {response.status} {response.text()}"
        return response.json()

    event = post("/api/events", {"title": title, "place": "Waldheim"})
    questions = []
    for topic_title, items in agenda.items():
        topic = post(f"/api/events/{event['id']}/topics", {"title": topic_title})
        for item in items:
            questions.append(post(f"/api/events/{event['id']}/topics/{topic['id']}/questions", item))
    moderator_path = f"/moderator/events/{event['id']}"
    page = api.get(moderator_path)
    assert page.ok, f"GET {moderator_path}: HTTP {page.status}"
    match = re.search(r'href="([^"]+/p/[^"]+)"[^>]*id="projector-link"', page.text())
    assert match, "the control page shows no projector link"
    links = DemoLinks(
        base=base,
        moderator_url=base + moderator_path,
        projector_url=match.group(1),
        join_url=f"{base}/j/{event['join_code']}",
        join_code=event["join_code"],
        event_id=event["id"],
    )
    return OwnEvent(links=links, questions=questions, api=api)


@pytest.fixture
def make_event(playwright_instance, moderator_login, demo):
    """`make_event(title, {topic: [question, …]})` with questions as the API takes them
    ({"text", "kind", "options", "max_choices"}); returns an OwnEvent with the event's links."""
    contexts = []

    def make(title: str, agenda: dict[str, list[dict]]) -> OwnEvent:
        api = playwright_instance.request.new_context(base_url=demo.base, storage_state=moderator_login)
        contexts.append(api)
        return create_event(api, demo.base, title, agenda)

    yield make
    for api in contexts:
        api.dispose()


@pytest.fixture
def moderator(new_context, moderator_login, demo) -> Moderator:
    context = new_context("moderator", viewport={"width": 1440, "height": 900}, storage_state=moderator_login)
    mod = Moderator(context.new_page(), demo)
    mod.goto()
    return mod


@pytest.fixture
def projector(new_context, demo) -> Projector:
    context = new_context("projector", viewport={"width": 1920, "height": 1080}, device_scale_factor=1)
    proj = Projector(context.new_page(), demo)
    proj.goto()
    return proj


@pytest.fixture
def phones(new_context, devices) -> list[Phone]:
    """Three phones, each its own context (own cookies, own device id); not yet on any page."""
    result = []
    for name in PHONE_DEVICES:
        context = new_context(f"phone {name}", **device(devices, name))
        result.append(Phone(name, context, context.new_page()))
    return result


# ---- screenshots -----------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def screenshot():
    """`screenshot(page, name, docs=False)`: into test-artifacts/screenshots/; with docs=True and
    UPDATE_DOCS_SCREENSHOTS=1 also into docs/screenshots/ (phones at CSS size to keep the files small)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    update_docs = os.environ.get("UPDATE_DOCS_SCREENSHOTS") == "1"

    def take(page, name: str, docs: bool = False) -> Path:
        path = SCREENSHOTS / f"{name}.png"
        page.screenshot(path=str(path), animations="disabled", caret="hide")
        if docs and update_docs:
            DOCS_SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(DOCS_SCREENSHOTS / f"{name}.png"), animations="disabled", caret="hide", scale="css")
        return path

    return take
