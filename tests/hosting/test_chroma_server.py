"""The Chroma server path (SIM_CHROMA_URL) for real: chromadb's own server (`chroma run`, shipped
with the pip package) on 127.0.0.1, the index built into it and searched, as compose runs it.

Skipped, with the reason, only when the server cannot start here."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from simulator.base.settings import load_settings
from simulator.kb.knowledge import load_knowledge
from simulator.retrieval.index import build_index, open_retriever

START_TIMEOUT_S = 30.0


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _chroma_command() -> str | None:
    beside = Path(sys.executable).with_name("chroma")
    return str(beside) if beside.is_file() else shutil.which("chroma")


@pytest.fixture(scope="module")
def chroma_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    command = _chroma_command()
    if command is None:
        pytest.skip("chromadb's `chroma` command is not installed")
    port = _free_port()
    folder = tmp_path_factory.mktemp("chroma-server")
    server = subprocess.Popen(
        [command, "run", "--path", str(folder / "db"), "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            try:
                with urllib.request.urlopen(f"{url}/api/v2/heartbeat", timeout=1):
                    break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    pytest.skip(f"the Chroma server did not start (exit status {server.poll()})")
                time.sleep(0.1)
        yield url
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def test_the_index_is_built_into_a_chroma_server_and_searched(
    chroma_url: str, tmp_path: Path
) -> None:
    # Two replicas of the app share one data folder (the pointer and the build lock) and one server.
    settings = load_settings(chroma_url=chroma_url, data_dir=tmp_path)
    kb = load_knowledge(settings.knowledge_dir)
    built = build_index(settings, kb)
    assert built.rebuilt and built.where == chroma_url
    assert built.chunks == 2 * len(kb.passages)  # one chunk per passage and language
    assert not (tmp_path / "index").exists()  # nothing went to a local chromadb folder

    again = build_index(settings, kb)
    assert not again.rebuilt and again.chunks == built.chunks

    retriever = open_retriever(settings, kb)
    hits = retriever.search("how to handle class imbalance: oversampling, SMOTE", k=3, lang="en")
    assert hits and hits[0].section == "data" and all(h.lang == "en" for h in hits)
    russian = retriever.search("квантизация и дистилляция модели для устройства", k=3)
    assert russian and all(h.lang == "ru" for h in russian)
    assert "serving" in {h.section for h in russian}
