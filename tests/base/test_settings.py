"""Settings: where they come from, and that a developer's `.env` never leaks into the tests."""

import os
from pathlib import Path

import pytest

from simulator.base.errors import ConfigError
from simulator.base.settings import ENV_FILE_VARIABLE, load_settings


def test_tests_read_no_env_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A `.env` in the working directory (the README's advice) does not reach the tests."""
    (tmp_path / ".env").write_text("SIM_MODEL=openai:from-dotenv\nSIM_LANG=ru\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    assert os.environ[ENV_FILE_VARIABLE] == ""
    settings = load_settings()
    assert (settings.model, settings.lang) == ("local", "en")


def test_a_named_env_file_is_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    dotenv = tmp_path / "team.env"
    dotenv.write_text("SIM_LANG=ru\n", encoding="utf-8")
    monkeypatch.setenv(ENV_FILE_VARIABLE, str(dotenv))
    assert load_settings().lang == "ru"


def test_a_bad_value_is_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SIM_LLM_TIMEOUT", "-3")
    with pytest.raises(ConfigError, match=r"^bad setting SIM_LLM_TIMEOUT: ") as raised:
        load_settings()
    assert "\n" not in str(raised.value)


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({}, "local"),
        ({"OPENAI_API_KEY": "sk-test"}, "openai:gpt-4o-mini"),
        ({"OPENAI_BASE_URL": "http://127.0.0.1:11434/v1"}, "openai:gpt-4o-mini"),
        (
            {"OPENAI_BASE_URL": "http://127.0.0.1:11434/v1", "SIM_OPENAI_MODEL": "llama3.1"},
            "openai:llama3.1",
        ),
        ({"OPENAI_API_KEY": "sk-test", "SIM_MODEL": "local"}, "local"),
        ({"SIM_MODEL": "openai:gpt-4.1"}, "openai:gpt-4.1"),
    ],
)
def test_an_unset_model_follows_a_configured_key_or_server(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], expected: str
) -> None:
    """DESIGN.md: SIM_MODEL unset means the real model when a key or a base URL is set; an
    explicit SIM_MODEL always wins."""
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert load_settings().model == expected


def test_a_model_from_the_env_file_counts_as_set(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    dotenv = tmp_path / "team.env"
    dotenv.write_text("OPENAI_API_KEY=sk-test\nSIM_MODEL=local\n", encoding="utf-8")
    monkeypatch.setenv(ENV_FILE_VARIABLE, str(dotenv))
    assert load_settings().model == "local"
