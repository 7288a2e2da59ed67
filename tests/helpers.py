"""Helpers shared by test modules: forms and logins, free ports, the demo event, required services, real servers.

Fixtures live in tests/conftest.py; plain functions that several test files call live here.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
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
    """`saalumfrage demo` into env's DATABASE_URL (migrated first): the demo event's id, projector token and join
    code."""
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


# ---- services of the machine: PostgreSQL and Redis on 127.0.0.1 ----------------------------------------------

PG_ADMIN_URL = os.environ.get("SCALEOUT_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("SCALEOUT_REDIS_URL", "redis://127.0.0.1:6379/0")


def postgres_ok() -> bool:
    try:
        import psycopg

        with psycopg.connect(PG_ADMIN_URL, connect_timeout=2):
            return True
    except Exception:
        return False


def redis_ok(url: str = REDIS_URL) -> bool:
    try:
        import redis

        return bool(redis.Redis.from_url(url, socket_connect_timeout=2).ping())
    except Exception:
        return False


@contextmanager
def temporary_database(prefix: str) -> Iterator[str]:
    """A new, empty PostgreSQL database next to PG_ADMIN_URL's, dropped afterwards: its SQLAlchemy URL."""
    import psycopg

    name = prefix + uuid.uuid4().hex[:8]
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield re.sub(r"/[^/]*$", f"/{name}", PG_ADMIN_URL).replace("postgresql://", "postgresql+psycopg://", 1)
    finally:
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# ---- the real server in a subprocess -----------------------------------------------------------------------


def demo_env(database_url: str, secret: str, **extra: str) -> dict[str, str]:
    """The environment of a server (or `saalumfrage demo`) on this database: development settings."""
    return {**os.environ, "DATABASE_URL": database_url, "SECRET_KEY": secret, "ENVIRONMENT": "development", **extra}


def wait_ready(url: str, proc: subprocess.Popen, log_path: Path, timeout: float = 30) -> None:
    """Poll `url` (e.g. …/readyz) until it answers 200; fail with the log's end if the server exits or is late."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError("server did not start:\n" + log_path.read_text()[-3000:])
        time.sleep(0.1)
