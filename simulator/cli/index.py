"""`python -m simulator index build`: (re)build the retrieval index, offline, and make sure the
interviewer's topic model is trained and cached, so the first interview does not wait for it."""

import argparse

from simulator.base.settings import Settings
from simulator.services import prepare_index


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("index", help="manage the retrieval index")
    actions = parser.add_subparsers(dest="action", required=True)
    build = actions.add_parser(
        "build", help="(re)build the index over knowledge/ and train the topic model if needed"
    )
    build.add_argument(
        "--force",
        action="store_true",
        help="rebuild the index and retrain the topic model even when up to date",
    )
    build.set_defaults(handler=run_build)


def run_build(args: argparse.Namespace, settings: Settings) -> int:
    state = prepare_index(settings, force=args.force, progress=lambda line: print(line, flush=True))
    if state.rebuilt:
        print(f"built {state.chunks} chunks in {state.seconds:.2f} s at {state.where}")
    else:
        print(f"index is up to date: {state.chunks} chunks at {state.where}")
    if state.topic_model_seconds is None:
        print("topic model is up to date")
    else:
        print(f"topic model trained in {state.topic_model_seconds:.1f} s")
    return 0
