"""Shared pieces of the reliability tests: a competent fake remote model and a short script.

`CompetentFakeServer` is the fake OpenAI-compatible server with a brain: when no fault is queued
it answers every request the way the local model would answer the same chat (the interviewer's
turn decision, streamed as JSON content or as a tool call, whichever the request asked for), so a
whole interview can run on `openai:fake` and a test only scripts the faults it is about. A repair
request (the bad reply shown back with `prompts/repair.md`) is answered as the request it
repairs. A structured request the local model cannot read (the grader's prompt is written for a
real model) gets the plainest answer its JSON schema allows: valid, empty-handed, scored at the
minimum.
"""

from __future__ import annotations

from typing import Any

from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage

from simulator.base.settings import PROJECT_ROOT
from simulator.llm.local.model import LocalModel
from simulator.llm.reply_model import Reply
from tests.support.fake_openai_server import FakeOpenAIServer, Step, structured, text

SCENARIO = "product_recs"
MESSAGES = (
    "How many users and items are there?",
    "I would start with a simple model that predicts clicks.",
    "Offline I would use AUC.",
)
"""Three candidate messages: a clarifying question, then two answers that each draw a probe.
Each is answered with one model call, streamed (the turn's decision, its reply last)."""

_ROLES = {"system": SystemMessage, "user": HumanMessage, "assistant": AIMessage}
REPAIR_OPENING = (PROJECT_ROOT / "prompts" / "repair.md").read_text("utf-8").split("{")[0].strip()
"""How a repair request's last message begins (the text before the template's first slot)."""


class CompetentFakeServer(FakeOpenAIServer):
    """Answers like the local model unless a fault is queued for that kind of request.

    `stream_faults` strike streamed requests (each turn's decision); `plain_faults` the others
    (a repair after a reply that did not fit, grading). `struck` holds the request bodies the
    faults answered, in order, so a test can check what they hit.
    """

    def __init__(self) -> None:
        super().__init__()
        self.stream_faults: list[Step] = []
        self.plain_faults: list[Step] = []
        self.struck: list[dict[str, Any]] = []
        self._local = LocalModel()

    def _next(self, body: dict[str, Any]) -> Step | None:
        faults = self.stream_faults if body.get("stream") else self.plain_faults
        with self._lock:
            self.requests.append(body)
            if faults:
                self.struck.append(body)
                return faults.pop(0)
        reply = self.local_answer(body)
        if isinstance(reply, dict):
            return structured(reply)
        schema = requested_schema(body)
        return text(reply) if schema is None else structured(plainest(schema, schema))

    def local_answer(self, body: dict[str, Any]) -> Reply:
        """The local model's answer to a request's chat (to a repair: to what it repairs)."""
        return self._local._reply_to(chat_messages(body))


def chat_messages(body: dict[str, Any]) -> list[BaseMessage]:
    """The request's messages as LangChain messages (what the local model reads); for a repair
    request, those of the request it repairs (without the bad reply and the repair prompt)."""
    messages = [
        _ROLES.get(m.get("role", "user"), HumanMessage)(str(m.get("content") or ""))
        for m in body.get("messages", [])
    ]
    if is_repair(body):
        return messages[:-2]
    return messages


def is_repair(body: dict[str, Any]) -> bool:
    """Whether the request shows the model its bad reply (an assistant message) and asks again."""
    messages = body.get("messages", [])
    return (
        len(messages) >= 2
        and messages[-2].get("role") == "assistant"
        and messages[-1].get("role") == "user"
        and str(messages[-1].get("content") or "").startswith(REPAIR_OPENING)
    )


def requested_schema(body: dict[str, Any]) -> dict[str, Any] | None:
    """The JSON schema a request asks its answer to fit: its json_schema response_format, or
    the parameters of the tool it forces (or its only tool); None for a plain text request."""
    response_format = body.get("response_format") or {}
    if response_format.get("type") == "json_schema":
        return dict(response_format["json_schema"]["schema"])
    tools = body.get("tools") or []
    if not tools:
        return None
    choice = body.get("tool_choice")
    wanted = choice.get("function", {}).get("name") if isinstance(choice, dict) else choice
    chosen = next((t for t in tools if t["function"]["name"] == wanted), tools[0])
    return dict(chosen["function"].get("parameters") or {})


def plainest(node: dict[str, Any], root: dict[str, Any]) -> Any:
    """The simplest value that fits a JSON schema `node` (refs resolved against `root`): every
    property present, the first enum value, the minimum number, empty strings and lists, except
    that a list of objects told apart by an enum `id` gets one object per id (each exactly once)."""
    if "$ref" in node:
        target: Any = root
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        return plainest(target, root)
    for key in ("anyOf", "oneOf", "allOf"):
        if key in node:
            options = [o for o in node[key] if o.get("type") != "null"] or node[key]
            return plainest(options[0], root)
    if "const" in node:
        return node["const"]
    if "enum" in node:
        return node["enum"][0]
    kind = node.get("type", "object")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "null")
    if kind == "object":
        return {key: plainest(sub, root) for key, sub in (node.get("properties") or {}).items()}
    if kind == "array":
        return _plainest_list(node, root)
    if kind in ("integer", "number"):
        return node.get("minimum", 0)
    if kind == "boolean":
        return False
    if kind == "null":
        return None
    return ""


def _plainest_list(node: dict[str, Any], root: dict[str, Any]) -> list[Any]:
    items = node.get("items") or {}
    if "$ref" in items:
        target: Any = root
        for part in items["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        items = target
    ids = ((items.get("properties") or {}).get("id") or {}).get("enum")
    if not ids:
        return []
    return [plainest(items, root) | {"id": value} for value in ids]
