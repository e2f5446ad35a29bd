"""The eval runner's model traffic: replies kept by the whole request, streams included, only when
complete; tokens read from the exchange; progress lines; the bench's lower-bound verdict."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from langchain_core.language_models import BaseChatModel
from pydantic import BaseModel

from evals.bench import verdicts
from evals.progress import Progress
from evals.response_cache import model_traffic
from evals.usage import exchange_tokens
from simulator.base.errors import ModelError
from simulator.base.settings import load_settings
from simulator.llm import backends
from simulator.llm.backends import get_chat_model
from simulator.llm.calls import StreamCut, ask_structured, stream_text
from tests.support.fake_openai_server import (
    FakeOpenAIServer,
    status,
    stream_cut,
    structured,
    text,
)


class Verdict(BaseModel):
    score: int
    reason: str


class Opinion(BaseModel):
    score: int
    reason: str
    confident: bool


def _model(server: FakeOpenAIServer, retries: int = 2) -> BaseChatModel:
    settings = load_settings(openai_base_url=server.base_url, llm_retries=retries)
    return get_chat_model("openai:fake", settings)


def test_a_streamed_reply_is_kept_and_replayed_whole(tmp_path: Path) -> None:
    reply = "Assume one million users and a 100 ms budget."
    with FakeOpenAIServer(text(reply)) as server, model_traffic(tmp_path / "c.db") as ledger:
        model = _model(server)
        assert "".join(stream_text(model, "What load do we expect?")) == reply
        assert "".join(stream_text(model, "What load do we expect?")) == reply
        assert len(server.requests) == 1
    tally = ledger.take()
    assert (tally.requests, tally.cached) == (1, 1)
    # The fake server streams without usage (as Ollama does): counted here, and said so.
    assert tally.approximate and tally.input_tokens > 0 and tally.output_tokens > 5
    assert tally.cached_tokens == tally.input_tokens + tally.output_tokens
    assert ledger.take().requests == 0  # taking starts the tally again


def test_the_key_is_the_whole_request_prompt_and_schema(tmp_path: Path) -> None:
    args = {"score": 3, "reason": "argued", "confident": True}
    with (
        FakeOpenAIServer(repeat=structured(args)) as server,
        model_traffic(tmp_path / "c.db"),
    ):
        model = _model(server)
        ask_structured(model, Verdict, "grade this")
        ask_structured(model, Opinion, "grade this")  # same words, another schema
        ask_structured(model, Verdict, "grade that")
        assert len(server.requests) == 3
        ask_structured(model, Opinion, "grade this")
        assert len(server.requests) == 3


def test_a_stream_cut_midway_is_not_kept(tmp_path: Path) -> None:
    whole = "Start with a popularity baseline and compare."
    steps = (stream_cut(whole, after_chunks=2), text(whole))
    with FakeOpenAIServer(*steps) as server, model_traffic(tmp_path / "c.db") as ledger:
        model = _model(server)
        with pytest.raises(StreamCut):
            "".join(stream_text(model, "Which model first?"))
        assert "".join(stream_text(model, "Which model first?")) == whole
        assert "".join(stream_text(model, "Which model first?")) == whole
        assert len(server.requests) == 2
    assert ledger.take().requests == 1  # only the whole reply was counted


def test_without_a_cache_file_every_request_is_sent_and_counted(tmp_path: Path) -> None:
    with (
        FakeOpenAIServer(repeat=structured({"score": 1, "reason": "named"})) as server,
        model_traffic(None) as ledger,
    ):
        model = _model(server)
        for _ in range(3):
            ask_structured(model, Verdict, "grade this")
        assert len(server.requests) == 3
    tally = ledger.take()
    assert (tally.requests, tally.cached, tally.output_tokens) == (3, 0, 21)
    assert not tally.approximate
    assert not list(tmp_path.iterdir())


def test_the_transport_is_only_in_place_while_the_traffic_is_open(tmp_path: Path) -> None:
    with FakeOpenAIServer(repeat=structured({"score": 1, "reason": "x"})) as server:
        with model_traffic(tmp_path / "c.db") as ledger:
            assert backends.HTTP_TRANSPORT is not None
        assert backends.HTTP_TRANSPORT is None
        ask_structured(_model(server), Verdict, "grade this")
        assert len(server.requests) == 1 and ledger.take().requests == 0


def test_a_server_error_is_not_kept(tmp_path: Path) -> None:
    steps = (status(500, "down"), structured({"score": 2, "reason": "ok"}))
    with FakeOpenAIServer(*steps) as server, model_traffic(tmp_path / "c.db"):
        model = _model(server, retries=0)
        with pytest.raises(ModelError):
            ask_structured(model, Verdict, "grade this")
        assert ask_structured(model, Verdict, "grade this").value.score == 2
        assert len(server.requests) == 2


def _event(payload: dict[str, object]) -> str:
    return f"data: {json.dumps(payload)}\n\n"


def test_tokens_are_taken_as_reported_or_counted() -> None:
    request = json.dumps(
        {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hello there"}]}
    ).encode()
    body = {"choices": [{"message": {"content": "hi"}}], "usage": {"prompt_tokens": 11,
            "completion_tokens": 2}}  # fmt: skip
    assert exchange_tokens(request, json.dumps(body).encode()) == (11, 2, False)
    streamed = _event({"choices": [{"delta": {"content": "hi"}}]})
    with_usage = streamed + _event(
        {"choices": [], "usage": {"prompt_tokens": 9, "completion_tokens": 1}}
    )
    assert exchange_tokens(request, (with_usage + "data: [DONE]\n\n").encode()) == (9, 1, False)
    sent, received, _ = exchange_tokens(request, (streamed + "data: [DONE]\n\n").encode())
    assert sent >= 2 and received >= 1
    call = {"tool_calls": [{"function": {"arguments": '{"score": 3, "reason": "long words"}'}}]}
    _, tool_tokens, _ = exchange_tokens(request, _event({"choices": [{"delta": call}]}).encode())
    assert tool_tokens > received


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_is_a_bar_on_a_terminal_and_sparse_lines_in_a_log() -> None:
    now = [0.0]
    log = io.StringIO()
    progress = Progress("graded (tune)", 4, stream=log, every=30, clock=lambda: now[0])
    for seconds in (5.0, 31.0, 40.0, 70.0):
        now[0] = seconds
        progress.advance()
    assert log.getvalue().splitlines() == [
        "graded (tune): 2/4 cases, 31 s",
        "graded (tune): 4/4 cases, 70 s",
    ]
    terminal = _Terminal()
    bar = Progress("bands (tune)", 2, stream=terminal)
    bar.advance()
    bar.advance()
    assert terminal.getvalue().count("\r") == 2 and terminal.getvalue().endswith("2/2\n")


def test_the_speedup_row_misses_below_its_minimum() -> None:
    assert verdicts({"evals_speedup": 5.9}) == {"evals_speedup": "MISS"}
    assert verdicts({"evals_speedup": 6.0}) == {"evals_speedup": "PASS"}
    assert verdicts({"evals_speedup": None}) == {"evals_speedup": "MISS"}
