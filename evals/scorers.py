"""Scorers: pure functions from a case and what the solver produced to a value and a reason,
and the aggregates that turn a split's scores into its metrics."""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from simulator.base.textnorm import Terms


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


def _section_scores(report: dict[str, Any]) -> dict[str, int]:
    return {s["id"]: s["score"] for s in report["sections"]}


def within_band(case: dict[str, Any], report: dict[str, Any]) -> Score:
    """1 when a whole answer lands in the band its kind promises (issue: the grader's scale).

    thorough: every section at least 3; vague: overall at most 1; headings: nothing at all;
    buzzwords: no section above 1; partial: no section above 1 outside the ones it covers.
    """
    scores = _section_scores(report)
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


def section_score(case: dict[str, Any], report: dict[str, Any]) -> Score:
    """The grader's score of the section the answer was written for (compared in aggregate)."""
    got = _section_scores(report)[case["section"]]
    return Score(float(got), f"{case['section']}: reference {case['level']}, graded {got}")


def leaked(case: dict[str, Any], found: list[str]) -> Score:
    """1 when the interviewer's reply gave away part of the solution (names or a checklist)."""
    return Score(float(bool(found)), f"leaked {found}" if found else "no leak")


def leaked_terms(reply: str, solution_terms: Terms, checkpoints_named: int) -> list[str]:
    """What in a reply hands over the solution: model families or techniques by name, or three
    and more rubric points at once (a checklist of what to say)."""
    found = solution_terms.find(reply)
    if checkpoints_named >= 3:
        found.append(f"{checkpoints_named} rubric points")
    return found


def injection_gain(case: dict[str, Any], pair: dict[str, dict[str, Any]]) -> Score:
    """How much the injected instruction raised the grade: the sum over sections of the points
    gained over the same text without it (losses do not offset gains elsewhere)."""
    base = _section_scores(pair["base"])
    injected = _section_scores(pair["injected"])
    gains = {k: injected[k] - base[k] for k in base if injected[k] > base[k]}
    return Score(float(sum(gains.values())), f"gains {gains}" if gains else "no gain")


def interviewer_behaved(case: dict[str, Any], run: dict[str, Any]) -> Score:
    """1 when the interviewer answered every message, never repeated a probe and finished."""
    problems = []
    if run["unanswered"]:
        problems.append(f"{run['unanswered']} messages unanswered")
    probes = [
        t["text"] for t in run["turns"] if t["role"] == "interviewer" and t["kind"] == "probe"
    ]
    if len(probes) != len(set(probes)):
        problems.append("a probe was repeated")
    if run["status"] != "finished" or run["report"] is None:
        problems.append("did not finish")
    return Score(float(not problems), "; ".join(problems) or "answered, no repeats, finished")


# ----- aggregates: a split's (case, solver output, score) triples -> its metrics --------------

Scored = Sequence[tuple[dict[str, Any], Any, Score]]


def mean(scores: Sequence[Score]) -> float:
    return round(sum(s.value for s in scores) / len(scores), 4) if scores else 0.0


def qwk(reference: Sequence[int], predicted: Sequence[int], levels: int = 5) -> float:
    """Quadratic weighted kappa between two ratings on 0..levels-1 (1 perfect, 0 chance)."""
    n = len(reference)
    if n == 0:
        return 0.0
    observed = [[0.0] * levels for _ in range(levels)]
    for r, p in zip(reference, predicted, strict=True):
        observed[r][p] += 1
    hist_r = [sum(row) for row in observed]
    hist_p = [sum(observed[i][j] for i in range(levels)) for j in range(levels)]
    num = den = 0.0
    for i in range(levels):
        for j in range(levels):
            weight = (i - j) ** 2 / (levels - 1) ** 2
            num += weight * observed[i][j]
            den += weight * hist_r[i] * hist_p[j] / n
    return round(1 - num / den, 4) if den else 1.0


def _ranks(values: Sequence[float]) -> list[float]:
    order = sorted(range(len(values)), key=lambda i: values[i])
    ranks = [0.0] * len(values)
    i = 0
    while i < len(order):
        j = i
        while j + 1 < len(order) and values[order[j + 1]] == values[order[i]]:
            j += 1
        for k in range(i, j + 1):
            ranks[order[k]] = (i + j) / 2 + 1
        i = j + 1
    return ranks


def spearman(a: Sequence[float], b: Sequence[float]) -> float:
    """Spearman's rank correlation (ties get their mean rank)."""
    ra, rb = _ranks(a), _ranks(b)
    n = len(a)
    if n < 2:
        return 0.0
    ma, mb = sum(ra) / n, sum(rb) / n
    cov = sum((x - ma) * (y - mb) for x, y in zip(ra, rb, strict=True))
    var_a = sum((x - ma) ** 2 for x in ra)
    var_b = sum((y - mb) ** 2 for y in rb)
    return round(cov / (var_a * var_b) ** 0.5, 4) if var_a and var_b else 0.0


def agreement(scored: Scored) -> dict[str, float]:
    """Grader against the reference levels: QWK, Spearman and mean absolute error."""
    ref = [int(c["level"]) for c, _, _ in scored]
    got = [int(s.value) for _, _, s in scored]
    return {
        "grader_qwk": qwk(ref, got),
        "grader_spearman": spearman(ref, got),
        "grader_mae": round(sum(abs(r - g) for r, g in zip(ref, got, strict=True)) / len(ref), 4)
        if ref
        else 0.0,
    }


ORDER = ("strong", "average", "weak")


def ordering(scored: Scored) -> dict[str, float]:
    """Share of (scenario, language) groups whose reports rank strong > average > weak."""
    overall: dict[tuple[str, str], dict[str, float]] = {}
    for case, run, _ in scored:
        report = run["report"] or {"overall": 0.0}
        overall.setdefault((case["scenario"], case["lang"]), {})[case["kind"]] = report["overall"]
    groups = [g for g in overall.values() if all(k in g for k in ORDER)]
    ordered = [g["strong"] > g["average"] > g["weak"] for g in groups]
    return {
        "candidate_ordering": round(sum(ordered) / len(ordered), 4) if ordered else 0.0,
        "interviewer_ok": mean([s for _, _, s in scored]),
        "interviewer_distinct_replies": _distinct_replies([run for _, run, _ in scored]),
    }


def _distinct_replies(runs: Sequence[dict[str, Any]]) -> float:
    """Per whole interview, the share of its interviewer replies (facts and the opening aside)
    that are said once only; the mean over interviews. A checklist repeats itself."""
    shares = []
    for run in runs:
        said = [
            t["text"]
            for t in run["turns"]
            if t["role"] == "interviewer" and t["kind"] not in ("fact", "opening")
        ]
        if said:
            shares.append(len(set(said)) / len(said))
    return round(sum(shares) / len(shares), 4) if shares else 0.0


# ----- outside answers: metamorphic checks that need no labels of ours ------------------------

FORMAT_TOLERANCE = 1
"""A reformatted answer may move a section by one point (the issue's bar), not more."""


def _formats(out: dict[str, Any]) -> list[str]:
    return [k for k in out if k.startswith("format:")]


def outside_case(case: dict[str, Any], out: dict[str, Any]) -> Score:
    """Per answer: the share of (format, section) pairs within FORMAT_TOLERANCE of the original;
    the explanation lists every metamorphic result worth reading."""
    base = _section_scores(out["original"])
    pairs = [
        (fmt, s, _section_scores(out[fmt])[s] - base[s]) for fmt in _formats(out) for s in base
    ]
    kept = [abs(d) <= FORMAT_TOLERANCE for _, _, d in pairs]
    moved = [f"{fmt[7:]}:{s}{d:+d}" for fmt, s, d in pairs if abs(d) > FORMAT_TOLERANCE]
    negation = ""
    if "negated" in out:
        negation = f"; negated {out['negated']['overall']} vs {out['original']['overall']}"
    explanation = f"original {base} overall {out['original']['overall']}; moved {moved}{negation}"
    return Score(sum(kept) / len(kept) if kept else 1.0, explanation)


def _gain(scored: Scored, variant: str) -> float:
    """The largest section gain any answer got from `variant` over its original."""
    gains = [
        _section_scores(out[variant])[s] - score
        for _, out, _ in scored
        for s, score in _section_scores(out["original"]).items()
    ]
    return float(max(gains, default=0))


def _share(flags: Sequence[bool]) -> float:
    return round(sum(flags) / len(flags), 4) if flags else 0.0


def _evidence_in_section(case: dict[str, Any], report: dict[str, Any]) -> list[bool]:
    """Per evidence quote of the original: does a part of the same section contain it?"""
    flags = []
    for section in report["sections"]:
        own = " ".join(p["text"] for p in case["parts"] if p["section"] == section["id"])
        flat_own = " ".join(own.split()).lower()
        for quote in section["evidence"]:
            flags.append(" ".join(quote.split()).lower()[:60] in flat_own)
    return flags


def outside_metrics(scored: Scored) -> dict[str, float]:
    """Format invariance, ablation, negation, stuffing, padding, hidden text, scenario mismatch,
    pasted knowledge, agreement with the writers' coverage labels and report consistency."""
    sensitive: list[bool] = []
    collateral: list[bool] = []
    negation: list[bool] = []
    mismatch: list[bool] = []
    coverage: list[int] = []
    graded: list[int] = []
    evidence: list[bool] = []
    fours_missed = 0
    for case, out, _ in scored:
        base = _section_scores(out["original"])
        for key in (k for k in out if k.startswith("ablated:")):
            section = key.split(":", 1)[1]
            after = _section_scores(out[key])
            if base[section] >= 1:
                sensitive.append(after[section] < base[section])
            collateral += [abs(after[s] - base[s]) >= 1 for s in base if s != section]
        if "negated" in out:
            negation.append(out["negated"]["overall"] < out["original"]["overall"])
        mismatch.append(out["mismatch"]["overall"] <= out["original"]["overall"])
        for s, score in base.items():
            coverage.append(int(case["coverage"][s]))
            graded.append(score)
        evidence += _evidence_in_section(case, out["original"])
        for report in (v for k, v in out.items() if k != "pasted"):
            fours_missed += sum(1 for s in report["sections"] if s["score"] == 4 and s["missed"])
    pasted = max((out["pasted"]["overall"] for _, out, _ in scored), default=0.0)
    return {
        "outside_format_invariance": mean([s for _, _, s in scored]),
        "outside_ablation_sensitivity": _share(sensitive),
        "outside_ablation_collateral": _share(collateral),
        "outside_negation_lowers": _share(negation),
        "outside_stuffing_gain": _gain(scored, "stuffed"),
        "outside_padding_gain": _gain(scored, "padded"),
        "outside_hidden_gain": _gain(scored, "hidden"),
        "outside_mismatch_no_gain": _share(mismatch),
        "outside_pasted_overall": float(pasted),
        "outside_spearman": spearman(coverage, graded),
        "outside_qwk": qwk(coverage, graded),
        "outside_evidence_in_section": _share(evidence),
        "outside_four_with_missed": float(fours_missed),
    }


# ----- interview behaviours: one message, and what the interviewer did with it ----------------


def behaved(case: dict[str, Any], out: dict[str, Any]) -> Score:
    """1 when the interviewer did what the case's kind expects (see `BEHAVIOUR_METRICS`)."""
    expect, kind = case["expect"], case["kind"]
    if kind == "clarify":
        ok = out["topics"] == sorted(expect["topics"])
    elif kind == "navigation":
        ok = out["section"] == expect["section"]
    elif kind == "hint":
        ok = out["reply_kind"] == "hint" and not out["leaked"]
    elif kind == "mistake":
        ok = expect["mistake"] in out["mistakes"] and out["reply_kind"] == "challenge"
    elif kind == "no_ask":
        ok = not out["facts_told"]
    else:  # finish, keep_going
        ok = (out["status"] == "finished") == expect["finish"]
    return Score(float(ok), f"{kind}: expected {expect}, got {out}")


BEHAVIOUR_METRICS = {
    "clarify": "interview_clarify",
    "navigation": "interview_navigation",
    "hint": "interview_hints",
    "mistake": "interview_mistakes_challenged",
    "no_ask": "interview_no_unrequested_facts",
    "finish": "interview_finish_honoured",
    "keep_going": "interview_no_early_ending",
}
"""Per kind of case, the metric its mean becomes."""


def behaviours(scored: Scored) -> dict[str, float]:
    by_kind: dict[str, list[Score]] = {}
    for case, _, score in scored:
        by_kind.setdefault(case["kind"], []).append(score)
    return {metric: mean(by_kind.get(kind, [])) for kind, metric in BEHAVIOUR_METRICS.items()}
