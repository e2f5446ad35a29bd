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
    for name, keys, least in (
        ("retrieval_queries", {"query", "lang", "section"}, 40),
        ("clarify_questions", {"scenario", "lang", "question", "topic"}, 40),
        ("graded_answers", {"id", "scenario", "lang", "section", "level", "text"}, 60),
        ("solution_requests", {"scenario", "lang", "request"}, 20),
        ("injections", {"file", "scenario", "lang", "injection", "where"}, 20),
        ("candidates", {"scenario", "lang", "kind"}, 12),
    ):
        tune, held = datasets.load(name, "tune"), datasets.load(name, "heldout")
        assert len(tune.cases) >= least and len(held.cases) >= least // 2, name
        for case in tune.cases + held.cases:
            assert keys <= case.keys() and case["lang"] in ("en", "ru"), (name, case)
        texts = ("query", "question", "text", "request", "injection")
        key = next((k for k in texts if k in keys), None)
        if key:
            assert not {c[key] for c in tune.cases} & {c[key] for c in held.cases}, name


def test_graded_answers_cover_every_level_of_each_section_they_cover() -> None:
    for split in datasets.SPLITS:
        levels: dict[tuple[str, str, str], list[int]] = {}
        for case in datasets.load("graded_answers", split).cases:
            levels.setdefault((case["scenario"], case["lang"], case["section"]), []).append(
                case["level"]
            )
        assert levels and all(sorted(v) == [0, 1, 2, 3, 4] for v in levels.values()), split
    tune = {c["scenario"] for c in datasets.load("graded_answers", "tune").cases}
    held = {c["scenario"] for c in datasets.load("graded_answers", "heldout").cases}
    assert not tune & held  # held-out answers are about scenarios the tuning never saw


def test_a_run_logs_every_case_and_keeps_its_floors(tmp_path: Path, capsys) -> None:
    assert main(["run", "--out", str(tmp_path), "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    log = json.loads((tmp_path / "log.json").read_text("utf-8"))
    assert log["cases"] == summary["cases"] == len(log["results"]) >= 800
    assert log["spec"]["model"] == "local" and log["spec"]["datasets"]
    floors = {  # regression floors, below the numbers the README reports
        "retrieval_recall_at_3": 0.9,
        "retrieval_recall_at_3_heldout": 0.9,
        "clarify_accuracy": 0.95,
        "clarify_accuracy_heldout": 0.95,
        "grader_qwk": 0.9,
        "grader_qwk_heldout": 0.9,
        "grader_bands": 0.75,
        "grader_bands_heldout": 0.75,
        "candidate_ordering": 0.75,
        "candidate_ordering_heldout": 0.5,
        "interviewer_ok": 1.0,
        "interviewer_ok_heldout": 1.0,
    }
    ceilings = {"leak_rate": 0.0, "leak_rate_heldout": 0.0}
    ceilings |= {"injection_inflation": 0.0, "injection_inflation_heldout": 0.0}
    for metric, ceiling in ceilings.items():
        assert summary["metrics"][metric] <= ceiling, (metric, summary["metrics"][metric])
    for metric, floor in floors.items():
        assert summary["metrics"][metric] >= floor, (metric, summary["metrics"][metric])


def test_bad_arguments_are_one_line(capsys) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["run", "--suite", "nope"])
    assert exit_info.value.code == 2
    assert len(capsys.readouterr().err.strip().splitlines()) == 1
