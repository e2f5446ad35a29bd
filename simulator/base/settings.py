"""Settings from the environment (prefix SIM_) and `.env`, plus the OpenAI SDK's own variables."""

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Literal

from dotenv import dotenv_values
from pydantic import AliasChoices, Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from simulator.base.errors import ConfigError
from simulator.base.sections import Lang

PROJECT_ROOT = Path(__file__).resolve().parents[2]


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="SIM_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    model: str = "local"
    """Which model answers: `local` (offline, deterministic) or `openai:MODEL`. Unset (SIM_MODEL
    absent), it is `openai:<openai_model>` when a key or a base URL is set, else `local`."""

    openai_model: str = "gpt-4o-mini"
    """The model an unset SIM_MODEL picks when OPENAI_API_KEY or OPENAI_BASE_URL is set
    (SIM_OPENAI_MODEL): name the one your server has, e.g. llama3.1 on Ollama."""

    lang: Lang = "en"
    """Language of the interview, the UI and the report."""

    data_dir: Path = Path(".data")
    """Where the retrieval index and the session database live."""

    database_url: str | None = None
    """The session database (SIM_DATABASE_URL): unset, a SQLite file in `data_dir`; or
    `postgresql+psycopg://USER:PASSWORD@HOST:PORT/DB` for one shared by many users and replicas."""

    llm_timeout: float = Field(default=60.0, gt=0)
    """Seconds to wait for one model request before giving up."""

    llm_retries: int = Field(default=2, ge=0, le=10)
    """How many times a transient model failure (429, 5xx, timeout) is retried."""

    llm_temperature: float | None = Field(default=None, ge=0, le=2)
    """Sampling temperature sent with every request (SIM_LLM_TEMPERATURE); unset, the server's
    own default, since some models accept only theirs."""

    llm_max_tokens: int = Field(default=4096, ge=256)
    """Most tokens one reply may have (SIM_LLM_MAX_TOKENS): a graded report of six sections with
    quotes is the longest reply, well under this; it stops a runaway reply from running on."""

    llm_structured_method: Literal["function_calling", "json_schema"] = "json_schema"
    """How an OpenAI-compatible server is asked for structured output: a strict `response_format`
    JSON schema (the default: OpenAI, vLLM and Ollama all honour it, while Ollama ignores a forced
    tool choice) or tool calling (SIM_LLM_STRUCTURED_METHOD=function_calling)."""

    knowledge_dir: Path = PROJECT_ROOT / "knowledge"
    """The cheat sheet, rubric and scenarios."""

    prompts_dir: Path = PROJECT_ROOT / "prompts"
    """Prompt templates, loaded by name."""

    chroma_url: str | None = None
    """A Chroma server (http://host:port) to use instead of the local persistent index."""

    embeddings: str = "local"
    """Embedding function for the index: `local` (offline, EN+RU) or `openai:MODEL`."""

    context_tokens: int = Field(default=16384, ge=2048)
    """The model's context window in tokens (SIM_CONTEXT_TOKENS): prompts are fitted to it. An
    interviewer turn's fixed context (rules, scenario, rubric points, watch-list) is about 7k
    tokens, so 16k leaves room for the conversation; raise Ollama's num_ctx to match. A grade
    whose answer would not fit has it cut at a sentence boundary, with a notice, rather than the
    server dropping the start of the prompt."""

    interview_minutes: int = Field(default=45, gt=0)
    """Time budget of one interview."""

    openai_api_key: str | None = Field(
        default=None,
        validation_alias=AliasChoices("OPENAI_API_KEY", "SIM_OPENAI_API_KEY"),
        repr=False,
    )
    """The OpenAI SDK's key; never written to disk, logs or reports."""

    openai_base_url: str | None = Field(
        default=None, validation_alias=AliasChoices("OPENAI_BASE_URL", "SIM_OPENAI_BASE_URL")
    )
    """An OpenAI-compatible server (Ollama, vLLM, LM Studio)."""

    prices_per_million: dict[str, tuple[float, float]] = {
        "gpt-4o-mini": (0.15, 0.60),
        "gpt-4o": (2.50, 10.00),
        "gpt-4.1-mini": (0.40, 1.60),
        "gpt-4.1": (2.00, 8.00),
        "local": (0.0, 0.0),
    }
    """USD per million (input, output) tokens, for the cost estimate."""

    @model_validator(mode="after")
    def _real_model_when_configured(self) -> "Settings":
        # A key or a server given without SIM_MODEL means the user wants that model, not the
        # offline one (DESIGN.md: settings).
        if "model" not in self.model_fields_set and (self.openai_api_key or self.openai_base_url):
            self.model = f"openai:{self.openai_model.strip()}"
        return self

    @field_validator("lang", mode="before")
    @classmethod
    def _lower_lang(cls, value: object) -> object:
        return value.strip().lower() if isinstance(value, str) else value


ENV_FILE_VARIABLE = "SIM_ENV_FILE"


def env_file() -> str | None:
    """The dotenv file settings read: `.env` in the working directory, or the one SIM_ENV_FILE
    names; SIM_ENV_FILE="" reads none (the tests set that, so a developer's `.env` never changes
    what they run)."""
    return os.environ.get(ENV_FILE_VARIABLE, ".env") or None


BASE_URL_VARIABLES = ("OPENAI_BASE_URL", "SIM_OPENAI_BASE_URL")
"""Where `openai_base_url` is read from (pydantic-settings matches the names in any case)."""

SettingOrigin = Literal["environment", "dotenv", "given"]
"""Where a setting's value came from: the process environment, the dotenv file `env_file()`
names, or neither (passed to `load_settings`, or typed into the app)."""


def base_url_origin(settings: Settings) -> SettingOrigin | None:
    """Where `settings.openai_base_url` came from; None when it is unset. The environment wins
    over the dotenv file, as it does when settings load."""
    value = settings.openai_base_url
    if not value:
        return None
    if value in _values_of(dict(os.environ), BASE_URL_VARIABLES):
        return "environment"
    dotenv = env_file()
    if dotenv and Path(dotenv).is_file():
        from_file = dotenv_values(dotenv, encoding="utf-8")
        if value in _values_of(from_file, BASE_URL_VARIABLES):
            return "dotenv"
    return "given"


def _values_of(variables: Mapping[str, str | None], names: tuple[str, ...]) -> set[str]:
    wanted = {n.upper() for n in names}
    return {v for k, v in variables.items() if k.upper() in wanted and v is not None}


def load_settings(**overrides: object) -> Settings:
    """Read settings, turning a bad value into a one-line ConfigError."""
    try:
        return Settings(_env_file=env_file(), **overrides)  # type: ignore[call-arg,arg-type]
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first["loc"]) or "settings"
        raise ConfigError(f"bad setting SIM_{field.upper()}: {first['msg']}") from None
