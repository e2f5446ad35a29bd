"""Bring the session database to the current schema on open, with Alembic and migrations/.

Revisions are numbered (0001, 0002, ...) and append only. They run inside one write transaction
that also serialises concurrent openers (SQLite: BEGIN IMMEDIATE; PostgreSQL: an advisory lock),
so each applies once; both engines have transactional DDL, so a failed one leaves nothing behind.
A database at a schema these scripts do not know was written by a newer version: it is refused,
untouched.

SQLite files written before Alembic kept their schema number in PRAGMA user_version (1 or 2); they
are stamped at that revision and upgraded in place. The number is kept in step on SQLite, so that
an older release, which reads only user_version, refuses a file this one has moved on.
"""

from functools import cache
from typing import NoReturn

from sqlalchemy import Connection, inspect
from sqlalchemy import text as sql

from simulator.base.errors import StorageError
from simulator.base.settings import PROJECT_ROOT
from simulator.storage.engine import Database, storage_errors

MIGRATIONS_DIR = PROJECT_ROOT / "migrations"
VERSION_TABLE = "alembic_version"
_LOCK_KEY = 7_246_372  # any fixed number: the PostgreSQL advisory lock held while migrating


@cache
def head() -> int:
    """The newest schema number the scripts know: each is `versions/NNNN_what_it_does.py`, its
    revision NNNN (a test checks that Alembic agrees). Read from the names, so an app opening a
    current database never imports Alembic (a quarter of a second)."""
    names = (MIGRATIONS_DIR / "versions").glob("[0-9][0-9][0-9][0-9]_*.py")
    return max((int(path.name[:4]) for path in names), default=0)


def upgrade(db: Database) -> None:
    """Migrate `db` to the newest schema (nothing to do is one read); StorageError when it was
    written by a newer version or cannot be reached."""
    with storage_errors(db.where):
        with db.reader.connect() as conn:
            if _is_current(conn, db):
                return
        with db.writer.begin() as conn:
            if db.dialect == "postgresql":
                conn.execute(sql("SELECT pg_advisory_xact_lock(:key)"), {"key": _LOCK_KEY})
            number = _schema(conn, db)  # again, now that no other opener can be migrating
            if number < head():
                _run_scripts(conn, number)
            if db.dialect == "sqlite":
                conn.exec_driver_sql(f"PRAGMA user_version = {head()}")


def _run_scripts(conn: Connection, number: int) -> None:
    """Upgrade from schema `number` inside the caller's transaction (env.py runs on `conn`)."""
    from alembic import command  # imported only when there is something to migrate
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["connection"] = conn
    if number and _revision(conn) is None:  # a SQLite file from before Alembic
        command.stamp(config, f"{number:04d}")
    command.upgrade(config, "head")


def _revision(conn: Connection) -> str | None:
    if not inspect(conn).has_table(VERSION_TABLE):
        return None
    return conn.execute(sql(f"SELECT version_num FROM {VERSION_TABLE}")).scalar_one_or_none()


def _is_current(conn: Connection, db: Database) -> bool:
    """At the newest schema, and on SQLite saying so in user_version too (`alembic upgrade` run
    by hand leaves it behind)."""
    number = _schema(conn, db)
    return number == head() and (db.dialect != "sqlite" or _user_version(conn) == number)


def _user_version(conn: Connection) -> int:
    return int(conn.exec_driver_sql("PRAGMA user_version").scalar_one())


def _schema(conn: Connection, db: Database) -> int:
    """The database's schema number (0: empty), refused when newer than the scripts."""
    revision = _revision(conn) or "0"
    if not revision.isdigit():  # not one of ours: a newer version's, or another program's
        _refuse(db, revision)
    number = int(revision)
    if db.dialect == "sqlite":
        number = max(number, _user_version(conn))
    if number > head():
        _refuse(db, str(number))
    return number


def _refuse(db: Database, schema: str) -> NoReturn:
    raise StorageError(
        f"{db.where}: this database was written by a newer version (schema {schema});"
        f" upgrade the app or use another {db.setting}"
    )
