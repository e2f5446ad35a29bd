"""The session store: migrations on open, a row per turn, crash safety, concurrency, no secrets."""

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
from simulator.interview.store import DB_NAME, MIGRATIONS, SessionStore, open_store
from tests.support.paths import ROOT


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


def test_migrations_run_once_and_set_user_version(tmp_path: Path) -> None:
    path = tmp_path / DB_NAME
    SessionStore(path)
    SessionStore(path)  # a second open finds the schema current and changes nothing
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"sessions", "turns"} <= tables


def test_round_trip_keeps_every_field(tmp_path: Path) -> None:
    store = SessionStore(tmp_path / DB_NAME)
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
    loaded = SessionStore(tmp_path / DB_NAME).load(session.id)
    assert loaded == session
    assert loaded.disclosed_facts == ["f.users", "f.latency"]


def test_list_and_delete(tmp_path: Path) -> None:
    store = SessionStore(tmp_path / DB_NAME)
    first, second = _session(), _session()
    store.create(first)
    store.create(second)
    _add(store, second, "later activity")
    listed = store.list()
    assert [s.id for s in listed] == [second.id, first.id]
    assert listed[0].turns == 2 and listed[1].turns == 1
    store.delete(first.id)
    assert [s.id for s in store.list()] == [second.id]
    with pytest.raises(InputError, match="no saved session"):
        store.load(first.id)
    with pytest.raises(InputError, match="no saved session"):
        store.delete(first.id)


def test_open_store_uses_the_data_dir(tmp_path: Path) -> None:
    from simulator.base.settings import load_settings

    store = open_store(load_settings(data_dir=tmp_path / "data"))
    assert store.path == tmp_path / "data" / DB_NAME
    assert store.path.is_file()


def test_unusable_location_is_a_one_line_storage_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(StorageError) as err:
        SessionStore(blocker / "sub" / DB_NAME)
    assert "\n" not in str(err.value)


def test_a_killed_writer_loses_no_completed_turn(tmp_path: Path) -> None:
    """A process that dies (SIGKILL, no cleanup) mid-session: a new process resumes every turn."""
    path = tmp_path / DB_NAME
    script = textwrap.dedent(
        f"""
        import os, signal, sys
        from pathlib import Path
        from simulator.interview.session import InterviewSession, Turn
        from simulator.interview.store import SessionStore
        store = SessionStore(Path({str(path)!r}))
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
    resumed = SessionStore(path).load("crashme")
    assert [t.text for t in resumed.turns] == [f"ответ {i}" for i in range(5)] + ["x"]
    assert resumed.disclosed_facts == ["f.users"]


def test_a_failed_turn_write_leaves_the_previous_state(tmp_path: Path) -> None:
    store = SessionStore(tmp_path / DB_NAME)
    session = _session()
    store.create(session)
    _add(store, session, "one")
    # The same position again violates the turn key: the transaction rolls back as a whole.
    session.turns[-1] = Turn(role="candidate", text="dup", section="data", kind="answer")
    session.covered_sections.append("data")
    with pytest.raises(StorageError):
        store.append_turn(session)
    loaded = store.load(session.id)
    assert [t.text for t in loaded.turns][-1] == "one"
    assert loaded.covered_sections == []


def test_twenty_concurrent_writers(tmp_path: Path) -> None:
    path = tmp_path / DB_NAME
    errors: list[BaseException] = []
    ids: list[str] = []
    barrier = threading.Barrier(20)

    def writer(n: int) -> None:
        try:
            store = SessionStore(path)  # each writer opens on its own, as separate processes would
            session = _session(id=f"w{n:02d}")
            barrier.wait()
            store.create(session)
            for i in range(10):
                _add(store, session, f"{n}-{i}")
            ids.append(session.id)
        except BaseException as exc:  # collected and re-raised in the test thread
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    store = SessionStore(path)
    assert sorted(s.id for s in store.list()) == sorted(ids)
    for sid in ids:
        texts = [t.text for t in store.load(sid).turns[1:]]
        assert texts == [f"{int(sid[1:])}-{i}" for i in range(10)]


def test_one_store_shared_by_threads_uses_a_connection_each(tmp_path: Path) -> None:
    store = SessionStore(tmp_path / DB_NAME)
    session = _session()
    store.create(session)
    seen: list[int] = []
    thread = threading.Thread(target=lambda: seen.append(id(store._connection())))
    thread.start()
    thread.join()
    assert seen and seen[0] != id(store._connection())


def test_no_api_key_reaches_the_database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    secret = "sk-test-0123456789abcdef"
    monkeypatch.setenv("OPENAI_API_KEY", secret)
    from simulator.base.settings import load_settings

    settings = load_settings(data_dir=tmp_path)
    assert settings.openai_api_key == secret
    store = open_store(settings)
    session = _session(model="openai:gpt-4o-mini")
    store.create(session)
    _add(store, session, "an answer")
    store.close()
    for file in tmp_path.glob(DB_NAME + "*"):
        assert secret.encode() not in file.read_bytes()


def test_timestamps_stay_timezone_aware(tmp_path: Path) -> None:
    store = SessionStore(tmp_path / DB_NAME)
    when = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
    session = _session(started_at=when)
    store.create(session)
    assert store.load(session.id).started_at == when
