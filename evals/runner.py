"""The runner: every suite on both splits, a log of spec, per-case results and metrics."""

import json
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from evals import datasets, scorers
from evals.solvers import ClarifySolver, GradeFileSolver, RetrievalSolver
from simulator.interview_setup import open_interviewer
from simulator.knowledge import load_knowledge
from simulator.llm import get_chat_model
from simulator.retrieval import open_retriever
from simulator.settings import Settings

Solver = Callable[[dict[str, Any]], Any]
Scorer = Callable[[dict[str, Any], Any], scorers.Score]


@dataclass(frozen=True)
class Suite:
    name: str
    dataset: str
    metric: str
    scorer: Scorer
    solver: Callable[[Settings, str], Solver]


def _retrieval(settings: Settings, model: str) -> Solver:
    return RetrievalSolver(open_retriever(settings, load_knowledge(settings.knowledge_dir)))


def _clarify(settings: Settings, model: str) -> Solver:
    return ClarifySolver(open_interviewer(settings, model))


def _grader(settings: Settings, model: str) -> Solver:
    return GradeFileSolver(
        load_knowledge(settings.knowledge_dir), get_chat_model(model, settings), settings
    )


SUITES = {
    "grader": Suite("grader", "grader_bands", "grader_bands", scorers.within_band, _grader),
    "retrieval": Suite(
        "retrieval", "retrieval_queries", "retrieval_recall_at_3", scorers.section_in_top_k,
        _retrieval,
    ),
    "clarify": Suite(
        "clarify", "clarify_questions", "clarify_accuracy", scorers.disclosed_right_facts,
        _clarify,
    ),
}  # fmt: skip


def _git_commit() -> str | None:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "HEAD"], capture_output=True, text=True, timeout=5, check=False
        )
    except OSError:
        return None
    return out.stdout.strip() or None


def _progress(label: str, done: int, total: int) -> None:
    if sys.stderr.isatty() or done == total:
        width = 30
        filled = width * done // max(total, 1)
        sys.stderr.write(f"\r{label:<28} [{'#' * filled}{'.' * (width - filled)}] {done}/{total}")
        if done == total:
            sys.stderr.write("\n")
        sys.stderr.flush()


def run(settings: Settings, model: str, suites: list[str], out_dir: Path) -> dict[str, Any]:
    """Run the suites on both splits, write `log.json` under `out_dir`, return the summary."""
    started = time.perf_counter()
    metrics: dict[str, float] = {}
    log: dict[str, Any] = {"spec": {"model": model, "suites": suites, "commit": _git_commit()}}
    results: list[dict[str, Any]] = []
    datasets_spec: dict[str, str] = {}
    with tempfile.TemporaryDirectory(prefix="evals-") as scratch:
        # Interviews of an eval run never land in the user's session history.
        run_settings = settings.model_copy(update={"data_dir": Path(scratch)})
        for name in suites:
            suite = SUITES[name]
            solver = suite.solver(run_settings, model)
            for split in ("tune", "heldout"):
                data = datasets.load(suite.dataset, split)
                datasets_spec[f"{data.name}:{split}"] = data.sha256
                scores = []
                for i, case in enumerate(data.cases, 1):
                    score = suite.scorer(case, solver(case))
                    scores.append(score)
                    results.append(
                        {"suite": name, "split": split, "case": case, "value": score.value,
                         "explanation": score.explanation}
                    )  # fmt: skip
                    _progress(f"{name} ({split})", i, len(data.cases))
                key = suite.metric if split == "tune" else f"{suite.metric}_heldout"
                metrics[key] = scorers.mean(scores)
    summary = {
        "cases": len(results),
        "seconds": round(time.perf_counter() - started, 2),
        "metrics": metrics,
    }
    log["spec"]["datasets"] = datasets_spec
    log.update(summary, results=results)
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "log.json").write_text(json.dumps(log, ensure_ascii=False, indent=1), "utf-8")
    return summary
