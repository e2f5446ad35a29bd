"""`python -m simulator grade FILE`: grade a written design (Markdown or plain text, EN or RU)."""

import argparse
import json
from pathlib import Path

from simulator.base.errors import InputError
from simulator.base.sections import LANGS
from simulator.base.settings import Settings
from simulator.report.render import render_report
from simulator.services import grade_design

MAX_FILE_BYTES = 5 * 1024 * 1024
"""Larger files are refused; texts between grader.MAX_ANSWER_CHARS and this are cut."""


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("grade", help="grade a written design from a file")
    parser.add_argument("file", type=Path)
    parser.add_argument("--scenario", help="scenario id (see `scenarios`); default: none")
    parser.add_argument("--lang", choices=LANGS, help="report language (default: the text's)")
    parser.add_argument("--model", help="local or openai:MODEL (default: SIM_MODEL)")
    parser.add_argument("--json", action="store_true", help="print the grade JSON")
    parser.add_argument("--format", choices=("md", "json", "html"), default="md")
    parser.add_argument("--out", type=Path, help="write the report here instead of stdout")
    parser.set_defaults(handler=run)


def read_design(path: Path) -> str:
    """The file's text, or an InputError saying in one line why it cannot be graded."""
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot read ({exc.strerror})") from None
    if path.is_dir():
        raise InputError(f"{path}: is a folder, not a file")
    if size > MAX_FILE_BYTES:
        raise InputError(f"{path}: {size} bytes is over the {MAX_FILE_BYTES} byte limit")
    data = path.read_bytes()
    if b"\x00" in data:
        raise InputError(f"{path}: looks like a binary file, not text")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InputError(f"{path}: is not UTF-8 text") from None
    if not text.strip():
        raise InputError(f"{path}: is empty")
    return text


def run(args: argparse.Namespace, settings: Settings) -> int:
    text = read_design(args.file)
    report = grade_design(
        settings, text, scenario_id=args.scenario, lang=args.lang, model_spec=args.model
    )
    output = (
        json.dumps(report.to_contract(), ensure_ascii=False, indent=2)
        if args.json
        else render_report(report, args.format)
    )
    if args.out:
        try:
            args.out.write_text(output, encoding="utf-8")
        except OSError as exc:
            raise InputError(f"{args.out}: cannot write ({exc.strerror})") from None
        print(f"wrote {args.format if not args.json else 'json'} report to {args.out}")
    else:
        print(output)
    return 0
