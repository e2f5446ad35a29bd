"""ask_structured and stream_text against a fake OpenAI-compatible server: replies and faults.

Every test sets a short timeout and a wall-clock bound; the fake server tells the SDK to wait
10 ms between retries (retry-after-ms), as OpenAI's own 429 and 5xx replies do.
"""

import socket
import sys
import time
import types
from collections.abc import Iterator

import pytest
from langchain_core.language_models import BaseChatModel
from pydantic import BaseModel, Field

from simulator.base.errors import ModelError
from simulator.base.settings import load_settings
from simulator.llm.backends import get_chat_model
from simulator.llm.calls import StreamCut, ask_structured, stream_text
from simulator.llm.local.model import LocalModel, task_runner
from simulator.llm.scripted import ScriptedModel, ScriptExhaustedError
from simulator.llm.tokens import Usage
from tests.support.fake_openai_server import (
    FakeOpenAIServer,
    hang,
    malformed,
    status,
    stream_cut,
    structured,
    text,
)


class Verdict(BaseModel):
    """A test schema: a score and why."""

    score: int = Field(ge=0, le=4)
    reason: str


PROMPT = (
    "<task>sim_test_verdict</task>\n"
    "<candidate_answer>\nWe start with a popularity baseline.\n</candidate_answer>"
)
LOCAL_VERDICT = {"score": 1, "reason": "local"}


@pytest.fixture(autouse=True)
def verdict_task(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """A test-only local task, so the local fallback has something to answer."""
    module = types.ModuleType("simulator.llm.local.tasks.sim_test_verdict")
    module.run = lambda blocks: dict(LOCAL_VERDICT)  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, module.__name__, module)
    task_runner.cache_clear()
    yield
    task_runner.cache_clear()


@pytest.fixture
def server() -> Iterator[FakeOpenAIServer]:
    with FakeOpenAIServer() as fake:
        yield fake


def remote(server: FakeOpenAIServer, **settings: object) -> BaseChatModel:
    values: dict[str, object] = {"llm_timeout": 1.0, "llm_retries": 2} | settings
    return get_chat_model(
        "openai:fake-model", load_settings(openai_base_url=server.base_url, **values)
    )


class Clock:
    def __enter__(self) -> "Clock":
        self.start = time.monotonic()
        return self

    def __exit__(self, *exc: object) -> None:
        self.elapsed = time.monotonic() - self.start


# --- plain replies and streaming -------------------------------------------------------------


def test_stream_text_yields_the_reply_in_several_chunks(server: FakeOpenAIServer) -> None:
    server.script(text("Tell me about the data volume first."))
    usage = Usage(model_name="openai:fake-model")
    with Clock() as clock:
        chunks = list(stream_text(remote(server), "hello", usage=usage))
    assert "".join(chunks) == "Tell me about the data volume first."
    assert len(chunks) > 1
    assert server.requests[0]["stream"] is True
    assert usage.input_tokens > 0 and usage.output_tokens > 0
    assert clock.elapsed < 2


# --- structured output -----------------------------------------------------------------------


@pytest.mark.parametrize("method", ["function_calling", "json_schema"])
def test_structured_output_through_either_method(server: FakeOpenAIServer, method: str) -> None:
    server.script(structured({"score": 3, "reason": "trade-offs argued"}))
    with Clock() as clock:
        answer = ask_structured(remote(server, llm_structured_method=method), Verdict, "grade this")
    assert answer.value == Verdict(score=3, reason="trade-offs argued")
    assert not answer.fallback and answer.note is None
    sent = server.requests[0]
    if method == "function_calling":
        assert sent["tools"][0]["function"]["name"] == "Verdict"
        assert "response_format" not in sent
    else:
        assert sent["response_format"]["type"] == "json_schema"
        assert "tools" not in sent
    assert clock.elapsed < 2


def test_usage_of_a_structured_reply_is_recorded(server: FakeOpenAIServer) -> None:
    server.script(structured({"score": 2, "reason": "ok"}))
    usage = Usage(model_name="openai:fake-model")
    ask_structured(remote(server), Verdict, "grade this " * 40, usage=usage)
    assert usage.output_tokens == 7  # what the fake server reported
    assert not usage.approximate


# --- transient failures: retried by the SDK --------------------------------------------------


def test_429_then_success_is_retried(server: FakeOpenAIServer) -> None:
    server.script(status(429, "slow down"), structured({"score": 2, "reason": "ok"}))
    with Clock() as clock:
        answer = ask_structured(remote(server), Verdict, "grade this")
    assert answer.value.score == 2
    assert len(server.requests) == 2
    assert clock.elapsed < 2


def test_500_always_gives_up_after_the_retries(server: FakeOpenAIServer) -> None:
    server.script(*[status(500, "boom")] * 5)
    with Clock() as clock, pytest.raises(ModelError) as caught:
        ask_structured(remote(server, llm_retries=2), Verdict, "grade this")
    assert len(server.requests) == 3  # the first try and two retries
    assert "HTTP 500" in str(caught.value) and "2 retries" in str(caught.value)
    assert "\n" not in str(caught.value)
    assert clock.elapsed < 3


def test_401_is_not_retried_and_names_the_key(server: FakeOpenAIServer) -> None:
    server.script(status(401, "bad key"))
    with pytest.raises(ModelError, match="OPENAI_API_KEY"):
        list(stream_text(remote(server), "hello"))
    assert len(server.requests) == 1


def test_a_hang_past_the_timeout_is_a_timeout_error(server: FakeOpenAIServer) -> None:
    server.script(hang(10))
    with Clock() as clock, pytest.raises(ModelError) as caught:
        ask_structured(remote(server, llm_timeout=1.0, llm_retries=0), Verdict, "grade this")
    assert str(caught.value) == "the model server did not answer within 1 s (SIM_LLM_TIMEOUT)"
    assert 1.0 <= clock.elapsed < 3


def test_connection_refused_is_one_line() -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings = load_settings(
        openai_base_url=f"http://127.0.0.1:{port}/v1", llm_timeout=1.0, llm_retries=0
    )
    with Clock() as clock, pytest.raises(ModelError, match="cannot reach the model server"):
        list(stream_text(get_chat_model("openai:fake-model", settings), "hello"))
    assert clock.elapsed < 3


# --- unusable replies: one repair attempt, then the local model ------------------------------


def test_a_malformed_body_is_repaired_once(server: FakeOpenAIServer) -> None:
    server.script(malformed(), structured({"score": 4, "reason": "fixed"}))
    with Clock() as clock:
        answer = ask_structured(remote(server), Verdict, PROMPT)
    assert answer.value == Verdict(score=4, reason="fixed")
    assert not answer.fallback
    repair = server.requests[1]["messages"]
    assert repair[0]["content"] == PROMPT
    assert "not valid JSON" in repair[-1]["content"]
    assert clock.elapsed < 2


@pytest.mark.parametrize("method", ["function_calling", "json_schema"])
def test_a_reply_that_ignores_the_schema_falls_back_to_the_local_model(
    server: FakeOpenAIServer, method: str
) -> None:
    server.script(text("I would rather chat."), text("Still chatting."))
    with Clock() as clock:
        answer = ask_structured(remote(server, llm_structured_method=method), Verdict, PROMPT)
    assert answer.value == Verdict(**LOCAL_VERDICT)
    assert answer.fallback is True
    assert answer.note is not None and "\n" not in answer.note and "Verdict" in answer.note
    assert len(server.requests) == 2  # the question and one repair, no more
    assert clock.elapsed < 2


def test_a_reply_with_wrong_fields_is_repaired_with_the_error_spelled_out(
    server: FakeOpenAIServer,
) -> None:
    server.script(
        structured({"score": 9, "reason": "too high"}), structured({"score": 3, "reason": "ok"})
    )
    answer = ask_structured(remote(server), Verdict, PROMPT)
    assert answer.value.score == 3 and not answer.fallback
    repair_note = server.requests[1]["messages"][-1]["content"]
    assert "score" in repair_note and "less than or equal to 4" in repair_note


def test_fallback_without_a_local_answer_is_a_model_error(server: FakeOpenAIServer) -> None:
    server.script(malformed(), malformed())
    with pytest.raises(ModelError, match="local model has no answer"):
        ask_structured(remote(server), Verdict, "a prompt with no task block")


def test_the_local_model_is_not_repaired_when_its_answer_does_not_fit() -> None:
    with pytest.raises(ModelError, match="local model's answer does not fit Verdict"):
        ask_structured(LocalModel(), Verdict, "<task>no_such_task</task>")


# --- streams cut midway ----------------------------------------------------------------------


def collect(model: BaseChatModel, prompt: str) -> tuple[list[str], BaseException | None]:
    received: list[str] = []
    try:
        for chunk in stream_text(model, prompt):
            received.append(chunk)
    except ModelError as exc:
        return received, exc
    return received, None


def test_a_stream_cut_halfway_keeps_the_partial_text(server: FakeOpenAIServer) -> None:
    server.script(stream_cut("We could start with a popularity baseline", after_chunks=3))
    with Clock() as clock:
        received, error = collect(remote(server), "hello")
    assert isinstance(error, StreamCut)
    assert error.partial == "We could start" == "".join(received)
    assert "\n" not in str(error)
    assert clock.elapsed < 2


def test_a_stream_that_ends_without_finishing_is_cut(server: FakeOpenAIServer) -> None:
    server.script(stream_cut("We could start with a baseline", after_chunks=2, clean_end=True))
    received, error = collect(remote(server), "hello")
    assert isinstance(error, StreamCut)
    assert error.partial == "We could" == "".join(received)


def test_a_stream_that_stalls_past_the_timeout_is_cut(server: FakeOpenAIServer) -> None:
    server.script(stream_cut("We could start with a baseline", after_chunks=2, stall=5))
    with Clock() as clock:
        _, error = collect(remote(server, llm_timeout=1.0, llm_retries=0), "hello")
    assert isinstance(error, StreamCut)
    assert error.partial == "We could"
    assert "SIM_LLM_TIMEOUT" in str(error)
    assert clock.elapsed < 3


# --- the in-process models go through the same door ------------------------------------------


def test_scripted_failures_become_one_line_model_errors() -> None:
    model = ScriptedModel(TimeoutError("slow"), ConnectionRefusedError("nope"), KeyError("x"))
    messages = []
    for _ in range(3):
        with pytest.raises(ModelError) as caught:
            list(stream_text(model, "hello"))
        messages.append(str(caught.value))
    assert messages[0] == "the model server did not answer in time (SIM_LLM_TIMEOUT)"
    assert messages[1].startswith("cannot reach the model server")
    assert messages[2] == "the model call failed: KeyError: 'x'"


def test_an_exhausted_script_is_the_test_s_failure_not_a_model_error() -> None:
    with pytest.raises(ScriptExhaustedError, match="no reply left"):
        ask_structured(ScriptedModel(), Verdict, "grade this")


def test_scripted_model_goes_through_repair_and_fallback() -> None:
    model = ScriptedModel({"score": "high"}, "no idea")
    answer = ask_structured(model, Verdict, PROMPT)
    assert answer.fallback and answer.value == Verdict(**LOCAL_VERDICT)
    assert model.prompts[0] == PROMPT
    assert model.prompts[1].startswith(PROMPT) and "score" in model.prompts[1]


def test_temperature_and_reply_limit_are_sent_as_set(server: FakeOpenAIServer) -> None:
    server.script(text("One."), text("Two."))
    list(stream_text(remote(server), "hello"))
    default = server.requests[0]
    assert "temperature" not in default  # unset: the server's own default
    # A compatible server gets the limit under both names: Ollama reads only `max_tokens`.
    assert default["max_completion_tokens"] == default["max_tokens"] == 4096
    list(stream_text(remote(server, llm_temperature=0.3, llm_max_tokens=900), "hello"))
    chosen = server.requests[1]
    assert chosen["temperature"] == 0.3
    assert chosen["max_completion_tokens"] == chosen["max_tokens"] == 900
