"""Tokens an eval run sends to a model and gets back, read from the requests and replies
themselves, and what they cost.

A reply's `usage` (every non-streamed reply; a streamed one when the server adds it) is taken as
reported. Otherwise (Ollama and most compatible servers stream without it) the prompt (messages,
schema, tools) and the reply text are counted here, and the tally says it is approximate.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from simulator.llm.tokens import Usage, estimate_cost


@dataclass(frozen=True)
class Tally:
    """One suite's model traffic."""

    requests: int = 0
    """Requests sent to the model server."""
    cached: int = 0
    """Requests answered from the response cache instead (nothing sent, nothing paid)."""
    input_tokens: int = 0
    """Prompt tokens of the requests sent."""
    output_tokens: int = 0
    """Completion tokens of the replies received."""
    cached_tokens: int = 0
    """Prompt and completion tokens the cache saved."""
    approximate: bool = False
    """True when some count was estimated rather than reported by the server."""

    def summary(self, model_spec: str, prices: Mapping[str, tuple[float, float]]) -> dict[str, Any]:
        """The tally as the log and the printed summary show it; `cost_usd` is None when the
        model has no price in `prices` (SIM_PRICES_PER_MILLION): tokens only, then."""
        cost = estimate_cost(model_spec, self.input_tokens, self.output_tokens, prices)
        return {
            "requests": self.requests,
            "cached": self.cached,
            "input_tokens": self.input_tokens,
            "output_tokens": self.output_tokens,
            "cached_tokens": self.cached_tokens,
            "approximate": self.approximate,
            "cost_usd": None if cost is None else round(cost, 6),
        }


class Ledger:
    """Running tally of the requests a transport saw; safe to share between threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._tally = Tally()

    def record(self, request_body: bytes, reply_body: bytes, *, cached: bool) -> None:
        sent, received, approximate = exchange_tokens(request_body, reply_body)
        with self._lock:
            t = self._tally
            if cached:
                self._tally = replace(
                    t, cached=t.cached + 1, cached_tokens=t.cached_tokens + sent + received
                )
            else:
                self._tally = replace(
                    t,
                    requests=t.requests + 1,
                    input_tokens=t.input_tokens + sent,
                    output_tokens=t.output_tokens + received,
                    approximate=t.approximate or approximate,
                )

    def take(self) -> Tally:
        """The tally so far; the ledger starts again from zero."""
        with self._lock:
            tally, self._tally = self._tally, Tally()
        return tally


def exchange_tokens(request_body: bytes, reply_body: bytes) -> tuple[int, int, bool]:
    """(prompt tokens, completion tokens, approximate) of one chat-completions exchange."""
    request = json.loads(request_body)
    reported, reply_text = _read_reply(reply_body)
    if reported:
        return int(reported["prompt_tokens"]), int(reported["completion_tokens"]), False
    counted = Usage(model_name=str(request.get("model") or ""))
    counted.add_counts(_prompt_text(request), reply_text)
    return counted.input_tokens, counted.output_tokens, counted.approximate


def _prompt_text(request: dict[str, Any]) -> str:
    """What the prompt tokens are spent on: the messages' text, and the schema or tools."""
    parts = []
    for message in request.get("messages") or []:
        content = message.get("content")
        if isinstance(content, list):
            content = " ".join(str(p.get("text") or "") for p in content if isinstance(p, dict))
        parts.append(str(content or ""))
    for extra in ("response_format", "tools"):
        if request.get(extra):
            parts.append(json.dumps(request[extra]))
    return "\n".join(parts)


def reply_payloads(body: bytes) -> tuple[list[dict[str, Any]], bool]:
    """The JSON objects of a reply (one, or a stream's events) and whether it was streamed;
    ValueError when one is not JSON."""
    text = body.decode("utf-8", errors="replace")
    streamed = text.lstrip().startswith("data:")
    if streamed:
        events = (line[5:].strip() for line in text.splitlines() if line.startswith("data:"))
        payloads = [json.loads(e) for e in events if e and e != "[DONE]"]
    else:
        payloads = [json.loads(text)]
    if not all(isinstance(p, dict) for p in payloads):
        raise ValueError("a reply's JSON is not an object")
    return payloads, streamed


def _read_reply(body: bytes) -> tuple[dict[str, Any] | None, str]:
    """(usage as reported or None, the reply's text and tool-call arguments)."""
    payloads, streamed = reply_payloads(body)
    key = "delta" if streamed else "message"
    usage: dict[str, Any] | None = None
    pieces: list[str] = []
    for payload in payloads:
        usage = payload.get("usage") or usage
        for choice in payload.get("choices") or []:
            part = choice.get(key) or {}
            pieces.append(part.get("content") or "")
            for call in part.get("tool_calls") or []:
                pieces.append((call.get("function") or {}).get("arguments") or "")
    return usage, "".join(pieces)
