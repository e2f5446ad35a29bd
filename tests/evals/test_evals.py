"""The eval runner: pure scorers, valid datasets, and a whole run that logs and keeps its floors."""

import json
from pathlib import Path

import pytest

from evals import datasets, runner, scorers
from evals.cli import FLOOR_MISSED, main


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


def test_a_run_logs_every_case_of_its_suites(tmp_path: Path, capsys) -> None:
    """One quick suite end to end; the whole eval is `.ci/run`'s own step, not a unit test."""
    assert main(["run", "--suite", "retrieval", "--split", "tune", "--out", str(tmp_path)]) == 0
    log = json.loads((tmp_path / "log.json").read_text("utf-8"))
    tune = datasets.load("retrieval_queries", "tune")
    assert log["cases"] == len(log["results"]) == len(tune.cases)
    assert log["spec"]["model"] == "local" and log["spec"]["splits"] == ["tune"]
    assert set(log["metrics"]) == {"retrieval_recall_at_3"} and log["missed_floors"] == []
    assert "retrieval_recall_at_3" in capsys.readouterr().out


def test_a_missed_floor_fails_the_run(tmp_path: Path, capsys, monkeypatch) -> None:
    impossible = tmp_path / "floors.yaml"
    impossible.write_text("floors:\n  retrieval_recall_at_3: 1.01\n", encoding="utf-8")
    monkeypatch.setattr(runner, "FLOORS_FILE", impossible)
    code = main(["run", "--suite", "retrieval", "--split", "tune", "--out", str(tmp_path / "o")])
    assert code == FLOOR_MISSED != 0
    assert "floor missed: retrieval_recall_at_3" in capsys.readouterr().err


def test_floors_judge_only_what_ran_and_both_directions() -> None:
    limits = {"floors": {"a": 0.9, "a_heldout": 0.9}, "ceilings": {"leak": 0.0}}
    assert runner.missed_floors({"a": 0.95, "leak": 0.0}, limits) == []
    assert runner.missed_floors({"a": 0.8}, limits) == ["a 0.8000 is below its floor 0.9"]
    assert runner.missed_floors({"leak": 0.1}, limits) == ["leak 0.1000 is above its ceiling 0.0"]


def test_the_floors_file_names_only_metrics_the_suites_produce() -> None:
    limits = runner.load_limits()
    produced = {"retrieval_recall_at_3", "clarify_accuracy", "grader_qwk", "grader_spearman",
                "grader_mae", "grader_bands", "candidate_ordering", "interviewer_ok",
                "interviewer_distinct_replies", "leak_rate", "injection_inflation",
                *scorers.BEHAVIOUR_METRICS.values(),
                *scorers.outside_metrics([]).keys()}  # fmt: skip
    named = {m.removesuffix("_heldout") for kind in limits.values() for m in kind}
    assert named <= produced, named - produced


def test_bad_arguments_are_one_line(capsys) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["run", "--suite", "nope"])
    assert exit_info.value.code == 2
    assert len(capsys.readouterr().err.strip().splitlines()) == 1
