"""Test-wide guards: loopback-only network, no real model calls, HOME in a temp folder."""

import os
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

# The session-database engines (SQLite, a throwaway PostgreSQL) as fixtures for every folder.
from tests.support.postgres import database_url, postgres_server, session_db  # noqa: F401

_real_connect = socket.socket.connect
_real_connect_ex = socket.socket.connect_ex
_LOOPBACK = {"127.0.0.1", "::1", "localhost"}


class NetworkBlocked(RuntimeError):
    pass


def _check(address: object) -> None:
    if isinstance(address, tuple) and address and address[0] not in _LOOPBACK:
        raise NetworkBlocked(f"tests may only connect to loopback, not {address!r}")


def _guarded_connect(self: socket.socket, address: object) -> None:
    _check(address)
    return _real_connect(self, address)


def _guarded_connect_ex(self: socket.socket, address: object) -> int:
    _check(address)
    return _real_connect_ex(self, address)


socket.socket.connect = _guarded_connect  # type: ignore[method-assign]
socket.socket.connect_ex = _guarded_connect_ex  # type: ignore[method-assign]


@pytest.fixture(autouse=True, scope="session")
def _isolated_environment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """HOME, caches and data dir in a temp folder; no key or server from the real environment."""
    root = tmp_path_factory.mktemp("env")
    saved = dict(os.environ)
    for key in list(os.environ):
        if key.startswith(("SIM_", "OPENAI_")):
            del os.environ[key]
    os.environ.update(
        HOME=str(root / "home"),
        XDG_CACHE_HOME=str(root / "cache"),
        TIKTOKEN_CACHE_DIR=str(root / "tiktoken"),
        SIM_DATA_DIR=str(root / "data"),
        SIM_ENV_FILE="",  # a developer's .env in the repository must not change what tests run
        ANONYMIZED_TELEMETRY="False",
    )
    (root / "home").mkdir()
    try:
        yield root
    finally:
        os.environ.clear()
        os.environ.update(saved)


@pytest.fixture(autouse=True)
def _no_real_model_calls(monkeypatch: pytest.MonkeyPatch) -> None:
    """The switch that forbids real model calls: only loopback OpenAI-compatible servers."""
    from simulator.llm import backends as llm

    monkeypatch.setattr(llm, "ALLOW_REMOTE_MODEL_REQUESTS", False)
