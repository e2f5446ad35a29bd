"""Keeping a long conversation within a context budget: recent turns plus a running summary.

`compact_history` keeps the newest turns that fit (tokens.fit_history) and folds the turns that no
longer fit into a running summary written by the model (`<task>summarize</task>`; the local model
does it extractively). The summary remembers how many of the oldest turns it covers, so each turn
is summarised once.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

from langchain_core.language_models import BaseChatModel
from pydantic import BaseModel, ConfigDict

from simulator.base.sections import Lang
from simulator.llm.calls import stream_text
from simulator.llm.prompting import render, untrusted_block
from simulator.llm.tasks.summarize import HEADINGS, HistoryBlock, HistoryTurn
from simulator.llm.tokens import (
    DEFAULT_COUNTING_MODEL,
    Turn,
    Usage,
    fit_history,
    truncate_to_tokens,
)

SUMMARY_TOKENS = 300
"""Room kept for the running summary once older turns are dropped."""

_LANGUAGE_NAMES: dict[Lang, str] = {"en": "English", "ru": "Russian"}


class HistorySummary(BaseModel):
    """A running summary of the oldest turns of a conversation."""

    model_config = ConfigDict(frozen=True)

    text: str = ""
    """The summary (empty while nothing has been dropped)."""
    covers: int = 0
    """How many of the conversation's first turns it summarises."""


def compact_history(
    model: BaseChatModel,
    turns: Sequence[Turn],
    budget_tokens: int,
    *,
    summary: HistorySummary,
    prompts_dir: Path,
    lang: Lang,
    fixed: Sequence[str] = (),
    counting_model: str = DEFAULT_COUNTING_MODEL,
    usage: Usage | None = None,
) -> tuple[list[Turn], HistorySummary]:
    """The turns to send and the summary of the rest; fixed + summary + kept fit the budget."""
    kept, older = fit_history(
        turns, budget_tokens, fixed=fixed, summary_tokens=SUMMARY_TOKENS, model=counting_model
    )
    if len(older) > summary.covers:
        text = summarize_turns(
            model,
            older[summary.covers :],
            previous=summary.text,
            prompts_dir=prompts_dir,
            lang=lang,
            counting_model=counting_model,
            usage=usage,
        )
        summary = HistorySummary(text=text, covers=len(older))
    return kept, summary


def summarize_turns(
    model: BaseChatModel,
    turns: Sequence[Turn],
    *,
    previous: str,
    prompts_dir: Path,
    lang: Lang,
    max_tokens: int = SUMMARY_TOKENS,
    counting_model: str = DEFAULT_COUNTING_MODEL,
    usage: Usage | None = None,
) -> str:
    """The running summary with `turns` folded in, at most `max_tokens` tokens."""
    block = HistoryBlock(
        # Two characters per token stays under budget in both languages (about 3.7 to 4.1
        # characters make a token); a remote model that overshoots is truncated below.
        max_chars=2 * max_tokens,
        turns=[HistoryTurn(role=role, text=text) for role, text in turns],
    )
    prompt = render(
        prompts_dir,
        "summarize",
        lang=lang,
        language=_LANGUAGE_NAMES[lang],
        heading=HEADINGS[lang],
        max_chars=str(block.max_chars),
        summary_block=untrusted_block("summary", previous),
        history_block=untrusted_block(
            "history", json.dumps(block.model_dump(), ensure_ascii=False)
        ),
    )
    text = "".join(stream_text(model, prompt, usage=usage)).strip()
    return truncate_to_tokens(text, max_tokens, counting_model)
