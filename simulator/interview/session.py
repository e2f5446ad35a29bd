"""The state of one interview: plain, serialisable data with no behaviour beyond small queries.

The interviewer changes it, the store persists it after every turn, the CLI and the UI render it.
It never holds an API key: `model` is only the spec ("local", "openai:gpt-4o-mini").
"""

import uuid
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Literal

from pydantic import BaseModel, Field

from simulator.base.sections import Lang, SectionId
from simulator.grading.types import GradeReport
from simulator.llm.tasks.interviewer_turn import ReplyKind

Role = Literal["interviewer", "candidate"]
Status = Literal["active", "finished"]
Difficulty = Literal["easy", "normal", "hard"]
SessionKind = Literal["interview", "design"]

DIFFICULTY_MINUTES: dict[Difficulty, int] = {"easy": 60, "normal": 45, "hard": 30}
"""The time budget each difficulty gives an interview."""

InterviewerKind = Literal["opening"] | ReplyKind
"""What an interviewer turn does: the opening, or what a turn decision replied with."""

GRADED_KINDS: frozenset[str] = frozenset(
    {"answer", "clarifying_question", "navigation", "challenge", "finish", "message"}
)
"""Candidate turns whose words count as the design answer: all but requests for a hint or the
time and off-topic chat (a last message that also asks to finish is still graded; `message` is
a turn not answered yet)."""


def now_utc() -> datetime:
    return datetime.now(UTC)


class TurnTokens(BaseModel):
    """What the model calls behind one interviewer turn used."""

    input: int = 0
    output: int = 0
    approximate: bool = False
    """Estimated by us rather than reported by the server or counted exactly."""


class Turn(BaseModel):
    role: Role
    text: str
    section: SectionId
    """The section the conversation was in (a candidate turn: the one its content touched most)."""
    kind: str
    """The candidate's: a `MessageKind` (local_tasks/classify.py); the interviewer's: an
    `InterviewerKind`."""
    at: datetime = Field(default_factory=now_utc)
    passage_ids: list[str] = Field(default_factory=list)
    """Knowledge passages a probe was grounded in."""
    fact_ids: list[str] = Field(default_factory=list)
    """Hidden facts a clarifying question asked about, or a reply disclosed."""
    notice: str | None = None
    """Something the person should know about this turn (message cut, reply cut, reply replaced)."""
    tokens: TurnTokens | None = None
    """An interviewer turn's model usage (its decision call and any repair); None for turns no
    model wrote (the opening, a closing, the candidate's)."""

    def contract(self) -> dict[str, str]:
        """The four keys the `interview --json` contract shows for a turn."""
        return {"role": self.role, "text": self.text, "section": self.section, "kind": self.kind}


def total_tokens(turns: Iterable[Turn]) -> TurnTokens:
    """What the model calls behind `turns` used in all (zero when no model wrote any)."""
    used = [t.tokens for t in turns if t.tokens is not None]
    return TurnTokens(
        input=sum(u.input for u in used),
        output=sum(u.output for u in used),
        approximate=any(u.approximate for u in used),
    )


class InterviewSession(BaseModel):
    id: str = Field(default_factory=lambda: uuid.uuid4().hex[:12])
    kind: SessionKind = "interview"
    """An interview, or a written design graded on its own: one candidate turn holding the
    design, finished and graded when saved; its `scenario_id` is "" when it was graded against
    no scenario."""
    scenario_id: str
    lang: Lang
    model: str = "local"
    """The model spec the interview runs on; never a key."""
    started_at: datetime = Field(default_factory=now_utc)
    finished_at: datetime | None = None
    difficulty: Difficulty | None = None
    """The level chosen when it started; None when the budget came from settings (the CLI)."""
    time_budget_minutes: int = Field(default=DIFFICULTY_MINUTES["normal"], gt=0)
    """The interview's time limit, fixed when it starts (`Interviewer.start` sets it)."""
    turns: list[Turn] = Field(default_factory=list)
    current_section: SectionId = "requirements"
    disclosed_facts: list[str] = Field(default_factory=list)
    """Fact ids the candidate asked about, in the order asked, without duplicates."""
    checkpoints_hit: list[str] = Field(default_factory=list)
    """Rubric checkpoint ids whose evidence appeared in the candidate's words."""
    covered_sections: list[SectionId] = Field(default_factory=list)
    mistakes: list[str] = Field(default_factory=list)
    """Ids of catalogue mistakes the interviewer noticed, in the order noticed."""
    probes_asked: list[str] = Field(default_factory=list)
    """Checkpoint ids already probed (or given as a hint); never asked twice."""
    active_seconds: float = 0.0
    """Time spent in the interview, pauses longer than a few minutes not counted."""
    last_activity: datetime | None = None
    time_warned: bool = False
    summary: str = ""
    """Running summary of the turns too old to send to the model in full."""
    summary_covers: int = 0
    """How many of the first turns `summary` covers."""
    status: Status = "active"
    report: GradeReport | None = None
    """The grade, once the interview is finished."""

    def candidate_text(self) -> str:
        """Everything the candidate said as part of the design, in order, for the grader; turns are
        separated by a thematic break (`---`) so one turn's heading does not file the next."""
        return "\n\n---\n\n".join(
            t.text for t in self.turns if t.role == "candidate" and t.kind in GRADED_KINDS
        )

    def tokens(self) -> TurnTokens:
        """The interview's model usage so far: the sum over its turns."""
        return total_tokens(self.turns)

    def last_turn(self) -> Turn | None:
        return self.turns[-1] if self.turns else None

    def awaiting_reply(self) -> bool:
        """True when the last turn is the candidate's and the interviewer has not answered it."""
        last = self.last_turn()
        return last is not None and last.role == "candidate"

    def disclose(self, fact_ids: list[str]) -> None:
        self.disclosed_facts.extend(
            f for f in dict.fromkeys(fact_ids) if f not in self.disclosed_facts
        )

    def contract(self) -> dict[str, object]:
        """The `interview --json` contract."""
        return {
            "scenario": self.scenario_id,
            "lang": self.lang,
            "turns": [t.contract() for t in self.turns],
            "disclosed_facts": list(self.disclosed_facts),
            "report": self.report.to_contract() if self.report else None,
        }
