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
from xdist.remote import Producer
from xdist.scheduler import LoadScopeScheduling

from app import db
from app.config import settings
from tests import factories
from tests.helpers import (
    csrf_of,
    demo_env,
    login,
    postgres_ok,
    require,
    seed_demo,
    temporary_database,
)


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
    "test_bench_small.py": "servers",
    "test_crash_safety.py": "servers",
    "test_faults.py": "servers",
    "test_nginx.py": "servers",
    "test_scaleout.py": "servers",
    "test_server.py": "servers",
    "test_server_stop.py": "servers",
    "test_session_scaleout.py": "servers",
}


def _group_of(nodeid: str) -> str | None:
    path = nodeid.split("::", 1)[0]
    return "e2e" if path.startswith("tests/e2e/") else XDIST_GROUPS.get(path.rpartition("/")[2])


def pytest_xdist_make_scheduler(config: pytest.Config, log: Producer) -> LoadScopeScheduling | None:
    """`--dist loadgroup` by the groups above. xdist's own loadgroup reads `xdist_group` marks through a change
    of the test ids that pytest 9.2 no longer keeps (pytest-xdist issue 1386): the tests were spread as if
    ungrouped. A test outside the groups is a group of its own."""
    if config.getoption("dist") != "loadgroup":
        return None

    class GroupScheduling(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return _group_of(nodeid) or nodeid

    return GroupScheduling(config, log)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Under xdist the groups go first, so both start at once, side by side; run serially, the browser tests come
    last (quick feedback first). Either way Playwright's event loop ends with the e2e package (its fixtures are
    package-scoped), before any other test runs in that process."""
    if hasattr(config, "workerinput"):
        order = {"e2e": 0, "servers": 1}
        items.sort(key=lambda item: order.get(_group_of(item.nodeid) or "", 2))
    else:
        items.sort(key=lambda item: _group_of(item.nodeid) == "e2e")


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
    with full ones, and with nothing remembered per event id (each test's database numbers its events anew)."""
    from app import limits
    from app.routes import my_answers

    limits.reset_budgets()
    my_answers.forget_all_links()
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


@pytest.fixture(scope="module")
def database() -> Iterator[dict]:
    """A fresh PostgreSQL database (next to SCALEOUT_DATABASE_URL's) with the demo event, for one test module of
    servers in subprocesses: its URL, the event's id, projector token and join code."""
    require("PostgreSQL", postgres_ok(), "starten mit: pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start")
    with temporary_database("saal_scaleout_") as url:
        yield {"url": url, **seed_demo(demo_env(url, "demo-seed-" + "s" * 32))}
