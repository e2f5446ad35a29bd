"""The UI's state without a browser: which model an interview runs on, where a key goes, and text
that must stay inert inside Markdown."""

import html
import re

import pytest
from markdown_it import MarkdownIt

from simulator.base.settings import load_settings
from simulator.ui.plain import inert
from simulator.ui.state import ModelChoice, UIState


def test_a_typed_key_wins_and_the_apps_key_goes_only_to_its_own_server() -> None:
    base = load_settings(openai_api_key="sk-env", openai_base_url="http://10.0.0.5:8000/v1")
    assert ModelChoice().settings(base) is base
    openai = ModelChoice(backend="openai", name="gpt-4o-mini")
    assert openai.settings(base).openai_api_key == "sk-env"
    assert openai.settings(base).openai_base_url is None  # OpenAI itself
    typed = ModelChoice(backend="openai", api_key="sk-typed")
    assert typed.settings(base).openai_api_key == "sk-typed"
    elsewhere = ModelChoice(
        backend="compatible", name="llama3.1", base_url="http://127.0.0.1:11434/v1"
    )
    assert elsewhere.settings(base).openai_api_key is None  # the app's key is not sent there
    assert elsewhere.settings(base).openai_base_url == "http://127.0.0.1:11434/v1"
    own = ModelChoice(backend="compatible", name="llama3.1")
    assert own.settings(base).openai_api_key == "sk-env"


@pytest.mark.parametrize(
    ("choice", "env", "missing"),
    [
        (ModelChoice(), {}, None),
        (ModelChoice(backend="openai"), {}, "key"),
        (ModelChoice(backend="openai", api_key="sk-typed"), {}, None),
        (ModelChoice(backend="openai"), {"openai_api_key": "sk-env"}, None),
        (ModelChoice(backend="compatible"), {}, "url"),
        (ModelChoice(backend="compatible", base_url="http://127.0.0.1:1/v1"), {}, None),
    ],
)
def test_what_a_choice_lacks_before_it_can_run(
    choice: ModelChoice, env: dict[str, str], missing: str | None
) -> None:
    assert choice.missing(load_settings(**env)) == missing


def test_an_interview_keeps_the_model_it_started_with() -> None:
    base = load_settings()
    ui = UIState()
    ui.session_models["a"] = ModelChoice(backend="openai", api_key="sk-typed")
    ui.model = ModelChoice()  # then the start page is switched back to local
    assert ui.model_for("a", "openai:gpt-4o-mini", base).api_key == "sk-typed"
    ui.model = ModelChoice(backend="openai", name="gpt-4o-mini", api_key="sk-later")
    assert ui.model_for("b", "openai:gpt-4o-mini", base).api_key == "sk-later"  # typed later
    assert ui.model_for("c", "local", base) == ModelChoice()  # a local one stays local
    assert ui.model_for("d", "openai:other", base) == ModelChoice(backend="openai", name="other")
    ui.switch_to_local("a")
    assert ui.model_for("a", "openai:gpt-4o-mini", base) == ModelChoice()


@pytest.mark.parametrize(
    "text",
    [
        "# Huge",
        "![x](http://127.0.0.1:9/pixel.png)",
        "[click](javascript:alert(1))",
        "<img src=x onerror=alert(1)>",
        "$x^2$ and *stars* and `code`",
        "> quoted\n- item",
    ],
)
def test_inert_text_renders_as_the_same_characters_and_nothing_else(text: str) -> None:
    rendered = MarkdownIt("commonmark").render(inert(text))
    assert re.findall(r"<(\w+)", rendered) == ["p"], rendered  # one paragraph, nothing else
    shown = html.unescape(re.sub(r"<[^>]+>", "", rendered))
    assert shown.split() == text.split()
