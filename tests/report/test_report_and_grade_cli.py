"""The report in three formats and `python -m simulator grade` on good and bad files."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from simulator.base.files import MAX_DESIGN_BYTES
from simulator.base.sections import SECTION_IDS, SECTION_TITLES
from simulator.base.settings import load_settings
from simulator.cli.main import main
from simulator.grading.grader import grade_answer
from simulator.kb.knowledge import load_knowledge
from simulator.llm.backends import get_chat_model
from simulator.report.render import render_report, to_html, to_markdown
from tests.support.paths import ROOT
from tests.support.transcript import PlainTurn as Turn

ANSWER = ROOT / "tests/data/answers/thorough_ru.md"


@pytest.fixture(scope="module")
def report():
    settings = load_settings()
    kb = load_knowledge(ROOT / "knowledge")
    return grade_answer(
        ANSWER.read_text("utf-8") + "\n<script>alert(1)</script> потому что так.",
        kb=kb,
        model=get_chat_model("local", settings),
        lang="ru",
        settings=settings,
        scenario=kb.scenario("product_recs"),
    )


def test_markdown_names_every_section_and_highlights_questions(report) -> None:
    transcript = [
        Turn("interviewer", "Спроектируйте систему…", "opening"),
        Turn("candidate", "Сколько у нас данных?", "clarifying_question"),
        Turn("interviewer", "40 миллионов пользователей.", "fact"),
    ]
    md = to_markdown(report, transcript)
    for section in SECTION_IDS:
        assert SECTION_TITLES[section]["ru"] in md
    assert "уточняющий вопрос" in md and "40 миллионов" in md
    assert f"{report.overall:.2f}".replace(".", ",") in md


def test_html_is_standalone_escaped_and_has_a_chart(report) -> None:
    html = to_html(report, [Turn("candidate", "<b>bold</b>?", "clarifying_question")])
    assert html.startswith("<!DOCTYPE html>") and "<svg" in html
    assert "http://" not in html.replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert "https://" not in html and "<script" not in html
    assert "&lt;b&gt;bold&lt;/b&gt;" in html


def test_json_matches_the_contract(report) -> None:
    data = json.loads(render_report(report, "json"))
    assert {"scenario", "lang", "overall", "sections"} <= data.keys()
    assert [s["id"] for s in data["sections"]] == list(SECTION_IDS)
    for s in data["sections"]:
        assert {"id", "score", "evidence", "missed", "references"} <= s.keys()
        assert all({"id", "text", "passage", "passage_text"} <= m.keys() for m in s["missed"])


def test_fallback_is_marked(report) -> None:
    marked = report.model_copy(update={"fallback": True})
    assert "⚠" in to_markdown(marked) and "⚠" in to_html(marked)


def test_grade_cli_json_and_out(tmp_path: Path, capsys) -> None:
    assert main(["grade", str(ANSWER), "--scenario", "product_recs", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["scenario"] == "product_recs" and data["lang"] == "ru"
    out = tmp_path / "report.html"
    assert main(["grade", str(ANSWER), "--format", "html", "--out", str(out)]) == 0
    assert "<svg" in out.read_text("utf-8")


def _bad_files(tmp_path: Path) -> dict[str, Path]:
    files = {
        "empty": b"",
        "blank": b"   \n\t\n",
        "binary": b"\x89PNG\x00\x00\x01",
        "latin1": "café résumé".encode("latin-1"),
        "huge": b"a" * (MAX_DESIGN_BYTES + 1),
    }
    paths = {}
    for name, data in files.items():
        paths[name] = tmp_path / f"{name}.md"
        paths[name].write_bytes(data)
    paths["missing"] = tmp_path / "nope.md"
    paths["folder"] = tmp_path
    return paths


@pytest.mark.parametrize(
    "name", ["empty", "blank", "binary", "latin1", "huge", "missing", "folder"]
)
def test_grade_cli_refuses_bad_files_in_one_line(tmp_path: Path, capsys, name: str) -> None:
    path = _bad_files(tmp_path)[name]
    assert main(["grade", str(path)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "Traceback" not in err and str(path) in err


def test_grade_cli_unknown_scenario_and_bad_flag(capsys) -> None:
    assert main(["grade", str(ANSWER), "--scenario", "../../etc/passwd"]) == 2
    assert "unknown scenario" in capsys.readouterr().err
    proc = subprocess.run(
        [sys.executable, "-m", "simulator", "grade", str(ANSWER), "--format", "pdf"],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert proc.returncode == 2 and len(proc.stderr.strip().splitlines()) == 1
