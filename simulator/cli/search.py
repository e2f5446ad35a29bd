"""`python -m simulator search "QUERY" [--k 3] [--lang en|ru] [--json]`."""

import argparse
import json
import sys

from simulator.base.errors import InputError
from simulator.base.sections import LANGS
from simulator.base.settings import Settings
from simulator.kb.knowledge import load_knowledge


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("search", help="search the cheat sheet")
    parser.add_argument("query")
    parser.add_argument("--k", type=int, default=3, help="how many passages (default 3)")
    parser.add_argument("--lang", choices=LANGS, help="language (default: the query's)")
    parser.add_argument("--json", action="store_true", help="print JSON")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace, settings: Settings) -> int:
    if not args.query.strip():
        raise InputError("the query is empty")
    if not 1 <= args.k <= 50:
        raise InputError(f"--k must be between 1 and 50, not {args.k}")
    from simulator.retrieval.index import open_retriever  # chromadb: not for a refused query

    retriever = open_retriever(
        settings,
        load_knowledge(settings.knowledge_dir),
        progress=lambda line: print(line, file=sys.stderr, flush=True),
    )
    hits = retriever.search(args.query, k=args.k, lang=args.lang)
    if args.json:
        print(json.dumps([h.model_dump() for h in hits], ensure_ascii=False, indent=2))
        return 0
    for rank, hit in enumerate(hits, 1):
        print(f"{rank}. [{hit.section}] {hit.id}  (score {hit.score:.2f})")
        print(f"   {hit.text}")
    return 0
