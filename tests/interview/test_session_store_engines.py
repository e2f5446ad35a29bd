"""Choosing the engine: SIM_DATABASE_URL selects PostgreSQL (or a SQLite file); a URL that names
no usable database, or a server that does not answer, is one line that never shows the password,
in the store and through the CLI."""

import socket
from pathlib import Path

import pytest

from simulator.base.errors import ConfigError, StorageError
from simulator.base.settings import load_settings
from simulator.cli.main import main
from simulator.interview.store import SessionStore, open_store
from tests.support import postgres
from tests.support.postgres import PostgresServer

PASSWORD = "hunter2-secret"


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])  # free again once closed: nothing listens there


@pytest.mark.parametrize(
    ("url", "says"),
    [
        (f"not a url {PASSWORD}", "not a database URL"),
        (f"postgresql+psycopg://me:{PASSWORD}@host:port/db", "not a database URL"),
        (f"mysql://me:{PASSWORD}@127.0.0.1/db", "'mysql' is not supported"),
        (f"postgresql+asyncpg://me:{PASSWORD}@127.0.0.1/db", "'postgresql+asyncpg' is not"),
        ("sqlite://", "a SQLite URL names a file: sqlite:///PATH"),
        ("sqlite:///:memory:", "a SQLite URL names a file: sqlite:///PATH"),
    ],
)
def test_a_url_that_names_no_usable_database_is_a_config_error(url: str, says: str) -> None:
    with pytest.raises(ConfigError) as err:
        SessionStore(url)
    message = str(err.value)
    assert message.startswith("bad setting SIM_DATABASE_URL:") and says in message
    assert "sqlite:///PATH" in message
    assert "\n" not in message and PASSWORD not in message


def test_an_unreachable_server_is_a_one_line_storage_error() -> None:
    url = f"postgresql+psycopg://me:{PASSWORD}@127.0.0.1:{_closed_port()}/sessions"
    with pytest.raises(StorageError) as err:
        SessionStore(url)
    message = str(err.value)
    assert message.startswith("postgresql+psycopg://me:***@127.0.0.1:")
    assert "session database error" in message and "refused" in message
    assert "\n" not in message and PASSWORD not in message


def test_a_plain_postgresql_url_uses_psycopg(postgres_server: PostgresServer) -> None:
    url = postgres_server.new_database()
    store = SessionStore(url.replace("postgresql+psycopg://", "postgresql://"))
    assert store.database.dialect == "postgresql"
    assert store.database.writer.dialect.driver == "psycopg"


def test_a_sqlite_url_names_a_file(tmp_path: Path) -> None:
    store = open_store(load_settings(database_url=f"sqlite:///{tmp_path / 'elsewhere.db'}"))
    assert store.database.dialect == "sqlite"
    assert (tmp_path / "elsewhere.db").is_file()


@pytest.mark.parametrize(
    "url",
    [
        f"postgresql+psycopg://me:{PASSWORD}@127.0.0.1:{_closed_port()}/sessions",
        f"mysql://me:{PASSWORD}@127.0.0.1/sessions",
    ],
    ids=["unreachable", "unsupported"],
)
def test_the_cli_says_so_in_one_line(
    url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SIM_DATABASE_URL", url)
    assert main(["interview", "--list"]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.count("\n") == 1 and err.startswith("error: ")
    assert "SIM_DATABASE_URL" in err or "session database error" in err
    assert PASSWORD not in err


@pytest.mark.parametrize(("required", "outcome"), [(False, "skip"), (True, "fail")])
def test_without_postgresql_its_tests_skip_unless_it_is_required(
    monkeypatch: pytest.MonkeyPatch, required: bool, outcome: str
) -> None:
    """.ci/run sets SIM_REQUIRE_POSTGRES=1: there a missing PostgreSQL fails, never skips."""
    monkeypatch.setattr(postgres, "find_bin_dir", lambda: None)
    monkeypatch.setattr(postgres, "REQUIRED", required)
    expected = pytest.fail.Exception if outcome == "fail" else pytest.skip.Exception
    with pytest.raises(expected, match="PostgreSQL is not installed"):
        postgres.server_or_skip()
