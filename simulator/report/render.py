"""The feedback report as Markdown, JSON or a standalone HTML page (chart inline, no network).

Markdown and HTML show what a reader needs (simulator/report/view.py: titles and texts, never our
ids); the JSON is the grade contract of DESIGN.md, ids and all.
"""

import json
from collections.abc import Sequence

from simulator.grading.types import GradeReport
from simulator.kb.knowledge import KnowledgeBase
from simulator.report.html import to_html_view
from simulator.report.markdown import to_markdown_view
from simulator.report.view import TranscriptTurn, build_view


def to_json(report: GradeReport) -> str:
    return json.dumps(report.to_contract(), ensure_ascii=False, indent=2)


def to_markdown(
    report: GradeReport,
    transcript: Sequence[TranscriptTurn] | None = None,
    *,
    kb: KnowledgeBase | None = None,
    model: str | None = None,
) -> str:
    """The report (and the interview's transcript, when given) as inert Markdown; `kb` is the
    knowledge it was graded against (default: the configured one)."""
    return to_markdown_view(build_view(report, transcript, kb, model))


def to_html(
    report: GradeReport,
    transcript: Sequence[TranscriptTurn] | None = None,
    *,
    kb: KnowledgeBase | None = None,
    model: str | None = None,
) -> str:
    """The report (and the transcript, when given) as one self-contained HTML page."""
    return to_html_view(build_view(report, transcript, kb, model))


def render_report(
    report: GradeReport,
    fmt: str,
    transcript: Sequence[TranscriptTurn] | None = None,
    *,
    kb: KnowledgeBase | None = None,
    model: str | None = None,
) -> str:
    """The report in `fmt`: md, json or html; `model` is the one the interview ran on."""
    if fmt == "json":
        return to_json(report)
    if fmt == "html":
        return to_html(report, transcript, kb=kb, model=model)
    return to_markdown(report, transcript, kb=kb, model=model)
