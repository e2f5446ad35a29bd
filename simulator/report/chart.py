"""The section scores as an inline SVG bar chart: no script, no network, any browser."""

from html import escape

from simulator.base.sections import SECTION_TITLES, Lang, SectionId
from simulator.base.strings import text

_BAR_COLOURS = ("#c0392b", "#e67e22", "#f1c40f", "#7cb342", "#2e7d32")


def score_chart_svg(scores: list[tuple[SectionId, int]], lang: Lang) -> str:
    """Horizontal bars, one per section, on the 0..4 scale."""
    row, label_w, bar_w = 34, 130, 320
    height = row * len(scores) + 30
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{label_w + bar_w + 50}" '
        f'height="{height}" role="img" aria-label="{escape(text("report.chart", lang))}">'
    ]
    for tick in range(5):
        x = label_w + bar_w * tick / 4
        parts.append(
            f'<line x1="{x:.0f}" y1="0" x2="{x:.0f}" y2="{height - 22}" stroke="#ddd"/>'
            f'<text x="{x:.0f}" y="{height - 6}" font-size="12" text-anchor="middle">{tick}</text>'
        )
    for i, (section, score) in enumerate(scores):
        y = i * row + 6
        width = bar_w * score / 4
        title = escape(SECTION_TITLES[section][lang])
        parts.append(
            f'<text x="{label_w - 8}" y="{y + 17}" font-size="14" text-anchor="end">{title}</text>'
            f'<rect x="{label_w}" y="{y}" width="{width:.0f}" height="22" rx="3" '
            f'fill="{_BAR_COLOURS[score]}"/>'
            f'<text x="{label_w + width + 6:.0f}" y="{y + 17}" font-size="14">{score}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)
