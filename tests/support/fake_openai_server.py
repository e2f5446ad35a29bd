"""A fake OpenAI-compatible chat server for tests: 127.0.0.1, an ephemeral port, a thread.

Each request to `/v1/chat/completions` takes the next scripted `Step` (text, a structured reply,
an HTTP error, a hang, a malformed body, a stream cut halfway). The server records every request
body so tests can check what the client sent (stream flag, tools, response_format, retries).

A structured reply takes the shape the request asked for: a tool call when it sent tools, JSON
content otherwise (a `response_format` json_schema, sent as extra body). Streamed, JSON content
and tool-call arguments arrive as OpenAI sends them: in several SSE chunks that split keys,
strings and escapes anywhere, so a client must join them before parsing.

    with FakeOpenAIServer(text("hello")) as server:
        model = get_chat_model("openai:fake", load_settings(openai_base_url=server.base_url))

`delay` makes every request wait that long before its reply (a model's latency), `repeat` is the
reply once the script is used up (many cases, one answer), and `max_in_flight` is the most
requests the server was answering at one time.
"""

from __future__ import annotations

import contextlib
import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Literal

StepKind = Literal[
    "text", "structured", "status", "hang", "malformed", "malformed_events", "stream_cut"
]


@dataclass(frozen=True)
class Step:
    """What the server does with one request."""

    kind: StepKind
    content: str = ""
    args: dict[str, Any] = field(default_factory=dict)
    status: int = 200
    seconds: float = 0.0
    cut_after: int = 0
    clean_end: bool = False


def text(content: str) -> Step:
    """A plain assistant reply (streamed word by word when the request asks for a stream)."""
    return Step("text", content=content)


def structured(args: dict[str, Any]) -> Step:
    """A reply in whatever shape the request asked for: a tool call when it sent tools,
    JSON content when it sent a json_schema response_format."""
    return Step("structured", args=args)


def structured_cut(args: dict[str, Any], upto: str, clean_end: bool = False) -> Step:
    """Stream the JSON of `args` (as content) up to and including the first `upto` in it, then
    drop the connection (or, with clean_end, end the body without finish_reason or [DONE])."""
    whole = json.dumps(args)
    end = whole.index(upto) + len(upto)
    return Step("stream_cut", content=whole[:end], cut_after=end, clean_end=clean_end)


def status(code: int, message: str = "scripted failure") -> Step:
    """An HTTP error with a short Retry-After, as OpenAI sends on 429 and 5xx."""
    return Step("status", content=message, status=code)


def hang(seconds: float) -> Step:
    """Say nothing for `seconds` (past the client's timeout), then reply."""
    return Step("hang", content="too late", seconds=seconds)


BROKEN_JSON = '{"id": "chatcmpl-broken", "choices": [{"mess'


def malformed() -> Step:
    """A 200 response whose body is not JSON; to a streamed request, a well-formed stream whose
    content (the JSON the model writes) breaks off like that body."""
    return Step("malformed")


def malformed_events() -> Step:
    """A 200 event stream whose event data is not JSON (a streamed request's body is broken)."""
    return Step("malformed_events")


def stream_cut(
    content: str, after_chunks: int, clean_end: bool = False, stall: float = 0.0
) -> Step:
    """Stream the first `after_chunks` words of `content`, then drop the connection (or, with
    clean_end, end the body properly but without finish_reason or [DONE]); with `stall`, first
    say nothing more for that many seconds."""
    return Step(
        "stream_cut", content=content, cut_after=after_chunks, clean_end=clean_end, seconds=stall
    )


class FakeOpenAIServer:
    """An OpenAI-compatible chat-completions server that replies from a script."""

    def __init__(self, *steps: Step, delay: float = 0.0, repeat: Step | None = None) -> None:
        self._steps = list(steps)
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self.requests: list[dict[str, Any]] = []
        self.delay = delay
        self.repeat = repeat
        self.in_flight = 0
        self.max_in_flight = 0
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _make_handler(self))
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    @property
    def base_url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}/v1"

    def script(self, *steps: Step) -> None:
        """Queue more replies."""
        with self._lock:
            self._steps.extend(steps)

    def __enter__(self) -> FakeOpenAIServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stopping.set()
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)

    def _next(self, body: dict[str, Any]) -> Step | None:
        with self._lock:
            self.requests.append(body)
            return self._steps.pop(0) if self._steps else self.repeat

    def _count_in(self, change: int) -> None:
        with self._lock:
            self.in_flight += change
            self.max_in_flight = max(self.max_in_flight, self.in_flight)

    def _wait(self, seconds: float) -> None:
        self._stopping.wait(seconds)


def _make_handler(server: FakeOpenAIServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # Headers and body are separate writes: with Nagle's algorithm the body waits for the
        # client's delayed ACK (about 40 ms a request), which would swamp a scripted delay.
        disable_nagle_algorithm = True

        def log_message(self, format: str, *args: object) -> None:
            """Quiet: tests read the recorded requests instead."""

        def handle(self) -> None:
            # The client may drop a kept-alive connection: then there is nothing left to serve.
            with contextlib.suppress(ConnectionResetError):
                super().handle()

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = json.loads(self.rfile.read(length) or b"{}")
            if self.path.rstrip("/") != "/v1/chat/completions":
                self._send_json(404, _error("no such endpoint"))
                return
            step = server._next(body)
            if step is None:
                self._send_json(500, _error("fake server: no scripted reply left"), retry=False)
                return
            server._count_in(1)
            try:
                server._wait(server.delay)
                self._serve(step, body)
            except (BrokenPipeError, ConnectionResetError):
                self.close_connection = True  # the client gave up (timeout): nothing to do
            finally:
                server._count_in(-1)

        def _serve(self, step: Step, body: dict[str, Any]) -> None:
            if step.kind == "status":
                self._send_json(step.status, _error(step.content))
            elif step.kind == "malformed" and body.get("stream"):
                self._stream(text(BROKEN_JSON), body)
            elif step.kind == "malformed":
                self._send_raw(200, BROKEN_JSON.encode())
            elif step.kind == "malformed_events":
                self._start_stream()
                self._event(BROKEN_JSON)
                self._event("[DONE]")
                self._end_body()
            elif step.kind == "hang":
                server._wait(step.seconds)
                self.close_connection = True
                self._send_json(200, _completion(body, step.content, None))
            elif step.kind == "stream_cut":
                self._stream_cut(step, body)
            elif body.get("stream"):
                self._stream(step, body)
            else:
                self._send_json(200, _completion(body, *_reply(step, body)))

        def _send_json(self, code: int, payload: dict[str, Any], retry: bool = True) -> None:
            headers = {"retry-after-ms": "10"} if retry else {"x-should-retry": "false"}
            self._send_raw(code, json.dumps(payload).encode(), headers)

        def _send_raw(self, code: int, data: bytes, headers: dict[str, str] | None = None) -> None:
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)

        def _start_stream(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()

        def _event(self, payload: dict[str, Any] | str) -> None:
            data = payload if isinstance(payload, str) else json.dumps(payload)
            raw = f"data: {data}\n\n".encode()
            self.wfile.write(f"{len(raw):X}\r\n".encode() + raw + b"\r\n")
            self.wfile.flush()

        def _end_body(self) -> None:
            self.wfile.write(b"0\r\n\r\n")
            self.wfile.flush()

        def _stream(self, step: Step, body: dict[str, Any]) -> None:
            content, tool_call = _reply(step, body)
            self._start_stream()
            if tool_call is not None:
                # The name first, then the arguments a few characters at a time.
                function = tool_call["function"]
                opening = tool_call | {"function": {"name": function["name"], "arguments": ""}}
                self._event(_chunk(body, {"role": "assistant", "tool_calls": [opening]}))
                for piece in _json_pieces(function["arguments"]):
                    call = {"function": {"arguments": piece}}
                    self._event(_chunk(body, {"tool_calls": [call]}))
            split = _json_pieces if step.kind == "structured" else _pieces
            for piece in split(content or ""):
                self._event(_chunk(body, {"content": piece}))
            self._event(_chunk(body, {}, "tool_calls" if tool_call else "stop"))
            if (body.get("stream_options") or {}).get("include_usage"):
                usage_chunk = _chunk(body, {}, None) | {"choices": [], "usage": _usage(body)}
                self._event(usage_chunk)
            self._event("[DONE]")
            self._end_body()

        def _stream_cut(self, step: Step, body: dict[str, Any]) -> None:
            self._start_stream()
            for piece in _pieces(step.content)[: step.cut_after]:
                self._event(_chunk(body, {"content": piece}))
            server._wait(step.seconds)
            if step.clean_end:
                self._end_body()
            self.close_connection = True  # no terminating chunk: the client sees a cut body

    return Handler


def _reply(step: Step, body: dict[str, Any]) -> tuple[str | None, dict[str, Any] | None]:
    """(content, tool_call) for a text or structured step, shaped by what the request asked for:
    a tool call when it sent tools, else JSON content (what a `response_format` asks for)."""
    if step.kind == "text":
        return step.content, None
    arguments = json.dumps(step.args)
    tools = body.get("tools") or []
    if tools and body.get("tool_choice") != "none":
        choice = body.get("tool_choice")
        name = (
            choice["function"]["name"] if isinstance(choice, dict) else tools[0]["function"]["name"]
        )
        call = {
            "id": "call_1",
            "type": "function",
            "function": {"name": name, "arguments": arguments},
        }
        return None, call
    return arguments, None


def _pieces(content: str) -> list[str]:
    """Split text into word-sized stream deltas that join back to the original."""
    pieces: list[str] = []
    for word in content.split(" "):
        pieces.append(word if not pieces else " " + word)
    return [p for p in pieces if p]


JSON_PIECE = 7
"""Characters per streamed piece of JSON: short enough to split keys, strings and escapes."""


def _json_pieces(content: str) -> list[str]:
    """Split JSON text into short stream deltas, anywhere (mid-key, mid-escape), as tokens do."""
    return [content[i : i + JSON_PIECE] for i in range(0, len(content), JSON_PIECE)]


def _usage(body: dict[str, Any]) -> dict[str, int]:
    prompt = sum(len(str(m.get("content") or "")) for m in body.get("messages", [])) // 4
    return {"prompt_tokens": prompt, "completion_tokens": 7, "total_tokens": prompt + 7}


def _completion(
    body: dict[str, Any], content: str | None, tool_call: dict[str, Any] | None
) -> dict[str, Any]:
    message: dict[str, Any] = {"role": "assistant", "content": content}
    if tool_call is not None:
        message["tool_calls"] = [tool_call]
    return {
        "id": "chatcmpl-fake",
        "object": "chat.completion",
        "created": 0,
        "model": body.get("model", "fake"),
        "choices": [
            {
                "index": 0,
                "message": message,
                "finish_reason": "tool_calls" if tool_call else "stop",
            }
        ],
        "usage": _usage(body),
    }


def _chunk(
    body: dict[str, Any], delta: dict[str, Any], finish: str | None = None
) -> dict[str, Any]:
    if "tool_calls" in delta:
        delta = delta | {"tool_calls": [{"index": 0, **delta["tool_calls"][0]}]}
    return {
        "id": "chatcmpl-fake",
        "object": "chat.completion.chunk",
        "created": 0,
        "model": body.get("model", "fake"),
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
    }


def _error(message: str) -> dict[str, Any]:
    return {"error": {"message": message, "type": "server_error", "code": None}}
