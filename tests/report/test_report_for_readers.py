"""The exported reports as a reader meets them: the mistakes the grader found, titles instead of
our ids, no empty heading, numbers written the language's way, the language named, and the
candidate's words shown as plain text (Markdown) or escaped text (HTML) whatever they hold."""

import json
import re
from html.parser import HTMLParser

import pytest

from simulator.base.sections import SECTION_IDS, SECTION_TITLES, Lang
from simulator.base.settings import load_settings
from simulator.base.strings import text
from simulator.cli.main import main
from simulator.grading.grader import grade_answer
from simulator.grading.types import GradeReport, MistakeNote, SectionReport
from simulator.interview.session import Turn as SessionTurn
from simulator.interview.session import TurnTokens
from simulator.kb.knowledge import KnowledgeBase, load_knowledge
from simulator.llm.backends import get_chat_model
from simulator.report.render import render_report, to_html, to_markdown
from tests.support.paths import ROOT
from tests.support.transcript import PlainTurn as Turn

WRONG_CLAIMS = """## Requirements
We recommend products to signed-in users. How many users do we have, and how fast must it answer?
## Metrics
We will use accuracy as the offline metric, and no A/B test is needed.
## Model
No baseline, XGBoost is always better, 5,000 trees of depth 20.
## Serving
Train once, never retrain.
"""
"""A design whose claims the mistakes catalogue knows to be wrong."""

HOSTILE = [
    "<script>alert(1)</script> and <img src=x onerror=alert(2)>",
    "![i](http://127.0.0.1:9/pixel.png) then [click](https://example.net/x) and <https://e.org>",
    "$x^2$ and $$\\int f$$ cost $5",
    "# Big heading",
    "- a list item",
    "12. an ordered item",
    "> a quote",
    "```python",
    "*stars* _under_ ~~struck~~ `code` | a | b |",
    "www.example.com and me@example.com and javascript:alert(3)",
    "[ref]: http://127.0.0.1:9/ref",
    "&lt;b&gt; stays &amp; as written \\* too",
    "==== and ---- and ***",
]
"""Candidate text that would be markup, media, links or LaTeX in a Markdown viewer."""


MARKDOWN_TAGS = frozenset(
    {"h1", "h2", "p", "br", "strong", "em", "blockquote", "ul", "li"}
    | {"table", "thead", "tbody", "tr", "th", "td"}
)
"""All the Markdown export may render to: our own structure, nothing from the candidate."""


@pytest.fixture(scope="module")
def kb() -> KnowledgeBase:
    return load_knowledge(ROOT / "knowledge")


@pytest.fixture(scope="module")
def wrong(kb: KnowledgeBase) -> GradeReport:
    settings = load_settings()
    return grade_answer(
        WRONG_CLAIMS,
        kb=kb,
        model=get_chat_model("local", settings),
        lang="en",
        settings=settings,
        scenario=kb.scenario("product_recs"),
    )


@pytest.fixture(scope="module")
def thorough_ru(kb: KnowledgeBase) -> GradeReport:
    settings = load_settings()
    return grade_answer(
        (ROOT / "tests/data/answers/thorough_ru.md").read_text("utf-8"),
        kb=kb,
        model=get_chat_model("local", settings),
        lang="ru",
        settings=settings,
        scenario=kb.scenario("product_recs"),
    )


def _text_report(
    lang: Lang,
    scores: list[int],
    *,
    overall: float | None = None,
    evidence: list[str] | None = None,
    advice: list[str] | None = None,
    notices: list[str] | None = None,
    mistakes: list[MistakeNote] | None = None,
) -> GradeReport:
    """A report with these scores, each section holding the same `evidence` and `advice`."""
    sections = [
        SectionReport(
            id=sid,
            score=score,
            evidence=evidence or [],
            missed=[],
            references=[],
            advice=advice or [],
        )
        for sid, score in zip(SECTION_IDS, scores, strict=True)
    ]
    return GradeReport(
        scenario=None,
        lang=lang,
        overall=sum(scores) / len(scores) if overall is None else overall,
        sections=sections,
        notices=notices or [],
        mistakes=mistakes or [],
    )


# ----- the mistakes the grader found --------------------------------------------------------------


def test_every_mistake_is_shown_under_its_section_with_why_the_quote_and_what_to_read(
    wrong: GradeReport, kb: KnowledgeBase
) -> None:
    assert {m.section for m in wrong.mistakes} >= {"model", "serving"}, wrong.mistakes
    md, html = to_markdown(wrong, kb=kb), to_html(wrong, kb=kb)
    for fmt in (md, _visible_text(html)):
        for note in wrong.mistakes:
            section = SECTION_TITLES[note.section]["en"]
            start = fmt.index(f"{section}: ")
            ends = [fmt.find(f"{t}: ", start + 1) for t in _later(note.section)]
            part = fmt[start : min((e for e in ends if e > 0), default=None)]
            assert text("report.mistakes", "en") in part
            for shown in (note.wrong, note.why, note.quote, note.passage_title):
                assert _plain(shown) in _plain(part), (note.section, shown)


def test_the_json_keeps_the_contract_and_the_mistakes_ids(wrong: GradeReport) -> None:
    data = json.loads(render_report(wrong, "json"))
    assert {"scenario", "lang", "overall", "sections", "mistakes"} <= data.keys()
    assert data["scenario"] == "product_recs"
    for s in data["sections"]:
        assert {"id", "score", "evidence", "missed", "references"} <= s.keys()
    assert all(m["passage"] and m["id"] for m in data["mistakes"])


# ----- no ids of ours -----------------------------------------------------------------------------


def _our_ids(kb: KnowledgeBase, report: GradeReport) -> set[str]:
    """Every id a report could echo (those shaped like words, e.g. a scenario `fraud`, aside)."""
    checkpoints = {c.id for s in kb.rubric.sections.values() for c in s.checkpoints}
    mistakes = {m.id for m in report.mistakes if m.id}
    ids = checkpoints | mistakes | {p.id for p in kb.passages} | {s.id for s in kb.scenarios}
    return {i for i in ids if "." in i or "_" in i}


@pytest.mark.parametrize("fmt", ["md", "html"])
def test_no_id_of_ours_reaches_a_reader(
    fmt: str, wrong: GradeReport, thorough_ru: GradeReport, kb: KnowledgeBase
) -> None:
    # A real model's advice and notices may echo the ids its prompt showed it.
    echoed = wrong.model_copy(
        update={
            "notices": ["Graded product_recs against requirements.restate."],
            "sections": [
                s.model_copy(update={"advice": ["Next time cover requirements.restate."]})
                for s in wrong.sections
            ],
        }
    )
    turns = [Turn("candidate", "How much data?", "clarifying_question")]
    for report in (echoed, thorough_ru):
        shown = render_report(report, fmt, turns, kb=kb)
        if fmt == "html":
            shown = _visible_text(shown)
        leaked = {
            i for i in _our_ids(kb, report) if re.search(rf"(?<![\w.]){re.escape(i)}(?!\w)", shown)
        }
        assert not leaked, leaked
        scenario = kb.scenario("product_recs")
        assert scenario is not None and _plain(scenario.title(report.lang)) in _plain(shown)
    restate = next(
        c for c in kb.rubric.sections["requirements"].checkpoints if c.id == "requirements.restate"
    )
    shown = render_report(echoed, fmt, kb=kb)
    shown = _visible_text(shown) if fmt == "html" else shown
    assert f"Next time cover {restate.description('en').rstrip('.')}." in _plain(shown)


def test_a_missed_point_names_its_passage_by_title(wrong: GradeReport, kb: KnowledgeBase) -> None:
    md = to_markdown(wrong, kb=kb)
    for section in wrong.sections:
        for point in section.missed:
            passage = kb.passage(point.passage)
            assert passage is not None and f"_{passage.title('en')}_:" in md


def test_a_model_id_for_an_unknown_mistake_reads_as_words(kb: KnowledgeBase) -> None:
    note = MistakeNote(
        id=None, section="model", wrong="model.xgb_always_better", why="", quote="",
        passage=None, passage_title="",
    )  # fmt: skip
    md = to_markdown(_text_report("en", [2] * 6, mistakes=[note]), kb=kb)
    assert "**Xgb always better**" in md and "xgb_always_better" not in md


# ----- no empty heading ---------------------------------------------------------------------------


def test_no_heading_or_label_stands_over_nothing(
    thorough_ru: GradeReport, wrong: GradeReport, kb: KnowledgeBase
) -> None:
    bare = _text_report("en", [4, 4, 4, 4, 4, 4])  # no evidence, missed points or advice at all
    for report in (thorough_ru, wrong, bare):
        lines = [line for line in to_markdown(report, kb=kb).splitlines() if line.strip()]
        for i, line in enumerate(lines):
            after = lines[i + 1] if i + 1 < len(lines) else "#"
            if _is_label(line):
                assert not _is_label(after) and _level(after) == 0, line
            elif _level(line):
                assert not 0 < _level(after) <= _level(line), line
        html = to_html(report, kb=kb)
        assert not re.search(r"<h3>[^<]*</h3>\s*(<h[23]>|</section>)", html)
        assert not re.search(r"<h2>[^<]*</h2>\s*(<h2>|</section>|</body>)", html)
    advice = text("report.advice", "en")
    assert advice not in to_markdown(bare, kb=kb) and advice not in to_html(bare, kb=kb)


def test_a_point_covered_only_by_a_question_is_shown_as_asked_not_missed(kb: KnowledgeBase) -> None:
    """Asking how much data there is covers a requirements point: the section is not "nothing"
    with no reason for its score; the report says which point the questions covered, everywhere."""
    settings = load_settings()
    scenario = kb.require_scenario("payment_fraud")
    report = grade_answer(
        "We score each payment with a gradient-boosted model.",
        kb=kb,
        model=get_chat_model("local", settings),
        lang="en",
        settings=settings,
        scenario=scenario,
        disclosed_facts=["payment_fraud.data_scale", "payment_fraud.latency"],
    )
    requirements = report.sections[0]
    covered = {c.id: c for c in kb.rubric.sections["requirements"].checkpoints}
    asked = [
        covered[i].description("en")
        for i in ("requirements.data_volume", "requirements.latency_accuracy")
    ]
    assert requirements.score >= 1 and not requirements.evidence
    assert requirements.asked == asked
    assert not {m.id for m in requirements.missed} & {
        "requirements.data_volume",
        "requirements.latency_accuracy",
    }
    assert all(not s.asked for s in report.sections[1:])
    markdown, html = to_markdown(report, kb=kb), to_html(report, kb=kb)
    label = text("report.asked", "en")
    assert markdown.count(f"**{label}:**") == 1 and html.count(f"<h3>{label}</h3>") == 1
    assert all(point in markdown and point in html for point in asked)


def _level(line: str) -> int:
    """The level of a Markdown heading line, 0 for any other line."""
    return len(line) - len(line.lstrip("#")) if line.startswith("#") else 0


def _is_label(line: str) -> bool:
    """One of our bold labels that introduce what follows (`**Advice:**`)."""
    return bool(re.fullmatch(r"\*\*[^*]+:\*\*", line))


# ----- numbers, the overall's weighting, the language ---------------------------------------------


def test_numbers_follow_the_language_and_the_weighting_is_explained(
    thorough_ru: GradeReport, kb: KnowledgeBase
) -> None:
    scores = [s.score for s in thorough_ru.sections]
    mean = sum(scores) / len(scores)
    assert f"{mean:.2f}" != f"{thorough_ru.overall:.2f}"  # the case worth explaining
    in_english = thorough_ru.model_copy(update={"lang": "en"})
    for report, point in ((thorough_ru, ","), (in_english, ".")):
        overall = f"{report.overall:.2f}".replace(".", point)
        plain = f"{mean:.2f}".replace(".", point)
        for shown in (to_markdown(report, kb=kb), _visible_text(to_html(report, kb=kb))):
            other = f"{report.overall:.2f}".replace(".", "," if point == "." else ".")
            assert f"{overall} / 4" in shown and other not in shown
            weighting = next(line for line in shown.splitlines() if plain in line)
            for sid in ("data", "model", "serving"):
                assert SECTION_TITLES[sid][report.lang] in weighting
            assert f"×{1.5:g}".replace(".", point) in weighting


def test_no_weighting_line_when_the_overall_is_the_plain_mean(kb: KnowledgeBase) -> None:
    report = _text_report("ru", [2] * 6, overall=2.0)
    md = to_markdown(report, kb=kb)
    assert "2,00 / 4" in md and "×" not in md


@pytest.mark.parametrize(("lang", "named"), [("en", "English"), ("ru", "русский")])
def test_the_report_language_is_named_in_the_header(lang: Lang, named: str, kb) -> None:
    report = _text_report(lang, [1, 2, 3, 4, 0, 1])
    md, html = to_markdown(report, kb=kb), to_html(report, kb=kb)
    assert named in md.split("\n## ")[0] and named in html.split("<h2>")[0]
    assert f'<html lang="{lang}">' in html


def test_the_cli_markdown_export_carries_the_same_report(capsys, tmp_path) -> None:
    design = tmp_path / "design.md"
    design.write_text(WRONG_CLAIMS, encoding="utf-8")
    assert main(["grade", str(design), "--scenario", "product_recs", "--format", "md"]) == 0
    md = capsys.readouterr().out
    assert "Report language: English" in md and "product_recs" not in md
    assert text("report.mistakes", "en") in md and "Train once, never retrain." in md


# ----- candidate text is inert --------------------------------------------------------------------


def _hostile_report(kb: KnowledgeBase) -> tuple[GradeReport, list[Turn]]:
    note = MistakeNote(
        id="model.skip_baseline", section="model", wrong="x", why="y", quote=HOSTILE[0],
        passage="model.baseline", passage_title="",
    )  # fmt: skip
    report = _text_report("en", [1] * 6, evidence=HOSTILE, mistakes=[note])
    turns = [Turn("candidate", "\n".join(HOSTILE), "answer")]
    return report, turns


def test_markdown_renders_candidate_text_as_the_plain_text_it_is(kb: KnowledgeBase) -> None:
    markdown_it = pytest.importorskip("markdown_it")
    report, turns = _hostile_report(kb)
    md = to_markdown(report, turns, kb=kb)
    assert not re.search(r"(?<!\\)\$", md), "a bare $ would start LaTeX in a math-aware viewer"
    assert "://" not in md and "www." not in md and "@example" not in md  # nothing to linkify
    for preset in ("commonmark", "default"):  # default adds GFM tables and strikethrough
        renderer = markdown_it.MarkdownIt(preset, {"html": True})
        renderer.validateLink = lambda url: True  # let any URL through: only escaping may stop it
        parsed = _Parsed.of(renderer.render(md))
        assert parsed.tags <= MARKDOWN_TAGS, parsed.tags
        assert parsed.count["h1"] == 1 and parsed.count["h2"] == len(SECTION_IDS) + 1
        assert parsed.count.get("table", 0) == (preset == "default") and not parsed.attributes
        quotes = parsed.texts("blockquote")
        for sample in HOSTILE:  # each quote reads exactly as written, in every section
            assert quotes.count(" ".join(sample.split())) == len(SECTION_IDS)
        transcript = " ".join(parsed.texts("p")[-1].split())
        assert transcript == " ".join(("You: " + " ".join(HOSTILE)).split()), transcript


def test_html_escapes_everything_and_references_nothing_remote(kb: KnowledgeBase) -> None:
    report, turns = _hostile_report(kb)
    report = report.model_copy(update={"notices": HOSTILE, "read_next": []})
    html = to_html(report, turns, kb=kb)
    parsed = _Parsed.of(html)
    assert parsed.tags.isdisjoint({"script", "img", "a", "link", "iframe", "object", "embed"})
    assert set(parsed.attributes) <= {"lang", "charset", "http-equiv", "content", "name", "class",
                                      "xmlns", "width", "height", "role", "aria-label", "x", "y",
                                      "x1", "x2", "y1", "y2", "stroke", "font-size", "text-anchor",
                                      "rx", "fill"}, parsed.attributes  # fmt: skip
    remote = {n: v for n, vs in parsed.attributes.items() for v in vs if "//" in v or ":" in v}
    assert remote == {"xmlns": "http://www.w3.org/2000/svg"}  # a namespace name, never fetched
    assert "url(" not in html and "@import" not in html
    csp = parsed.attributes["content"][0]
    assert csp.startswith("default-src 'none'")
    for sample in HOSTILE:
        assert sample in parsed.texts("blockquote") and sample in parsed.texts("p")
    assert "\n".join(HOSTILE) in parsed.texts("span")


# ----- helpers ------------------------------------------------------------------------------------


def _later(section: str) -> list[str]:
    return [SECTION_TITLES[s]["en"] for s in SECTION_IDS[SECTION_IDS.index(section) + 1 :]] + [
        text("report.read_next", "en")
    ]


def _plain(value: str) -> str:
    """`value` without Markdown escapes and with whitespace collapsed."""
    return " ".join(re.sub(r"\\(.)", r"\1", value).split())


def _visible_text(html: str) -> str:
    """The page's text as a browser shows it (entities decoded, tags gone, line per block)."""
    parsed = _Parsed.of(html)
    return "\n".join(parsed.lines)


class _Parsed(HTMLParser):
    """Tags, attributes and per-element texts of an HTML document."""

    BLOCKS = frozenset({"p", "li", "h1", "h2", "h3", "blockquote", "div", "td", "th", "title"})
    VOID = frozenset({"br", "meta", "img", "link", "hr", "input"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: set[str] = set()
        self.count: dict[str, int] = {}
        self.attributes: dict[str, list[str]] = {}
        self.open: list[tuple[str, list[str]]] = []
        self.done: list[tuple[str, str]] = []
        self.lines: list[str] = [""]

    @classmethod
    def of(cls, html: str) -> "_Parsed":
        parser = cls()
        parser.feed(html)
        parser.close()
        return parser

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)
        self.count[tag] = self.count.get(tag, 0) + 1
        for name, value in attrs:
            self.attributes.setdefault(name, []).append(value or "")
        if tag == "br":
            self._text("\n")
        if tag in self.VOID:
            return
        if tag in self.BLOCKS:
            self.lines.append("")
        self.open.append((tag, []))

    def handle_endtag(self, tag: str) -> None:
        if tag not in (name for name, _ in self.open):
            return  # a void element's end (`<br />`)
        while self.open:
            name, parts = self.open.pop()
            self.done.append((name, "".join(parts).strip()))
            if self.open:
                self.open[-1][1].append("".join(parts))
            if name == tag:
                break
        if tag in self.BLOCKS:
            self.lines.append("")

    def handle_data(self, data: str) -> None:
        if self.open and self.open[-1][0] in ("style", "title"):
            return
        self._text(data)

    def _text(self, data: str) -> None:
        if self.open:
            self.open[-1][1].append(data)
        self.lines[-1] += data

    def texts(self, tag: str) -> list[str]:
        return [value for name, value in self.done if name == tag]


# ----- the model and what it used -----------------------------------------------------------------


def _metered_turns() -> list[SessionTurn]:
    return [
        SessionTurn(role="interviewer", text="Hello.", section="requirements", kind="opening"),
        SessionTurn(role="candidate", text="How many users?", section="requirements",
                    kind="clarifying_question"),
        SessionTurn(role="interviewer", text="Two million.", section="requirements", kind="fact",
                    tokens=TurnTokens(input=12000, output=40)),
        SessionTurn(role="candidate", text="Then a baseline.", section="model", kind="answer"),
        SessionTurn(role="interviewer", text="Why that one?", section="model", kind="probe",
                    tokens=TurnTokens(input=345, output=12, approximate=True)),
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("lang", "total", "turn"),
    [
        ("en", "Tokens: 12,345 sent, 52 received (estimated)", "12,000 → 40 tokens"),
        ("ru", "Токены: отправлено 12 345, получено 52 (оценка)", "12 000 → 40 токенов"),
    ],
)
def test_a_real_model_s_tokens_are_shown_in_all_and_per_turn(
    kb: KnowledgeBase, lang: Lang, total: str, turn: str
) -> None:
    report = _text_report(lang, [2] * 6)
    turns = _metered_turns()
    for fmt in ("md", "html"):
        shown = render_report(report, fmt, turns, kb=kb, model="openai:gpt-4o-mini")
        if fmt == "html":
            shown = _visible_text(shown)
        assert text("report.model", lang, model="openai:gpt-4o-mini") in shown
        assert total in shown.replace("\\", "")
        assert turn in shown
        assert shown.count(text("report.turn_tokens", lang, sent="", received="")[-6:]) >= 2


def test_the_local_model_is_named_but_its_estimates_are_not_shown(kb: KnowledgeBase) -> None:
    report = _text_report("en", [2] * 6)
    md = render_report(report, "md", _metered_turns(), kb=kb, model="local")
    assert "Model: local" in md
    assert "Tokens:" not in md and "→" not in md
    assert "Model: local" not in render_report(report, "md", _metered_turns(), kb=kb)
