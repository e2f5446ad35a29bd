"""`python -m evals relay`: the recorded real-model grades beside the local grader's."""

import json
from pathlib import Path

from evals.cli import main
from evals.relay import CASSETTES


def test_every_recorded_answer_is_compared_section_by_section(capsys) -> None:
    assert main(["relay", "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    answers = len(list(CASSETTES.glob("grade_*.json")))
    assert summary["answers"] == answers >= 12 and summary["sections"] == 6 * answers
    pairs = {"real_vs_writers", "local_vs_writers", "real_vs_local"}
    assert set(summary) == {"answers", "sections"} | pairs
    assert all(-1 <= summary[pair]["spearman"] <= 1 for pair in pairs)


def test_a_model_that_agrees_with_the_writers_scores_one(tmp_path: Path, capsys) -> None:
    """The real model's scores are the ones in the recorded reply: set them to the writers'
    labels and that pair agrees perfectly."""
    for path in sorted(CASSETTES.glob("grade_*.json"))[:3]:
        cassette = json.loads(path.read_text("utf-8"))
        reply = json.loads(cassette["calls"][-1]["reply"]["content"])
        for section in reply["sections"]:
            section["score"] = cassette["coverage"][section["id"]]
        cassette["calls"][-1]["reply"]["content"] = json.dumps(reply)
        (tmp_path / path.name).write_text(json.dumps(cassette), "utf-8")
    assert main(["relay", "--cassettes", str(tmp_path), "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["sections"] == 18
    assert summary["real_vs_writers"] == {"spearman": 1.0, "qwk": 1.0}


def test_no_cassettes_is_one_line_not_a_traceback(tmp_path: Path, capsys) -> None:
    assert main(["relay", "--cassettes", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: no grade cassettes in") and err.count("\n") == 1
