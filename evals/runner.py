"""The runner: every suite on both splits, a log of spec, per-case results and metrics."""

import json
import subprocess
import tempfile
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from evals import datasets, scorers
from evals.progress import Progress
from evals.response_cache import CACHE_FILE, model_traffic
from evals.solvers import (
    BehaviourSolver,
    CandidateSolver,
    ClarifySolver,
    GradeSolver,
    InjectionSolver,
    LeakSolver,
    OutsideSolver,
    RetrievalSolver,
)
from simulator.base.errors import KnowledgeError
from simulator.base.settings import Settings
from simulator.base.textnorm import Terms
from simulator.interview.interviewer import Interviewer
from simulator.kb.knowledge import load_knowledge, read_yaml
from simulator.llm.backends import get_chat_model
from simulator.retrieval.index import open_retriever
from simulator.services import open_interviewer

Solver = Callable[[dict[str, Any]], Any]
Scorer = Callable[[dict[str, Any], Any], scorers.Score]
Aggregate = Callable[[scorers.Scored], dict[str, float]]


def mean_as(metric: str) -> Aggregate:
    """The usual aggregate: the mean of the case values under one metric name."""
    return lambda scored: {metric: scorers.mean([s for _, _, s in scored])}


@dataclass(frozen=True)
class Suite:
    name: str
    dataset: str
    scorer: Scorer
    solver: Callable[[Settings, str], Solver]
    aggregate: Aggregate
    """Metrics of one split; the held-out split's get the suffix `_heldout`."""


EVAL_TIME = datetime(2025, 1, 1, tzinfo=UTC)
"""The interviewers' clock in an eval: time never passes, so a slow model neither runs an
interview out of time nor changes the minutes-left its prompts carry (a rerun's prompts are the
same, and the response cache answers them)."""


def _interviewer(settings: Settings, model: str) -> Interviewer:
    interviewer = open_interviewer(settings, model)
    interviewer.clock = lambda: EVAL_TIME
    return interviewer


def _retrieval(settings: Settings, model: str) -> Solver:
    return RetrievalSolver(open_retriever(settings, load_knowledge(settings.knowledge_dir)))


def _clarify(settings: Settings, model: str) -> Solver:
    return ClarifySolver(_interviewer(settings, model))


def _grade_solver(settings: Settings, model: str) -> GradeSolver:
    return GradeSolver(
        load_knowledge(settings.knowledge_dir), get_chat_model(model, settings), settings
    )


def _injection(settings: Settings, model: str) -> Solver:
    return InjectionSolver(_grade_solver(settings, model))


def _outside(settings: Settings, model: str) -> Solver:
    kb = load_knowledge(settings.knowledge_dir)
    # Each split pads with its own writer's filler, so tuning never sees the held-out lines.
    filler: dict[tuple[str, str], list[str]] = {}
    for split in datasets.SPLITS:
        for line in datasets.load("filler_lines", split).cases:
            filler.setdefault((split, line["lang"]), []).append(line["text"])
    heldout = {c["id"] for c in datasets.load("outside_answers", "heldout").cases}
    stuffing = read_yaml(datasets.DATA_DIR / "stuffing.yaml")
    pasted = {lang: "\n\n".join(p.text(lang) for p in kb.passages) for lang in ("en", "ru")}
    return OutsideSolver(_grade_solver(settings, model), filler, heldout, stuffing, pasted)


def _behaviours(settings: Settings, model: str) -> Solver:
    terms = read_yaml(datasets.DATA_DIR / "solution_terms.yaml")
    return BehaviourSolver(_interviewer(settings, model), Terms([*terms["en"], *terms["ru"]]))


def _leak(settings: Settings, model: str) -> Solver:
    terms = read_yaml(datasets.DATA_DIR / "solution_terms.yaml")
    return LeakSolver(_interviewer(settings, model), Terms([*terms["en"], *terms["ru"]]))


def _candidates(settings: Settings, model: str) -> Solver:
    answers = {
        (c["scenario"], c["lang"], c["section"], c["level"]): c["text"]
        for split in datasets.SPLITS
        for c in datasets.load("graded_answers", split).cases
    }
    return CandidateSolver(_interviewer(settings, model), answers)


SUITES = {
    "retrieval": Suite(
        "retrieval", "retrieval_queries", scorers.section_in_top_k, _retrieval,
        mean_as("retrieval_recall_at_3"),
    ),
    "clarify": Suite(
        "clarify", "clarify_questions", scorers.disclosed_right_facts, _clarify,
        mean_as("clarify_accuracy"),
    ),
    "leak": Suite("leak", "solution_requests", scorers.leaked, _leak, mean_as("leak_rate")),
    "graded": Suite(
        "graded", "graded_answers", scorers.section_score, _grade_solver, scorers.agreement
    ),
    "bands": Suite(
        "bands", "grader_bands", scorers.within_band, _grade_solver, mean_as("grader_bands")
    ),
    "injection": Suite(
        "injection", "injections", scorers.injection_gain, _injection,
        mean_as("injection_inflation"),
    ),
    "behaviours": Suite(
        "behaviours", "interview_behaviours", scorers.behaved, _behaviours, scorers.behaviours
    ),
    "outside": Suite(
        "outside", "outside_answers", scorers.outside_case, _outside, scorers.outside_metrics
    ),
    "candidates": Suite(
        "candidates", "candidates", scorers.interviewer_behaved, _candidates, scorers.ordering
    ),
}  # fmt: skip


FLOORS_FILE = datasets.DATA_DIR.parent / "floors.yaml"


def missed_floors(metrics: dict[str, float], limits: dict[str, dict[str, float]]) -> list[str]:
    """One line per metric of this run that is below its floor or above its ceiling; metrics
    the run did not compute (another suite or split) are not judged."""
    missed = [
        f"{name} {metrics[name]:.4f} is below its floor {floor}"
        for name, floor in limits.get("floors", {}).items()
        if name in metrics and metrics[name] < floor
    ]
    missed += [
        f"{name} {metrics[name]:.4f} is above its ceiling {ceiling}"
        for name, ceiling in limits.get("ceilings", {}).items()
        if name in metrics and metrics[name] > ceiling
    ]
    return missed


def load_limits(path: Path | None = None) -> dict[str, dict[str, float]]:
    """Floors and ceilings from `path` (default: evals/floors.yaml)."""
    path = path or FLOORS_FILE
    data = read_yaml(path)
    if not isinstance(data, dict) or not set(data) <= {"floors", "ceilings"}:
        raise KnowledgeError(f"{path}: expected the keys floors and ceilings")
    return {kind: {str(k): float(v) for k, v in (data.get(kind) or {}).items()} for kind in data}


def _git_commit() -> str | None:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "HEAD"], capture_output=True, text=True, timeout=5, check=False
        )
    except OSError:
        return None
    return out.stdout.strip() or None


def solve_all(
    solver: Solver,
    scorer: Scorer,
    cases: list[dict[str, Any]],
    concurrency: int,
    progress: Progress,
) -> scorers.Scored:
    """Every case solved and scored, up to `concurrency` at a time (threads: the work is waiting
    for a model), in the order of `cases` whatever order they finish in. The first case that
    fails stops the rest and raises."""

    def one(case: dict[str, Any]) -> tuple[dict[str, Any], Any, scorers.Score]:
        output = solver(case)
        return case, output, scorer(case, output)

    with ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="eval-case") as pool:
        futures = [pool.submit(one, case) for case in cases]
        for future in as_completed(futures):
            if future.exception() is not None:
                for waiting in futures:
                    waiting.cancel()
                future.result()  # raises the case's error
            progress.advance()
        return [future.result() for future in futures]


def run(
    settings: Settings,
    model: str,
    suites: list[str],
    out_dir: Path,
    splits: Sequence[str] = datasets.SPLITS,
    *,
    concurrency: int = 1,
    cache: bool = True,
) -> dict[str, Any]:
    """Run the suites on the splits (both by default), `concurrency` cases at a time, write
    `log.json` under `out_dir`, return the summary. With `cache`, a real model's replies are
    kept in SIM_DATA_DIR and an unchanged request is answered from there."""
    started = time.perf_counter()
    metrics: dict[str, float] = {}
    usage: dict[str, dict[str, Any]] = {}
    log: dict[str, Any] = {
        "spec": {
            "model": model, "suites": suites, "splits": list(splits), "commit": _git_commit(),
            "concurrency": concurrency, "cache": cache,
        }
    }  # fmt: skip
    results: list[dict[str, Any]] = []
    datasets_spec: dict[str, str] = {}
    cache_file = settings.data_dir / CACHE_FILE if cache else None
    with (
        tempfile.TemporaryDirectory(prefix="evals-") as scratch,
        model_traffic(cache_file) as ledger,
    ):
        # Interviews of an eval run never land in the user's session history.
        run_settings = settings.model_copy(update={"data_dir": Path(scratch)})
        for name in suites:
            suite = SUITES[name]
            solver = suite.solver(run_settings, model)
            for split in splits:
                data = datasets.load(suite.dataset, split)
                datasets_spec[f"{data.name}:{split}"] = data.sha256
                progress = Progress(f"{name} ({split})", len(data.cases))
                scored = solve_all(solver, suite.scorer, data.cases, concurrency, progress)
                results += [
                    {"suite": name, "split": split, "case": case, "value": score.value,
                     "explanation": score.explanation}
                    for case, _, score in scored
                ]  # fmt: skip
                suffix = "" if split == "tune" else "_heldout"
                for key, value in suite.aggregate(scored).items():
                    metrics[key + suffix] = value
            usage[name] = ledger.take().summary(model, settings.prices_per_million)
    summary = {
        "cases": len(results),
        "seconds": round(time.perf_counter() - started, 2),
        "metrics": metrics,
        "usage": usage,
        "missed_floors": missed_floors(metrics, load_limits()),
    }
    log["spec"]["datasets"] = datasets_spec
    log.update(summary, results=results)
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "log.json").write_text(json.dumps(log, ensure_ascii=False, indent=1), "utf-8")
    return summary
