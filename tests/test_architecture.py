"""The layers of DESIGN.md hold: a module imports only from layers above its own.

Walks every module's imports with `ast` (no new dependency), so a wrong import fails here the day it
is written instead of being found by a reader months later.
"""

from pathlib import Path

import pytest

from tests.support.imports import ROOT, Violation, violations

PLANTED = """
from simulator.interview.session import InterviewSession
"""


def test_no_import_runs_against_the_layers() -> None:
    found = violations(ROOT)
    assert not found, "\n".join(str(v) for v in found)


def test_a_planted_upward_import_is_caught(tmp_path: Path) -> None:
    """The check itself can fail: a kb module importing the interview layer is reported."""
    tree = tmp_path / "project"
    (tree / "simulator" / "kb").mkdir(parents=True)
    (tree / "simulator" / "kb" / "planted.py").write_text(PLANTED, encoding="utf-8")
    assert violations(tree) == [
        Violation(
            Path("simulator/kb/planted.py"),
            "simulator.interview.session",
            "kb may not import interview",
        )
    ]


@pytest.mark.parametrize(
    ("path", "source", "why"),
    [
        (
            "simulator/grading/planted.py",
            "import langchain_openai\n",
            "only simulator/llm/ imports langchain_openai",
        ),
        (
            "simulator/interview/planted.py",
            "from simulator.llm.local.tasks import classify\n",
            "only llm/ and services reach into the local model",
        ),
        (
            "simulator/cli/planted.py",
            "from simulator.ui import state\n",
            "cli may not import ui",
        ),
        (
            "simulator/base/planted.py",
            "def f() -> None:\n    from simulator.kb import knowledge\n",
            "base may not import kb",
        ),
    ],
)
def test_each_rule_is_enforced(tmp_path: Path, path: str, source: str, why: str) -> None:
    target = tmp_path / path
    target.parent.mkdir(parents=True)
    target.write_text(source, encoding="utf-8")
    assert [v.why for v in violations(tmp_path)] == [why]
