"""SQLite persistence of interview sessions: one row per session, one row per turn.

The database lives at `settings.data_dir / "sessions.db"` in WAL mode. Every turn is inserted in
its own transaction together with the session's new state, so a crash loses nothing that was
completed. Numbered migrations (a list of SQL scripts, tracked by `PRAGMA user_version`) run on
open; a database from a newer schema than these is refused. Each thread gets its own connection,
and a busy timeout lets many writers wait their turn.

The session row keeps, beside the state, the columns a listing needs (time budget, finish time,
scores, turn count), so `summaries` never reads a turn or parses a state.
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
from simulator.base.sections import SectionId
from simulator.base.settings import Settings
from simulator.interview.session import DIFFICULTY_MINUTES, Difficulty, InterviewSession, Turn

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
    # 2: what a listing shows, in columns. A session saved before has no time budget here (NULL:
    # today's default applies) and takes its finish time from its last update.
    """
    ALTER TABLE sessions ADD COLUMN difficulty TEXT;
    ALTER TABLE sessions ADD COLUMN time_budget_minutes INTEGER;
    ALTER TABLE sessions ADD COLUMN finished_at TEXT;
    ALTER TABLE sessions ADD COLUMN overall REAL;
    ALTER TABLE sessions ADD COLUMN section_scores TEXT;
    ALTER TABLE sessions ADD COLUMN turn_count INTEGER NOT NULL DEFAULT 0;
    UPDATE sessions SET turn_count = (SELECT COUNT(*) FROM turns WHERE session_id = sessions.id);
    UPDATE sessions SET finished_at = updated_at WHERE status = 'finished';
    UPDATE sessions SET
        overall = json_extract(state, '$.report.overall'),
        section_scores = (
            SELECT json_group_object(json_extract(value, '$.id'), json_extract(value, '$.score'))
            FROM json_each(sessions.state, '$.report.sections')
            WHERE type = 'object' AND json_type(value, '$.id') = 'text'
        )
    WHERE json_valid(state) AND json_type(state, '$.report') = 'object';
    """,
)

_SUMMARIES_QUERY = (
    "SELECT id, scenario_id, lang, model, status, started_at, updated_at, finished_at, difficulty,"
    " time_budget_minutes, turn_count AS turns, overall, section_scores AS scores"
    " FROM sessions ORDER BY updated_at DESC, id"
)


class SessionSummary(BaseModel):
    """What a list of sessions shows (History, `interview --list`), read without any turn."""

    id: str
    scenario_id: str
    lang: str
    model: str
    status: str
    started_at: datetime
    updated_at: datetime
    finished_at: datetime | None
    difficulty: Difficulty | None
    time_budget_minutes: int
    turns: int
    """How many turns the session has."""
    overall: float | None
    """The overall grade, once graded."""
    scores: dict[SectionId, int]
    """Each section's grade, once graded (empty before)."""


class SessionListing(BaseModel):
    sessions: list[SessionSummary]
    """Most recently active first."""
    skipped: list[str]
    """One line per saved row that could not be read and was left out."""


@contextmanager
def _storage_errors(path: Path) -> Iterator[None]:
    try:
        yield
    except sqlite3.Error as exc:
        raise StorageError(f"{path}: session database error: {exc}") from None


def _state_json(session: InterviewSession) -> str:
    # Turns have their own table; the state row holds everything else.
    return session.model_dump_json(exclude={"turns"})


def _listing_columns(session: InterviewSession) -> dict[str, object]:
    """The session's columns beside its state, named as in the table."""
    report = session.report
    return {
        "status": session.status,
        "difficulty": session.difficulty,
        "time_budget_minutes": session.time_budget_minutes,
        "finished_at": session.finished_at.isoformat() if session.finished_at else None,
        "overall": report.overall if report else None,
        "section_scores": json.dumps({s.id: s.score for s in report.sections}) if report else None,
        "state": _state_json(session),
    }


def _one_line_reason(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        return f"{where}: {first['msg']}" if where else first["msg"]
    return str(exc)


class SessionStore:
    """Sessions in one SQLite file; safe to share across threads (one connection each)."""

    def __init__(self, path: Path, default_minutes: int = DIFFICULTY_MINUTES["normal"]) -> None:
        self.path = path
        self.default_minutes = default_minutes
        """The time budget of a session saved before budgets were stored."""
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
            version = conn.execute("PRAGMA user_version").fetchone()[0]
        self._refuse_newer(version)
        if version == len(MIGRATIONS):
            return
        with self._transaction() as tx:
            version = tx.execute("PRAGMA user_version").fetchone()[0]
            self._refuse_newer(version)
            for number, script in enumerate(MIGRATIONS[version:], start=version + 1):
                # executescript() would commit the open transaction, so statements run one by one.
                for statement in filter(str.strip, script.split(";")):
                    tx.execute(statement)
                tx.execute(f"PRAGMA user_version = {number}")

    def _refuse_newer(self, version: int) -> None:
        if version > len(MIGRATIONS):
            raise StorageError(
                f"{self.path}: this database was written by a newer version (schema {version});"
                " upgrade the app or use another SIM_DATA_DIR"
            )

    def close(self) -> None:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None

    def create(self, session: InterviewSession) -> None:
        """Insert a new session with the turns it already has."""
        with self._transaction() as tx:
            columns = {
                "id": session.id,
                "scenario_id": session.scenario_id,
                "lang": session.lang,
                "model": session.model,
                "started_at": session.started_at.isoformat(),
                "updated_at": session.started_at.isoformat(),
            } | _listing_columns(session)
            tx.execute(
                f"INSERT INTO sessions ({', '.join(columns)})"
                f" VALUES ({', '.join('?' * len(columns))})",
                tuple(columns.values()),
            )
            for seq, turn in enumerate(session.turns):
                self._insert_turn(tx, session.id, seq, turn)

    def append_turn(self, session: InterviewSession) -> None:
        """Persist the session's last turn and its new state, atomically; the turn before it is
        written again, since what a candidate's message was is decided with the reply to it."""
        turn = session.turns[-1]
        with self._transaction() as tx:
            if len(session.turns) > 1:
                self._rewrite_turn(tx, session.id, len(session.turns) - 2, session.turns[-2])
            self._insert_turn(tx, session.id, len(session.turns) - 1, turn)
            self._update_state(tx, session, turn.at)

    @staticmethod
    def _rewrite_turn(tx: sqlite3.Connection, session_id: str, seq: int, turn: Turn) -> None:
        tx.execute(
            "UPDATE turns SET kind = ?, section = ?, body = ? WHERE session_id = ? AND seq = ?",
            (turn.kind, turn.section, turn.model_dump_json(), session_id, seq),
        )

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
        tx.execute("UPDATE sessions SET turn_count = turn_count + 1 WHERE id = ?", (session_id,))

    @staticmethod
    def _update_state(tx: sqlite3.Connection, session: InterviewSession, at: datetime) -> None:
        columns = {"updated_at": at.isoformat()} | _listing_columns(session)
        updated = tx.execute(
            f"UPDATE sessions SET {', '.join(f'{name} = ?' for name in columns)} WHERE id = ?",
            (*columns.values(), session.id),
        )
        if updated.rowcount != 1:
            raise InputError(f"no saved session {session.id!r}")

    def load(self, session_id: str) -> InterviewSession:
        """A saved session with every completed turn; InputError when there is none."""
        conn = self._connection()
        with _storage_errors(self.path):
            row = conn.execute(
                "SELECT state, time_budget_minutes, finished_at FROM sessions WHERE id = ?",
                (session_id,),
            ).fetchone()
            bodies = conn.execute(
                "SELECT body FROM turns WHERE session_id = ? ORDER BY seq", (session_id,)
            ).fetchall()
        if row is None:
            raise InputError(f"no saved session {session_id!r} (see `interview --list`)")
        try:
            state = json.loads(row[0])
            # A session saved before budgets and finish times were kept takes them from its row.
            state.setdefault("time_budget_minutes", row[1] or self.default_minutes)
            state.setdefault("finished_at", row[2])
            state["turns"] = [json.loads(body) for (body,) in bodies]
            return InterviewSession.model_validate(state)
        except (ValueError, ValidationError) as exc:
            raise StorageError(f"saved session {session_id!r} is unreadable: {exc}") from None

    def summaries(self) -> SessionListing:
        """Every saved session in brief, most recently active first, from the session rows alone
        (no turn, no state); a row that cannot be read is skipped with a one-line notice."""
        cursor = self._connection().cursor()
        cursor.row_factory = sqlite3.Row
        with _storage_errors(self.path):
            rows = cursor.execute(_SUMMARIES_QUERY).fetchall()
        listing = SessionListing(sessions=[], skipped=[])
        for row in rows:
            fields = dict(row)
            fields["time_budget_minutes"] = fields["time_budget_minutes"] or self.default_minutes
            try:
                fields["scores"] = json.loads(fields["scores"] or "{}")
                listing.sessions.append(SessionSummary.model_validate(fields))
            except (ValueError, TypeError) as exc:  # a ValidationError is a ValueError
                reason = " ".join(_one_line_reason(exc).split())[:200]
                notice = f"skipped saved session {fields['id']!r}: unreadable ({reason})"
                listing.skipped.append(notice)
        return listing

    def list(self) -> list[SessionSummary]:
        """The summaries alone, unreadable rows left out (for callers that need no notice)."""
        return self.summaries().sessions

    def delete(self, session_id: str) -> None:
        with self._transaction() as tx:
            tx.execute("DELETE FROM turns WHERE session_id = ?", (session_id,))
            gone = tx.execute("DELETE FROM sessions WHERE id = ?", (session_id,)).rowcount
        if not gone:
            raise InputError(f"no saved session {session_id!r}")


def open_store(settings: Settings) -> SessionStore:
    return SessionStore(settings.data_dir / DB_NAME, default_minutes=settings.interview_minutes)
