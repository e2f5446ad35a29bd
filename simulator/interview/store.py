"""SQLite persistence of interview sessions: one row per session, one row per turn.

The database lives at `settings.data_dir / "sessions.db"` in WAL mode. Every turn is inserted in
its own transaction together with the session's new state, so a crash loses nothing that was
completed. Numbered migrations (a list of SQL scripts, tracked by `PRAGMA user_version`) run on
open. Each thread gets its own connection, and a busy timeout lets many writers wait their turn.
"""

import json
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

from pydantic import BaseModel, ValidationError

from simulator.base.errors import InputError, StorageError
from simulator.base.settings import Settings
from simulator.interview.session import InterviewSession, Turn

DB_NAME = "sessions.db"
BUSY_TIMEOUT_S = 30.0

# Append only: never edit a migration that has shipped, add the next one.
MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE sessions (
        id TEXT PRIMARY KEY,
        scenario_id TEXT NOT NULL,
        lang TEXT NOT NULL,
        model TEXT NOT NULL,
        status TEXT NOT NULL,
        started_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        state TEXT NOT NULL
    );
    CREATE TABLE turns (
        session_id TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
        seq INTEGER NOT NULL,
        role TEXT NOT NULL,
        kind TEXT NOT NULL,
        section TEXT NOT NULL,
        at TEXT NOT NULL,
        body TEXT NOT NULL,
        PRIMARY KEY (session_id, seq)
    );
    CREATE INDEX sessions_by_update ON sessions(updated_at);
    """,
)


class SessionSummary(BaseModel):
    id: str
    scenario_id: str
    lang: str
    model: str
    status: str
    started_at: datetime
    updated_at: datetime
    turns: int


@contextmanager
def _storage_errors(path: Path) -> Iterator[None]:
    try:
        yield
    except sqlite3.Error as exc:
        raise StorageError(f"{path}: session database error: {exc}") from None


def _state_json(session: InterviewSession) -> str:
    # Turns have their own table; the state row holds everything else.
    return session.model_dump_json(exclude={"turns"})


class SessionStore:
    """Sessions in one SQLite file; safe to share across threads (one connection each)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._local = threading.local()
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StorageError(f"{path.parent}: cannot create the data folder ({exc})") from None
        self._migrate(self._connection())

    def _connection(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            with _storage_errors(self.path):
                # `timeout` is SQLite's busy timeout: writers queue instead of failing.
                conn = sqlite3.connect(self.path, isolation_level=None, timeout=BUSY_TIMEOUT_S)
                conn.execute("PRAGMA journal_mode = WAL")
                conn.execute("PRAGMA synchronous = NORMAL")
            self._local.conn = conn
        return conn

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        conn = self._connection()
        with _storage_errors(self.path):
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

    def _migrate(self, conn: sqlite3.Connection) -> None:
        # Checked again inside the write lock, so concurrent openers apply each migration once.
        with _storage_errors(self.path):
            if conn.execute("PRAGMA user_version").fetchone()[0] >= len(MIGRATIONS):
                return
        with self._transaction() as tx:
            version = tx.execute("PRAGMA user_version").fetchone()[0]
            for number, script in enumerate(MIGRATIONS[version:], start=version + 1):
                # executescript() would commit the open transaction, so statements run one by one.
                for statement in filter(str.strip, script.split(";")):
                    tx.execute(statement)
                tx.execute(f"PRAGMA user_version = {number}")

    def close(self) -> None:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None

    def create(self, session: InterviewSession) -> None:
        """Insert a new session with the turns it already has."""
        with self._transaction() as tx:
            tx.execute(
                "INSERT INTO sessions (id, scenario_id, lang, model, status, started_at,"
                " updated_at, state) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    session.id,
                    session.scenario_id,
                    session.lang,
                    session.model,
                    session.status,
                    session.started_at.isoformat(),
                    session.started_at.isoformat(),
                    _state_json(session),
                ),
            )
            for seq, turn in enumerate(session.turns):
                self._insert_turn(tx, session.id, seq, turn)

    def append_turn(self, session: InterviewSession) -> None:
        """Persist the session's last turn and its new state, atomically."""
        turn = session.turns[-1]
        with self._transaction() as tx:
            self._insert_turn(tx, session.id, len(session.turns) - 1, turn)
            self._update_state(tx, session, turn.at)

    def save(self, session: InterviewSession) -> None:
        """Persist a change of state that came without a new turn (e.g. the report)."""
        with self._transaction() as tx:
            self._update_state(tx, session, session.last_activity or session.started_at)

    @staticmethod
    def _insert_turn(tx: sqlite3.Connection, session_id: str, seq: int, turn: Turn) -> None:
        tx.execute(
            "INSERT INTO turns (session_id, seq, role, kind, section, at, body)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                session_id,
                seq,
                turn.role,
                turn.kind,
                turn.section,
                turn.at.isoformat(),
                turn.model_dump_json(),
            ),
        )

    @staticmethod
    def _update_state(tx: sqlite3.Connection, session: InterviewSession, at: datetime) -> None:
        updated = tx.execute(
            "UPDATE sessions SET status = ?, updated_at = ?, state = ? WHERE id = ?",
            (session.status, at.isoformat(), _state_json(session), session.id),
        )
        if updated.rowcount != 1:
            raise InputError(f"no saved session {session.id!r}")

    def load(self, session_id: str) -> InterviewSession:
        """A saved session with every completed turn; InputError when there is none."""
        conn = self._connection()
        with _storage_errors(self.path):
            row = conn.execute("SELECT state FROM sessions WHERE id = ?", (session_id,)).fetchone()
            bodies = conn.execute(
                "SELECT body FROM turns WHERE session_id = ? ORDER BY seq", (session_id,)
            ).fetchall()
        if row is None:
            raise InputError(f"no saved session {session_id!r} (see `interview --list`)")
        try:
            state = json.loads(row[0])
            state["turns"] = [json.loads(body) for (body,) in bodies]
            return InterviewSession.model_validate(state)
        except (ValueError, ValidationError) as exc:
            raise StorageError(f"saved session {session_id!r} is unreadable: {exc}") from None

    def list(self) -> list[SessionSummary]:
        """Every saved session, most recently active first."""
        conn = self._connection()
        with _storage_errors(self.path):
            rows = conn.execute(
                "SELECT s.id, s.scenario_id, s.lang, s.model, s.status, s.started_at, s.updated_at,"
                " (SELECT COUNT(*) FROM turns t WHERE t.session_id = s.id)"
                " FROM sessions s ORDER BY s.updated_at DESC, s.id"
            ).fetchall()
        keys = ("id", "scenario_id", "lang", "model", "status", "started_at", "updated_at", "turns")
        return [SessionSummary.model_validate(dict(zip(keys, r, strict=True))) for r in rows]

    def delete(self, session_id: str) -> None:
        with self._transaction() as tx:
            tx.execute("DELETE FROM turns WHERE session_id = ?", (session_id,))
            gone = tx.execute("DELETE FROM sessions WHERE id = ?", (session_id,)).rowcount
        if not gone:
            raise InputError(f"no saved session {session_id!r}")


def open_store(settings: Settings) -> SessionStore:
    return SessionStore(settings.data_dir / DB_NAME)
