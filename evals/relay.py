"""`python -m evals relay [--cassettes DIR] [--json]`: the grades a real model gave through the
relay beside the local grader's and the outside writers' own labels.

The grade cassettes (tests/data/cassettes/grade_*.json, replayed by `make test`) hold answers
written by outside writers, their per-section labels, and the reply a helper session gave as the
model through ../shared/tools/llm_relay.py. The model's scores are read as it gave them, before the
grader's checks; the local grader grades the same answer on the same scenario now, so this shows
whether a change to the local rules moved them towards or away from a real model.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from evals import scorers
from evals.solvers import GradeSolver
from simulator.base.errors import InputError
from simulator.base.sections import SECTION_IDS
from simulator.base.settings import PROJECT_ROOT, Settings
from simulator.kb.knowledge import load_knowledge
from simulator.llm.backends import get_chat_model

CASSETTES = PROJECT_ROOT / "tests" / "data" / "cassettes"
PAIRS = (("real", "writers"), ("local", "writers"), ("real", "local"))


def section_scores(cassette: dict[str, Any], grader: GradeSolver) -> list[dict[str, int]]:
    """One row per section of the cassette's answer: the writers', real model's and local scores."""
    reply = json.loads(cassette["calls"][-1]["reply"]["content"])
    real = {s["id"]: int(s["score"]) for s in reply["sections"]}
    local = {s["id"]: s["score"] for s in grader.grade(cassette["answer"], cassette)["sections"]}
    return [
        {"writers": int(cassette["coverage"][sid]), "real": real[sid], "local": local[sid]}
        for sid in SECTION_IDS
    ]


def agreement(rows: list[dict[str, int]]) -> dict[str, dict[str, float]]:
    """Spearman and QWK for each pair of graders over every section score."""
    return {
        f"{a}_vs_{b}": {
            "spearman": round(scorers.spearman([r[a] for r in rows], [r[b] for r in rows]), 3),
            "qwk": round(scorers.qwk([r[a] for r in rows], [r[b] for r in rows]), 3),
        }
        for a, b in PAIRS
    }


def run_relay(settings: Settings, as_json: bool, folder: Path = CASSETTES) -> int:
    paths = sorted(folder.glob("grade_*.json"))
    if not paths:
        raise InputError(f"no grade cassettes in {folder}")
    kb = load_knowledge(settings.knowledge_dir)
    grader = GradeSolver(kb, get_chat_model("local", settings), settings)
    rows = [row for p in paths for row in section_scores(json.loads(p.read_text("utf-8")), grader)]
    summary = {"answers": len(paths), "sections": len(rows), **agreement(rows)}
    if as_json:
        print(json.dumps(summary, indent=2))
        return 0
    print(f"{len(paths)} answers graded through the relay, {len(rows)} section scores")
    print(f"{'pair':<20} {'spearman':>8} {'qwk':>6}")
    for a, b in PAIRS:
        pair = summary[f"{a}_vs_{b}"]
        print(f"{a + ' vs ' + b:<20} {pair['spearman']:>8.3f} {pair['qwk']:>6.3f}")
    return 0


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "relay", help="the real-model grades recorded through the relay beside the local grader's"
    )
    parser.add_argument(
        "--cassettes", type=Path, default=CASSETTES, help="folder of grade_*.json cassettes"
    )
    parser.add_argument("--json", action="store_true", help="print the summary as JSON")
    parser.set_defaults(
        handler=lambda args, settings: run_relay(settings, args.json, args.cassettes)
    )
