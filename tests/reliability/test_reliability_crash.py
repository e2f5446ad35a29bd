"""Crash and resume: `kill -9` a process in the middle of an interview, then carry on from the
database, on each engine (SQLite in SIM_DATA_DIR, PostgreSQL through SIM_DATABASE_URL).

Every turn completed before the kill is in the database, intact and in order; the interview can
be resumed (the unanswered message is answered first) and finished.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from simulator.base.settings import PROJECT_ROOT, load_settings
from simulator.interview.store import DB_NAME, open_store
from simulator.services import open_interviewer
from tests.support.paths import ROOT
from tests.support.reliability import MESSAGES

DRIVER = ROOT / "tests" / "support" / "reliability_driver.py"
WAIT_S = 60.0


@pytest.fixture
def driver_env(tmp_path: Path, database_url: str | None) -> dict[str, str]:
    env = dict(os.environ, SIM_DATA_DIR=str(tmp_path), PYTHONPATH=str(PROJECT_ROOT))
    if database_url:
        env["SIM_DATABASE_URL"] = database_url
    env.pop("OPENAI_API_KEY", None)
    return env


def start_driver(mode: str, env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, str(DRIVER), mode, *MESSAGES],
        cwd=PROJECT_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def read_until(proc: subprocess.Popen[str], wanted: str) -> list[str]:
    """The driver's output lines up to and including the first that starts with `wanted`."""
    assert proc.stdout is not None
    lines: list[str] = []
    deadline = time.monotonic() + WAIT_S
    while time.monotonic() < deadline:
        line = proc.stdout.readline().strip()
        if not line and proc.poll() is not None:
            break
        lines.append(line)
        if line.startswith(wanted):
            return lines
    assert proc.stderr is not None
    pytest.fail(f"driver never printed {wanted!r}: {lines} {proc.stderr.read()[-500:]}")


def kill_hard(proc: subprocess.Popen[str]) -> None:
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=10)
    assert proc.returncode == -signal.SIGKILL


@pytest.fixture
def procs() -> Iterator[list[subprocess.Popen[str]]]:
    started: list[subprocess.Popen[str]] = []
    yield started
    for proc in started:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)


def test_a_kill_mid_turn_loses_nothing_completed_and_the_interview_resumes(
    driver_env: dict[str, str],
    tmp_path: Path,
    database_url: str | None,
    procs: list[subprocess.Popen[str]],
) -> None:
    proc = start_driver("stall-after-accept:2", driver_env)
    procs.append(proc)
    session_id = read_until(proc, "session")[0].split()[1]
    read_until(proc, "stalled")  # messages 0 and 1 answered, message 2 saved, its reply pending
    kill_hard(proc)

    settings = load_settings(data_dir=tmp_path, model="local", database_url=database_url)
    store = open_store(settings)
    saved = store.load(session_id)
    assert [t.text for t in saved.turns if t.role == "candidate"] == list(MESSAGES)
    roles = [t.role for t in saved.turns]
    assert roles == [
        "interviewer",
        "candidate",
        "interviewer",
        "candidate",
        "interviewer",
        "candidate",
    ]
    assert saved.awaiting_reply() and saved.status == "active"

    interviewer = open_interviewer(settings, store=store)
    reply = "".join(interviewer.respond(saved))
    assert reply.strip()
    list(interviewer.finish(saved))
    resumed = store.load(session_id)
    assert resumed.status == "finished" and resumed.report is not None
    assert [t.text for t in resumed.turns[: len(roles)]] == [
        t.text for t in saved.turns[: len(roles)]
    ]


def test_a_kill_at_an_arbitrary_moment_leaves_a_consistent_database(
    driver_env: dict[str, str],
    tmp_path: Path,
    database_url: str | None,
    procs: list[subprocess.Popen[str]],
) -> None:
    proc = start_driver("loop", driver_env)
    procs.append(proc)
    read_until(proc, "turn 7")
    time.sleep(0.013)  # somewhere inside a later turn, possibly inside a write
    kill_hard(proc)

    if database_url is None:
        with sqlite3.connect(tmp_path / DB_NAME) as conn:
            assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    store = open_store(load_settings(data_dir=tmp_path, database_url=database_url))
    summaries = store.list()
    assert summaries
    for summary in summaries:
        session = store.load(summary.id)
        assert len(session.turns) == summary.turns
        # Turns alternate from the opening; a candidate turn is last only while its reply is due.
        for seq, turn in enumerate(session.turns):
            assert turn.role == ("interviewer" if seq % 2 == 0 else "candidate")
        candidate = [t.text for t in session.turns if t.role == "candidate"]
        assert candidate == [MESSAGES[i % len(MESSAGES)] for i in range(len(candidate))]
