"""The OpenAI-compatible chat model class: the only module that imports langchain_openai.

Kept apart from `backends` so that a process on the local model never pays for importing the
OpenAI SDK and langchain_openai (about a second at every start of the command line).
"""

from typing import Any, Literal

from langchain_core.language_models import LanguageModelInput
from langchain_core.runnables import Runnable
from langchain_openai import ChatOpenAI

StructuredMethod = Literal["function_calling", "json_schema"]


class OpenAICompatibleChat(ChatOpenAI):
    """ChatOpenAI whose structured output uses the method chosen in settings by default."""

    structured_method: StructuredMethod = "function_calling"
    """`function_calling` (tool calls; the most portable) or `json_schema` (response_format)."""

    def with_structured_output(
        self,
        schema: Any = None,
        *,
        method: Literal["function_calling", "json_mode", "json_schema"] | None = None,
        **kwargs: Any,
    ) -> Runnable[LanguageModelInput, Any]:
        return super().with_structured_output(
            schema, method=method or self.structured_method, **kwargs
        )

    def _get_request_payload(
        self, input_: LanguageModelInput, *, stop: list[str] | None = None, **kwargs: Any
    ) -> dict[str, Any]:
        payload: dict[str, Any] = super()._get_request_payload(input_, stop=stop, **kwargs)
        # LangChain sends only `max_completion_tokens`; Ollama ignores it and honours the older
        # `max_tokens`, which OpenAI's newer models refuse: a compatible server gets both.
        if self.openai_api_base and "max_completion_tokens" in payload:
            payload["max_tokens"] = payload["max_completion_tokens"]
        return payload
