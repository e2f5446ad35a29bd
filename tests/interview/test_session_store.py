"""The session store on both engines (SQLite, PostgreSQL): migrations on open, a row per turn,
crash safety, concurrency, no secrets."""

import sqlite3
import subprocess
import sys
import textwrap
import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest

from simulator.base.errors import InputError, StorageError
from simulator.interview.session import InterviewSession, Turn
from simulator.interview.store import DB_NAME, SessionStore, open_store
from simulator.storage.migrate import head
from tests.support.paths import ROOT
from tests.support.postgres import run_sql


def _session(**kw: object) -> InterviewSession:
    session = InterviewSession(scenario_id="product_recs", lang="en", **kw)  # type: ignore[arg-type]
    session.turns.append(
        Turn(
            role="interviewer", text="Design a recommender.", section="requirements", kind="opening"
        )
    )
    return session


def _add(store: SessionStore, session: InterviewSession, text: str) -> None:
    session.turns.append(Turn(role="candidate", text=text, section="requirements", kind="answer"))
    store.append_turn(session)


def test_migrations_run_once_to_the_newest_schema(session_db: Path | str) -> None:
    SessionStore(session_db)
    SessionStore(session_db)  # a second open finds the schema current and changes nothing
    assert run_sql(session_db, "SELECT version_num FROM alembic_version") == [(f"{head():04d}",)]
    assert head() >= 3
    assert run_sql(session_db, "SELECT COUNT(*) FROM sessions") == [(0,)]
    assert run_sql(session_db, "SELECT COUNT(*) FROM turns") == [(0,)]


def test_sqlite_is_in_wal_mode_and_keeps_user_version_in_step(tmp_path: Path) -> None:
    """An older release reads only user_version: it must see a schema it does not know."""
    path = tmp_path / DB_NAME
    SessionStore(path)
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == head()
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_round_trip_keeps_every_field(session_db: Path | str) -> None:
    store = SessionStore(session_db)
    session = _session(model="openai:gpt-4o-mini")
    store.create(session)
    session.disclose(["f.users", "f.latency", "f.users"])
    session.covered_sections.append("requirements")
    session.probes_asked.append("requirements.restate")
    session.turns.append(
        Turn(
            role="interviewer",
            text="Привет 👋 שלום",
            section="metrics",
            kind="probe",
            passage_ids=["metrics.offline"],
            notice="cut",
        )
    )
    store.append_turn(session)
    loaded = SessionStore(session_db).load(session.id)
    assert loaded == session
    assert loaded.disclosed_facts == ["f.users", "f.latency"]


def test_list_and_delete(session_db: Path | str) -> None:
    store = SessionStore(session_db)
    first, second = _session(), _session()
    store.create(first)
    store.create(second)
    _add(store, second, "later activity")
    listed = store.list()
    assert [s.id for s in listed] == [second.id, first.id]
    assert listed[0].turns == 2 and listed[1].turns == 1
    store.delete(first.id)
    assert [s.id for s in store.list()] == [second.id]
    left = run_sql(session_db, "SELECT COUNT(*) FROM turns WHERE session_id = :id", id=first.id)
    assert left == [(0,)]
    with pytest.raises(InputError, match="no saved session"):
        store.load(first.id)
    with pytest.raises(InputError, match="no saved session"):
        store.delete(first.id)


def test_open_store_uses_the_data_dir(tmp_path: Path) -> None:
    from simulator.base.settings import load_settings

    store = open_store(load_settings(data_dir=tmp_path / "data"))
    store.create(_session(id="here"))
    assert store.database.where == str(tmp_path / "data" / DB_NAME)
    assert run_sql(tmp_path / "data" / DB_NAME, "SELECT id FROM sessions") == [("here",)]


def test_open_store_uses_the_database_url_when_set(
    session_db: Path | str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from simulator.base.settings import load_settings

    url = session_db if isinstance(session_db, str) else f"sqlite:///{session_db}"
    monkeypatch.setenv("SIM_DATABASE_URL", url)
    store = open_store(load_settings(data_dir=tmp_path / "data"))
    store.create(_session(id="there"))
    assert run_sql(session_db, "SELECT id FROM sessions") == [("there",)]
    assert not (tmp_path / "data" / DB_NAME).exists()


def test_unusable_location_is_a_one_line_storage_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(StorageError) as err:
        SessionStore(blocker / "sub" / DB_NAME)
    assert "\n" not in str(err.value)


def test_a_killed_writer_loses_no_completed_turn(session_db: Path | str) -> None:
    """A process that dies (SIGKILL, no cleanup) mid-session: a new process resumes every turn."""
    where = f"Path({str(session_db)!r})" if isinstance(session_db, Path) else repr(session_db)
    script = textwrap.dedent(
        f"""
        import os, signal, sys
        from pathlib import Path
        from simulator.interview.session import InterviewSession, Turn
        from simulator.interview.store import SessionStore
        store = SessionStore({where})
        session = InterviewSession(id="crashme", scenario_id="product_recs", lang="ru")
        store.create(session)
        for i in range(5):
            session.turns.append(
                Turn(role="candidate", text=f"ответ {{i}}", section="data", kind="answer")
            )
            store.append_turn(session)
        session.disclose(["f.users"])
        session.turns.append(Turn(role="interviewer", text="x", section="data", kind="fact"))
        store.append_turn(session)
        print("written", flush=True)
        os.kill(os.getpid(), signal.SIGKILL)
        """
    )
    proc = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == -9, proc.stderr
    assert proc.stdout.strip() == "written"
    resumed = SessionStore(session_db).load("crashme")
    assert [t.text for t in resumed.turns] == [f"ответ {i}" for i in range(5)] + ["x"]
    assert resumed.disclosed_facts == ["f.users"]


def test_a_failed_turn_write_leaves_the_previous_state(session_db: Path | str) -> None:
    store = SessionStore(session_db)
    session = _session()
    store.create(session)
    _add(store, session, "one")
    # The same position again violates the turn key: the transaction rolls back as a whole.
    session.turns[-1] = Turn(role="candidate", text="dup", section="data", kind="answer")
    session.covered_sections.append("data")
    with pytest.raises(StorageError) as err:
        store.append_turn(session)
    assert "\n" not in str(err.value)
    loaded = store.load(session.id)
    assert [t.text for t in loaded.turns][-1] == "one"
    assert loaded.covered_sections == []
    assert store.list()[0].turns == 2


def test_twenty_concurrent_writers(session_db: Path | str) -> None:
    """Ten writers share one store (as the app's threads do), ten open their own (as separate
    processes would), all at once on a database none of them has migrated yet."""
    errors: list[BaseException] = []
    ids: list[str] = []
    barrier = threading.Barrier(20, timeout=60)  # a writer that fails early must not hang the rest
    shared: list[SessionStore] = []
    shared_ready = threading.Lock()

    def writer(n: int) -> None:
        try:
            if n % 2:
                store = SessionStore(session_db)
            else:
                with shared_ready:
                    if not shared:
                        shared.append(SessionStore(session_db))
                store = shared[0]
            session = _session(id=f"w{n:02d}")
            barrier.wait()
            store.create(session)
            for i in range(10):
                _add(store, session, f"{n}-{i}")
            ids.append(session.id)
        except BaseException as exc:  # collected and re-raised in the test thread
            errors.append(exc)
            barrier.abort()

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert [e for e in errors if not isinstance(e, threading.BrokenBarrierError)] == []
    assert errors == []
    store = SessionStore(session_db)
    assert sorted(s.id for s in store.list()) == sorted(ids)
    assert len(ids) == 20
    for sid in ids:
        texts = [t.text for t in store.load(sid).turns[1:]]
        assert texts == [f"{int(sid[1:])}-{i}" for i in range(10)]


def test_no_api_key_reaches_the_database(
    database_url: str | None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    secret = "sk-test-0123456789abcdef"
    monkeypatch.setenv("OPENAI_API_KEY", secret)
    from simulator.base.settings import load_settings

    settings = load_settings(data_dir=tmp_path, database_url=database_url)
    assert settings.openai_api_key == secret
    store = open_store(settings)
    session = _session(model="openai:gpt-4o-mini")
    store.create(session)
    _add(store, session, "an answer")
    store.close()
    where = database_url or tmp_path / DB_NAME
    rows = run_sql(where, "SELECT * FROM sessions") + run_sql(where, "SELECT * FROM turns")
    assert session.id in repr(rows) and "an answer" in repr(rows)
    assert secret not in repr(rows)
    for file in tmp_path.glob(DB_NAME + "*"):
        assert secret.encode() not in file.read_bytes()


def test_timestamps_stay_timezone_aware(session_db: Path | str) -> None:
    store = SessionStore(session_db)
    when = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
    session = _session(started_at=when)
    store.create(session)
    assert store.load(session.id).started_at == when
