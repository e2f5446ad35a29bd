"""`python -m simulator`: the terminal entry point. Thin: parse, call simulator/, print.

Each subcommand lives in `simulator/commands/<name>.py` with `register(subparsers)`, which adds its
parser and sets `handler` to a function `(args, settings) -> int`.
"""

import argparse
import importlib
import sys
from collections.abc import Sequence
from typing import NoReturn

from simulator.base.errors import SimulatorError
from simulator.base.settings import load_settings

COMMANDS = ("index", "search", "scenarios", "interview", "grade")


class OneLineParser(argparse.ArgumentParser):
    """Bad arguments give one line on stderr and exit status 2, never a usage dump."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineParser(prog="python -m simulator", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True, parser_class=OneLineParser)
    for name in COMMANDS:
        importlib.import_module(f"simulator.cli.{name}").register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = load_settings()
        return int(args.handler(args, settings))
    except SimulatorError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
