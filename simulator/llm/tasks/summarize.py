"""The `summarize` task: what the interviewer sends to fold older turns into a running summary."""

from pydantic import BaseModel

from simulator.base.sections import Lang

HEADINGS: dict[Lang, str] = {"en": "Earlier, the candidate said:", "ru": "Ранее кандидат сказал:"}


class HistoryTurn(BaseModel):
    role: str
    text: str


class HistoryBlock(BaseModel):
    max_chars: int
    """The summary, heading included, stays within this many characters."""
    turns: list[HistoryTurn]
    """Turns to fold into the summary, oldest first."""
