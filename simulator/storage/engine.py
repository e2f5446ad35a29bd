"""Open the session database on its engine, and turn the engine's errors into one-line ones.

SQLite runs in WAL mode with NORMAL sync: a committed transaction survives a killed process. A
write begins with BEGIN IMMEDIATE, so concurrent writers queue on the busy timeout instead of
failing when a read lock cannot be upgraded; a read begins deferred and sees one snapshot.
PostgreSQL is reached through psycopg 3; its reads run in REPEATABLE READ for the same reason: a
session row and its turns come from one snapshot.
"""

import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, SQLAlchemyError

from simulator.base.errors import ConfigError, StorageError
from simulator.base.settings import Settings

DB_NAME = "sessions.db"
"""The SQLite file in SIM_DATA_DIR, when SIM_DATABASE_URL is unset."""
SQLITE_BUSY_TIMEOUT_S = 30.0
"""How long a SQLite writer waits for the one before it (a turn's write takes milliseconds)."""
WAL_RETRY_S = 0.05
"""How long a first opener of a new file waits before looking again whether it is in WAL."""
CONNECT_TIMEOUT_S = 10
"""How long to wait for a PostgreSQL server that does not answer before saying so."""

DATA_DIR_SETTING = "SIM_DATA_DIR"
URL_SETTING = "SIM_DATABASE_URL"
_URL_FORMS = "postgresql+psycopg://USER:PASSWORD@HOST:PORT/DATABASE or sqlite:///PATH"
_WRITES = "sim_writes"
"""The execution option that marks the writer's transactions (BEGIN IMMEDIATE on SQLite)."""


@dataclass(frozen=True)
class Database:
    """One session database: an engine for reads and one for writes over the same pool."""

    reader: Engine
    writer: Engine
    where: str
    """How messages name it: the SQLite file, or the URL with its password hidden."""
    setting: str
    """The setting that chose it, named when the fix is to choose another."""

    @property
    def dialect(self) -> str:
        """`sqlite` or `postgresql`."""
        return self.writer.dialect.name

    def close(self) -> None:
        """Close the pooled connections (a later use opens new ones)."""
        self.writer.dispose()


def database_location(settings: Settings) -> Path | str:
    """The database the settings name: SIM_DATABASE_URL, else the SQLite file in SIM_DATA_DIR."""
    return settings.database_url or settings.data_dir / DB_NAME


def database_at(where: Path | str) -> Database:
    """A SQLite file (a path) or the database a URL names; nothing is read or written yet."""
    return sqlite_database(where) if isinstance(where, Path) else url_database(where)


def sqlite_database(path: Path, setting: str = DATA_DIR_SETTING) -> Database:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StorageError(f"{path.parent}: cannot create the data folder ({exc})") from None
    engine = create_engine(
        URL.create("sqlite", database=str(path)), connect_args={"timeout": SQLITE_BUSY_TIMEOUT_S}
    )
    event.listen(engine, "connect", _sqlite_connect)
    event.listen(engine, "begin", _sqlite_begin)
    writer = engine.execution_options(**{_WRITES: True})
    return Database(reader=engine, writer=writer, where=str(path), setting=setting)


def url_database(url: str) -> Database:
    """The database a SIM_DATABASE_URL names; a URL that names none is a ConfigError."""
    try:
        parsed = make_url(url.strip())
    except (ArgumentError, ValueError):
        # The URL itself is never repeated: it may hold a password.
        raise ConfigError(
            f"bad setting {URL_SETTING}: not a database URL; use {_URL_FORMS}"
        ) from None
    backend, _, driver = parsed.drivername.partition("+")
    if backend == "sqlite":
        if parsed.database in (None, "", ":memory:"):  # in memory, each connection has its own
            raise ConfigError(
                f"bad setting {URL_SETTING}: a SQLite URL names a file: sqlite:///PATH"
            )
        return sqlite_database(Path(parsed.database), setting=URL_SETTING)
    if backend not in ("postgresql", "postgres") or driver not in ("", "psycopg"):
        raise ConfigError(
            f"bad setting {URL_SETTING}: {parsed.drivername!r} is not supported; use {_URL_FORMS}"
        )
    engine = create_engine(
        parsed.set(drivername="postgresql+psycopg"),
        # A pooled connection the server dropped (a restart) is replaced, not handed to a turn.
        pool_pre_ping=True,
        connect_args={"connect_timeout": CONNECT_TIMEOUT_S},
    )
    return Database(
        reader=engine.execution_options(isolation_level="REPEATABLE READ"),
        writer=engine,
        where=parsed.render_as_string(hide_password=True),
        setting=URL_SETTING,
    )


def _sqlite_connect(dbapi_connection: Any, _record: object) -> None:
    # SQLAlchemy, not the driver, says when a transaction begins (`_sqlite_begin`).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    _use_wal(cursor)
    cursor.execute("PRAGMA synchronous = NORMAL")
    cursor.execute("PRAGMA foreign_keys = ON")  # as PostgreSQL enforces them
    cursor.close()


def _use_wal(cursor: Any) -> None:
    """Switch the file to WAL, once: WAL is kept in the file. Several first openers of a new file
    race for the exclusive lock the switch needs, and SQLite answers the losers at once instead of
    through the busy timeout, so they look again until the timeout."""
    deadline = time.monotonic() + SQLITE_BUSY_TIMEOUT_S
    while True:
        try:
            if cursor.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
                cursor.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(WAL_RETRY_S)


def _sqlite_begin(conn: Connection) -> None:
    writes = conn.get_execution_options().get(_WRITES, False)
    conn.exec_driver_sql("BEGIN IMMEDIATE" if writes else "BEGIN")


@contextmanager
def storage_errors(where: str) -> Iterator[None]:
    """The engine's and the driver's errors as one-line StorageErrors naming the database."""
    try:
        yield
    except SQLAlchemyError as exc:
        raise StorageError(f"{where}: session database error: {_reason(exc)}") from None


def _reason(exc: SQLAlchemyError) -> str:
    # The driver's own message, without SQLAlchemy's statement dump and link.
    if isinstance(exc, DBAPIError) and exc.orig is not None:
        return str(exc.orig)
    return str(exc.args[0]) if exc.args else type(exc).__name__
