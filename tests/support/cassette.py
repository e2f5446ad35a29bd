"""Recorded real-model traffic (cassettes), replayed offline by an OpenAI-compatible server on
127.0.0.1, the way pydantic-ai and simonw/llm replay theirs.

A cassette (`tests/data/cassettes/NAME.json`) holds what was sent and what the model answered,
call by call, as recorded through `../shared/tools/llm_relay.py` with a responder playing the
model: per call the request's roles, response format and last user message, and the reply's
content (or tool-call arguments). `CassetteServer` serves the replies in order, streamed when the
client streams, and records what this run sent so a test can compare it with the recording.
"""

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from tests.support.paths import TEST_DATA

CASSETTES = TEST_DATA / "cassettes"
CHUNK_CHARS = 40
"""Streamed replies arrive in pieces this long, as the relay sent them."""


def load(name: str) -> dict[str, Any]:
    return json.loads((CASSETTES / f"{name}.json").read_text(encoding="utf-8"))


def summary(request: dict[str, Any]) -> dict[str, Any]:
    """What a cassette keeps of a request: enough to compare two runs, small enough to read."""
    messages = request.get("messages", [])
    users = [m for m in messages if m.get("role") == "user"]
    response_format = request.get("response_format") or (request.get("extra_body") or {}).get(
        "response_format"
    )
    return {
        "roles": [m.get("role") for m in messages],
        "last_user": users[-1]["content"] if users else None,
        "format": (response_format or {}).get("json_schema", {}).get("name"),
        "tool": next((t["function"]["name"] for t in request.get("tools") or []), None),
        "stream": bool(request.get("stream")),
    }


class CassetteServer:
    """Serves a cassette's replies in order; `requests` collects what was sent."""

    def __init__(self, replies: list[dict[str, Any]]) -> None:
        self.replies = list(replies)
        self.requests: list[dict[str, Any]] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", 0))
                request = json.loads(self.rfile.read(length) or b"{}")
                server.requests.append(request)
                if not server.replies:
                    body = b'{"error": {"message": "the cassette has no reply left"}}'
                    self.send_response(500)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                    return
                _answer(self, request, server.replies.pop(0))

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base_url = f"http://127.0.0.1:{self._httpd.server_address[1]}/v1"

    @contextmanager
    def running(self) -> Iterator["CassetteServer"]:
        thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)
        thread.start()
        try:
            yield self
        finally:
            self._httpd.shutdown()
            self._httpd.server_close()


def _answer(
    handler: BaseHTTPRequestHandler, request: dict[str, Any], reply: dict[str, Any]
) -> None:
    text = reply["content"]
    tools = request.get("tools") or []
    base = {"id": "cassette", "created": 0, "model": request.get("model", "cassette")}
    if tools:
        name = tools[0]["function"]["name"]
        call = {"id": "call_0", "type": "function", "function": {"name": name, "arguments": text}}
        message: dict[str, Any] = {"role": "assistant", "content": None, "tool_calls": [call]}
        finish = "tool_calls"
    else:
        message = {"role": "assistant", "content": text}
        finish = "stop"
    if not request.get("stream"):
        body = json.dumps(
            {
                **base,
                "object": "chat.completion",
                "choices": [{"index": 0, "message": message, "finish_reason": finish}],
                "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
            }
        ).encode()
        handler.send_response(200)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)
        return
    handler.send_response(200)
    handler.send_header("Content-Type", "text/event-stream")
    handler.end_headers()

    def event(delta: dict[str, Any], finish_reason: str | None = None) -> None:
        chunk = {
            **base,
            "object": "chat.completion.chunk",
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish_reason}],
        }
        handler.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
        handler.wfile.flush()

    if tools:
        event({"role": "assistant", "tool_calls": [{"index": 0, **message["tool_calls"][0]}]})
    else:
        event({"role": "assistant", "content": ""})
        for start in range(0, len(text), CHUNK_CHARS):
            event({"content": text[start : start + CHUNK_CHARS]})
    event({}, finish)
    handler.wfile.write(b"data: [DONE]\n\n")
    handler.wfile.flush()


def record(queue: Path, name: str, meta: dict[str, Any]) -> Path:
    """Turn a relay queue folder into a cassette (run by hand after a relay session)."""
    calls = []
    for request_path in sorted(queue.glob("*.request.json")):
        number = request_path.name.split(".")[0]
        served = queue / f"{number}.served.json"
        if not served.exists():
            continue
        request = json.loads(request_path.read_text(encoding="utf-8"))
        message = json.loads(served.read_text(encoding="utf-8"))
        content = message.get("content")
        if content is None and message.get("tool_calls"):
            content = message["tool_calls"][0]["function"]["arguments"]
        calls.append({"request": summary(request), "reply": {"content": content}})
    path = CASSETTES / f"{name}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    cassette = {**meta, "calls": calls}
    path.write_text(json.dumps(cassette, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return path
