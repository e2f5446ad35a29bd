"""What grading produces: the model's per-section answer and the full report built from it."""

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from simulator.base.sections import SECTION_IDS, Lang, SectionId


class _Strict(BaseModel):
    """A model the grading model fills: every field described, required, and nothing else, so a
    strict JSON schema (OpenAI, vLLM) or a tool call carries the descriptions below."""

    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True)


class MistakeMade(_Strict):
    """A common mistake the candidate makes, and where."""

    id: str
    """The mistake's id from the rubric block's watch list."""
    quote: str
    """The candidate's words that make it, copied exactly."""


class SectionGrade(_Strict):
    """One section as the model grades it: the evidence first, the score only after reasoning."""

    id: SectionId
    """Which section: requirements, metrics, architecture, data, model or serving."""
    evidence: list[str]
    """The candidate's own words that speak to this section, copied exactly, in the order they
    appear: each quote a sentence or clause of at least a few words (use ... only to skip words
    inside one). Never the interviewer's words or the scenario's. Empty when the candidate said
    nothing about this section."""
    reasoning: str
    """Two to four sentences weighing the quotes against this section's open points, the
    scenario's facts and the level descriptors: what is covered with substance, what is argued
    or tied to the facts, what is only named and what is missing."""
    covered: list[str]
    """Ids of this section's open points (from the rubric block) that the quotes cover with real
    content; a point only named is not covered."""
    mistakes: list[MistakeMade]
    """The watch-list mistakes (rubric block) the candidate makes in this section, each with the
    words that make it; empty when they make none."""
    score: int = Field(ge=0, le=4)
    """0 not addressed; 1 named only; 2 some key points, little reasoning; 3 most key points with
    trade-offs; 4 thorough, trade-offs argued and tied to this scenario's facts. Above 1 only
    with quotes that show it."""
    advice: list[str]
    """One or two concrete next steps for this section, in the report's language."""


class SectionGrades(_Strict):
    """Grades for the six sections of a design answer, each section exactly once."""

    sections: list[SectionGrade]
    """One entry per section, in this order: requirements, metrics, architecture, data, model,
    serving."""

    @model_validator(mode="after")
    def _each_section_once(self) -> "SectionGrades":
        ids = [s.id for s in self.sections]
        missing = [sid for sid in SECTION_IDS if sid not in ids]
        twice = sorted({sid for sid in ids if ids.count(sid) > 1})
        if missing or twice:
            problems = [f"missing {', '.join(missing)}"] if missing else []
            problems += [f"repeated {', '.join(twice)}"] if twice else []
            raise ValueError(f"every section exactly once ({'; '.join(problems)})")
        return self


class MissedPoint(BaseModel):
    id: str
    """Checkpoint id."""
    text: str
    """What a good answer does."""
    passage: str
    """Id of the knowledge passage that explains it."""
    passage_text: str


class SectionReport(BaseModel):
    id: SectionId
    score: int = Field(ge=0, le=4)
    evidence: list[str]
    asked: list[str] = Field(default_factory=list)
    """The points the candidate covered by asking a clarifying question (their descriptions): a
    question is evidence too, and the report shows it where no quote would."""
    missed: list[MissedPoint]
    references: list[str]
    advice: list[str]


class ReadNext(BaseModel):
    passage: str
    title: str


class MistakeNote(BaseModel):
    """A mistake the grader noticed, with what to read about it."""

    id: str | None
    """Id of the catalogue entry (knowledge/mistakes/); None for one the model put in its own
    words that names no entry."""
    section: SectionId
    """The section whose text makes it."""
    wrong: str
    """What is wrong, in one sentence."""
    why: str
    """Why it is wrong (empty when the entry is not in the catalogue)."""
    quote: str
    """The candidate's words that make it, when found in the answer; empty otherwise."""
    passage: str | None
    """Id of the knowledge passage that explains the right approach."""
    passage_title: str
    """That passage's title, in the report's language (empty without a passage)."""


class GradeReport(BaseModel):
    scenario: str | None
    lang: Lang
    overall: float
    sections: list[SectionReport]
    read_next: list[ReadNext] = Field(default_factory=list)
    fallback: bool = False
    """True when the configured model failed and the local model graded instead."""
    notices: list[str] = Field(default_factory=list)
    mistakes: list[MistakeNote] = Field(default_factory=list)
    """Common mistakes noticed, each with its section, the candidate's words and the passage to
    read (an extra key of the grade JSON; the contract allows extra keys)."""

    def section(self, section_id: SectionId) -> SectionReport:
        return next(s for s in self.sections if s.id == section_id)

    def to_contract(self) -> dict[str, Any]:
        """The grade JSON of DESIGN.md (plus advice, read_next, fallback, notices, mistakes)."""
        return self.model_dump(mode="json")
