"""Interview sessions saved per user, in the session database (simulator/storage/).

A `SessionStore` is one user's view of the database: it creates, loads, lists, updates and
deletes only that user's sessions, and another user's session behaves exactly like a missing one
(the same error, so not even its existence shows). `for_user` gives another user's view over the
same database and connection pool. Opened from a path or with no user, it is the one local user's.

Every turn is written in its own transaction together with the session's new state, so a crash
loses nothing that was completed. The database is migrated on open (simulator/storage/migrate.py);
one from a newer schema is refused. The store is safe to share across threads.
"""

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

from pydantic import BaseModel, ValidationError
from sqlalchemy import Connection, RowMapping, delete, insert, select, update

from simulator.base.errors import InputError, StorageError
from simulator.base.sections import SectionId
from simulator.base.settings import Settings
from simulator.interview.identity import LOCAL_USER
from simulator.interview.session import (
    DIFFICULTY_MINUTES,
    Difficulty,
    InterviewSession,
    SessionKind,
    Turn,
)
from simulator.storage.engine import (
    DB_NAME,
    Database,
    database_at,
    database_location,
    storage_errors,
)
from simulator.storage.migrate import upgrade
from simulator.storage.schema import sessions, turns

__all__ = ["DB_NAME", "SessionListing", "SessionStore", "SessionSummary", "open_store"]
# DB_NAME, the SQLite file's name in SIM_DATA_DIR, is re-exported for the callers that look at it.

_SUMMARY_COLUMNS = (
    sessions.c.id,
    sessions.c.kind,
    sessions.c.scenario_id,
    sessions.c.lang,
    sessions.c.model,
    sessions.c.status,
    sessions.c.started_at,
    sessions.c.updated_at,
    sessions.c.finished_at,
    sessions.c.difficulty,
    sessions.c.time_budget_minutes,
    sessions.c.turn_count.label("turns"),
    sessions.c.overall,
    sessions.c.section_scores.label("scores"),
)


class SessionSummary(BaseModel):
    """What a list of sessions shows (History, `interview --list`), read without any turn."""

    id: str
    kind: SessionKind
    """An interview, or a written design graded on its own."""
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


def _turn_columns(turn: Turn) -> dict[str, object]:
    return {
        "role": turn.role,
        "kind": turn.kind,
        "section": turn.section,
        "at": turn.at.isoformat(),
        "body": turn.model_dump_json(),
    }


def _one_line_reason(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        return f"{where}: {first['msg']}" if where else first["msg"]
    return str(exc)


class SessionStore:
    """One user's sessions in a session database; safe to share across threads."""

    def __init__(
        self,
        where: Path | str | Database,
        default_minutes: int = DIFFICULTY_MINUTES["normal"],
        *,
        user_id: str = LOCAL_USER,
    ) -> None:
        """`where`: a SQLite file or a database URL (opened and migrated here), or the open
        database of another view."""
        if not user_id.strip():
            raise InputError("a user id cannot be empty")
        self.user_id = user_id
        self.default_minutes = default_minutes
        """The time budget of a session saved before budgets were stored."""
        if isinstance(where, Database):
            self.database = where
        else:
            self.database = database_at(where)
            upgrade(self.database)

    def for_user(self, user_id: str) -> "SessionStore":
        """The same database as `user_id` sees it: only that user's sessions are in it."""
        return SessionStore(self.database, self.default_minutes, user_id=user_id)

    @contextmanager
    def _write(self) -> Iterator[Connection]:
        with storage_errors(self.database.where), self.database.writer.begin() as tx:
            yield tx

    @contextmanager
    def _read(self) -> Iterator[Connection]:
        with storage_errors(self.database.where), self.database.reader.begin() as conn:
            yield conn

    def close(self) -> None:
        """Close the database's pooled connections (shared with every `for_user` view)."""
        self.database.close()

    def create(self, session: InterviewSession) -> None:
        """Insert a new session of this user's, with the turns it already has."""
        with self._write() as tx:
            tx.execute(
                insert(sessions).values(
                    id=session.id,
                    user_id=self.user_id,
                    kind=session.kind,
                    scenario_id=session.scenario_id,
                    lang=session.lang,
                    model=session.model,
                    started_at=session.started_at.isoformat(),
                    updated_at=session.started_at.isoformat(),
                    turn_count=len(session.turns),
                    **_listing_columns(session),
                )
            )
            for seq, turn in enumerate(session.turns):
                tx.execute(
                    insert(turns).values(session_id=session.id, seq=seq, **_turn_columns(turn))
                )

    def append_turn(self, session: InterviewSession) -> None:
        """Persist the session's last turn and its new state, atomically; the turn before it is
        written again, since what a candidate's message was is decided with the reply to it."""
        seq, turn = len(session.turns) - 1, session.turns[-1]
        with self._write() as tx:
            self._update_state(tx, session, turn.at, turns_added=1)  # first: it checks the owner
            if seq > 0:
                tx.execute(
                    update(turns)
                    .where(turns.c.session_id == session.id, turns.c.seq == seq - 1)
                    .values(_turn_columns(session.turns[-2]))
                )
            tx.execute(insert(turns).values(session_id=session.id, seq=seq, **_turn_columns(turn)))

    def save(self, session: InterviewSession) -> None:
        """Persist a change of state that came without a new turn (e.g. the report)."""
        with self._write() as tx:
            self._update_state(tx, session, session.last_activity or session.started_at)

    def _update_state(
        self, tx: Connection, session: InterviewSession, at: datetime, turns_added: int = 0
    ) -> None:
        updated = tx.execute(
            update(sessions)
            .where(sessions.c.id == session.id, sessions.c.user_id == self.user_id)
            .values(
                updated_at=at.isoformat(),
                turn_count=sessions.c.turn_count + turns_added,
                **_listing_columns(session),
            )
        )
        if updated.rowcount != 1:
            raise InputError(f"no saved session {session.id!r}")

    def load(self, session_id: str) -> InterviewSession:
        """One of this user's saved sessions with every completed turn; InputError when this user
        has none by that id."""
        with self._read() as conn:
            row = conn.execute(
                select(
                    sessions.c.state, sessions.c.time_budget_minutes, sessions.c.finished_at
                ).where(sessions.c.id == session_id, sessions.c.user_id == self.user_id)
            ).one_or_none()
            bodies = (
                []
                if row is None
                else conn.execute(
                    select(turns.c.body)
                    .where(turns.c.session_id == session_id)
                    .order_by(turns.c.seq)
                )
                .scalars()
                .all()
            )
        if row is None:
            raise InputError(f"no saved session {session_id!r} (see `interview --list`)")
        try:
            state = json.loads(row.state)
            # A session saved before budgets and finish times were kept takes them from its row.
            state.setdefault("time_budget_minutes", row.time_budget_minutes or self.default_minutes)
            state.setdefault("finished_at", row.finished_at)
            state["turns"] = [json.loads(body) for body in bodies]
            return InterviewSession.model_validate(state)
        except (ValueError, ValidationError) as exc:
            raise StorageError(f"saved session {session_id!r} is unreadable: {exc}") from None

    def summaries(self) -> SessionListing:
        """This user's saved sessions in brief, most recently active first, from the session rows
        alone (no turn, no state); a row that cannot be read is skipped with a one-line notice."""
        with self._read() as conn:
            rows = (
                conn.execute(
                    select(*_SUMMARY_COLUMNS)
                    .where(sessions.c.user_id == self.user_id)
                    .order_by(sessions.c.updated_at.desc(), sessions.c.id)
                )
                .mappings()
                .all()
            )
        listing = SessionListing(sessions=[], skipped=[])
        for row in rows:
            try:
                listing.sessions.append(self._summary(row))
            except (ValueError, TypeError) as exc:  # a ValidationError is a ValueError
                reason = " ".join(_one_line_reason(exc).split())[:200]
                notice = f"skipped saved session {row['id']!r}: unreadable ({reason})"
                listing.skipped.append(notice)
        return listing

    def _summary(self, row: RowMapping) -> SessionSummary:
        fields = dict(row)
        fields["time_budget_minutes"] = fields["time_budget_minutes"] or self.default_minutes
        fields["scores"] = json.loads(fields["scores"] or "{}")
        return SessionSummary.model_validate(fields)

    def list(self) -> list[SessionSummary]:
        """The summaries alone, unreadable rows left out (for callers that need no notice)."""
        return self.summaries().sessions

    def delete(self, session_id: str) -> None:
        """Delete one of this user's sessions with its turns; InputError when there is none."""
        owned = select(sessions.c.id).where(
            sessions.c.id == session_id, sessions.c.user_id == self.user_id
        )
        with self._write() as tx:
            tx.execute(delete(turns).where(turns.c.session_id.in_(owned)))
            gone = tx.execute(
                delete(sessions).where(
                    sessions.c.id == session_id, sessions.c.user_id == self.user_id
                )
            ).rowcount
        if not gone:
            raise InputError(f"no saved session {session_id!r}")


def open_store(settings: Settings) -> SessionStore:
    """The local user's view of the database the settings name (SIM_DATABASE_URL, else the
    SQLite file in SIM_DATA_DIR); `for_user` gives any other user's."""
    return SessionStore(database_location(settings), default_minutes=settings.interview_minutes)
