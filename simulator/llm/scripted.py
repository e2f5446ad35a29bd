"""A scriptable chat model for tests and evals, in the spirit of pydantic-ai's FunctionModel.

    model = ScriptedModel("Hello!", {"score": 3, "evidence": []}, TimeoutError("slow"))

Each call takes the next reply from the queue: a string is a text reply, a dict a structured reply
(a tool call when a schema is bound), an exception is raised, a callable is called with the prompt
and its result used. Every prompt sent is recorded in `.prompts`. Unlike LocalModel it accepts
any dict, so tests can script replies that do not fit a schema.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from langchain_core.messages import BaseMessage
from pydantic import Field

from simulator.llm.reply_model import Reply, ReplyChatModel

ScriptItem = Reply | BaseException | Callable[[str], Reply]


class ScriptExhaustedError(AssertionError):
    """The test asked the model more often than it scripted replies."""


class ScriptedModel(ReplyChatModel):
    """A BaseChatModel that answers from a queue of scripted replies and records its prompts."""

    replies: list[ScriptItem] = Field(default_factory=list)
    """Replies still to give, first one next."""
    prompts: list[str] = Field(default_factory=list)
    """Every prompt received, in order (all messages' text joined)."""
    chats: list[list[BaseMessage]] = Field(default_factory=list)
    """Every call's messages as sent, with their roles, in order."""

    def __init__(self, *replies: ScriptItem, **data: Any) -> None:
        data["replies"] = list(replies)
        super().__init__(**data)

    def script(self, *replies: ScriptItem) -> None:
        """Queue more replies."""
        self.replies.extend(replies)

    @property
    def _llm_type(self) -> str:
        return "simulator-scripted"

    @property
    def _identifying_params(self) -> Mapping[str, Any]:
        return {"model_name": "scripted"}

    def _reply_to(self, messages: Sequence[BaseMessage]) -> Reply:
        self.chats.append(list(messages))
        return super()._reply_to(messages)

    def _reply(self, prompt: str) -> Reply:
        self.prompts.append(prompt)
        if not self.replies:
            raise ScriptExhaustedError(
                f"ScriptedModel has no reply left for prompt #{len(self.prompts)}: "
                f"{' '.join(prompt.split())[:120]!r}"
            )
        item = self.replies.pop(0)
        if isinstance(item, BaseException):
            raise item
        return item(prompt) if callable(item) else item
