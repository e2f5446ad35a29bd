"""`python -m evals run [--model M] [--suite NAME] [--split tune|heldout] [--concurrency N]
[--no-cache] [--out DIR] [--json]`, `python -m evals bench`, `python -m evals relay`."""

import argparse
import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from evals import bench, datasets, relay
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
    run_parser.add_argument(
        "--concurrency",
        type=concurrency,
        default=1,
        metavar="N",
        help=f"cases in flight at once (1..{MAX_CONCURRENCY}; for a real model: its requests)",
    )
    run_parser.add_argument(
        "--no-cache",
        dest="cache",
        action="store_false",
        help="send every request even when a kept reply would answer it",
    )
    run_parser.add_argument("--out", type=Path, help="log folder (default evals/logs/<time>)")
    run_parser.add_argument("--json", action="store_true", help="print the summary as JSON")
    bench.register(sub)
    relay.register(sub)
    return parser


MAX_CONCURRENCY = 64


def concurrency(value: str) -> int:
    """An argparse type: a whole number of cases in flight, 1..MAX_CONCURRENCY."""
    try:
        number = int(value)
    except ValueError:
        number = 0
    if not 1 <= number <= MAX_CONCURRENCY:
        raise argparse.ArgumentTypeError(f"expected a whole number 1..{MAX_CONCURRENCY}")
    return number


def usage_lines(model: str, usage: dict[str, dict[str, Any]]) -> list[str]:
    """The per-suite model traffic as a table; nothing when no request was made (local model)."""
    if not any(u["requests"] or u["cached"] for u in usage.values()):
        return []
    lines = [f"{'suite':<12} {'requests':>8} {'cached':>7} {'prompt tok':>11} "
             f"{'completion tok':>14} {'cost USD':>9}"]  # fmt: skip
    for suite, u in usage.items():
        cost = "n/a" if u["cost_usd"] is None else f"{u['cost_usd']:.4f}"
        approx = " ~" if u["approximate"] else ""
        lines.append(
            f"{suite:<12} {u['requests']:>8} {u['cached']:>7} {u['input_tokens']:>11} "
            f"{u['output_tokens']:>14} {cost:>9}{approx}"
        )
    if any(u["cost_usd"] is None for u in usage.values()):
        lines.append(f"no price for {model} (SIM_PRICES_PER_MILLION): tokens only")
    if any(u["approximate"] for u in usage.values()):
        lines.append("~ some tokens counted here: the server did not report them")
    return lines


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = load_settings()
        if args.command in ("bench", "relay"):
            return int(args.handler(args, settings))
        model = args.model or settings.model
        out = args.out or Path("evals/logs") / time.strftime("%Y%m%d-%H%M%S")
        summary = run(
            settings,
            model,
            args.suite or sorted(SUITES),
            out,
            args.split or datasets.SPLITS,
            concurrency=args.concurrency,
            cache=args.cache,
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
        for line in usage_lines(model, summary["usage"]):
            print(line)
        print(f"{summary['cases']} cases in {summary['seconds']} s; log: {out / 'log.json'}")
    for line in summary["missed_floors"]:
        print(f"floor missed: {line}", file=sys.stderr)
    return FLOOR_MISSED if summary["missed_floors"] else 0
