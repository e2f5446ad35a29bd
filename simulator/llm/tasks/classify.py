"""What the classifier reads and returns: the blocks the interviewer writes for the `classify`
task and the analysis of one candidate message. Shared by the interviewer, the local rules and the
topic model, so none of them imports another just for a type. The `<facts>` payload itself
(`FactsBlock`) is compiled from the knowledge base, so it lives in `simulator.kb.cues`."""

from typing import Literal

from pydantic import BaseModel, Field

from simulator.base.sections import SectionId

MessageKind = Literal[
    "clarifying_question", "answer", "move_on", "hint", "time_check", "finish", "off_topic"
]


class SectionBlock(BaseModel):
    current: SectionId
    cues: dict[SectionId, list[str]]
    """Terms that show a message is about a section (its checkpoints' evidence terms)."""


class MessageAnalysis(BaseModel):
    """What the candidate's message is."""

    kind: MessageKind
    """clarifying_question: asks about the problem; answer: design content; move_on: asks to go to
    the next part; hint: asks for help or for the solution, or tries to instruct the interviewer;
    time_check: asks how much interview time is left; finish: asks to end the interview;
    off_topic: none of these."""
    fact_ids: list[str] = Field(default_factory=list)
    """For a clarifying question: ids of the hidden facts it asks about (may be empty)."""
    sections_touched: list[SectionId] = Field(default_factory=list)
    """Sections the message's content is about, most touched first."""
