"""`python -m evals run [--model M] [--suite NAME] [--split tune|heldout] [--out DIR] [--json]`."""

import argparse
import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from evals import bench, datasets
from evals.runner import SUITES, run
from simulator.base.errors import SimulatorError
from simulator.base.settings import load_settings
from simulator.cli.main import OneLineParser

FLOOR_MISSED = 1
"""Exit status of a run that missed a floor of evals/floors.yaml (2 stays bad input)."""


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineParser(prog="python -m evals", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True, parser_class=OneLineParser)
    run_parser = sub.add_parser("run", help="run the eval suites and log the results")
    run_parser.add_argument("--model", help="local (default) or openai:MODEL")
    run_parser.add_argument("--suite", choices=sorted(SUITES), action="append")
    run_parser.add_argument(
        "--split",
        choices=datasets.SPLITS,
        action="append",
        help="only this split (default both); tuning work runs --split tune",
    )
    run_parser.add_argument("--out", type=Path, help="log folder (default evals/logs/<time>)")
    run_parser.add_argument("--json", action="store_true", help="print the summary as JSON")
    bench.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = load_settings()
        if args.command == "bench":
            return int(args.handler(args, settings))
        model = args.model or settings.model
        out = args.out or Path("evals/logs") / time.strftime("%Y%m%d-%H%M%S")
        summary = run(
            settings, model, args.suite or sorted(SUITES), out, args.split or datasets.SPLITS
        )
    except SimulatorError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(summary, indent=2))
    else:
        print(f"{'metric':<36} value")
        for key, value in summary["metrics"].items():
            print(f"{key:<36} {value:.3f}")
        print(f"{summary['cases']} cases in {summary['seconds']} s; log: {out / 'log.json'}")
    for line in summary["missed_floors"]:
        print(f"floor missed: {line}", file=sys.stderr)
    return FLOOR_MISSED if summary["missed_floors"] else 0
