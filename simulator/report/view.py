"""What a reader of the report sees, resolved once for Markdown and HTML alike.

Ids become what they stand for in the report's language (a scenario its title, a checkpoint its
text, a passage its title), numbers are written the language's way, and a part with nothing in
it is left out, so no format shows an empty heading. The candidate's words are kept as written:
each format makes them inert its own way.
"""

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal, Protocol

from simulator.base.numbers import format_count, format_number, format_weight
from simulator.base.sections import SECTION_IDS, SECTION_TITLES, Lang, SectionId
from simulator.base.settings import load_settings
from simulator.base.strings import text
from simulator.grading.types import GradeReport, MissedPoint, MistakeNote, SectionReport
from simulator.interview.session import Turn, TurnTokens, total_tokens
from simulator.kb.knowledge import KnowledgeBase, load_knowledge

CLARIFYING_KINDS = frozenset({"clarifying_question"})
FACT_KINDS = frozenset({"fact", "assumption"})
LABELS = (
    "title", "language", "scenario", "overall", "section", "score", "evidence", "mistakes",
    "missed", "advice", "read_next", "transcript", "fallback", "none", "you_wrote", "read",
    "question", "chart", "asked",
)  # fmt: skip
"""The `report.<key>` strings every format uses."""

_ID = re.compile(r"(?<![\w.])[a-z][a-z0-9]*(?:[._][a-z0-9]+)+(?!\w)")
"""A token shaped like one of our ids (`product_recs`, `requirements.restate`): a model's free
text (advice, a mistake in its own words) may echo the ids its prompt showed it."""

TurnMark = Literal["question", "fact", ""]
LOCAL_MODEL = "local"
"""The offline model's spec: its token counts are estimates of nothing billed, so not shown."""


class TranscriptTurn(Protocol):
    @property
    def role(self) -> str: ...
    @property
    def text(self) -> str: ...
    @property
    def kind(self) -> str: ...


@dataclass(frozen=True)
class MistakeView:
    wrong: str
    why: str
    quote: str
    read: str
    """The title of the passage to read; empty without one."""


@dataclass(frozen=True)
class MissedView:
    text: str
    read: str
    """The title of the passage that explains the point; empty without one."""
    passage_text: str


@dataclass(frozen=True)
class SectionView:
    id: SectionId
    title: str
    score: int
    evidence: tuple[str, ...]
    asked: tuple[str, ...]
    mistakes: tuple[MistakeView, ...]
    missed: tuple[MissedView, ...]
    advice: tuple[str, ...]


@dataclass(frozen=True)
class TurnView:
    who: str
    text: str
    mark: TurnMark
    """`question` for the candidate's clarifying questions, `fact` for the facts answered."""
    tokens: str = ""
    """What the model call behind an interviewer turn used, when a real model wrote it."""


@dataclass(frozen=True)
class ReportView:
    lang: Lang
    labels: Mapping[str, str]
    """`report.<key>` in the report's language, for each key of LABELS."""
    scenario: str | None
    """The scenario's title."""
    overall: str
    weighting: str | None
    """Why the overall is not the plain mean of the sections, when it is not."""
    fallback: bool
    notices: tuple[str, ...]
    sections: tuple[SectionView, ...]
    read_next: tuple[str, ...]
    transcript: tuple[TurnView, ...]
    model: str | None = None
    """Which model the interview ran on ("Model: openai:gpt-4o-mini"), when known."""
    tokens: str | None = None
    """What the interview's model calls used in all, on a real model."""


class _Names:
    """Our ids by what a reader should see instead, in one language."""

    def __init__(self, kb: KnowledgeBase, lang: Lang) -> None:
        self.kb, self.lang = kb, lang
        checkpoints = {
            c.id: c.description(lang).rstrip(".")
            for section in kb.rubric.sections.values()
            for c in section.checkpoints
        }
        scenarios = {s.id: s.title(lang) for s in kb.scenarios}
        passages = {p.id: p.title(lang) for p in kb.passages}
        self.by_id = {**passages, **scenarios, **checkpoints}  # a checkpoint's text wins

    def readable(self, free_text: str) -> str:
        """`free_text` with every id of ours in it replaced by what it stands for."""
        return _ID.sub(lambda m: self.by_id.get(m.group(0), m.group(0)), free_text)

    def passage_title(self, passage_id: str | None) -> str:
        passage = self.kb.passage(passage_id) if passage_id else None
        return passage.title(self.lang) if passage else ""

    def mistake(self, note: MistakeNote) -> MistakeView:
        wrong = self.readable(note.wrong)
        if note.id is None and _ID.fullmatch(wrong):
            wrong = _as_words(wrong)  # a model's own id for a mistake not in the catalogue
        return MistakeView(
            wrong=wrong,
            why=self.readable(note.why),
            quote=note.quote,
            read=note.passage_title or self.passage_title(note.passage),
        )

    def missed(self, point: MissedPoint) -> MissedView:
        return MissedView(point.text, self.passage_title(point.passage), point.passage_text)


def _as_words(model_id: str) -> str:
    """`model.xgb_always_better` as "Xgb always better": the section prefix goes, `_` are spaces."""
    head, _, rest = model_id.partition(".")
    words = (rest if head in SECTION_IDS and rest else model_id).replace("_", " ").replace(".", " ")
    return words[:1].upper() + words[1:]


def build_view(
    report: GradeReport,
    transcript: Sequence[TranscriptTurn] | None = None,
    kb: KnowledgeBase | None = None,
    model: str | None = None,
) -> ReportView:
    """The report as a reader sees it; `kb` is the knowledge it was graded against (default: the
    configured one), `model` the model the interview ran on (its token use is shown unless it is
    the local one, which costs nothing)."""
    kb = kb if kb is not None else load_knowledge(load_settings().knowledge_dir)
    lang = report.lang
    names = _Names(kb, lang)
    scenario = kb.scenario(report.scenario) if report.scenario else None
    metered = model is not None and model != LOCAL_MODEL
    return ReportView(
        lang=lang,
        labels={key: text(f"report.{key}", lang) for key in LABELS},
        scenario=scenario.title(lang) if scenario else None,
        overall=format_number(report.overall, lang),
        weighting=_weighting(report, kb),
        fallback=report.fallback,
        notices=tuple(names.readable(n) for n in report.notices),
        sections=tuple(_section(s, report, names) for s in report.sections),
        read_next=tuple(r.title for r in report.read_next),
        transcript=tuple(_turn(t, lang, metered) for t in transcript or ()),
        model=text("report.model", lang, model=model) if model else None,
        tokens=_total_tokens(transcript or (), lang) if metered else None,
    )


def _section(section: SectionReport, report: GradeReport, names: _Names) -> SectionView:
    return SectionView(
        id=section.id,
        title=SECTION_TITLES[section.id][report.lang],
        score=section.score,
        evidence=tuple(section.evidence),
        asked=tuple(section.asked),
        mistakes=tuple(names.mistake(m) for m in report.mistakes if m.section == section.id),
        missed=tuple(names.missed(m) for m in section.missed),
        advice=tuple(names.readable(a) for a in section.advice if a.strip()),
    )


def _weighting(report: GradeReport, kb: KnowledgeBase) -> str | None:
    """One line saying the overall weighs the sections, when that makes it differ from the plain
    mean shown beside it."""
    lang = report.lang
    mean = sum(s.score for s in report.sections) / len(report.sections)
    weights = {s.id: kb.rubric.sections[s.id].weight for s in report.sections}
    base = min(weights.values())
    uniform = base == max(weights.values())
    if uniform or format_number(mean, lang) == format_number(report.overall, lang):
        return None
    heavier = [
        f"{SECTION_TITLES[sid][lang]} ×{format_weight(weight / base, lang)}"
        for sid, weight in weights.items()
        if weight != base
    ]
    return text("report.weighted", lang, weights=", ".join(heavier), mean=format_number(mean, lang))


def _tokens(used: TurnTokens, lang: Lang, key: str) -> str:
    shown = text(
        f"report.{key}",
        lang,
        sent=format_count(used.input, lang),
        received=format_count(used.output, lang),
    )
    return f"{shown} ({text('report.estimated', lang)})" if used.approximate else shown


def _total_tokens(transcript: Sequence[TranscriptTurn], lang: Lang) -> str | None:
    turns = [t for t in transcript if isinstance(t, Turn)]
    if not any(t.tokens for t in turns):
        return None
    return _tokens(total_tokens(turns), lang, "tokens")


def _turn(turn: TranscriptTurn, lang: Lang, metered: bool = False) -> TurnView:
    candidate = turn.role == "candidate"
    mark: TurnMark = ""
    if candidate and turn.kind in CLARIFYING_KINDS:
        mark = "question"
    elif not candidate and turn.kind in FACT_KINDS:
        mark = "fact"
    used = turn.tokens if metered and isinstance(turn, Turn) else None
    return TurnView(
        text(f"report.{'candidate' if candidate else 'interviewer'}", lang),
        turn.text,
        mark,
        _tokens(used, lang, "turn_tokens") if used is not None else "",
    )
