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
