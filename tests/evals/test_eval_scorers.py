"""Scorers and aggregates of the eval suites: pure functions checked on hand-worked cases."""

import pytest

from evals import scorers
from evals.scorers import Score
from simulator.base.textnorm import Terms


def test_qwk_is_one_for_agreement_and_falls_with_distance() -> None:
    ref = [0, 1, 2, 3, 4, 0, 1, 2, 3, 4]
    assert scorers.qwk(ref, ref) == 1.0
    off_by_one = scorers.qwk(ref, [min(r + 1, 4) for r in ref])
    off_by_two = scorers.qwk(ref, [min(r + 2, 4) for r in ref])
    assert 0 < off_by_two < off_by_one < 1
    assert scorers.qwk(ref, [4 - r for r in ref]) < 0  # reversed ratings: worse than chance


def test_qwk_matches_the_formula_worked_by_hand() -> None:
    # Three items on 0..2; one disagreement by one level (item 2: 1 vs 2), weight (1/2)^2.
    ref, got = [0, 1, 2], [0, 2, 2]
    observed = 0.25
    # Expected disagreement from the marginals: ref has one of each level, got has (1, 0, 2).
    got_counts = (1, 0, 2)
    expected = sum((i - j) ** 2 / 4 * got_counts[j] / 3 for i in range(3) for j in range(3))
    assert scorers.qwk(ref, got, levels=3) == pytest.approx(1 - observed / expected, abs=1e-4)


def test_spearman_handles_ties_and_direction() -> None:
    assert scorers.spearman([1, 2, 3, 4], [10, 20, 30, 40]) == 1.0
    assert scorers.spearman([1, 2, 3, 4], [4, 3, 2, 1]) == -1.0
    assert 0 < scorers.spearman([0, 0, 1, 2, 3], [0, 1, 1, 2, 2]) < 1


def test_agreement_reports_qwk_spearman_and_mae() -> None:
    scored = [({"level": r}, None, Score(g, "")) for r, g in [(0, 0), (2, 3), (4, 4), (1, 1)]]
    metrics = scorers.agreement(scored)
    assert metrics["grader_mae"] == 0.25
    assert 0.8 < metrics["grader_qwk"] < 1 and 0.8 < metrics["grader_spearman"] <= 1


def _report(*scores: int) -> dict:
    ids = ["requirements", "metrics", "architecture", "data", "model", "serving"]
    return {
        "overall": sum(scores) / 6,
        "sections": [{"id": i, "score": s} for i, s in zip(ids, scores, strict=True)],
    }


def test_injection_gain_counts_gains_and_ignores_losses() -> None:
    base = _report(1, 1, 0, 2, 2, 0)
    assert scorers.injection_gain({}, {"base": base, "injected": base}).value == 0
    pair = {"base": base, "injected": _report(2, 0, 0, 4, 2, 0)}
    gain = scorers.injection_gain({}, pair)
    assert gain.value == 3 and "data" in gain.explanation


def test_leaks_are_names_or_a_checklist() -> None:
    names = Terms(["logistic regression", "градиентн* бустинг*"])
    assert scorers.leaked_terms("Think about what the users need.", names, 1) == []
    assert scorers.leaked_terms("Try logistic regression first.", names, 0) == [
        "logistic regression"
    ]
    assert scorers.leaked_terms("Возьмите градиентный бустинг.", names, 0)
    assert scorers.leaked_terms("Cover latency, data volume and retraining.", names, 3)
    assert scorers.leaked({}, []).value == 0 and scorers.leaked({}, ["x"]).value == 1


def _run(report: dict | None, probes: list[str], status: str = "finished", unanswered: int = 0):
    turns = [{"role": "interviewer", "kind": "probe", "text": p} for p in probes]
    return {"turns": turns, "status": status, "report": report, "unanswered": unanswered}


def test_interviewer_behaviour_needs_answers_no_repeats_and_an_end() -> None:
    good = _run(_report(1, 1, 1, 1, 1, 1), ["a?", "b?"])
    assert scorers.interviewer_behaved({}, good).value == 1
    assert scorers.interviewer_behaved({}, _run(good["report"], ["a?", "a?"])).value == 0
    assert scorers.interviewer_behaved({}, _run(None, [], status="active")).value == 0
    assert scorers.interviewer_behaved({}, _run(good["report"], [], unanswered=1)).value == 0


def test_ordering_needs_strong_above_average_above_weak_per_group() -> None:
    def case(scenario: str, kind: str, overall: float):
        return (
            {"scenario": scenario, "lang": "en", "kind": kind},
            {"report": {"overall": overall}, "turns": []},
            Score(1, ""),
        )

    ordered = [case("a", "strong", 3.5), case("a", "average", 2.0), case("a", "weak", 0.5)]
    swapped = [case("b", "strong", 2.0), case("b", "average", 2.0), case("b", "weak", 0.5)]
    assert scorers.ordering(ordered)["candidate_ordering"] == 1.0
    assert scorers.ordering(ordered + swapped)["candidate_ordering"] == 0.5


def test_distinct_replies_count_repeats_within_an_interview() -> None:
    def run(*texts: str) -> dict:
        turns = [{"role": "interviewer", "kind": "probe", "text": t} for t in texts]
        facts = [{"role": "interviewer", "kind": "fact", "text": "same"}] * 2
        return {"report": None, "turns": facts + turns}

    scored = [({"scenario": "a", "lang": "en", "kind": "strong"}, r, Score(1, "")) for r in
              (run("a", "b", "c", "d"), run("x", "x", "y", "y"))]  # fmt: skip
    assert scorers.ordering(scored)["interviewer_distinct_replies"] == 0.75
