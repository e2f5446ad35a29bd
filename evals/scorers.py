"""Scorers: pure functions from a case and what the solver produced to a value and a reason."""

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Score:
    value: float
    explanation: str


def section_in_top_k(case: dict[str, Any], sections: list[str]) -> Score:
    """1 when the expected section is among the retrieved ones (recall@k for one query)."""
    hit = case["section"] in sections
    return Score(float(hit), f"expected {case['section']}, got {sections}")


def expected_topics(case: dict[str, Any]) -> set[str]:
    topic = case["topic"]
    return {t for t in (topic if isinstance(topic, list) else [topic]) if t}


def disclosed_right_facts(case: dict[str, Any], topics: list[str]) -> Score:
    """1 when the facts disclosed are exactly those of the topics asked about (none: none)."""
    want = expected_topics(case)
    return Score(float(set(topics) == want), f"expected {sorted(want)}, got {sorted(topics)}")


def within_band(case: dict[str, Any], report: dict[str, Any]) -> Score:
    """1 when a whole answer lands in the band its kind promises (issue: the grader's scale).

    thorough: every section at least 3; vague: overall at most 1; headings: nothing at all;
    buzzwords: no section above 1; partial: no section above 1 outside the ones it covers.
    """
    scores = {s["id"]: s["score"] for s in report["sections"]}
    kind = case["kind"]
    if kind == "thorough":
        ok = min(scores.values()) >= 3
    elif kind == "vague":
        ok = report["overall"] <= 1
    elif kind == "headings":
        ok = report["overall"] == 0
    elif kind == "buzzwords":
        ok = max(scores.values()) <= 1
    else:
        ok = all(v <= 1 for k, v in scores.items() if k not in case["content"])
    return Score(float(ok), f"{kind}: overall {report['overall']}, sections {scores}")


def mean(scores: list[Score]) -> float:
    return round(sum(s.value for s in scores) / len(scores), 4) if scores else 0.0
