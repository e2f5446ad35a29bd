"""`python -m simulator index build`: (re)build the retrieval index, offline."""

import argparse

from simulator.knowledge import load_knowledge
from simulator.retrieval import build_index
from simulator.settings import Settings


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("index", help="manage the retrieval index")
    actions = parser.add_subparsers(dest="action", required=True)
    build = actions.add_parser("build", help="(re)build the index over knowledge/")
    build.add_argument("--force", action="store_true", help="rebuild even when up to date")
    build.set_defaults(handler=run_build)


def run_build(args: argparse.Namespace, settings: Settings) -> int:
    kb = load_knowledge(settings.knowledge_dir)
    stats = build_index(settings, kb, force=args.force)
    if stats.rebuilt:
        print(f"built {stats.chunks} chunks in {stats.seconds:.2f} s at {stats.where}")
    else:
        print(f"index is up to date: {stats.chunks} chunks at {stats.where}")
    return 0
