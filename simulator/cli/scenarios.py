"""`python -m simulator scenarios [--reveal] [--json]`: the design prompts, optionally with their
hidden facts (a spoiler: the interviewer only discloses a fact when asked about it)."""

import argparse
import json

from simulator.base.settings import Settings
from simulator.kb.knowledge import Scenario, load_knowledge


def register(subparsers: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    parser = subparsers.add_parser(
        "scenarios", help="list the interview scenarios", description=__doc__
    )
    parser.add_argument("--reveal", action="store_true", help="include the hidden facts")
    parser.add_argument("--json", action="store_true", help="print JSON")
    parser.set_defaults(handler=run)


def scenario_contract(scenario: Scenario, *, reveal: bool) -> dict[str, object]:
    """The `scenarios --json` shape of one scenario."""
    item: dict[str, object] = {
        "id": scenario.id,
        "title": scenario.title.en,
        "prompt": {"en": scenario.prompt.en, "ru": scenario.prompt.ru},
    }
    if reveal:
        item["facts"] = [
            {"id": f.id, "topic": f.topic, "en": f.en, "ru": f.ru} for f in scenario.facts
        ]
    return item


def run(args: argparse.Namespace, settings: Settings) -> int:
    kb = load_knowledge(settings.knowledge_dir)
    items = [scenario_contract(s, reveal=args.reveal) for s in kb.scenarios]
    if args.json:
        print(json.dumps(items, ensure_ascii=False, indent=2))
        return 0
    lang = settings.lang
    for scenario in kb.scenarios:
        print(f"{scenario.id}: {scenario.title(lang)}")
        print(f"    {scenario.prompt(lang)}")
        if args.reveal:
            for fact in scenario.facts:
                print(f"    - [{fact.topic}] {fact.text(lang)}")
    return 0
