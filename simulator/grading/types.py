"""What grading produces: the model's per-section answer and the full report built from it."""

from typing import Any

from pydantic import BaseModel, Field

from simulator.base.sections import Lang, SectionId


class SectionGrade(BaseModel):
    """One section as the model grades it."""

    id: SectionId
    """Which section."""
    score: int = Field(ge=0, le=4)
    """0 not addressed; 1 named only; 2 some key points; 3 most, with trade-offs; 4 thorough."""
    evidence: list[str] = Field(default_factory=list)
    """Verbatim quotes of the candidate's own words that earned the score."""
    covered: list[str] = Field(default_factory=list)
    """Ids of the rubric checkpoints (and scenario points) the answer addressed."""
    advice: list[str] = Field(default_factory=list)
    """One or two concrete things to do better."""


class SectionGrades(BaseModel):
    """Grades for the six sections of a design answer."""

    sections: list[SectionGrade]
    """One entry per section id: requirements, metrics, architecture, data, model, serving."""


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
    missed: list[MissedPoint]
    references: list[str]
    advice: list[str]


class ReadNext(BaseModel):
    passage: str
    title: str


class GradeReport(BaseModel):
    scenario: str | None
    lang: Lang
    overall: float
    sections: list[SectionReport]
    read_next: list[ReadNext] = Field(default_factory=list)
    fallback: bool = False
    """True when the configured model failed and the local model graded instead."""
    notices: list[str] = Field(default_factory=list)

    def section(self, section_id: SectionId) -> SectionReport:
        return next(s for s in self.sections if s.id == section_id)

    def to_contract(self) -> dict[str, Any]:
        """The grade JSON of DESIGN.md (plus advice, read_next, fallback and notices)."""
        return self.model_dump(mode="json")
