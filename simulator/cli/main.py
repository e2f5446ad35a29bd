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
from simulator.base.settings import Settings, load_settings
from simulator.llm.backends import dotenv_key_note

COMMANDS = ("index", "search", "scenarios", "interview", "grade")
EMBEDDING_COMMANDS = frozenset({"index", "search", "interview", "grade"})
"""The commands that embed text with SIM_EMBEDDINGS (building or querying the index)."""
CHAT_COMMANDS = frozenset({"interview", "grade"})
"""The commands that talk to the chat model (`--model`, default SIM_MODEL)."""


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
        _note_dotenv_base_url(args, settings)
        return int(args.handler(args, settings))
    except SimulatorError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


def _note_dotenv_base_url(args: argparse.Namespace, settings: Settings) -> None:
    """Say once, before any request, that a `.env` file redirects the API key elsewhere."""
    specs = []
    if args.command in CHAT_COMMANDS:
        specs.append(getattr(args, "model", None) or settings.model)
    if args.command in EMBEDDING_COMMANDS:
        specs.append(settings.embeddings)
    note = dotenv_key_note(settings, specs)
    if note:
        print(note, file=sys.stderr)
