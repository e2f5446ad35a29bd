"""The benchmark's own arithmetic: percentiles, verdicts, and counting both strategies alike.

Timing targets are reported by `python -m evals bench`, never asserted here.
"""

from __future__ import annotations

from pathlib import Path

from evals.bench import (
    RecordingLocalModel,
    cheat_sheet,
    naive_prompt,
    percentile,
    run_interview,
    token_budget,
    verdicts,
)
from evals.bench_script import BENCH_MESSAGES
from simulator.base.settings import load_settings
from simulator.interview.interviewer import Interviewer
from simulator.kb.knowledge import load_knowledge
from simulator.llm.prompting import parse_blocks


def test_percentile_is_nearest_rank() -> None:
    values = [float(v) for v in range(1, 101)]
    assert percentile(values, 0.95) == 95.0
    assert percentile(values, 0.5) == 50.0
    assert percentile([7.0], 0.95) == 7.0
    assert percentile([3.0, 1.0, 2.0], 1.0) == 3.0


def test_verdicts_miss_above_the_target_or_when_not_measured() -> None:
    results = {
        "turn_ms_p95": 20.0,
        "grade_ms_p95": 100.1,
        "index_build_s": None,
        "topic_model_train_s": 14.9,
        "topic_model_load_s": 1.2,
        "token_ratio": 0.1,
    }
    assert verdicts(results) == {
        "turn_ms_p95": "PASS",
        "grade_ms_p95": "MISS",
        "index_build_s": "MISS",
        "topic_model_train_s": "PASS",
        "topic_model_load_s": "MISS",
        "token_ratio": "PASS",
    }


def test_the_interview_records_every_call_and_both_strategies_count_the_same_calls(
    tmp_path: Path,
) -> None:
    settings = load_settings(data_dir=tmp_path, model="local")
    kb = load_knowledge(settings.knowledge_dir)
    model = RecordingLocalModel()
    run = run_interview(Interviewer(kb=kb, model=model, settings=settings), model)

    # The script runs to its end, or until every section has had content and the interviewer
    # may close (the local model does so a message early).
    assert len(BENCH_MESSAGES) - 2 <= len(run.turn_ms) <= len(BENCH_MESSAGES)
    assert [p for p, _ in run.calls] == model.prompts
    # One model call per turn (the decision and its reply), one to grade, and perhaps a summary
    # of older turns; the guard's classifier runs locally and is never sent to the model.
    tasks = [parse_blocks(p).get("task", "").strip() for p, _ in run.calls]
    answered = [t for t in run.session.turns if t.role == "candidate"]
    assert len(answered) == len(run.turn_ms)
    assert tasks.count("interviewer_turn") == len(answered), (
        f"{tasks.count('interviewer_turn')} turn calls recorded for {len(answered)} turns"
    )
    assert tasks.count("grade") == 1 and tasks[-1] == "grade"
    assert set(tasks) <= {"interviewer_turn", "summarize", "grade"}
    known = [k for _, k in run.calls]
    assert known == sorted(known) and known[-1] <= len(run.session.turns)

    sheet = cheat_sheet(kb, "en")
    assert all(p.text("en") in sheet for p in kb.passages)
    first = naive_prompt(run.session, 2, sheet)
    assert first.startswith(sheet) and run.session.turns[1].text in first
    assert run.session.turns[2].text not in first

    ours, naive = token_budget(run, kb)
    assert ours > 0 and naive > 0
    assert naive > len(run.calls) * 1000  # the whole cheat sheet went into every naive call
