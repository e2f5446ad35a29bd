"""The feedback report as Markdown, JSON or a standalone HTML page (chart inline, no network)."""

import json
import re
from collections.abc import Sequence
from html import escape
from typing import Protocol

from simulator.base.sections import SECTION_TITLES, Lang
from simulator.base.strings import text
from simulator.grading.types import GradeReport
from simulator.report.chart import score_chart_svg

CLARIFYING_KINDS = frozenset({"clarifying_question"})
FACT_KINDS = frozenset({"fact", "assumption"})


class TranscriptTurn(Protocol):
    @property
    def role(self) -> str: ...
    @property
    def text(self) -> str: ...
    @property
    def kind(self) -> str: ...


def _l(key: str, lang: Lang) -> str:
    """The report label `report.<key>` in `lang`."""
    return text(f"report.{key}", lang)


def to_json(report: GradeReport) -> str:
    return json.dumps(report.to_contract(), ensure_ascii=False, indent=2)


_MD_ESCAPED = re.compile(r"[\\`\[\]]")
_ENTITY = re.compile(r"&(?=#?[0-9A-Za-z]+;)")
_SCRIPT_SCHEME = re.compile(
    r"\b(javascript\s*|vbscript\s*|data):(?=[\w.+-]+/|[,;])|\b(javascript\s*|vbscript\s*):",
    re.IGNORECASE,
)


def _md_text(value: str) -> str:
    """Text from the candidate (or a model) made inert in Markdown, still reading as written:
    raw HTML shows as text (`<script>`, `<img onerror=...>`), `[x](url)` and `![i](url)` form no
    link or image (brackets, backticks and backslashes are escaped), and a `javascript:`,
    `vbscript:` or `data:…/…` target loses its colon to an entity, so it is never a live scheme
    (a plain "data: 40M rows" stays as written)."""
    value = _MD_ESCAPED.sub(lambda m: "\\" + m.group(0), value)
    value = _ENTITY.sub("&amp;", value)
    value = value.replace("<", "&lt;").replace(">", "&gt;")
    return _SCRIPT_SCHEME.sub(lambda m: (m.group(1) or m.group(2)) + "&#58;", value)


def to_markdown(report: GradeReport, transcript: Sequence[TranscriptTurn] | None = None) -> str:
    lang = report.lang
    out = [f"# {_l('title', lang)}", ""]
    if report.scenario:
        out.append(f"{_l('scenario', lang)}: `{report.scenario}`  ")
    out.append(f"**{_l('overall', lang)}: {report.overall:.2f} / 4**")
    if report.fallback:
        out += ["", f"> ⚠ {_l('fallback', lang)}"]
    out += [f"> {_md_text(n)}" for n in report.notices]
    out += ["", "| | |", "|---|---|"]
    out += [f"| {SECTION_TITLES[s.id][lang]} | {s.score} / 4 |" for s in report.sections]
    for s in report.sections:
        out += ["", f"## {SECTION_TITLES[s.id][lang]}: {s.score} / 4", ""]
        out.append(f"**{_l('evidence', lang)}:**")
        out += [f"> {_md_text(q)}" for q in s.evidence] or [f"- _{_l('none', lang)}_"]
        if s.missed:
            out += ["", f"**{_l('missed', lang)}:**"]
            out += [
                f"- {_md_text(m.text)} — _{m.passage}_: {_md_text(m.passage_text)}"
                for m in s.missed
            ]
        out += ["", f"**{_l('advice', lang)}:**"] + [f"- {_md_text(a)}" for a in s.advice]
    if report.read_next:
        out += ["", f"## {_l('read_next', lang)}", ""]
        out += [f"- {_md_text(r.title)} (`{r.passage}`)" for r in report.read_next]
    if transcript:
        out += ["", f"## {_l('transcript', lang)}", ""]
        for turn in transcript:
            who = _l("candidate" if turn.role == "candidate" else "interviewer", lang)
            mark = f" **[{_l('question', lang)}]**" if turn.kind in CLARIFYING_KINDS else ""
            out.append(f"**{who}**{mark}: {_md_text(turn.text)}  ")
    return "\n".join(out) + "\n"


_CSS = """
body{font-family:system-ui,sans-serif;max-width:860px;margin:2em auto;padding:0 1em;color:#222}
h1{margin-bottom:.2em}.overall{font-size:1.4em}.warn{background:#fff3cd;padding:.6em;border-radius:6px}
section{border-top:1px solid #eee;margin-top:1.2em}blockquote{border-left:4px solid #7cb342;
margin:.4em 0;padding:.2em .8em;background:#f6fbf2}.missed li{margin:.3em 0}
.passage{color:#555;font-size:.92em}.turn{margin:.3em 0}.q{background:#e3f2fd;border-radius:4px;
padding:.1em .3em}.fact{background:#f3e5f5;border-radius:4px;padding:.1em .3em}
"""


def to_html(report: GradeReport, transcript: Sequence[TranscriptTurn] | None = None) -> str:
    lang = report.lang
    e = escape
    body = [f"<h1>{_l('title', lang)}</h1>"]
    if report.scenario:
        body.append(f"<p>{_l('scenario', lang)}: <code>{e(report.scenario)}</code></p>")
    body.append(f'<p class="overall"><b>{_l("overall", lang)}: {report.overall:.2f} / 4</b></p>')
    if report.fallback:
        body.append(f'<p class="warn">⚠ {_l("fallback", lang)}</p>')
    body += [f'<p class="warn">{e(n)}</p>' for n in report.notices]
    body.append(score_chart_svg([(s.id, s.score) for s in report.sections], lang))
    for s in report.sections:
        body.append(f"<section><h2>{SECTION_TITLES[s.id][lang]}: {s.score} / 4</h2>")
        body.append(f"<h3>{_l('evidence', lang)}</h3>")
        body += [f"<blockquote>{e(q)}</blockquote>" for q in s.evidence] or [
            f"<p><i>{_l('none', lang)}</i></p>"
        ]
        if s.missed:
            body.append(f'<h3>{_l("missed", lang)}</h3><ul class="missed">')
            body += [
                f'<li>{e(m.text)}<div class="passage">{e(m.passage_text)} '
                f"<code>{e(m.passage)}</code></div></li>"
                for m in s.missed
            ]
            body.append("</ul>")
        body.append(f"<h3>{_l('advice', lang)}</h3><ul>")
        body += [f"<li>{e(a)}</li>" for a in s.advice]
        body.append("</ul></section>")
    if report.read_next:
        body.append(f"<section><h2>{_l('read_next', lang)}</h2><ol>")
        body += [f"<li>{e(r.title)} <code>{e(r.passage)}</code></li>" for r in report.read_next]
        body.append("</ol></section>")
    if transcript:
        body.append(f"<section><h2>{_l('transcript', lang)}</h2>")
        for turn in transcript:
            who = _l("candidate" if turn.role == "candidate" else "interviewer", lang)
            css = (
                "q" if turn.kind in CLARIFYING_KINDS else "fact" if turn.kind in FACT_KINDS else ""
            )
            body.append(
                f'<p class="turn"><b>{who}:</b> <span class="{css}">{e(turn.text)}</span></p>'
            )
        body.append("</section>")
    return (
        f'<!DOCTYPE html><html lang="{lang}"><head><meta charset="utf-8">'
        f"<title>{_l('title', lang)}</title><style>{_CSS}</style></head>"
        f"<body>{''.join(body)}</body></html>\n"
    )


def render_report(
    report: GradeReport, fmt: str, transcript: Sequence[TranscriptTurn] | None = None
) -> str:
    """The report in `fmt`: md, json or html."""
    if fmt == "json":
        return to_json(report)
    if fmt == "html":
        return to_html(report, transcript)
    return to_markdown(report, transcript)
