"""Concurrency: 20 interviews at once against one database, none losing or mixing turns, on each
engine (SQLite in SIM_DATA_DIR, PostgreSQL through SIM_DATABASE_URL).

Threads share one interviewer and one store (as the Streamlit server does); processes each open
their own (as several terminals, or app replicas on one PostgreSQL, do). Every message carries
its interview's tag, so a turn saved under the wrong session, or lost, shows.
"""

from __future__ import annotations

import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from simulator.base.settings import PROJECT_ROOT, load_settings
from simulator.interview.interviewer import Interviewer
from simulator.interview.store import open_store
from simulator.services import open_interviewer
from tests.support.paths import ROOT
from tests.support.reliability import MESSAGES, SCENARIO

THREADS = 18
PROCESSES = 2
"""Two processes write beside each other and beside the threads; each more costs a start-up of
the whole stack (about 7 s of CPU) and adds no kind of contention."""
FINISHED_EVERY = 4
"""Every fourth thread also finishes its interview (graded, the report saved) while the others
still talk: grading is the costly part of an interview, and a few at once make every kind of
write that all would."""
DRIVER = ROOT / "tests" / "support" / "reliability_driver.py"


def tagged(tag: str) -> list[str]:
    return [f"[{tag}] {m}" for m in MESSAGES]


def interview_in_thread(interviewer: Interviewer, n: int) -> tuple[str, str]:
    session = interviewer.start(SCENARIO, "en")
    for message in tagged(f"t{n}"):
        list(interviewer.reply(session, message))
    if n % FINISHED_EVERY == 0:
        list(interviewer.finish(session))
    return f"t{n}", session.id


def test_twenty_interviews_at_once_keep_their_own_turns(
    tmp_path: Path, database_url: str | None
) -> None:
    settings = load_settings(data_dir=tmp_path, model="local", database_url=database_url)
    store = open_store(settings)
    interviewer = open_interviewer(settings, store=store)
    env = dict(os.environ, SIM_DATA_DIR=str(tmp_path), PYTHONPATH=str(PROJECT_ROOT))
    if database_url:
        env["SIM_DATABASE_URL"] = database_url
    procs = [
        subprocess.Popen(
            [sys.executable, str(DRIVER), "once", *tagged(f"p{n}")],
            cwd=PROJECT_ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for n in range(PROCESSES)
    ]
    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        by_tag = dict(pool.map(lambda n: interview_in_thread(interviewer, n), range(THREADS)))
    for n, proc in enumerate(procs):
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err[-500:]
        by_tag[f"p{n}"] = out.splitlines()[0].split()[1]

    assert len(set(by_tag.values())) == THREADS + PROCESSES
    saved = {s.id: s for s in store.list()}
    assert set(saved) == set(by_tag.values())
    for tag, session_id in by_tag.items():
        session = store.load(session_id)
        candidate = [t.text for t in session.turns if t.role == "candidate"]
        assert candidate == tagged(tag)
        assert [t.role for t in session.turns[:7]] == ["interviewer", "candidate"] * 3 + [
            "interviewer"
        ]
        assert saved[session_id].turns == len(session.turns)
        finished = tag.startswith("t") and int(tag[1:]) % FINISHED_EVERY == 0
        assert (session.status == "finished") == finished
        assert (session.report is not None) == finished
        assert saved[session_id].overall == (session.report.overall if session.report else None)
