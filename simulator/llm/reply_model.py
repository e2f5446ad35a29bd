"""A chat model whose replies are computed in Python: the base of LocalModel and ScriptedModel.

A subclass says what to answer to a prompt: a string (text) or a dict (the arguments of a
structured reply). This base turns that into what LangChain expects: a tool call when tools are
bound (so the inherited `with_structured_output` works), JSON text when none are, text streamed in
several chunks, and token usage on every reply.
"""

from __future__ import annotations

import json
import re
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel, LanguageModelInput
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.messages.ai import UsageMetadata
from langchain_core.messages.tool import tool_call, tool_call_chunk
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from langchain_core.runnables import Runnable
from langchain_core.tools import BaseTool
from langchain_core.utils.function_calling import convert_to_openai_tool

from simulator.llm.tokens import USAGE_IS_ESTIMATE, count_tokens

Reply = str | dict[str, Any]
"""Text, or the arguments of a structured reply."""

_PIECE = re.compile(r"\S+\s*|\s+")


def prompt_text(messages: Sequence[BaseMessage]) -> str:
    """The prompt as one string: every message's text, in order."""
    return "\n\n".join(message.text for message in messages)


class ReplyChatModel(BaseChatModel, ABC):
    """A BaseChatModel that answers each prompt with `_reply(prompt)`."""

    @abstractmethod
    def _reply(self, prompt: str) -> Reply:
        """The answer to the whole prompt (all messages' text joined)."""

    def _check_tool_args(self, tool: dict[str, Any], args: dict[str, Any]) -> None:
        """Hook: reject arguments that cannot fit the bound tool. Accepts anything by default."""

    def bind_tools(
        self,
        tools: Sequence[dict[str, Any] | type | Callable[..., Any] | BaseTool],
        *,
        tool_choice: str | dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> Runnable[LanguageModelInput, AIMessage]:
        formatted = [convert_to_openai_tool(tool) for tool in tools]
        return self.bind(tools=formatted, tool_choice=tool_choice, **kwargs)

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        return ChatResult(generations=[ChatGeneration(message=self._answer(messages, kwargs))])

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        answer = self._answer(messages, kwargs)
        if answer.tool_calls:
            call = answer.tool_calls[0]
            yield ChatGenerationChunk(
                message=AIMessageChunk(
                    content="",
                    tool_call_chunks=[
                        tool_call_chunk(
                            name=call["name"], args=json.dumps(call["args"]), id=call["id"], index=0
                        )
                    ],
                    usage_metadata=answer.usage_metadata,
                    response_metadata=answer.response_metadata,
                )
            )
            return
        pieces = _PIECE.findall(answer.text) or [""]
        for index, piece in enumerate(pieces):
            last = index == len(pieces) - 1
            chunk = ChatGenerationChunk(
                message=AIMessageChunk(
                    content=piece,
                    usage_metadata=answer.usage_metadata if last else None,
                    response_metadata=answer.response_metadata if last else {},
                )
            )
            if run_manager:
                run_manager.on_llm_new_token(piece, chunk=chunk)
            yield chunk

    def _reply_to(self, messages: Sequence[BaseMessage]) -> Reply:
        """The answer to a chat; by default `_reply` of all its text joined."""
        return self._reply(prompt_text(messages))

    def _answer(self, messages: Sequence[BaseMessage], kwargs: dict[str, Any]) -> AIMessage:
        prompt = prompt_text(messages)
        reply = self._reply_to(messages)
        tool = _chosen_tool(kwargs.get("tools") or [], kwargs.get("tool_choice"))
        if isinstance(reply, dict) and tool is not None:
            self._check_tool_args(tool, reply)
            name = tool["function"]["name"]
            output = json.dumps(reply, ensure_ascii=False)
            call = tool_call(name=name, args=reply, id=f"call_{name}")
            return self._message("", prompt, output, tool_calls=[call], finish_reason="tool_calls")
        text = json.dumps(reply, ensure_ascii=False) if isinstance(reply, dict) else reply
        return self._message(text, prompt, text, tool_calls=[], finish_reason="stop")

    def _message(
        self, content: str, prompt: str, output: str, tool_calls: list[Any], finish_reason: str
    ) -> AIMessage:
        sent = count_tokens(prompt)
        got = count_tokens(output)
        usage = UsageMetadata(
            input_tokens=sent.tokens,
            output_tokens=got.tokens,
            total_tokens=sent.tokens + got.tokens,
        )
        metadata: dict[str, Any] = {"finish_reason": finish_reason, "model_name": self._llm_type}
        if sent.approximate or got.approximate:
            metadata[USAGE_IS_ESTIMATE] = True
        return AIMessage(
            content=content,
            tool_calls=tool_calls,
            usage_metadata=usage,
            response_metadata=metadata,
        )


def _chosen_tool(tools: list[dict[str, Any]], tool_choice: object) -> dict[str, Any] | None:
    """The bound tool a structured reply goes to: the one named by tool_choice, else the first."""
    if not tools or tool_choice == "none":
        return None
    wanted = tool_choice
    if isinstance(tool_choice, dict):
        wanted = tool_choice.get("function", {}).get("name")
    for tool in tools:
        if tool["function"]["name"] == wanted:
            return tool
    return tools[0]
