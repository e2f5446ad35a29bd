"""`python -m simulator index build`: (re)build the retrieval index, offline, and make sure the
interviewer's topic model is trained and cached, so the first interview does not wait for it."""

import argparse
import time

from simulator.knowledge import load_knowledge
from simulator.retrieval import build_index
from simulator.settings import Settings
from simulator.topic_corpus import model_is_cached, trained_model
from simulator.topic_model_cache import cache_dir


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("index", help="manage the retrieval index")
    actions = parser.add_subparsers(dest="action", required=True)
    build = actions.add_parser(
        "build", help="(re)build the index over knowledge/ and train the topic model if needed"
    )
    build.add_argument("--force", action="store_true", help="rebuild even when up to date")
    build.set_defaults(handler=run_build)


def run_build(args: argparse.Namespace, settings: Settings) -> int:
    kb = load_knowledge(settings.knowledge_dir)
    stats = build_index(settings, kb, force=args.force)
    if stats.rebuilt:
        print(f"built {stats.chunks} chunks in {stats.seconds:.2f} s at {stats.where}")
    else:
        print(f"index is up to date: {stats.chunks} chunks at {stats.where}")
    if model_is_cached():
        print("topic model is up to date")
        return 0
    print("training the interviewer's topic model (once per change, about 10 s)...", flush=True)
    started = time.perf_counter()
    trained_model()
    print(f"topic model trained in {time.perf_counter() - started:.1f} s, cached in {cache_dir()}")
    return 0
