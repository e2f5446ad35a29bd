"""`evals run --concurrency N` and the response cache, against the loopback fake model server.

Behaviour only: requests really overlap (and never more than N), results do not depend on N,
an unchanged rerun sends nothing, a 429 is retried by the SDK and never kept, and tokens and
cost are tallied per suite. How much faster N=8 is than N=1 is `python -m evals bench`'s row
(evals_speedup), not a timed test.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from evals import datasets, runner
from evals.bench_concurrency import EMPTY_GRADE
from evals.cli import main
from evals.response_cache import CACHE_FILE
from simulator.base.settings import Settings, load_settings
from simulator.llm.tokens import estimate_cost
from tests.support.fake_openai_server import FakeOpenAIServer, status, structured

SUITE, SPLIT = "bands", "heldout"
MODEL = "openai:gpt-4o-mini"
"""A model with a listed price, so the run has a cost to report."""


def _settings(server: FakeOpenAIServer, data_dir: Path) -> Settings:
    return load_settings(openai_base_url=server.base_url, data_dir=data_dir)


def _run(settings: Settings, out: Path, *, concurrency: int, cache: bool) -> dict[str, Any]:
    runner.run(settings, MODEL, [SUITE], out, [SPLIT], concurrency=concurrency, cache=cache)
    log: dict[str, Any] = json.loads((out / "log.json").read_text("utf-8"))
    return log


def test_requests_overlap_up_to_the_concurrency_and_results_keep_case_order(
    tmp_path: Path,
) -> None:
    cases = datasets.load("grader_bands", SPLIT).cases
    with FakeOpenAIServer(delay=0.05, repeat=structured(EMPTY_GRADE)) as server:
        settings = _settings(server, tmp_path / "data")
        alone = _run(settings, tmp_path / "one", concurrency=1, cache=False)
        assert server.max_in_flight == 1
        together = _run(settings, tmp_path / "four", concurrency=4, cache=False)
        assert 2 <= server.max_in_flight <= 4
        assert len(server.requests) == 2 * len(cases)
    assert [r["case"] for r in together["results"]] == cases
    assert together["results"] == alone["results"]
    assert together["metrics"] == alone["metrics"]


def test_the_local_model_gives_the_same_results_at_any_concurrency(tmp_path: Path) -> None:
    settings = load_settings(data_dir=tmp_path / "data")
    logs = []
    for concurrency in (1, 6):
        out = tmp_path / str(concurrency)
        runner.run(settings, "local", ["retrieval"], out, ["tune"], concurrency=concurrency)
        logs.append(json.loads((out / "log.json").read_text("utf-8")))
    assert logs[0]["results"] == logs[1]["results"]
    assert logs[0]["metrics"] == logs[1]["metrics"]
    assert logs[0]["usage"]["retrieval"]["requests"] == 0  # the local model sends nothing


def test_an_unchanged_rerun_is_answered_from_the_cache_and_costs_nothing(tmp_path: Path) -> None:
    cases = datasets.load("grader_bands", SPLIT).cases
    with FakeOpenAIServer(repeat=structured(EMPTY_GRADE)) as server:
        settings = _settings(server, tmp_path / "data")
        first = _run(settings, tmp_path / "first", concurrency=3, cache=True)
        sent = len(server.requests)
        again = _run(settings, tmp_path / "again", concurrency=3, cache=True)
        assert len(server.requests) == sent == len(cases)  # the rerun sent nothing
        _run(settings, tmp_path / "uncached", concurrency=3, cache=False)
        assert len(server.requests) == 2 * len(cases)  # --no-cache sends every request
    assert (tmp_path / "data" / CACHE_FILE).is_file()
    assert again["results"] == first["results"]

    usage, reused = first["usage"][SUITE], again["usage"][SUITE]
    assert usage["requests"] == len(cases) and usage["cached"] == 0
    assert usage["input_tokens"] > 0 and usage["output_tokens"] == 7 * len(cases)
    assert usage["approximate"] is False  # non-streamed replies report their usage
    expected = estimate_cost(MODEL, usage["input_tokens"], usage["output_tokens"])
    assert expected is not None and usage["cost_usd"] == pytest.approx(expected, abs=1e-6)
    assert reused["requests"] == 0 and reused["cached"] == len(cases)
    assert reused["input_tokens"] == reused["output_tokens"] == 0 and reused["cost_usd"] == 0
    assert reused["cached_tokens"] == usage["input_tokens"] + usage["output_tokens"]


def test_a_429_is_retried_by_the_sdk_and_never_kept(tmp_path: Path) -> None:
    cases = datasets.load("grader_bands", SPLIT).cases
    with FakeOpenAIServer(status(429, "slow down"), repeat=structured(EMPTY_GRADE)) as server:
        settings = _settings(server, tmp_path / "data")
        first = _run(settings, tmp_path / "first", concurrency=4, cache=True)
        assert len(server.requests) == len(cases) + 1  # one retry, after the server's Retry-After
        _run(settings, tmp_path / "again", concurrency=4, cache=True)
        assert len(server.requests) == len(cases) + 1
    assert first["usage"][SUITE]["requests"] == len(cases)


def test_the_run_summary_prints_tokens_and_says_when_there_is_no_price(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with FakeOpenAIServer(repeat=structured(EMPTY_GRADE)) as server:
        monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
        monkeypatch.setenv("SIM_DATA_DIR", str(tmp_path / "data"))
        argv = ["run", "--model", "openai:my-own-model", "--suite", SUITE, "--split", SPLIT,
                "--concurrency", "4", "--out", str(tmp_path / "out")]  # fmt: skip
        main(argv)
    out = capsys.readouterr().out
    row = next(line.split() for line in out.splitlines() if line.startswith(SUITE + " "))
    cases = len(datasets.load("grader_bands", SPLIT).cases)
    assert row[1:3] == [str(cases), "0"] and row[5] == "n/a"
    assert "no price for openai:my-own-model" in out and "tokens only" in out
    log = json.loads((tmp_path / "out" / "log.json").read_text("utf-8"))
    assert log["spec"]["concurrency"] == 4 and log["usage"][SUITE]["cost_usd"] is None


@pytest.mark.parametrize("value", ["0", "65", "eight"])
def test_a_bad_concurrency_is_one_line(value: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["run", "--suite", "retrieval", "--concurrency", value])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "1..64" in err[0]
