"""`python -m simulator grade FILE`: grade a written design (Markdown or plain text, EN or RU)."""

import argparse
import json
from pathlib import Path

from simulator.base.errors import InputError
from simulator.base.files import MAX_DESIGN_BYTES, check_output, read_user_text, write_output
from simulator.base.sections import LANGS
from simulator.base.settings import Settings
from simulator.report.render import render_report
from simulator.services import grade_design


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("grade", help="grade a written design from a file")
    parser.add_argument("file", type=Path)
    parser.add_argument("--scenario", help="scenario id (see `scenarios`); default: none")
    parser.add_argument("--lang", choices=LANGS, help="report language (default: the text's)")
    parser.add_argument("--model", help="local or openai:MODEL (default: SIM_MODEL)")
    parser.add_argument("--json", action="store_true", help="print the grade JSON")
    parser.add_argument("--format", choices=("md", "json", "html"), default="md")
    parser.add_argument(
        "--out", type=Path, help="write the report here (atomically; `-`: stdout), never the FILE"
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace, settings: Settings) -> int:
    if args.scenario is not None and not args.scenario.strip():
        raise InputError("--scenario needs a scenario id; list them with `scenarios`")
    text = read_user_text(args.file, MAX_DESIGN_BYTES, "design")
    if args.out is not None:
        check_output(args.out, refuse=[args.file])  # before the work, not after it
    report = grade_design(
        settings, text, scenario_id=args.scenario, lang=args.lang, model_spec=args.model
    )
    output = (
        json.dumps(report.to_contract(), ensure_ascii=False, indent=2)
        if args.json
        else render_report(report, args.format)
    )
    if args.out is None:
        print(output)
    elif write_output(args.out, output, refuse=[args.file]) is not None:
        print(f"wrote {args.format if not args.json else 'json'} report to {args.out}")
    return 0
