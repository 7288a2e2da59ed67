"""The Alembic migrations build the same schema as the models, on a new SQLite file."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect
from sqlmodel import SQLModel

from app.main import migrate


def test_migration_applies_to_a_new_sqlite_file_and_matches_models(tmp_path):
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    migrate(url)
    engine = create_engine(url)
    with engine.connect() as conn:
        assert set(inspect(conn).get_table_names()) >= {"user", "series", "event", "topic", "question", "option", "vote"}
        diff = compare_metadata(MigrationContext.configure(conn), SQLModel.metadata)
    assert diff == [], diff
    migrate(url)  # running again is harmless
    engine.dispose()


def test_app_start_migrates_and_demo_seeds(tmp_path, monkeypatch):
    from fastapi.testclient import TestClient

    from app import db
    from app.cli import main
    from app.config import settings

    url = f"sqlite:///{tmp_path / 'demo.db'}"
    monkeypatch.setattr(settings, "database_url", url)
    engine = db.make_engine(url)
    previous = db.get_engine()
    db.set_engine(engine)
    try:
        assert main(["demo"]) == 0
        assert main(["demo"]) == 0  # idempotent
        from app.main import create_app

        monkeypatch.setattr(settings, "auto_migrate", True)
        with TestClient(create_app()) as client:
            page = client.get("/")
            assert page.status_code == 200
        with engine.connect() as conn:
            titles = [r[0] for r in conn.exec_driver_sql("select title from topic order by position")]
        assert titles == ["Digitalisierung", "Mobilität", "Nachhaltigkeit", "Ermöglichung", "Zum Format der Konferenz"]
    finally:
        db.set_engine(previous)
        engine.dispose()


def test_migration_applies_to_postgresql_and_matches_models():
    """With TEST_DATABASE_URL (the PostgreSQL run of scripts/test.sh): the same migration on PostgreSQL."""
    import pytest
    from sqlalchemy import text

    from tests.conftest import TEST_DATABASE_URL

    if not TEST_DATABASE_URL:
        pytest.skip("runs in the PostgreSQL pass (TEST_DATABASE_URL=postgresql+psycopg://…)")
    engine = create_engine(TEST_DATABASE_URL)
    SQLModel.metadata.drop_all(engine)
    with engine.begin() as conn:
        conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
    try:
        migrate(TEST_DATABASE_URL)
        with engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), SQLModel.metadata)
        assert diff == [], diff
        migrate(TEST_DATABASE_URL)
    finally:
        SQLModel.metadata.drop_all(engine)
        with engine.begin() as conn:
            conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
        engine.dispose()


def test_upgrade_keeps_existing_votes_and_gives_each_question_its_own_key(tmp_path):
    """An installation from before the question kinds: its votes become round 1, its questions get keys."""
    from alembic import command
    from alembic.config import Config

    from app.config import ROOT

    url = f"sqlite:///{tmp_path / 'old.db'}"
    cfg = Config(str(ROOT / "alembic.ini"))
    cfg.set_main_option("script_location", str(ROOT / "migrations"))
    cfg.set_main_option("sqlalchemy.url", url)
    command.upgrade(cfg, "0001")
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.exec_driver_sql("INSERT INTO event (id, title, place, join_code, projector_token, created_at) "
                             "VALUES (1, 'Alt', '', '123456', 'tok', '2026-01-01 00:00:00')")
        conn.exec_driver_sql("INSERT INTO topic (id, event_id, title, position) VALUES (1, 1, 'Mobilität', 1)")
        for qid in (1, 2):
            conn.exec_driver_sql("INSERT INTO question (id, event_id, topic_id, text, kind, position, status, results_shown) "
                                 f"VALUES ({qid}, 1, 1, 'Frage {qid}', 'single', {qid}, 'closed', 1)")
        conn.exec_driver_sql("INSERT INTO option (id, question_id, label, position) VALUES (1, 1, 'Ja', 1)")
        conn.exec_driver_sql("INSERT INTO vote (question_id, device_hash, choices, vote_id, created_at, updated_at) "
                             "VALUES (1, 'dev', '[1]', 'v1', '2026-01-01 00:00:00', '2026-01-01 00:00:00')")
    migrate(url)
    with engine.connect() as conn:
        vote = conn.exec_driver_sql("SELECT round, choices, moderation, flagged FROM vote").one()
        keys = [r[0] for r in conn.exec_driver_sql("SELECT key FROM question ORDER BY id")]
        question = conn.exec_driver_sql("SELECT round, phone_results, hidden_terms FROM question WHERE id = 1").one()
        mode = conn.exec_driver_sql("SELECT projector_mode FROM event").scalar()
    assert tuple(vote) == (1, "[1]", "", 0)
    assert len(set(keys)) == 2 and all(len(k) == 32 for k in keys)
    assert tuple(question) == (1, "after_close", "[]") and mode == "question"
    engine.dispose()


def test_upgrade_to_vote_sequence_numbers_existing_votes_0(tmp_path):
    """0009 (#16): votes stored before the phones numbered their answers get seq 0, the number of a client that
    sends none, so any numbered answer of the same device replaces them and an unnumbered one still does."""
    from alembic import command
    from alembic.config import Config

    from app.config import ROOT

    url = f"sqlite:///{tmp_path / 'before_seq.db'}"
    cfg = Config(str(ROOT / "alembic.ini"))
    cfg.set_main_option("script_location", str(ROOT / "migrations"))
    cfg.set_main_option("sqlalchemy.url", url)
    command.upgrade(cfg, "0008")
    engine = create_engine(url)
    with engine.begin() as conn:
        # Foreign keys are not enforced on this bare connection: the vote alone is enough here.
        conn.exec_driver_sql("INSERT INTO vote (question_id, round, device_hash, choices, moderation, flagged, vote_id, created_at, "
                             "updated_at) VALUES (1, 1, 'dev', '[1]', '', 0, 'v1', '2026-01-01 00:00:00', '2026-01-01 00:00:00')")
    migrate(url)
    with engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT vote_id, seq FROM vote").all() == [("v1", 0)]
    command.downgrade(cfg, "0008")
    with engine.connect() as conn:
        assert "seq" not in {c["name"] for c in inspect(conn).get_columns("vote")}
    engine.dispose()
