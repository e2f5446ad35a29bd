"""Both session-database engines for tests: a throwaway PostgreSQL server, and the fixtures that
run a test once on SQLite and once on PostgreSQL.

The server is one cluster per test run (initdb, then pg_ctl), in a temp folder, on 127.0.0.1 at a
free port, with fsync off since its data is thrown away; each test gets a fresh database in it.
initdb refuses to run as root, so as root the cluster belongs to the `postgres` user. Without
PostgreSQL's binaries the PostgreSQL runs skip, saying so; with SIM_REQUIRE_POSTGRES=1 (.ci/run
sets it) they fail instead, so CI never passes without them.
"""

from __future__ import annotations

import itertools
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import NoReturn

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL

# Read on import: the test-wide environment fixture clears SIM_* variables before any test runs.
REQUIRED = os.environ.get("SIM_REQUIRE_POSTGRES") == "1"
START_TIMEOUT_S = 60
_SERVER_USER = "postgres"
"""Who runs the server when the tests run as root (Debian's package creates this user)."""


def find_bin_dir() -> Path | None:
    """Where initdb and pg_ctl are: on PATH, or in Debian's /usr/lib/postgresql/VERSION/bin."""
    on_path = shutil.which("initdb")
    if on_path:
        return Path(on_path).resolve().parent  # a symlink leads to the folder pg_ctl is in too
    versions = sorted(
        Path("/usr/lib/postgresql").glob("*/bin"),
        key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0,
    )
    found = [d for d in versions if (d / "initdb").is_file() and (d / "pg_ctl").is_file()]
    return found[-1] if found else None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class PostgresServer:
    """A PostgreSQL cluster of its own, started by `start` and removed by `stop`."""

    def __init__(self, bin_dir: Path) -> None:
        self.bin_dir = bin_dir
        self.root = Path(tempfile.mkdtemp(prefix="sim-postgres-"))
        self.data = self.root / "data"
        self.port = _free_port()
        self._as_server_user: list[str] = []
        self._names = itertools.count(1)
        if os.geteuid() == 0:
            shutil.chown(self.root, user=_SERVER_USER)
            self._as_server_user = ["runuser", "-u", _SERVER_USER, "--"]

    def _run(self, tool: str, *args: str) -> None:
        command = [*self._as_server_user, str(self.bin_dir / tool), *args]
        done = subprocess.run(
            command, capture_output=True, text=True, timeout=START_TIMEOUT_S, check=False
        )
        if done.returncode != 0:
            log = self.root / "server.log"
            tail = log.read_text(errors="replace")[-800:] if log.is_file() else ""
            raise RuntimeError(f"{tool} failed: {done.stderr.strip()[-800:]} {tail}")

    def start(self) -> None:
        self._run(
            "initdb",
            *("-D", str(self.data), "-U", "postgres", "-A", "trust"),
            *("-E", "UTF8", "--locale=C", "--no-sync"),
        )
        options = f"-F -p {self.port} -k {self.root} -c listen_addresses=127.0.0.1"
        self._run(
            "pg_ctl",
            *("-D", str(self.data), "-l", str(self.root / "server.log"), "-o", options),
            *("-w", "start"),
        )

    def stop(self) -> None:
        if (self.data / "postmaster.pid").is_file():
            self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "stop")
        shutil.rmtree(self.root, ignore_errors=True)

    def url(self, database: str = "postgres") -> str:
        return URL.create(
            "postgresql+psycopg",
            username="postgres",
            host="127.0.0.1",
            port=self.port,
            database=database,
        ).render_as_string()

    def new_database(self) -> str:
        """The URL of a new, empty database."""
        name = f"test_{next(self._names)}"
        engine = create_engine(self.url(), isolation_level="AUTOCOMMIT")
        try:
            with engine.connect() as conn:
                conn.execute(text(f'CREATE DATABASE "{name}"'))
        finally:
            engine.dispose()
        return self.url(name)


def _missing(reason: str) -> NoReturn:
    if REQUIRED:
        pytest.fail(f"{reason}, and SIM_REQUIRE_POSTGRES=1 requires PostgreSQL")
    pytest.skip(reason)


def server_or_skip() -> PostgresServer:
    """A server ready to start; the test skips (fails, when required) if it cannot be had."""
    bin_dir = find_bin_dir()
    if bin_dir is None:
        _missing("PostgreSQL is not installed (no initdb on PATH or in /usr/lib/postgresql)")
    if os.geteuid() == 0 and shutil.which("runuser") is None:
        _missing("running as root, PostgreSQL needs `runuser` to start as another user")
    return PostgresServer(bin_dir)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """One PostgreSQL for the whole run, started on first use."""
    server = server_or_skip()
    try:
        server.start()
        yield server
    finally:
        server.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest) -> str | None:
    """Run the test on each engine: None is the default (SQLite in SIM_DATA_DIR), else the URL
    of a fresh PostgreSQL database (for SIM_DATABASE_URL)."""
    if request.param == "sqlite":
        return None
    server: PostgresServer = request.getfixturevalue("postgres_server")
    return server.new_database()


@pytest.fixture
def session_db(database_url: str | None, tmp_path: Path) -> Path | str:
    """Where a store opens, on each engine: a SQLite file, or a fresh PostgreSQL database."""
    from simulator.interview.store import DB_NAME  # here: conftest imports this module early

    return database_url or tmp_path / DB_NAME


def run_sql(where: Path | str, statement: str, **params: object) -> list[tuple[object, ...]]:
    """Run one statement on the database at `where` (as a test that tampers with it would) and
    return its rows, if any."""
    url = URL.create("sqlite", database=str(where)) if isinstance(where, Path) else where
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            result = conn.execute(text(statement), params)
            return [tuple(row) for row in result] if result.returns_rows else []
    finally:
        engine.dispose()
