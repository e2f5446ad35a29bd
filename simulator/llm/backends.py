"""The one door to a model: `get_chat_model(spec, settings)` returns a LangChain BaseChatModel.

Specs: `local` (the deterministic offline model, the default) or `openai:MODEL` (OpenAI, or any
OpenAI-compatible server such as Ollama, vLLM or LM Studio through OPENAI_BASE_URL). The OpenAI
model class (`openai_chat`) is imported only when one is built.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import httpx2
from langchain_core.language_models import BaseChatModel
from pydantic import SecretStr

from simulator.base.errors import ConfigError
from simulator.base.settings import Settings, base_url_origin, env_file
from simulator.llm.local.model import LocalModel

if TYPE_CHECKING:
    from simulator.llm.openai_chat import OpenAICompatibleChat

ALLOW_REMOTE_MODEL_REQUESTS: bool = True
"""The switch that forbids real model calls: tests set it False, and then only an
OpenAI-compatible server on a loopback address (a fake one the test started) may be used."""

HTTP_TRANSPORT: httpx2.BaseTransport | None = None
"""When set, every OpenAI-compatible model built here sends its requests through this transport
(the eval runner sets one that replays cached replies and counts tokens); None: the SDK's own.
The SDK's retries with backoff (SIM_LLM_RETRIES) sit above it and still apply."""

PLACEHOLDER_API_KEY = "not-needed"
"""Sent to a local server (Ollama and friends ignore the key, but the SDK requires one)."""


def get_chat_model(spec: str, settings: Settings) -> BaseChatModel:
    """The chat model a spec names: `local` or `openai:MODEL`."""
    backend, _, name = spec.strip().partition(":")
    if backend == "local" and not name:
        return LocalModel()
    if backend == "openai" and name.strip():
        return _openai_model(name.strip(), settings)
    raise ConfigError(
        f"unknown model {spec!r}: use 'local' or 'openai:MODEL' (e.g. openai:gpt-4o-mini)"
    )


def _openai_model(name: str, settings: Settings) -> OpenAICompatibleChat:
    base_url = settings.openai_base_url or None
    if not settings.openai_api_key and not base_url:
        raise ConfigError(
            f"openai:{name} needs OPENAI_API_KEY, "
            "or OPENAI_BASE_URL for a local server such as Ollama"
        )
    if not ALLOW_REMOTE_MODEL_REQUESTS and not (base_url and is_loopback_url(base_url)):
        raise ConfigError(
            f"real model calls are switched off here; openai:{name} may only use an "
            f"OPENAI_BASE_URL on 127.0.0.1, localhost or ::1 (got {base_url or 'the OpenAI API'})"
        )
    from openai import DefaultHttpxClient

    from simulator.llm.openai_chat import OpenAICompatibleChat

    return OpenAICompatibleChat(
        model=name,
        api_key=SecretStr(settings.openai_api_key or PLACEHOLDER_API_KEY),
        base_url=base_url,
        timeout=settings.llm_timeout,
        max_retries=settings.llm_retries,
        temperature=settings.llm_temperature,
        max_completion_tokens=settings.llm_max_tokens,
        # Chat Completions is what OpenAI-compatible servers implement; the Responses API is not.
        use_responses_api=False,
        # Usage in streamed replies is an OpenAI extension many compatible servers reject.
        stream_usage=base_url is None,
        structured_method=settings.llm_structured_method,
        http_client=DefaultHttpxClient(transport=HTTP_TRANSPORT) if HTTP_TRANSPORT else None,
    )


def dotenv_key_note(settings: Settings, specs: Iterable[str]) -> str | None:
    """One line to show before a real model (one of `specs`, e.g. the chat model and
    SIM_EMBEDDINGS) sends the API key to an OPENAI_BASE_URL that came from the dotenv file rather
    than the environment and is not this machine; None when there is nothing to say. A `.env`
    in the working directory is easy to miss, and it would otherwise redirect the key silently."""
    url = settings.openai_base_url
    if not url or not settings.openai_api_key or is_loopback_url(url):
        return None
    if not any(spec.strip().partition(":")[0] == "openai" for spec in specs):
        return None
    if base_url_origin(settings) != "dotenv":
        return None
    return (
        f"note: OPENAI_BASE_URL={url} comes from {env_file()}; "
        "your OPENAI_API_KEY will be sent there"
    )


def is_loopback_url(url: str) -> bool:
    """True when the URL's host is this machine (127.0.0.0/8, ::1 or localhost)."""
    host = urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
