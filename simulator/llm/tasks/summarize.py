"""The `summarize` task: what the interviewer sends to fold older turns into a running summary."""

from collections.abc import Mapping

from pydantic import BaseModel

from simulator.base.sections import Lang
from simulator.base.strings import TextByLang

HEADINGS: Mapping[Lang, str] = TextByLang("summary.heading")
"""The running summary's first line, by language."""


class HistoryTurn(BaseModel):
    role: str
    text: str


class HistoryBlock(BaseModel):
    max_chars: int
    """The summary, heading included, stays within this many characters."""
    turns: list[HistoryTurn]
    """Turns to fold into the summary, oldest first."""
