"""Helpers shared by test modules: forms and logins, free ports, the demo event, required services.

Fixtures live in tests/conftest.py; plain functions that several test files call live here.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests import factories

ROOT = Path(__file__).resolve().parent.parent
CSRF_RE = re.compile(r'name="csrf" value="([^"]+)"')


def csrf_of(html: str) -> str:
    match = CSRF_RE.search(html)
    assert match, "no CSRF token on the page"
    return match.group(1)


def login(client: TestClient, username: str = factories.MODERATOR, password: str = factories.PASSWORD):
    token = csrf_of(client.get("/login").text)
    response = client.post("/login", data={"username": username, "password": password, "csrf": token, "next": "/moderator"})
    assert response.status_code in (200, 303), response.text
    return response


def free_port(host: str = "127.0.0.1") -> int:
    """A port the kernel has just handed out as free on `host`."""
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def seed_demo(env: dict[str, str]) -> dict:
    """`saalumfrage demo` into env's DATABASE_URL: the demo event's id, projector token and join code."""
    out = subprocess.run([sys.executable, "-m", "app.cli", "demo"], env=env, cwd=ROOT, capture_output=True, text=True, check=True).stdout
    return {
        "event_id": int(re.search(r"/moderator/events/(\d+)", out).group(1)),
        "token": re.search(r"/p/([\w-]+)", out).group(1),
        "code": re.search(r"/j/(\d+)", out).group(1),
    }


def require(what: str, ok: bool, how: str) -> None:
    """Skip without the service `what` (saying `how` to get it), or fail with CI=true, where it is required."""
    if ok:
        return
    message = f"{what} nicht erreichbar – {how}"
    if os.environ.get("CI") == "true":
        pytest.fail(message)
    pytest.skip(message)
