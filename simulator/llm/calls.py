"""The only way the interviewer and the grader call a model: structured answers and streamed text.

Faults become one-line ModelErrors. Transient ones (429, 5xx, timeouts) are retried with backoff
by the OpenAI SDK itself (settings.llm_retries; it honours the server's Retry-After). A reply that
is not valid JSON, or does not fit the requested schema, is asked for once more with the problem
spelled out; if that fails too, the local model answers the same prompt (`fallback=True`).
A stream cut midway raises StreamCut carrying the text that did arrive.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar, cast

from langchain_core import exceptions as lc
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage, HumanMessage
from langchain_core.utils.function_calling import convert_to_openai_tool
from pydantic import BaseModel, ValidationError

from simulator.base.errors import ModelError, SimulatorError
from simulator.base.settings import PROJECT_ROOT
from simulator.llm.local.model import LocalModel
from simulator.llm.partial_json import ReplyStream
from simulator.llm.prompting import render
from simulator.llm.reply_model import prompt_text
from simulator.llm.tokens import Usage

T = TypeVar("T", bound=BaseModel)

log = logging.getLogger(__name__)

_PROMPTS_DIR = PROJECT_ROOT / "prompts"


@dataclass(frozen=True)
class Structured(Generic[T]):
    """A structured answer, and whether it had to come from the local model instead."""

    value: T
    """The answer, validated against the requested schema."""
    fallback: bool = False
    """True when the model's replies did not fit twice and the local model answered instead."""
    note: str | None = None
    """One line for the user saying what happened, when fallback is True."""


class StreamCut(ModelError):
    """The reply stopped midway; `partial` holds the text that arrived before the cut."""

    def __init__(self, message: str, partial: str) -> None:
        super().__init__(message)
        self.partial = partial


# Our own errors already read well, and a failed assertion is a test's, not the model's.
_PASS_THROUGH = (SimulatorError, AssertionError)


class _BadReply(Exception):
    """A reply arrived but cannot be used: not JSON, or not the requested shape."""


def ask_structured(
    model: BaseChatModel,
    schema: type[T],
    prompt: str | Sequence[BaseMessage],
    *,
    usage: Usage | None = None,
    local_prompt: str | None = None,
) -> Structured[T]:
    """Ask for an answer that fits `schema`; repair once, then fall back to the local model.

    `prompt` is one user message or the whole list of messages. `local_prompt`, when given, is
    what the local model reads instead (as `model` or as the fallback): its rules may need blocks
    (cue lists) that a real model is better off without.
    """
    messages = [HumanMessage(prompt)] if isinstance(prompt, str) else list(prompt)
    if isinstance(model, LocalModel) and local_prompt is not None:
        messages = [HumanMessage(local_prompt)]
    try:
        return Structured(_ask_once(model, schema, messages, usage))
    except _BadReply as first:
        problem = str(first)
    if isinstance(model, LocalModel):
        raise ModelError(f"the local model's answer does not fit {schema.__name__}: {problem}")
    log.info("reply did not fit %s (%s); asking once more", schema.__name__, problem)
    repair = render(_PROMPTS_DIR, "repair", schema=schema.__name__, problem=problem)
    try:
        return Structured(_ask_once(model, schema, [*messages, HumanMessage(repair)], usage))
    except _BadReply as second:
        problem = str(second)
    try:
        value = ask_local(schema, local_prompt or prompt_text(messages))
    except _BadReply:
        raise ModelError(
            f"the model's replies did not fit {schema.__name__} twice ({problem}) "
            "and the local model has no answer for this prompt"
        ) from None
    note = (
        f"the model's replies did not fit {schema.__name__} twice ({problem}); "
        "used the local model's answer"
    )
    return Structured(value, fallback=True, note=note)


def runs_locally(model: BaseChatModel) -> bool:
    """Whether `model` is the local model: it reads its own prompts and has no context window."""
    return isinstance(model, LocalModel)


def ask_local(schema: type[T], prompt: str) -> T:
    """The local model's answer to `prompt`: what a caller falls back to when its model fails."""
    return _ask_once(LocalModel(), schema, [HumanMessage(prompt)], None)


def _ask_once(
    model: BaseChatModel, schema: type[T], messages: Sequence[BaseMessage], usage: Usage | None
) -> T:
    runnable = model.with_structured_output(schema, include_raw=True)
    try:
        result: dict[str, Any] = runnable.invoke(list(messages))  # type: ignore[assignment]
    except (json.JSONDecodeError, ValidationError) as exc:
        # The SDK parses the body (and, for json_schema, the content) before LangChain sees it.
        raise _BadReply(_describe_bad_reply(exc)) from exc
    except _PASS_THROUGH:
        raise
    except Exception as exc:
        raise as_model_error(exc, model) from exc
    raw = result.get("raw")
    if usage is not None and isinstance(raw, AIMessage):
        usage.add_message(raw, _joined(messages))
    if result.get("parsing_error") is not None:
        raise _BadReply(_describe_bad_reply(result["parsing_error"]))
    parsed = result.get("parsed")
    if not isinstance(parsed, schema):
        raise _BadReply("it was plain text, not the structured answer asked for")
    return parsed


def stream_text(model: BaseChatModel, prompt: str, *, usage: Usage | None = None) -> Iterator[str]:
    """Yield the reply's text as it arrives.

    Raises ModelError when the call fails, and StreamCut (with `.partial`) when the reply stops
    midway: the connection drops, or the stream ends without the model saying it finished
    (`finish_reason`, which ChatOpenAI, LocalModel and ScriptedModel all report).
    """
    parts: list[str] = []
    finished = False
    total: AIMessageChunk | None = None
    try:
        for chunk in model.stream([HumanMessage(prompt)]):
            total = chunk if total is None else total + chunk
            finished = finished or bool(chunk.response_metadata.get("finish_reason"))
            if chunk.text:
                parts.append(chunk.text)
                yield chunk.text
    except _PASS_THROUGH:
        raise
    except Exception as exc:
        error = as_model_error(exc, model)
        if parts:
            raise StreamCut(f"the reply was cut off midway: {error}", "".join(parts)) from exc
        raise error from exc
    if usage is not None and total is not None:
        usage.add_message(total, prompt)
    if not finished:
        raise StreamCut("the model server ended the reply before finishing it", "".join(parts))


@dataclass
class Streamed(Generic[T]):
    """What `stream_structured` learned, filled in while its reply streams."""

    head: dict[str, Any] | None = None
    """The fields before the streamed one, as soon as they are complete (before its text)."""
    value: T | None = None
    """The whole answer, validated, once the stream ended."""
    streamed: str = ""
    """The streamed field's text as it was shown."""
    fallback: bool = False
    """True when the model's reply did not fit, even after a repair, and the local model's
    answer was used instead."""
    note: str | None = None
    """One line for the user when something had to be repaired or replaced."""


HeadCheck = Callable[[dict[str, Any]], bool]
"""Judges the head fields before any of the streamed text is shown: False holds it back."""


def stream_structured(
    model: BaseChatModel,
    schema: type[T],
    messages: Sequence[BaseMessage],
    result: Streamed[T],
    *,
    field: str = "reply",
    allow: HeadCheck = lambda head: True,
    method: str = "json_schema",
    usage: Usage | None = None,
) -> Iterator[str]:
    """Ask for `schema` and yield its string `field` as the model writes it.

    The other fields come first in the schema; `result.head` holds them once complete, and the
    text streams only when `allow(head)` says so. At the end `result.value` is the validated
    answer: a reply that does not fit is shown to the model once with the problem (a repair
    call), then the local model answers the same messages. Transport failures raise ModelError.
    """
    head_keys = frozenset(k for k in schema.model_fields if k != field)
    reader = ReplyStream(field, head_keys)
    bound = _bind_schema(model, schema, method)
    total: AIMessageChunk | None = None
    try:
        for chunk in bound.stream(list(messages)):
            if not isinstance(chunk, AIMessageChunk):
                continue
            total = chunk if total is None else total + chunk
            text = reader.feed(_delta(chunk))
            if reader.head is not None and result.head is None:
                result.head = reader.head
            if text and result.head is not None and allow(result.head):
                result.streamed += text
                yield text
    except _PASS_THROUGH:
        raise
    except Exception as exc:
        raise as_model_error(exc, model) from exc
    raw = _whole(total)
    if usage is not None and total is not None:
        usage.add_message(total, prompt_text(messages))
    try:
        result.value = _validated(schema, raw)
        return
    except _BadReply as bad:
        problem = str(bad)
    if isinstance(model, LocalModel):
        raise ModelError(f"the local model's answer does not fit {schema.__name__}: {problem}")
    log.info("streamed reply did not fit %s (%s); repairing", schema.__name__, problem)
    repair = render(_PROMPTS_DIR, "repair", schema=schema.__name__, problem=problem)
    shown = [*messages, AIMessage(raw or "(empty reply)"), HumanMessage(repair)]
    try:
        result.value = _ask_once(model, schema, shown, usage)
        result.note = f"the model's reply did not fit {schema.__name__} ({problem}); repaired"
    except _BadReply as second:
        result.value = _ask_once(LocalModel(), schema, list(messages), None)
        result.fallback = True
        result.note = (
            f"the model's replies did not fit {schema.__name__} twice ({second}); "
            "used the local model's answer"
        )


def _bind_schema(model: BaseChatModel, schema: type[BaseModel], method: str) -> Any:
    """The model bound to answer with `schema`: a strict JSON schema (`response_format`, sent as
    extra body so the SDK streams it like any reply), or a tool call."""
    if method == "function_calling":
        return model.bind_tools([schema], tool_choice=schema.__name__, strict=True)
    response_format = {
        "type": "json_schema",
        "json_schema": {"name": schema.__name__, "schema": strict_schema(schema), "strict": True},
    }
    return model.bind(extra_body={"response_format": response_format})


def strict_schema(schema: type[BaseModel]) -> dict[str, Any]:
    """The JSON schema OpenAI's strict mode accepts: every property required, no extras."""
    return cast(
        dict[str, Any], convert_to_openai_tool(schema, strict=True)["function"]["parameters"]
    )


def _delta(chunk: AIMessageChunk) -> str:
    """The raw JSON text a chunk adds: its content, or its tool call's argument text."""
    if chunk.tool_call_chunks:
        return "".join(c.get("args") or "" for c in chunk.tool_call_chunks)
    return chunk.text


def _whole(total: AIMessageChunk | None) -> str:
    if total is None:
        return ""
    if total.tool_call_chunks:
        return "".join(c.get("args") or "" for c in total.tool_call_chunks)
    return total.text


def _validated(schema: type[T], raw: str) -> T:
    try:
        return schema.model_validate_json(raw)
    except ValidationError as exc:
        raise _BadReply(_describe_bad_reply(exc)) from exc


def as_model_error(exc: BaseException, model: BaseChatModel) -> ModelError:
    """One line a user can act on, for any failure of a model call."""
    return exc if isinstance(exc, ModelError) else ModelError(_failure_message(exc, model))


def _failure_message(exc: BaseException, model: BaseChatModel) -> str:
    server = getattr(model, "openai_api_base", None) or "the OpenAI API"
    retries = getattr(model, "max_retries", None)
    after = f" after {retries} retries (SIM_LLM_RETRIES)" if retries else ""
    status = getattr(exc, "status_code", None)
    if isinstance(exc, lc.ModelTimeoutError | TimeoutError):
        timeout = getattr(model, "request_timeout", None)
        within = f" within {timeout:g} s" if isinstance(timeout, int | float) else " in time"
        return f"the model server did not answer{within} (SIM_LLM_TIMEOUT)"
    if isinstance(exc, lc.ModelConnectionError | ConnectionError):
        return f"cannot reach the model server at {server} (connection refused or dropped)"
    if isinstance(exc, lc.ModelAuthenticationError):
        return f"the model server at {server} rejected the API key (HTTP 401); check OPENAI_API_KEY"
    if isinstance(exc, lc.ModelPermissionDeniedError):
        return f"the API key may not use this model (HTTP 403) at {server}"
    if isinstance(exc, lc.ModelNotFoundError):
        name = getattr(model, "model_name", "?")
        return f"the model server at {server} has no model {name!r} (HTTP 404)"
    if isinstance(exc, lc.ModelRateLimitError):
        return f"the model server is rate-limiting requests (HTTP 429){after}; try again later"
    if isinstance(exc, lc.ContextOverflowError):
        return "the prompt is longer than the model's context window"
    if isinstance(exc, lc.ModelAPIError):
        return f"the model server failed (HTTP {status or '5xx'}){after}"
    if isinstance(exc, json.JSONDecodeError):
        return "the model server's reply is not valid JSON"
    if status is not None:
        return f"the model server refused the request (HTTP {status}): {_first_line(exc)}"
    return f"the model call failed: {type(exc).__name__}: {_first_line(exc)}"


def _describe_bad_reply(exc: BaseException) -> str:
    if isinstance(exc, json.JSONDecodeError):
        return f"the reply is not valid JSON ({exc.msg})"
    cause = exc.__cause__ if isinstance(exc.__cause__, ValidationError) else exc
    if isinstance(cause, ValidationError):
        error = cause.errors()[0]
        where = ".".join(str(part) for part in error["loc"]) or "the reply"
        return f"{where}: {error['msg']}"
    return _first_line(exc)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return (text[0] if text else type(exc).__name__)[:200]


def _joined(messages: Sequence[BaseMessage]) -> str:
    return prompt_text(messages)
