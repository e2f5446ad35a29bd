"""`<task>interviewer_reply</task>`: phrase a follow-up question deterministically (local model).

Blocks in (written by simulator/interviewer.py with `ProbeBlock`):
- `<checkpoint>`: `ProbeBlock` JSON, the probe question and the sentence that leads into it;
- `<passages>`: the cheat-sheet passages the probe is grounded in (a remote model may use them to
  phrase the question; the local one asks the rubric's own question, which never holds the answer);
- `<lang>`, `<history>`: context for a remote model.
Out: the interviewer's text.
"""

import json

from pydantic import BaseModel

from simulator.sections import SectionId


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


def run(blocks: dict[str, str]) -> str:
    return phrase(ProbeBlock.model_validate(json.loads(blocks["checkpoint"])))
