"""Fixtures that mirror the data flow: a database per test, the app with its lifespan, a logged-in client.

Also how the suite shares two cores (pytest-xdist, `-n 2 --dist loadgroup` in scripts/test.sh): the groups of
tests that must stay on one worker, and a PostgreSQL database of its own per worker.
"""

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

os.environ.setdefault("ENVIRONMENT", "test")  # also picks the cheap password hasher (app.auth.password_hasher)
os.environ.setdefault("TALLY_INTERVAL_MS", "40")

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text
from sqlmodel import Session, SQLModel

from app import db
from app.config import settings
from tests import factories
from tests.helpers import csrf_of, login


def _worker_database_url(url: str) -> str:
    """Under pytest-xdist every worker has a database of its own, `<name>_gw0`, … (created on first use)."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    if not url or not worker:
        return url
    base, _sep, name = url.rpartition("/")
    return f"{base}/{name}_{worker}"


# TEST_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/test runs the suite on PostgreSQL
# (scripts/test.sh does so after the SQLite run); otherwise every test gets a fresh SQLite file.
SHARED_DATABASE_URL = os.environ.get("TEST_DATABASE_URL", "")
TEST_DATABASE_URL = _worker_database_url(SHARED_DATABASE_URL)

# Tests that stay together on one xdist worker (one after the other): the browser suite shares one app server
# and one Chromium, and its request audit must see every scenario's traffic; the tests that start servers,
# PostgreSQL clusters, Redis or nginx of their own, or that time a real server, run one at a time rather than
# beside each other (the other worker still works through the in-process tests meanwhile).
XDIST_GROUPS = {
    "e2e": "e2e",
    "test_bench_small.py": "servers",
    "test_crash_safety.py": "servers",
    "test_faults.py": "servers",
    "test_nginx.py": "servers",
    "test_scaleout.py": "servers",
    "test_server.py": "servers",
    "test_server_stop.py": "servers",
    "test_session_scaleout.py": "servers",
}


def _group_of(item: pytest.Item) -> str | None:
    return XDIST_GROUPS.get("e2e" if "e2e" in item.path.parts else item.path.name)


@pytest.hookimpl(tryfirst=True)  # before xdist reads the marks to name each test's group
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark the groups above; under xdist the longest groups go first, so they start at once, side by side.

    Run serially, the browser tests still come last (quick feedback first); either way Playwright's event loop
    ends with the e2e package (its fixtures are package-scoped), before any other test runs on that worker.
    """
    for item in items:
        group = _group_of(item)
        if group:
            item.add_marker(pytest.mark.xdist_group(group))
    if hasattr(config, "workerinput"):
        order = {"e2e": 0, "servers": 1}
        items.sort(key=lambda item: order.get(_group_of(item) or "", 2))
    else:
        items.sort(key=lambda item: _group_of(item) == "e2e")


@pytest.fixture(scope="session", autouse=True)
def _worker_database() -> None:
    """Create this worker's PostgreSQL database if it is not there yet (none needed on SQLite)."""
    if TEST_DATABASE_URL == SHARED_DATABASE_URL:
        return
    import psycopg

    name = TEST_DATABASE_URL.rpartition("/")[2]
    with psycopg.connect(SHARED_DATABASE_URL.replace("+psycopg", "", 1), autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


@pytest.fixture(autouse=True)
def _fresh_budgets():
    """Budgets (app.limits: login attempts, new devices per event, …) are per process in tests; each test starts
    with full ones."""
    from app import limits

    limits.reset_budgets()
    yield
    limits.reset_budgets()


@pytest.fixture(scope="session")
def _sqlite_schema(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An empty database file with every table, made once: each test gets a copy (create_all per test took
    a tenth of a second on a busy machine)."""
    path = tmp_path_factory.mktemp("schema") / "schema.db"
    engine = db.make_engine(f"sqlite:///{path}")
    SQLModel.metadata.create_all(engine)
    engine.dispose()
    return path


def _empty_postgres(engine: Engine) -> None:
    """Every table empty and every sequence back at its start, as if new. Rows are deleted while the schema is
    the models' (the usual case: DELETE on small tables takes milliseconds, TRUNCATE or create_all a quarter
    second); otherwise (first use, or after tests/test_migrations.py dropped it) dropped and created again."""
    expected = {(table.name, column.name) for table in SQLModel.metadata.sorted_tables for column in table.columns}
    with engine.connect() as conn:
        found = {tuple(row) for row in conn.execute(text(
            "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = current_schema()"
        ))}
    if found != expected:
        SQLModel.metadata.drop_all(engine)
        SQLModel.metadata.create_all(engine)
        return
    with engine.begin() as conn:
        for table in reversed(SQLModel.metadata.sorted_tables):
            conn.execute(table.delete())
        conn.execute(text(
            "SELECT setval(format('%I.%I', schemaname, sequencename)::regclass, start_value, false) "
            "FROM pg_sequences WHERE schemaname = current_schema()"
        ))


@pytest.fixture
def engine(tmp_path: Path, _sqlite_schema: Path) -> Iterator[Engine]:
    """The app's database for one test: empty, with every table (a fresh SQLite file, or TEST_DATABASE_URL)."""
    if TEST_DATABASE_URL:
        engine = db.make_engine(TEST_DATABASE_URL)
        _empty_postgres(engine)
    else:
        path = tmp_path / "test.db"
        shutil.copyfile(_sqlite_schema, path)
        engine = db.make_engine(f"sqlite:///{path}")
    previous = db.get_engine()
    db.set_engine(engine)
    yield engine
    db.set_engine(previous)
    engine.dispose()


@pytest.fixture
def session(engine):
    with Session(engine, expire_on_commit=False) as session:
        yield session


@pytest.fixture
def app(engine, monkeypatch):
    from app.main import create_app

    monkeypatch.setattr(settings, "auto_migrate", False)
    monkeypatch.setattr(settings, "tally_interval_ms", 40.0)
    return create_app()


@pytest.fixture
def client(app):
    with TestClient(app, base_url="http://testserver") as client:
        yield client


@pytest.fixture
def moderator(session):
    return factories.make_moderator(session)


@pytest.fixture
def mod_client(client, moderator):
    """A client logged in as a moderator; `mod_client.csrf` is the form token."""
    login(client)
    client.csrf = csrf_of(client.get("/moderator").text)
    return client


@pytest.fixture
def event(session, moderator):
    return factories.make_event(session, owner=moderator)
