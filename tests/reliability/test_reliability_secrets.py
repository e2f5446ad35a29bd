"""Secrets: a recognisable fake API key, configured and used, never shows up anywhere we write.

The key is set the way a person sets it (OPENAI_API_KEY, with OPENAI_BASE_URL at the fake
server); then an interview, a failed call, reports in every format, the JSON exports and the
logs (everything, at DEBUG) are searched for it — and for its distinctive middle part.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from simulator.base.errors import ModelError
from simulator.base.settings import load_settings
from simulator.cli.main import main
from simulator.interview.store import DB_NAME
from simulator.llm.backends import get_chat_model
from simulator.services import open_interviewer
from tests.support.fake_openai_server import status
from tests.support.reliability import MESSAGES, SCENARIO, CompetentFakeServer

CANARY = "sk-test-SECRET-canary-1234"
FRAGMENTS = (CANARY, "SECRET-canary", CANARY.encode().hex())


def leaks(text: str | bytes) -> list[str]:
    raw = text if isinstance(text, bytes) else text.encode("utf-8", "replace")
    return [f for f in FRAGMENTS if f.encode() in raw]


@pytest.fixture
def server() -> Iterator[CompetentFakeServer]:
    fake = CompetentFakeServer()
    with fake:
        yield fake


@pytest.fixture
def keyed(server: CompetentFakeServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("OPENAI_API_KEY", CANARY)
    monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
    monkeypatch.setenv("SIM_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("SIM_MODEL", "openai:fake")
    monkeypatch.setenv("SIM_LLM_TIMEOUT", "2")
    monkeypatch.setenv("SIM_LLM_RETRIES", "0")
    return tmp_path


def test_the_key_is_nowhere_we_write(
    keyed: Path,
    server: CompetentFakeServer,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
) -> None:
    caplog.set_level(logging.DEBUG)
    settings = load_settings()
    model = get_chat_model("openai:fake", settings)
    assert model.openai_api_key.get_secret_value() == CANARY  # type: ignore[attr-defined]

    # An interview on the keyed model, one of its calls refused for the key.
    interviewer = open_interviewer(settings)
    session = interviewer.start(SCENARIO, "en", model_spec="openai:fake")
    errors: list[str] = []
    for index, message in enumerate(MESSAGES):
        if index == 1:
            server.stream_faults.append(status(401, f"Incorrect API key provided: {CANARY}"))
        interviewer.accept(session, message)
        try:
            list(interviewer.respond(session))
        except ModelError as exc:
            errors.append(str(exc))
            list(interviewer.respond(session))
    list(interviewer.finish(session))
    assert errors, "the refused call never happened"
    assert len(server.requests) > 3

    # Every file the CLI writes or prints: reports in each format, the JSON exports.
    design = keyed / "design.txt"
    design.write_text("We track AUC offline and CTR online, with an A/B test.", encoding="utf-8")
    script = keyed / "script.txt"
    script.write_text("\n---\n".join(MESSAGES), encoding="utf-8")
    outputs = []
    for fmt in ("md", "json", "html"):
        out = keyed / f"report.{fmt}"
        assert main(["grade", str(design), "--format", fmt, "--out", str(out)]) == 0
        outputs.append(out.read_text(encoding="utf-8"))
    assert main(["grade", str(design), "--json"]) == 0
    assert main(["interview", "--script", str(script), "--json"]) == 0
    assert main(["interview", "--list", "--json"]) == 0
    printed = capsys.readouterr()

    found = {
        "error messages": leaks("\n".join(errors)),
        "reports": leaks("\n".join(outputs)),
        "stdout/stderr": leaks(printed.out + printed.err),
        "logs": leaks("\n".join(r.getMessage() for r in caplog.records)),
        "session contract": leaks(str(session.contract()) + session.model_dump_json()),
    }
    data = keyed / "data"
    for path in sorted(data.rglob("*")):
        if path.is_file():
            found[str(path.relative_to(data))] = leaks(path.read_bytes())
    assert (data / DB_NAME).is_file()
    assert {where: hits for where, hits in found.items() if hits} == {}
