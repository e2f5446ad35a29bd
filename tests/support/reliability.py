"""Shared pieces of the reliability tests: a competent fake remote model and a short script.

`CompetentFakeServer` is the fake OpenAI-compatible server with a brain: when no fault is
queued it answers every request the way the local model would (text for a stream, the tool-call
arguments for a structured request), so a whole interview can run on `openai:fake` and a test
only scripts the faults it is about.
"""

from __future__ import annotations

from typing import Any

from simulator.llm.local.model import LocalModel
from tests.support.fake_openai_server import FakeOpenAIServer, Step, structured, text

SCENARIO = "product_recs"
MESSAGES = (
    "How many users and items are there?",
    "I would start with a simple model that predicts clicks.",
    "Offline I would use AUC.",
)
"""Three candidate messages: a clarifying question, then two answers that each draw a probe
(so the second turn makes one structured call, classify, and one streamed call, the probe)."""


class CompetentFakeServer(FakeOpenAIServer):
    """Answers like the local model unless a fault is queued for that kind of request."""

    def __init__(self) -> None:
        super().__init__()
        self.stream_faults: list[Step] = []
        self.structured_faults: list[Step] = []
        self._local = LocalModel()

    def _next(self, body: dict[str, Any]) -> Step | None:
        faults = self.stream_faults if body.get("stream") else self.structured_faults
        with self._lock:
            self.requests.append(body)
            if faults:
                return faults.pop(0)
        prompt = "\n".join(str(m.get("content") or "") for m in body.get("messages", []))
        reply = self._local._reply(prompt)
        return structured(reply) if isinstance(reply, dict) else text(reply)
