"""The session database's schema over time: files from before Alembic upgrade in place without
losing a session, a newer schema is refused untouched, and what the migrations build on each
engine is exactly the schema the code reads and writes."""

import json
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine

from simulator.base.errors import StorageError
from simulator.interview.session import InterviewSession, Turn
from simulator.interview.store import DB_NAME, SessionStore
from simulator.storage.migrate import MIGRATIONS_DIR, head
from simulator.storage.schema import metadata
from tests.interview.test_session_store_summaries import report
from tests.support.paths import ROOT
from tests.support.postgres import run_sql

WHEN = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
SAVED_BEFORE_ALEMBIC = ROOT / "tests" / "data" / "sessions_before_alembic.sql"
"""A dump of a database the app wrote before Alembic (schema 2, kept in PRAGMA user_version): a
finished, graded interview and an active one, written by the code of that time."""

# Schema 1 as it shipped (the first of the numbered SQL scripts that came before Alembic).
SCHEMA_1 = """
CREATE TABLE sessions (
    id TEXT PRIMARY KEY, scenario_id TEXT NOT NULL, lang TEXT NOT NULL, model TEXT NOT NULL,
    status TEXT NOT NULL, started_at TEXT NOT NULL, updated_at TEXT NOT NULL, state TEXT NOT NULL
);
CREATE TABLE turns (
    session_id TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    seq INTEGER NOT NULL, role TEXT NOT NULL, kind TEXT NOT NULL, section TEXT NOT NULL,
    at TEXT NOT NULL, body TEXT NOT NULL,
    PRIMARY KEY (session_id, seq)
);
CREATE INDEX sessions_by_update ON sessions(updated_at);
PRAGMA user_version = 1;
"""


def _schema_1_file(path: Path) -> None:
    """A schema-1 database (no budget, scores, finish or owner columns) with an active session
    and a finished, graded one, each with its opening turn."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.executescript(SCHEMA_1)
    old_keys = {"difficulty", "time_budget_minutes", "finished_at", "turns"}
    for sid, status, graded in [("old-active", "active", None), ("old-done", "finished", report())]:
        made = InterviewSession(
            id=sid, scenario_id="product_recs", lang="en", started_at=WHEN, status=status
        )
        made.report = graded
        state = made.model_dump(mode="json")
        for key in old_keys:
            state.pop(key)
        updated = (WHEN + timedelta(minutes=40)).isoformat()
        conn.execute(
            "INSERT INTO sessions VALUES (?, 'product_recs', 'en', 'local', ?, ?, ?, ?)",
            (sid, status, WHEN.isoformat(), updated, json.dumps(state)),
        )
        turn = Turn(role="interviewer", text="Design it.", section="requirements", kind="opening")
        conn.execute(
            "INSERT INTO turns VALUES (?, 0, 'interviewer', 'opening', 'requirements', ?, ?)",
            (sid, WHEN.isoformat(), turn.model_dump_json()),
        )
    conn.close()


def test_a_session_saved_before_schema_2_opens_with_todays_default(tmp_path: Path) -> None:
    """A schema-1 file migrates on open; its sessions get the time budget settings give today,
    their saved grades and their last update as the finish time."""
    path = tmp_path / DB_NAME
    _schema_1_file(path)
    store = SessionStore(path, default_minutes=50)
    assert sqlite3.connect(path).execute("PRAGMA user_version").fetchone()[0] == head()
    listing = store.summaries()
    assert listing.skipped == []
    by_id = {s.id: s for s in listing.sessions}
    done, active = by_id["old-done"], by_id["old-active"]
    assert (done.time_budget_minutes, done.difficulty, done.turns) == (50, None, 1)
    assert done.overall == 2.5
    assert done.scores == {s.id: s.score for s in report().sections}
    assert done.finished_at == WHEN + timedelta(minutes=40)
    assert (active.overall, active.scores, active.finished_at) == (None, {}, None)
    loaded = store.load("old-done")
    assert (loaded.time_budget_minutes, loaded.difficulty) == (50, None)
    assert loaded.finished_at == WHEN + timedelta(minutes=40)
    assert loaded.report == report()


def test_a_file_written_before_alembic_upgrades_in_place_and_loses_no_session(
    tmp_path: Path,
) -> None:
    path = tmp_path / DB_NAME
    with sqlite3.connect(path) as conn:
        conn.executescript(SAVED_BEFORE_ALEMBIC.read_text("utf-8"))
    before = run_sql(path, "SELECT session_id, seq, body FROM turns ORDER BY session_id, seq")

    store = SessionStore(path)
    assert run_sql(path, "SELECT version_num FROM alembic_version") == [(f"{head():04d}",)]
    assert run_sql(path, "PRAGMA user_version") == [(head(),)]
    after = run_sql(path, "SELECT session_id, seq, body FROM turns ORDER BY session_id, seq")
    assert after == before and len(after) == 11
    # Every session saved before users belongs to the one local user, and only to that user.
    assert run_sql(path, "SELECT DISTINCT user_id FROM sessions") == [("local",)]
    assert store.for_user("someone-else").list() == []

    listing = store.summaries()
    assert listing.skipped == []
    assert [(s.id, s.scenario_id, s.lang, s.status, s.turns) for s in listing.sessions] == [
        ("70f6743f6df3", "ad_ctr", "ru", "active", 3),
        ("ce815683224c", "product_recs", "en", "finished", 8),
    ]
    done = store.load("ce815683224c")
    assert done.report is not None and done.report.overall == listing.sessions[1].overall == 0.47
    assert [t.role for t in done.turns].count("candidate") == 3
    active = store.load("70f6743f6df3")
    assert active.turns[1].text == "Сколько у нас данных?"
    # And the upgraded file takes new turns like any other.
    active.turns.append(Turn(role="candidate", text="ещё", section="requirements", kind="answer"))
    store.append_turn(active)
    assert SessionStore(path).load(active.id) == active


def test_a_newer_sqlite_file_is_refused_in_one_line(tmp_path: Path) -> None:
    """A newer release's schema number, in PRAGMA user_version where releases before Alembic
    kept it: refused, untouched."""
    path = tmp_path / DB_NAME
    SessionStore(path).create(InterviewSession(scenario_id="product_recs", lang="en"))
    newer = head() + 1
    with sqlite3.connect(path) as conn:
        conn.execute(f"PRAGMA user_version = {newer}")
    with pytest.raises(StorageError) as err:
        SessionStore(path)
    message = str(err.value)
    assert "\n" not in message
    assert message.endswith(
        f"this database was written by a newer version (schema {newer});"
        " upgrade the app or use another SIM_DATA_DIR"
    )
    with sqlite3.connect(path) as conn:  # refused, not touched
        assert conn.execute("PRAGMA user_version").fetchone()[0] == newer


@pytest.mark.parametrize("revision", [f"{99:04d}", "a1b2c3d4e5f6"])
def test_a_revision_these_scripts_do_not_know_is_refused(
    session_db: Path | str, revision: str
) -> None:
    SessionStore(session_db).create(InterviewSession(scenario_id="product_recs", lang="en"))
    run_sql(session_db, "UPDATE alembic_version SET version_num = :rev", rev=revision)
    with pytest.raises(StorageError) as err:
        SessionStore(session_db)
    message = str(err.value)
    assert "\n" not in message
    assert f"written by a newer version (schema {revision.lstrip('0')})" in message
    setting = "SIM_DATA_DIR" if isinstance(session_db, Path) else "SIM_DATABASE_URL"
    assert message.endswith(f"use another {setting}")
    assert run_sql(session_db, "SELECT version_num FROM alembic_version") == [(revision,)]
    assert run_sql(session_db, "SELECT COUNT(*) FROM sessions") == [(1,)]


def _schema_differences(where: Path | str) -> list[object]:
    url = f"sqlite:///{where}" if isinstance(where, Path) else where
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return list(compare_metadata(MigrationContext.configure(conn), metadata))
    finally:
        engine.dispose()


def test_the_migrations_build_the_schema_the_code_uses(session_db: Path | str) -> None:
    SessionStore(session_db)
    assert _schema_differences(session_db) == []


def _kind(difference: object) -> str:
    # compare_metadata gives a tuple per change, or a list of tuples for a column's changes.
    first = difference[0] if isinstance(difference, list) else difference
    assert isinstance(first, tuple)
    return str(first[0])


def test_an_upgraded_file_has_the_columns_and_indexes_the_code_uses(tmp_path: Path) -> None:
    """Beyond them, a file from before Alembic keeps two quirks of its first DDL that nothing
    relies on: its TEXT primary key may be NULL to SQLite (the store always gives an id), and
    its foreign key reflects without ON DELETE (the store deletes a session's turns itself)."""
    path = tmp_path / DB_NAME
    _schema_1_file(path)
    SessionStore(path)
    kinds = sorted(_kind(d) for d in _schema_differences(path))
    assert kinds == ["add_fk", "modify_nullable", "remove_fk"]


def test_the_revisions_are_numbered_in_one_line_as_their_file_names_say() -> None:
    scripts = ScriptDirectory(str(MIGRATIONS_DIR))
    chain = [r.revision for r in reversed(list(scripts.walk_revisions()))]
    assert chain == [f"{n:04d}" for n in range(1, head() + 1)]
    for path in (MIGRATIONS_DIR / "versions").glob("*.py"):
        assert scripts.get_revision(path.name[:4]).path == str(path)


def test_a_database_migrated_by_hand_with_alembic_opens_as_current(
    database_url: str | None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`alembic upgrade head` from the project root migrates the database the settings name;
    the app then opens it without migrating again (and puts SQLite's user_version in step)."""
    monkeypatch.setenv("SIM_DATA_DIR", str(tmp_path))
    if database_url:
        monkeypatch.setenv("SIM_DATABASE_URL", database_url)
    where = database_url or tmp_path / DB_NAME
    command.upgrade(Config(str(ROOT / "alembic.ini")), "head")
    assert run_sql(where, "SELECT version_num FROM alembic_version") == [(f"{head():04d}",)]
    SessionStore(where).create(InterviewSession(id="after", scenario_id="product_recs", lang="en"))
    assert run_sql(where, "SELECT id, user_id FROM sessions") == [("after", "local")]
    if database_url is None:
        assert run_sql(where, "PRAGMA user_version") == [(head(),)]
