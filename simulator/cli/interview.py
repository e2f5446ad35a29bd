"""`python -m simulator interview`: a mock interview in the terminal, or a scripted one.

Interactive: replies stream as they are written; every turn is saved as it completes, so Ctrl-C
(or end of input) only stops the program, and `--resume ID` carries on where it stopped.
Scripted: `--script FILE` reads candidate messages separated by lines holding only `---`, runs
them without a terminal and, with `--json`, prints the `interview --json` contract.
"""

import argparse
import io
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TextIO

from simulator.base.errors import InputError, ModelError
from simulator.base.files import MAX_SCRIPT_BYTES, read_user_text
from simulator.base.sections import LANGS, SECTION_TITLES, Lang
from simulator.base.settings import Settings
from simulator.base.textnorm import detect_lang
from simulator.interview.interviewer import Interviewer
from simulator.interview.session import InterviewSession
from simulator.interview.store import open_store
from simulator.services import open_interviewer, pick_scenario

SEPARATOR = "---"
PROMPT = "you> "


def register(subparsers: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    parser = subparsers.add_parser(
        "interview",
        help="practise an interview in the terminal, or run a scripted one",
        description=__doc__,
    )
    parser.add_argument("--scenario", metavar="ID", help="scenario id (default: a random one)")
    parser.add_argument("--lang", choices=LANGS, help="interview language (default: SIM_LANG)")
    parser.add_argument(
        "--model", metavar="M", help="`local` or `openai:MODEL` (default: SIM_MODEL)"
    )
    parser.add_argument(
        "--script", metavar="FILE", type=Path, help="candidate messages, `---` between"
    )
    parser.add_argument("--json", action="store_true", help="with --script or --list: print JSON")
    parser.add_argument("--resume", metavar="ID", help="carry on with a saved session")
    parser.add_argument("--list", action="store_true", help="list saved sessions")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace, settings: Settings) -> int:
    for stream in (sys.stdin, sys.stdout):
        # Odd bytes from a terminal or a pipe become U+FFFD instead of a UnicodeError traceback.
        if isinstance(stream, io.TextIOWrapper):
            stream.reconfigure(errors="replace")
    if args.list:
        return _list_sessions(settings, as_json=args.json)
    if args.json and args.script is None:
        raise InputError("--json needs --script FILE (or --list)")
    if args.resume is not None and not args.resume.strip():
        raise InputError("--resume needs a session id; list saved sessions with `interview --list`")
    if args.script is not None and args.resume:
        raise InputError("--script starts a new interview; it cannot be combined with --resume")
    if args.script is not None:
        return _run_script(args, settings)
    return _run_terminal(args, settings)


# ----- scripted -----------------------------------------------------------------------------------


def read_script(path: Path) -> list[str]:
    """Candidate messages from FILE: blocks separated by lines that hold only `---`."""
    text = read_user_text(path, MAX_SCRIPT_BYTES, "script")
    blocks: list[list[str]] = [[]]
    for line in text.splitlines():
        if line.strip() == SEPARATOR:
            blocks.append([])
        else:
            blocks[-1].append(line)
    messages = ["\n".join(b).strip() for b in blocks]
    messages = [m for m in messages if m]
    if not messages:
        raise InputError(f"{path}: no candidate messages (separate them with lines of `---`)")
    return messages


def _run_script(args: argparse.Namespace, settings: Settings) -> int:
    messages = read_script(args.script)
    interviewer = open_interviewer(settings, args.model)
    joined = "\n".join(messages)
    scenario_id = pick_scenario(interviewer.kb, args.scenario, seed=joined.encode())
    lang: Lang = args.lang or detect_lang(joined, default=settings.lang)
    session = interviewer.start(scenario_id, lang, model_spec=args.model or settings.model)
    for message in messages:
        _drain(interviewer.reply(session, message))
        if session.status == "finished":
            break
    _drain(interviewer.finish(session))  # the script ran out before the interview ended
    if args.json:
        print(json.dumps(session.contract(), ensure_ascii=False, indent=2))
    else:
        _print_transcript(session, sys.stdout)
    return 0


def _drain(chunks: Iterator[str]) -> None:
    for _ in chunks:
        pass


def _print_transcript(session: InterviewSession, out: TextIO) -> None:
    for turn in session.turns:
        who = "interviewer" if turn.role == "interviewer" else "you"
        out.write(f"{who}> {turn.text}\n\n")
    _print_scores(session, out)


def _print_scores(session: InterviewSession, out: TextIO) -> None:
    report = session.report
    if report is None:
        return
    out.write(f"overall: {report.overall} / 4\n")
    for item in report.sections:
        out.write(f"  {SECTION_TITLES[item.id][session.lang]}: {item.score} / 4\n")


# ----- interactive --------------------------------------------------------------------------------


def _run_terminal(args: argparse.Namespace, settings: Settings) -> int:
    store = open_store(settings)
    interviewer = open_interviewer(settings, args.model, store=store)
    if args.resume:
        session = store.load(args.resume)
        if session.status == "finished":
            _print_transcript(session, sys.stdout)
            return 0
    else:
        scenario_id = pick_scenario(interviewer.kb, args.scenario)
        session = interviewer.start(
            scenario_id, args.lang or settings.lang, model_spec=args.model or settings.model
        )
    resume_hint = f"python -m simulator interview --resume {session.id}"
    print(
        f"session {session.id} ({session.time_budget_minutes} minutes): type your answers,"
        " one message per line; Ctrl-C saves and exits."
    )
    for turn in session.turns:
        print(f"{'interviewer' if turn.role == 'interviewer' else 'you'}> {turn.text}\n")
    try:
        _converse(interviewer, session)
    except EOFError:
        print(f"\nsaved; resume with: {resume_hint}")
        return 0
    except KeyboardInterrupt:
        print(f"\nsaved; resume with: {resume_hint}")
        return 130
    _print_scores(session, sys.stdout)
    return 0


def _converse(interviewer: Interviewer, session: InterviewSession) -> None:
    if session.awaiting_reply():  # resumed after a failed reply: answer it first
        _stream(interviewer.respond(session))
    while session.status == "active":
        line = input(PROMPT)
        if not line.strip() and session.awaiting_reply():
            _stream(interviewer.respond(session))
            continue
        _stream(interviewer.reply(session, line))


def _stream(chunks: Iterator[str]) -> None:
    sys.stdout.write("interviewer> ")
    try:
        for chunk in chunks:
            sys.stdout.write(chunk)
            sys.stdout.flush()
    except ModelError as exc:
        sys.stdout.write("\n")
        print(f"error: {exc} (your message is saved; press Enter to retry)", file=sys.stderr)
        return
    sys.stdout.write("\n\n")


def _list_sessions(settings: Settings, *, as_json: bool) -> int:
    listing = open_store(settings).summaries()
    for notice in listing.skipped:  # a damaged row is named, and the others still listed
        print(f"note: {notice}", file=sys.stderr)
    # Written designs graded in the app are kept beside interviews; this lists interviews.
    sessions = [s for s in listing.sessions if s.kind == "interview"]
    if as_json:
        print(
            json.dumps([s.model_dump(mode="json") for s in sessions], ensure_ascii=False, indent=2)
        )
        return 0
    if not sessions:
        print("no saved sessions")
    for s in sessions:
        when = f"{s.updated_at:%Y-%m-%d %H:%M}"
        score = f"{s.overall:.2f} / 4" if s.overall is not None else "-"
        print(
            f"{s.id}  {s.status:8}  {s.scenario_id:22} {s.lang}  {s.turns:3} turns"
            f"  {s.time_budget_minutes:3} min  {score:8}  {when}"
        )
    return 0
