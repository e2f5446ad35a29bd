"""The report as Markdown that any viewer shows as the plain text it holds.

Every piece of text is made inert before it goes in (the candidate's words above all, but our own
titles too, the same way): raw HTML shows as text, `[x](url)` and `![i](url)` form no link or
image, `*`, `_`, `` ` ``, `~`, `|` and `$` neither format nor start LaTeX, a line of it cannot open
a heading, list, quote or code block, and no URL, `www.` or e-mail address is left for a viewer to
turn into a link.
"""

import re

from simulator.report.view import ReportView, SectionView, TurnView

_BACKSLASHED = re.compile(r"[\\`*_\[\]|~$]")
_ENTITY = re.compile(r"&(?=#?[0-9A-Za-z]+;)")
_LIVE_SCHEME = re.compile(
    r"\b((?:java|vb)script\s*|data(?=:(?:[\w.+-]+/|[,;]))|[a-z][a-z0-9+.-]*(?=://)):",
    re.IGNORECASE,
)
"""A `javascript:`/`vbscript:` scheme, a `data:type/…` one and any `scheme://` (a plain
"data: 40M rows" is none of them); its colon becomes an entity, so no viewer sees a URL."""
_WWW = re.compile(r"\bwww\.", re.IGNORECASE)
_EMAIL_AT = re.compile(r"(?<=\w)@(?=\w)")
_ORDERED = re.compile(r"\d{1,9}(?=[.)])")
_BLOCK_OPENERS = "#+=-"
"""Characters that open a block at the start of a line (`>` and the rest are escaped anywhere)."""


def _inline(value: str) -> str:
    """Text escaped so no Markdown in it is live (see the module's docstring); line breaks stay."""
    value = _BACKSLASHED.sub(lambda m: "\\" + m.group(0), value)
    value = _ENTITY.sub("&amp;", value)
    value = value.replace("<", "&lt;").replace(">", "&gt;")
    value = _LIVE_SCHEME.sub(lambda m: m.group(1) + "&#58;", value)
    value = _WWW.sub(lambda m: m.group(0)[:3] + "&#46;", value)
    return _EMAIL_AT.sub("&#64;", value)


def _line_start(line: str) -> str:
    """A line that cannot open a block: no heading, list item, setext rule or indented code."""
    line = line.lstrip()
    ordered = _ORDERED.match(line)
    if ordered:
        return line[: ordered.end()] + "\\" + line[ordered.end() :]
    return "\\" + line if line[:1] in _BLOCK_OPENERS else line


def md_text(value: str) -> str:
    """`value` on one line, inert: for quotes, list items and labels."""
    return _line_start(_inline(" ".join(value.split())))


def md_lines(value: str) -> str:
    """`value` inert, its lines kept as hard breaks within one paragraph (blank lines dropped)."""
    lines = [_line_start(_inline(line)) for line in value.splitlines() if line.strip()]
    return "  \n".join(lines)


def to_markdown_view(view: ReportView) -> str:
    label = {key: md_text(value) for key, value in view.labels.items()}
    out = [f"# {label['title']}", "", f"{label['language']}  "]
    if view.scenario:
        out.append(f"{label['scenario']}: {md_text(view.scenario)}  ")
    out += [f"{md_text(line)}  " for line in (view.model, view.tokens) if line]
    out.append(f"**{label['overall']}: {view.overall} / 4**")
    if view.weighting:
        out[-1] += "  "
        out.append(md_text(view.weighting))
    if view.fallback:
        out += ["", f"> ⚠ {label['fallback']}"]
    for notice in view.notices:
        out += ["", f"> {md_text(notice)}"]
    out += ["", f"| {label['section']} | {label['score']} |", "|---|---|"]
    out += [f"| {md_text(s.title)} | {s.score} / 4 |" for s in view.sections]
    for section in view.sections:
        out += _section(section, label)
    if view.read_next:
        out += ["", f"## {label['read_next']}", ""]
        out += [f"- {md_text(title)}" for title in view.read_next]
    if view.transcript:
        out += ["", f"## {label['transcript']}"]
        for turn in view.transcript:
            out += ["", _turn(turn, label)]
    return "\n".join(out) + "\n"


def _section(section: SectionView, label: dict[str, str]) -> list[str]:
    out = ["", f"## {md_text(section.title)}: {section.score} / 4", ""]
    out.append(f"**{label['evidence']}:**")
    for quote in section.evidence:
        out += ["", f"> {md_text(quote)}"]
    if not section.evidence:
        out += ["", f"_{label['none']}_"]
    if section.asked:
        out += ["", f"**{label['asked']}:**", ""]
        out += [f"- {md_text(point)}" for point in section.asked]
    if section.mistakes:
        out += ["", f"**{label['mistakes']}:**", ""]
        for m in section.mistakes:
            lines = [f"- **{md_text(m.wrong)}**" + (f" {md_text(m.why)}" if m.why else "")]
            lines += [f"  {label['you_wrote']}: “{md_text(m.quote)}”"] if m.quote else []
            lines += [f"  {label['read']}: _{md_text(m.read)}_"] if m.read else []
            out.append("  \n".join(lines))
    if section.missed:
        out += ["", f"**{label['missed']}:**", ""]
        for p in section.missed:
            read = f"_{md_text(p.read)}_: " if p.read else ""
            passage = f"  \n  {read}{md_text(p.passage_text)}" if p.passage_text else ""
            out.append(f"- {md_text(p.text)}{passage}")
    if section.advice:
        out += ["", f"**{label['advice']}:**", ""]
        out += [f"- {md_text(a)}" for a in section.advice]
    return out


def _turn(turn: TurnView, label: dict[str, str]) -> str:
    mark = f" **\\[{label['question']}\\]**" if turn.mark == "question" else ""
    tokens = f" _({md_text(turn.tokens)})_" if turn.tokens else ""
    return f"**{md_text(turn.who)}**{mark}: {md_lines(turn.text)}{tokens}"
