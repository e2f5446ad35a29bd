"""The `interviewer_reply` task: the probe to phrase, and the phrasing every model falls back to."""

from pydantic import BaseModel

from simulator.base.sections import SectionId


class ProbeBlock(BaseModel):
    id: str
    """The rubric checkpoint being probed."""
    section: SectionId
    lead_in: str
    """The sentence before the question ("Before we move on, one more question about data:")."""
    question: str
    """The rubric's probe question, in the interview's language."""


def phrase(probe: ProbeBlock) -> str:
    return f"{probe.lead_in} {probe.question}".strip()
