"""`<task>interviewer_reply</task>`: phrase a follow-up question deterministically (local model).

Blocks in (written by simulator/interview/interviewer.py with `ProbeBlock`):
- `<checkpoint>`: `ProbeBlock` JSON, the probe question and the sentence that leads into it;
- `<passages>`: the cheat-sheet passages the probe is grounded in (a remote model may use them to
  phrase the question; the local one asks the rubric's own question, which never holds the answer);
- `<lang>`, `<history>`: context for a remote model.
Out: the interviewer's text.
"""

import json

from simulator.llm.tasks.interviewer_reply import ProbeBlock, phrase


def run(blocks: dict[str, str]) -> str:
    return phrase(ProbeBlock.model_validate(json.loads(blocks["checkpoint"])))
