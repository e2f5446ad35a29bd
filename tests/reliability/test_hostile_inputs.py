"""Hostile files and outputs: one-line errors, nothing destroyed, nothing executable in reports.

Each row an outside tester found: endless devices and FIFOs as input (a real process with a
timeout, its peak memory measured), oversized files, UTF-16 from Windows Notepad, `--out` aimed
at the design itself (directly, through a symlink, through a hard link), `--out -`, a write that
fails halfway, `--resume ""`, HTML and script links in the Markdown report, and a `.env` file
that points OPENAI_BASE_URL (and so the API key) at another server.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from markdown_it import MarkdownIt

from simulator.base import files
from simulator.base.errors import InputError
from simulator.base.files import (
    MAX_DESIGN_BYTES,
    MAX_SCRIPT_BYTES,
    read_user_text,
    write_output,
)
from simulator.base.sections import SECTION_IDS
from simulator.base.settings import ENV_FILE_VARIABLE, base_url_origin, load_settings
from simulator.cli.main import main
from simulator.grading.types import GradeReport, MissedPoint, SectionReport
from simulator.llm.backends import dotenv_key_note
from simulator.report.render import to_html, to_markdown
from tests.support.paths import ROOT

DESIGN = (
    "Requirements: 40M users, p99 latency under 100 ms, retrain daily.\n"
    "Metrics: offline AUC and recall@k, online CTR in an A/B test.\n"
    "Data: clicks as implicit labels, a time-based split, downsample negatives.\n"
    "Model: a popularity baseline, then logistic regression, then a two-tower network.\n"
    "Serving: candidate generation plus ranking, monitoring latency and CTR, weekly retraining.\n"
)
TIMEOUT = 20.0
"""Seconds a refused input may take in a real process (the import dominates: about 3 s)."""
PEAK_RSS_LIMIT_KB = 600 * 1024
"""A refused device is never read, so the process stays near its import size (~140 MB); an
unbounded read of /dev/zero would climb into gigabytes."""


def _one_line(err: str) -> str:
    assert err.endswith("\n") and err.count("\n") == 1, err
    assert "Traceback" not in err
    return err.strip()


def _cli(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def design(tmp_path: Path) -> Path:
    path = tmp_path / "design.md"
    path.write_text(DESIGN, encoding="utf-8")
    return path


# ----- endless and blocking inputs, in a real process ---------------------------------------------


DRIVER = r"""
import json, os, resource, sys, time, traceback
from simulator.cli.main import build_parser, main

build_parser()  # imports every subcommand now, once, instead of in each child
cases, timeout, folder = json.loads(sys.argv[1]), float(sys.argv[2]), sys.argv[3]
for name, argv in cases.items():
    sys.stdout.flush()
    pid = os.fork()
    if pid == 0:  # one child per case: the CLI's main, with its own stdout, stderr and memory
        for fd, suffix in ((1, "out"), (2, "err")):
            os.dup2(os.open(f"{folder}/{name}.{suffix}", os.O_WRONLY | os.O_CREAT), fd)
        with open("/proc/self/status") as status:
            vm = next(int(l.split()[1]) for l in status if l.startswith("VmSize:")) * 1024
        # A regression must not eat the memory of a shared machine: 1 GB more, then MemoryError.
        resource.setrlimit(resource.RLIMIT_AS, (vm + 2**30, resource.RLIM_INFINITY))
        try:
            code = main(argv)
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 1
        except BaseException:
            traceback.print_exc()
            code = 99
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    deadline, killed = time.monotonic() + timeout, False
    while True:
        done, status, usage = os.wait4(pid, os.WNOHANG)
        if done:
            break
        if time.monotonic() > deadline:
            os.kill(pid, 9)
            _, status, usage = os.wait4(pid, 0)
            killed = True
            break
        time.sleep(0.02)
    code = None if killed else os.waitstatus_to_exitcode(status)
    print(json.dumps({"name": name, "code": code, "peak_rss_kb": usage.ru_maxrss}), flush=True)
os._exit(0)  # skip the interpreter's slow teardown of everything imported
"""
"""Imports the CLI once, then runs each case in a forked child (a real process with its own exit
status, timeout and peak memory) — six cases for the import cost of one."""


@dataclass(frozen=True)
class Run:
    code: int | None
    """Exit status; None when the process was killed after TIMEOUT seconds."""
    err: str
    peak_rss_kb: int


ENDLESS = {
    "grade-dev-zero": (["grade", "/dev/zero"], "/dev/zero: is a device"),
    "grade-dev-urandom": (["grade", "/dev/urandom"], "/dev/urandom: is a device"),
    "script-dev-zero": (["interview", "--script", "/dev/zero"], "/dev/zero: is a device"),
    "script-dev-urandom": (["interview", "--script", "/dev/urandom"], "/dev/urandom: is a device"),
    "grade-fifo": (["grade", "{fifo}"], "is a named pipe"),
    "script-fifo": (["interview", "--script", "{fifo}"], "is a named pipe"),
}


@pytest.fixture(scope="module")
def endless_runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Run]:
    folder = tmp_path_factory.mktemp("endless")
    fifo = folder / "design.fifo"
    os.mkfifo(fifo)  # nobody ever writes to it: a blocking open or read would wait forever
    cases = {name: [a.format(fifo=fifo) for a in argv] for name, (argv, _) in ENDLESS.items()}
    driver = subprocess.run(
        [sys.executable, "-c", DRIVER, json.dumps(cases), str(TIMEOUT), str(folder)],
        cwd=ROOT,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=TIMEOUT * len(cases) + 60,  # the import, then each case at most TIMEOUT
    )
    assert driver.returncode == 0, driver.stderr
    runs = {}
    for line in driver.stdout.splitlines():
        result = json.loads(line)
        err = (folder / f"{result['name']}.err").read_text("utf-8", "replace")
        runs[result["name"]] = Run(result["code"], err, result["peak_rss_kb"])
    return runs


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="needs /dev/zero, FIFOs, /proc")
@pytest.mark.parametrize("name", list(ENDLESS))
def test_endless_or_blocking_input_is_refused_in_one_line(
    endless_runs: dict[str, Run], name: str
) -> None:
    run = endless_runs[name]
    assert run.code is not None, f"{name}: still running after {TIMEOUT} s"
    assert run.code == 2, run.err
    line = _one_line(run.err)
    assert ENDLESS[name][1] in line and "save the" in line
    assert run.peak_rss_kb < PEAK_RSS_LIMIT_KB, f"{name}: peak {run.peak_rss_kb} KB"


# ----- size, encoding and binary ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("argv", "limit"),
    [(["grade"], MAX_DESIGN_BYTES), (["interview", "--script"], MAX_SCRIPT_BYTES)],
    ids=["grade", "script"],
)
def test_an_oversized_file_is_refused_before_it_is_read(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str], limit: int
) -> None:
    huge = tmp_path / "huge.md"
    with huge.open("wb") as stream:  # sparse: the size is what counts, not the bytes
        stream.truncate(limit + 1)
    code, _, err = _cli([*argv, str(huge)], capsys)
    assert code == 2
    line = _one_line(err)
    assert str(huge) in line and "limit" in line and "shorten it" in line


def test_a_file_whose_size_is_unknown_is_read_only_up_to_the_limit() -> None:
    """/proc files say 0 bytes; the reader stops one byte past the limit all the same."""
    maps = Path("/proc/self/maps")
    if not maps.is_file():
        pytest.skip("needs /proc")
    assert maps.stat().st_size == 0
    with pytest.raises(InputError, match=r"is over the .* limit for a design; shorten it"):
        read_user_text(maps, 64, "design")


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be"])
def test_utf16_with_a_bom_is_decoded_and_graded_like_utf8(
    tmp_path: Path, design: Path, capsys: pytest.CaptureFixture[str], encoding: str
) -> None:
    bom = "\ufeff".encode(encoding)  # what Notepad writes first when it saves "Unicode"
    notepad = tmp_path / f"{encoding}.md"
    notepad.write_bytes(bom + DESIGN.replace("\n", "\r\n").encode(encoding))
    assert read_user_text(notepad, MAX_DESIGN_BYTES, "design").replace("\r\n", "\n") == DESIGN
    code, out, err = _cli(["grade", str(notepad), "--json"], capsys)
    assert code == 0, err
    code, reference, _ = _cli(["grade", str(design), "--json"], capsys)
    assert code == 0
    scores = [(s["id"], s["score"]) for s in json.loads(out)["sections"]]
    assert scores == [(s["id"], s["score"]) for s in json.loads(reference)["sections"]]


def test_a_utf16_script_is_read(tmp_path: Path) -> None:
    from simulator.cli.interview import read_script

    script = tmp_path / "script.txt"
    script.write_bytes(b"\xff\xfe" + "How many users?\n---\nAUC offline.\n".encode("utf-16-le"))
    assert read_script(script) == ["How many users?", "AUC offline."]


@pytest.mark.parametrize(
    "data",
    [b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", b"\xff\xfe" + b"\x00\x00\x01\x00", b"ok\x00ok"],
    ids=["png", "utf16-with-nul", "nul-inside"],
)
@pytest.mark.parametrize("argv", [["grade"], ["interview", "--script"]], ids=["grade", "script"])
def test_binary_data_is_refused_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], data: bytes, argv: list[str]
) -> None:
    path = tmp_path / "binary.md"
    path.write_bytes(data)
    code, _, err = _cli([*argv, str(path)], capsys)
    assert code == 2
    assert "looks like binary data" in _one_line(err)


def test_an_upload_gets_the_same_limit_and_decoding() -> None:
    """What the app's grade view calls on the uploaded bytes."""
    assert files.decode_user_bytes("\ufeffhé".encode("utf-16-be"), "up.md", "design") == "hé"
    with pytest.raises(InputError, match=r"^up\.md: is over the 5 MB limit for a design"):
        files.decode_user_bytes(b"a" * (MAX_DESIGN_BYTES + 1), "up.md", "design", MAX_DESIGN_BYTES)
    with pytest.raises(InputError, match=r"^up\.md: is not UTF-8 or UTF-16 text"):
        files.decode_user_bytes("café".encode("latin-1"), "up.md", "design")


# ----- --out never destroys the design ------------------------------------------------------------


def _same_as_design(path: Path) -> None:
    assert path.read_text(encoding="utf-8") == DESIGN


@pytest.mark.parametrize("how", ["same-path", "symlink", "hard-link", "relative-dots"])
def test_out_aimed_at_the_design_is_refused_and_the_design_kept(
    tmp_path: Path, design: Path, capsys: pytest.CaptureFixture[str], how: str
) -> None:
    target = {
        "same-path": design,
        "symlink": tmp_path / "link.md",
        "hard-link": tmp_path / "hard.md",
        "relative-dots": tmp_path / "." / ".." / tmp_path.name / "design.md",
    }[how]
    if how == "symlink":
        target.symlink_to(design)
    elif how == "hard-link":
        target.hardlink_to(design)
    code, out, err = _cli(["grade", str(design), "--out", str(target)], capsys)
    assert code == 2 and not out
    line = _one_line(err)
    assert "is the input file" in line and "choose another output path" in line
    _same_as_design(design)


def test_out_dash_prints_to_stdout_and_makes_no_file(
    tmp_path: Path,
    design: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(tmp_path)
    code, out, err = _cli(["grade", str(design), "--out", "-", "--format", "json"], capsys)
    assert code == 0, err
    assert [s["id"] for s in json.loads(out)["sections"]] == list(SECTION_IDS)
    assert not (tmp_path / "-").exists()


def test_out_replaces_an_old_report_and_keeps_its_mode(
    tmp_path: Path, design: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    report = tmp_path / "report.md"
    report.write_text("old report", encoding="utf-8")
    report.chmod(0o640)
    link = tmp_path / "latest.md"
    link.symlink_to(report)
    code, out, err = _cli(["grade", str(design), "--out", str(link)], capsys)
    assert code == 0, err
    assert out.startswith("wrote md report to")
    assert link.is_symlink() and report.read_text("utf-8").startswith("#")
    assert report.stat().st_mode & 0o777 == 0o640
    assert sorted(p.name for p in tmp_path.iterdir()) == ["design.md", "latest.md", "report.md"]


def test_a_failed_write_leaves_the_old_file_intact(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    report = tmp_path / "report.md"
    report.write_text("old report", encoding="utf-8")

    def refuse(src: object, dst: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(files.os, "replace", refuse)
    with pytest.raises(InputError) as raised:
        write_output(report, "new report")
    assert str(raised.value) == (
        f"{report}: cannot write (No space left on device); the old file is unchanged"
    )
    assert report.read_text("utf-8") == "old report"
    assert [p.name for p in tmp_path.iterdir()] == ["report.md"]  # no temporary file left


def test_out_in_a_missing_folder_is_refused_before_grading(
    tmp_path: Path, design: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "no" / "such" / "report.md"
    code, _, err = _cli(["grade", str(design), "--out", str(target)], capsys)
    assert code == 2
    assert "does not exist); create it first" in _one_line(err)
    assert not (tmp_path / "no").exists()
    _same_as_design(design)


# ----- --resume "" --------------------------------------------------------------------------------


@pytest.mark.parametrize("session_id", ["", "   ", "\t"])
def test_an_empty_resume_id_is_an_error_not_a_new_session(
    capsys: pytest.CaptureFixture[str], session_id: str
) -> None:
    code, out, err = _cli(["interview", "--resume", session_id], capsys)
    assert code == 2 and not out
    assert _one_line(err) == (
        "error: --resume needs a session id; list saved sessions with `interview --list`"
    )


# ----- nothing executable in the Markdown report -------------------------------------------------

HOSTILE = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "[x](javascript:alert(1))",
    "![i](http://127.0.0.1:9/x.png)",
    "[y](JaVaScRiPt:alert(2)) [z](data:text/html;base64,PHNjcmlwdD4=) [v](vbscript:msgbox(1))",
    "\\[w\\](javascript:alert(3)) `<script>x</script>` &lt;b&gt; [r]: javascript:alert(4)\n[r]",
]


@dataclass(frozen=True)
class Turn:
    role: str
    text: str
    kind: str


def _hostile_report() -> GradeReport:
    text = " ".join(HOSTILE)
    return GradeReport(
        scenario=None,
        lang="en",
        overall=2.0,
        notices=[text],
        sections=[
            SectionReport(
                id=section,
                score=2,
                evidence=[*HOSTILE, text],
                missed=[MissedPoint(id="m", text=text, passage="p", passage_text=text)],
                references=[],
                advice=[text],
            )
            for section in SECTION_IDS
        ],
    )


def test_the_markdown_report_holds_no_live_html_links_or_images() -> None:
    transcript = [Turn("candidate", text, "answer") for text in HOSTILE]
    transcript.append(Turn("interviewer", " ".join(HOSTILE), "probe"))
    md = to_markdown(_hostile_report(), transcript)
    for live in ("<script", "<img", "](javascript:", "![i](", "](data:", "vbscript:"):
        assert live not in md.lower(), live
    assert "javascript:" not in md.lower()
    # Rendered by a CommonMark renderer that lets raw HTML through and checks no link itself:
    renderer = MarkdownIt("commonmark", {"html": True})
    renderer.validateLink = lambda url: True  # type: ignore[method-assign]
    html = renderer.render(md).lower()
    for live in ("<script", "<img", "<a ", 'href="', 'src="'):
        assert live not in html, live
    # ...and the candidate's words still read as written.
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "[x](javascript:alert(1))" in html


def test_the_html_report_still_escapes_everything() -> None:
    html = to_html(_hostile_report(), [Turn("candidate", HOSTILE[0], "answer")]).lower()
    assert "<script" not in html and "<img" not in html and "<a " not in html


# ----- a base URL from .env is named before the key goes there ------------------------------------

REMOTE = "https://llm.example.net/v1"


@pytest.fixture
def dotenv(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A `.env` in a temporary working directory that points the key at another server."""
    path = tmp_path / ".env"
    path.write_text(f"OPENAI_BASE_URL={REMOTE}\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv(ENV_FILE_VARIABLE, ".env")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-canary-hostile")
    return path


NOTE = f"note: OPENAI_BASE_URL={REMOTE} comes from .env; your OPENAI_API_KEY will be sent there"


def test_a_dotenv_base_url_is_named_once_before_any_request(
    dotenv: Path, design: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # The model is never built: real calls are switched off in tests, so the command stops right
    # after the note with a ConfigError, and the guard in conftest blocks any other address.
    code, _, err = _cli(["grade", str(design), "--model", "openai:gpt-4o-mini"], capsys)
    assert code == 2
    lines = err.splitlines()
    assert lines[0] == NOTE and err.count("OPENAI_BASE_URL=") == 1
    assert lines[1].startswith("error: real model calls are switched off")
    assert "sk-canary-hostile" not in err


def test_the_note_names_the_dotenv_file_chosen(
    dotenv: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(ENV_FILE_VARIABLE, str(dotenv))
    note = dotenv_key_note(load_settings(), ["openai:gpt-4o-mini"])
    assert note == NOTE.replace("from .env", f"from {dotenv}")


@pytest.mark.parametrize(
    "case", ["url-from-environment", "loopback", "localhost", "ipv6-loopback", "no-key", "local"]
)
def test_no_note_when_the_key_stays_where_the_user_said(
    dotenv: Path, monkeypatch: pytest.MonkeyPatch, case: str
) -> None:
    spec = "openai:gpt-4o-mini"
    if case == "url-from-environment":
        monkeypatch.setenv("OPENAI_BASE_URL", REMOTE)
    elif case in ("loopback", "localhost", "ipv6-loopback"):
        host = {"loopback": "127.0.0.2", "localhost": "localhost", "ipv6-loopback": "[::1]"}
        dotenv.write_text(f"OPENAI_BASE_URL=http://{host[case]}:9/v1\n", encoding="utf-8")
    elif case == "no-key":
        monkeypatch.delenv("OPENAI_API_KEY")
    else:
        spec = "local"
    assert dotenv_key_note(load_settings(), [spec]) is None


def test_the_note_covers_openai_embeddings_and_a_key_in_the_dotenv_too(
    dotenv: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("OPENAI_API_KEY")
    dotenv.write_text(f"OPENAI_BASE_URL={REMOTE}\nOPENAI_API_KEY=sk-in-dotenv\n", encoding="utf-8")
    note = dotenv_key_note(load_settings(), ["local", "openai:text-embedding-3-small"])
    assert note == NOTE


def test_where_the_base_url_came_from(dotenv: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert base_url_origin(load_settings()) == "dotenv"
    assert base_url_origin(load_settings(openai_base_url="http://127.0.0.1:1/v1")) == "given"
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:2/v1")
    assert base_url_origin(load_settings()) == "environment"
    monkeypatch.delenv("OPENAI_BASE_URL")
    monkeypatch.setenv(ENV_FILE_VARIABLE, "")
    assert base_url_origin(load_settings()) is None
