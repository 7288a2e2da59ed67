"""Fixtures that mirror the data flow: a database per test, the app with its lifespan, a logged-in client."""

import os
import re

os.environ.setdefault("ENVIRONMENT", "test")
os.environ.setdefault("TALLY_INTERVAL_MS", "40")

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, SQLModel

from app import db
from app.config import settings
from tests import factories

CSRF_RE = re.compile(r'name="csrf" value="([^"]+)"')


# TEST_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/test runs the suite on PostgreSQL
# (scripts/test.sh does so after the SQLite run); otherwise every test gets a fresh SQLite file.
TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL", "")


@pytest.fixture(autouse=True)
def _fresh_login_limits():
    """Login attempts (and every other budget) are counted in app.limits; each test starts with none."""
    from app import limits

    limits.reset_budgets()
    yield
    limits.reset_budgets()


@pytest.fixture(autouse=True)
def _fresh_budgets():
    """Budgets (app.limits: new devices per event, …) are per process in tests; each test starts with full ones."""
    from app import limits

    limits.reset_budgets()
    yield
    limits.reset_budgets()


@pytest.fixture
def engine(tmp_path):
    if TEST_DATABASE_URL:
        engine = db.make_engine(TEST_DATABASE_URL)
        SQLModel.metadata.drop_all(engine)
    else:
        engine = db.make_engine(f"sqlite:///{tmp_path / 'test.db'}")
    SQLModel.metadata.create_all(engine)
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


def csrf_of(html: str) -> str:
    match = CSRF_RE.search(html)
    assert match, "no CSRF token on the page"
    return match.group(1)


def login(client: TestClient, username: str = factories.MODERATOR, password: str = factories.PASSWORD):
    token = csrf_of(client.get("/login").text)
    response = client.post("/login", data={"username": username, "password": password, "csrf": token, "next": "/moderator"})
    assert response.status_code in (200, 303), response.text
    return response


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


def pytest_collection_modifyitems(config, items):
    """Browser tests last: Playwright's sync API keeps an event loop running in the main thread."""
    items.sort(key=lambda item: "/e2e/" in str(item.fspath).replace("\\", "/"))
