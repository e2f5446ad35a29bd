"""The index is never left empty and called current, and a broken data folder gives one line.

`kill -9` lands at random points of `index build --force`; builders run at once; the catalogue
(`chroma.sqlite3`) is overwritten with junk; the data folder is a file or under one. The CLI runs
in processes forked from one that has imported it already (`tests/retrieval/cli_forks.py`), so a
kill lands in the build rather than in the imports, and a few checks run `python -m simulator`
itself. Tests run as root, so "not writable" is played by a path under a regular file.
"""

import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from simulator.base.errors import StorageError
from simulator.base.settings import load_settings
from simulator.kb.knowledge import load_knowledge
from simulator.retrieval.index import build_index, open_retriever
from tests.retrieval.cli_forks import ForkServer, Result
from tests.support.paths import ROOT

KILLS = 8
"""Kills per run at random moments of a build (the seed is printed on failure): each run tries
new moments, so CI runs add up to many more."""
QUERY = ("search", "class imbalance", "--k", "3", "--lang", "en", "--json")
CHUNKS = re.compile(r"^(?:built|index is up to date:) (\d+) chunks", re.MULTILINE)
BUILT = re.compile(r"^built \d+ chunks", re.MULTILINE)
UP_TO_DATE = re.compile(r"^index is up to date: \d+ chunks", re.MULTILINE)
FIX = "python -m simulator index build --force"


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """The environment of every CLI process: a copy of knowledge/, so that an edit made to it
    while the tests run does not change the digest and rebuild the index under them."""
    knowledge = tmp_path_factory.mktemp("kb") / "knowledge"
    shutil.copytree(ROOT / "knowledge", knowledge)
    return {**os.environ, "SIM_KNOWLEDGE_DIR": str(knowledge)}


@pytest.fixture(scope="module")
def forks(tmp_path_factory: pytest.TempPathFactory, env: dict[str, str]) -> Iterator[ForkServer]:
    server = ForkServer(tmp_path_factory.mktemp("forks"), env)
    yield server
    server.close()


@pytest.fixture(scope="module")
def clean_chunks(forks: ForkServer, tmp_path_factory: pytest.TempPathFactory) -> int:
    """How many chunks a clean build gives."""
    result = forks.run(tmp_path_factory.mktemp("clean"), "index", "build")
    assert result.code == 0, result.err
    return _chunks(result)


def _chunks(result: Result) -> int:
    found = CHUNKS.search(result.out)
    assert found, f"no chunk count in {result.out!r} (stderr {result.err!r})"
    return int(found.group(1))


def _assert_complete(
    forks: ForkServer, data: Path, chunks: int, context: str = "", current: bool = False
) -> None:
    """A plain `index build` ends with the whole index (finds it `current`, if asked), and
    `search` finds passages in it."""
    build = forks.run(data, "index", "build")
    assert build.code == 0 and "Traceback" not in build.err, f"{context}: {build}"
    assert _chunks(build) == chunks, f"{context}: {build.out}"
    assert not current or UP_TO_DATE.search(build.out), f"{context}: {build.out}"
    search = forks.run(data, *QUERY)
    assert search.code == 0, f"{context}: {search.err}"
    hits = json.loads(search.out)
    assert len(hits) == 3 and hits[0]["section"] == "data", f"{context}: {hits}"


def _one_line(result: Result, *needles: str) -> str:
    assert result.code == 2, result
    line = result.err.strip()
    assert len(line.splitlines()) == 1 and "Traceback" not in line, result.err
    for needle in needles:
        assert needle in line, line
    return line


def _python_m_simulator(env: dict[str, str], data: Path, *argv: str) -> Result:
    done = subprocess.run(
        [sys.executable, "-m", "simulator", *argv],
        cwd=ROOT,
        env={**env, "SIM_DATA_DIR": str(data)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    return Result(done.returncode, done.stdout, done.stderr)


def test_kill_9_during_forced_builds_never_leaves_an_empty_current_index(
    forks: ForkServer, clean_chunks: int, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    assert forks.run(data, "index", "build").code == 0
    started = time.perf_counter()
    assert forks.run(data, "index", "build", "--force").code == 0
    span = time.perf_counter() - started  # a kill lands anywhere in it, or just after
    seed = random.randrange(2**32)
    rng = random.Random(seed)
    killed = attempt = 0
    # A build may run faster than the one timed (the other test workers come and go): a kill
    # that lands after the build ended shrinks the span to the time it waited, and more tries
    # are drawn, so that KILLS kills land in the build on a loaded machine too.
    while killed < KILLS and attempt < 3 * KILLS:
        attempt += 1
        child = forks.spawn(data, "index", "build", "--force")
        wait = rng.uniform(0.0, span)
        time.sleep(wait)
        os.kill(child.pid, signal.SIGKILL)
        landed = forks.wait(child).code == -signal.SIGKILL
        killed += landed
        span = span if landed else wait
        # The killed build never touched the index in use: it is still complete and current.
        context = f"seed {seed}, try {attempt}"
        _assert_complete(forks, data, clean_chunks, context, current=True)
    assert killed == KILLS, f"seed {seed}: only {killed} of {attempt} kills landed in the build"
    # Collections of the killed builds were dropped by a later one; no folder of theirs is left.
    assert forks.run(data, "index", "build", "--force").code == 0
    folders = [p for p in (data / "index").iterdir() if p.is_dir()]
    assert len(folders) == 1, folders


def test_concurrent_builders_on_a_new_folder_build_it_once(
    forks: ForkServer, clean_chunks: int, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    children = [forks.spawn(data, "index", "build") for _ in range(3)]
    results = [forks.wait(child) for child in children]
    assert all(r.code == 0 and r.err == "" for r in results), results
    assert all(_chunks(r) == clean_chunks for r in results)
    # One builds; the others wait for its lock (or come later) and find the index current.
    assert sum(bool(BUILT.search(r.out)) for r in results) == 1, results
    _assert_complete(forks, data, clean_chunks, current=True)


def test_forced_builders_and_searches_at_once_end_with_a_complete_index(
    forks: ForkServer, clean_chunks: int, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    assert forks.run(data, "index", "build").code == 0
    builders = [forks.spawn(data, "index", "build", "--force") for _ in range(3)]
    searches = [forks.spawn(data, *QUERY) for _ in range(2)]
    for result in (forks.wait(child) for child in builders):
        assert result.code == 0 and result.err == "", result
        assert BUILT.search(result.out) and _chunks(result) == clean_chunks, result
    for result in (forks.wait(child) for child in searches):
        assert result.code == 0 and len(json.loads(result.out)) == 3, result
    _assert_complete(forks, data, clean_chunks, current=True)


def test_a_damaged_catalogue_gives_one_line_and_force_repairs_it(
    forks: ForkServer, env: dict[str, str], clean_chunks: int, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    assert forks.run(data, "index", "build").code == 0
    (data / "index" / "chroma.sqlite3").write_bytes(random.Random(7).randbytes(64 * 1024))
    expected = ("/index cannot be opened (file is not a database)", FIX)
    line = _one_line(_python_m_simulator(env, data, *QUERY), *expected)
    assert line.startswith("error: the retrieval index at ")
    _one_line(forks.run(data, "index", "build"), *expected)
    repair = forks.run(data, "index", "build", "--force")
    assert repair.code == 0, repair
    assert "removing the damaged index" in repair.out and _chunks(repair) == clean_chunks
    _assert_complete(forks, data, clean_chunks)


def test_a_truncated_catalogue_is_repaired_by_force(
    forks: ForkServer, clean_chunks: int, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    assert forks.run(data, "index", "build").code == 0
    catalogue = data / "index" / "chroma.sqlite3"
    catalogue.write_bytes(catalogue.read_bytes()[: catalogue.stat().st_size // 3])
    _one_line(forks.run(data, *QUERY), "cannot be opened", FIX)
    assert forks.run(data, "index", "build", "--force").code == 0
    _assert_complete(forks, data, clean_chunks)


def test_a_lost_pointer_or_collection_is_rebuilt_without_force(
    forks: ForkServer, clean_chunks: int, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    assert forks.run(data, "index", "build").code == 0
    pointer = data / "index" / "current.json"
    pointer.write_text("{not json", encoding="utf-8")
    assert BUILT.search(forks.run(data, "index", "build").out)
    recorded = json.loads(pointer.read_text(encoding="utf-8"))
    pointer.write_text(json.dumps({**recorded, "chunks": recorded["chunks"] + 1}), "utf-8")
    assert BUILT.search(forks.run(data, "index", "build").out)  # the count does not match
    _assert_complete(forks, data, clean_chunks)


@pytest.mark.parametrize("where", ["file", "under_file"])
def test_an_unusable_data_folder_gives_one_line(
    forks: ForkServer, env: dict[str, str], tmp_path: Path, where: str
) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the data folder should be\n", encoding="utf-8")
    data = blocker if where == "file" else blocker / "data"
    script = tmp_path / "answers.txt"
    script.write_text("How much data do we have?\n", encoding="utf-8")
    needles = (f"the data folder {data} ", "not a folder: point SIM_DATA_DIR at a folder")
    if where == "file":  # `python -m simulator` itself, once; forked children for the rest
        _one_line(_python_m_simulator(env, data, "index", "build"), *needles)
    for argv in (QUERY, ("interview", "--script", str(script), "--json"), ("index", "build")):
        _one_line(forks.run(data, *argv), *needles)
    assert blocker.is_file()


def test_a_long_lived_retriever_follows_rebuilds_and_repairs(tmp_path: Path) -> None:
    """The app keeps its retriever: a forced rebuild drops the collection it was reading, and a
    repair removes the whole folder under it; its next search finds the new index."""
    settings = load_settings(data_dir=tmp_path)
    kb = load_knowledge(settings.knowledge_dir)
    retriever = open_retriever(settings, kb)
    assert retriever.search("class imbalance", lang="en")
    assert build_index(settings, kb, force=True).rebuilt
    assert retriever.search("class imbalance", lang="en")[0].section == "data"
    (tmp_path / "index" / "chroma.sqlite3").write_bytes(b"\0junk" * 4096)
    with pytest.raises(StorageError, match="index build --force"):
        build_index(settings, kb)
    assert build_index(settings, kb, force=True, progress=lambda line: None).rebuilt
    assert retriever.search("class imbalance", lang="en")[0].section == "data"
