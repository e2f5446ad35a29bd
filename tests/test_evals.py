"""The eval runner: pure scorers, valid datasets, and a whole run that logs and keeps its floors."""

import json
from pathlib import Path

import pytest

from evals import datasets, scorers
from evals.cli import main


def test_scorers_are_pure_and_explain_themselves() -> None:
    case = {"section": "data"}
    assert scorers.section_in_top_k(case, ["model", "data"]).value == 1.0
    miss = scorers.section_in_top_k(case, ["model"])
    assert miss.value == 0.0 and "data" in miss.explanation
    assert scorers.disclosed_right_facts({"topic": None}, []).value == 1.0
    assert scorers.disclosed_right_facts({"topic": ["a", "b"]}, ["b", "a"]).value == 1.0
    assert scorers.disclosed_right_facts({"topic": "a"}, ["a", "b"]).value == 0.0
    assert scorers.mean([scorers.Score(1, ""), scorers.Score(0, "")]) == 0.5


def test_datasets_are_valid_and_split() -> None:
    for name, keys in (
        ("retrieval_queries", {"query", "lang", "section"}),
        ("clarify_questions", {"scenario", "lang", "question", "topic"}),
    ):
        tune, held = datasets.load(name, "tune"), datasets.load(name, "heldout")
        assert len(tune.cases) >= 40 and len(held.cases) >= 40
        for case in tune.cases + held.cases:
            assert keys <= case.keys() and case["lang"] in ("en", "ru")
        texts = {c.get("query") or c.get("question") for c in tune.cases}
        assert not texts & {c.get("query") or c.get("question") for c in held.cases}


def test_a_run_logs_every_case_and_keeps_its_floors(tmp_path: Path, capsys) -> None:
    assert main(["run", "--out", str(tmp_path), "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    log = json.loads((tmp_path / "log.json").read_text("utf-8"))
    assert log["cases"] == summary["cases"] == len(log["results"]) >= 250
    assert log["spec"]["model"] == "local" and log["spec"]["datasets"]
    floors = {
        "grader_bands": 0.5,
        "retrieval_recall_at_3": 0.9,
        "retrieval_recall_at_3_heldout": 0.85,
        "clarify_accuracy": 0.95,
        "clarify_accuracy_heldout": 0.85,
    }
    for metric, floor in floors.items():
        assert summary["metrics"][metric] >= floor, (metric, summary["metrics"])


def test_bad_arguments_are_one_line(capsys) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["run", "--suite", "nope"])
    assert exit_info.value.code == 2
    assert len(capsys.readouterr().err.strip().splitlines()) == 1
