"""Engine, sessions and migrations. Every request or moderator action gets a short session.

The engine is made on first use (the lifespan, a CLI command), from DATABASE_URL; tests set their own with
set_engine. A SQLite file's directory (data/ by default) is made when the first connection opens it.
"""

from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends
from sqlalchemy import event as sa_event
from sqlalchemy.engine import Engine
from sqlalchemy.pool import NullPool
from sqlmodel import Session, create_engine

from app.config import ROOT, settings

# Any fixed number: the key of the PostgreSQL advisory lock that lets one `migrate` run at a time.
MIGRATION_LOCK_KEY = 0x5AA1_0001


def _make_directory(url: str) -> None:
    """The directory a SQLite file goes in, made when the database is first opened."""
    path = url.split("///", 1)[-1]
    if url.startswith("sqlite") and path and path != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)


def make_engine(url: str) -> Engine:
    """Create an engine (no connection yet); SQLite gets WAL so readers never wait for the vote writer."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

        @sa_event.listens_for(engine, "do_connect")
        def _on_first_open(*_args: object) -> None:
            _make_directory(url)

        @sa_event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: object) -> None:  # pragma: no cover - trivial
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.close()

        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)


_engine: Engine | None = None


def set_engine(new_engine: Engine) -> None:
    """Swap the process-wide engine (tests, CLI with another URL)."""
    global _engine
    _engine = new_engine


def get_engine() -> Engine:
    """The process-wide engine, made from DATABASE_URL on first use."""
    global _engine
    if _engine is None:
        _engine = make_engine(settings.database_url)
    return _engine


def new_session() -> Session:
    return Session(get_engine(), expire_on_commit=False)


def get_session() -> Iterator[Session]:
    with new_session() as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session)]


def migrate(url: str) -> None:
    """Bring the database schema to the newest migration.

    On PostgreSQL several replicas (or `saalumfrage migrate` run twice) may start at once: an advisory lock
    lets one migrate while the others wait, then find nothing left to do.
    """
    from alembic import command
    from alembic.config import Config

    cfg = Config(str(ROOT / "alembic.ini"))
    cfg.set_main_option("script_location", str(ROOT / "migrations"))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    if not url.startswith("postgresql"):
        _make_directory(url)
        command.upgrade(cfg, "head")
        return
    lock_engine = create_engine(url, poolclass=NullPool)
    try:
        with lock_engine.connect() as conn:
            conn.exec_driver_sql(f"SELECT pg_advisory_lock({MIGRATION_LOCK_KEY})")
            try:
                command.upgrade(cfg, "head")
            finally:
                conn.exec_driver_sql(f"SELECT pg_advisory_unlock({MIGRATION_LOCK_KEY})")
    finally:
        lock_engine.dispose()
