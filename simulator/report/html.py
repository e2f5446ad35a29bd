"""The report as one standalone HTML page: a Jinja template with autoescape, the chart inline, and
nothing fetched from anywhere (its Content-Security-Policy forbids it)."""

from functools import lru_cache
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup

from simulator.report.chart import score_chart_svg
from simulator.report.view import ReportView

TEMPLATES = Path(__file__).parent / "templates"


@lru_cache(maxsize=1)
def _environment() -> Environment:
    return Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def to_html_view(view: ReportView) -> str:
    # Our own SVG, its only text the section titles, escaped by score_chart_svg.
    chart = Markup(score_chart_svg([(s.id, s.score) for s in view.sections], view.lang))
    template = _environment().get_template("report.html.j2")
    return template.render(view=view, label=view.labels, chart=chart) + "\n"
