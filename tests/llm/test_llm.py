"""get_chat_model: specs, keys and URLs, the switch that forbids real model calls."""

import pytest

from simulator.base.errors import ConfigError
from simulator.base.settings import load_settings
from simulator.llm import backends as llm
from simulator.llm.backends import PLACEHOLDER_API_KEY, get_chat_model
from simulator.llm.calls import stream_text
from simulator.llm.local.model import LocalModel
from simulator.llm.openai_chat import OpenAICompatibleChat
from tests.support.fake_openai_server import FakeOpenAIServer, text


def test_local_is_the_default_model() -> None:
    settings = load_settings()
    assert settings.model == "local"
    assert isinstance(get_chat_model(settings.model, settings), LocalModel)


@pytest.mark.parametrize("spec", ["foo", "openai:", "openai:  ", "local:extra", "", "anthropic:x"])
def test_a_bad_spec_is_a_config_error(spec: str) -> None:
    with pytest.raises(ConfigError, match="use 'local' or 'openai:MODEL'"):
        get_chat_model(spec, load_settings())


def test_openai_without_key_or_url_says_what_to_set() -> None:
    with pytest.raises(ConfigError) as caught:
        get_chat_model("openai:gpt-4o-mini", load_settings())
    message = str(caught.value)
    assert "OPENAI_API_KEY" in message and "OPENAI_BASE_URL" in message
    assert "\n" not in message


def test_a_local_server_without_key_gets_a_placeholder_key() -> None:
    settings = load_settings(openai_base_url="http://localhost:11434/v1")
    model = get_chat_model("openai:llama3.1:8b", settings)  # Ollama names carry a tag
    assert isinstance(model, OpenAICompatibleChat)
    assert model.model_name == "llama3.1:8b"
    assert model.openai_api_key is not None
    assert model.openai_api_key.get_secret_value() == PLACEHOLDER_API_KEY
    assert model.openai_api_base == "http://localhost:11434/v1"


def test_timeout_retries_and_structured_method_come_from_settings(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SIM_LLM_TIMEOUT", "7.5")
    monkeypatch.setenv("SIM_LLM_RETRIES", "4")
    monkeypatch.setenv("SIM_LLM_STRUCTURED_METHOD", "json_schema")
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:8000/v1")
    model = get_chat_model("openai:qwen", load_settings())
    assert isinstance(model, OpenAICompatibleChat)
    assert model.request_timeout == 7.5
    assert model.max_retries == 4
    assert model.structured_method == "json_schema"
    assert model.model_name == "qwen"


def test_timeout_defaults_to_60_seconds_and_two_retries() -> None:
    model = get_chat_model("openai:m", load_settings(openai_base_url="http://127.0.0.1:1/v1"))
    assert isinstance(model, OpenAICompatibleChat)
    assert (model.request_timeout, model.max_retries) == (60.0, 2)


@pytest.mark.parametrize(
    "url", [None, "https://api.openai.com/v1", "http://10.0.0.5:11434/v1", "http://example.org"]
)
def test_tests_cannot_reach_a_real_model(url: str | None) -> None:
    assert llm.ALLOW_REMOTE_MODEL_REQUESTS is False  # set by conftest for every test
    settings = load_settings(openai_api_key="sk-test", openai_base_url=url)
    with pytest.raises(ConfigError, match="real model calls are switched off"):
        get_chat_model("openai:gpt-4o-mini", settings)


@pytest.mark.parametrize(
    "url",
    ["http://127.0.0.1:9/v1", "http://localhost:9/v1", "http://[::1]:9/v1", "http://127.0.0.2/v1"],
)
def test_loopback_servers_are_allowed_when_real_calls_are_off(url: str) -> None:
    assert isinstance(
        get_chat_model("openai:m", load_settings(openai_base_url=url)), OpenAICompatibleChat
    )


def test_with_the_switch_on_a_real_endpoint_can_be_configured(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(llm, "ALLOW_REMOTE_MODEL_REQUESTS", True)
    model = get_chat_model("openai:gpt-4o-mini", load_settings(openai_api_key="sk-test"))
    assert isinstance(model, OpenAICompatibleChat)  # built only: no request is sent


def test_a_configured_model_talks_to_the_server() -> None:
    with FakeOpenAIServer(text("Which latency budget do we have?")) as server:
        model = get_chat_model("openai:fake", load_settings(openai_base_url=server.base_url))
        assert "".join(stream_text(model, "hi")) == "Which latency budget do we have?"
        assert server.requests[0]["model"] == "fake"
        assert server.requests[0]["messages"] == [{"role": "user", "content": "hi"}]
