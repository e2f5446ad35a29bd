"""ScriptedModel: a reply queue that records prompts, for tests and evals."""

import pytest
from pydantic import BaseModel

from simulator.llm.calls import ask_structured, stream_text
from simulator.llm.scripted import ScriptedModel, ScriptExhaustedError


class Pick(BaseModel):
    section: str


def test_replies_come_in_order_and_prompts_are_recorded() -> None:
    model = ScriptedModel("first", lambda prompt: f"echo {len(prompt)}")
    assert model.invoke("one").content == "first"
    assert model.invoke("three").content == "echo 5"
    assert model.prompts == ["one", "three"]


def test_a_dict_is_a_structured_reply_and_text_when_no_schema_is_bound() -> None:
    model = ScriptedModel({"section": "data"}, {"section": "model"})
    assert ask_structured(model, Pick, "which?").value == Pick(section="data")
    assert model.invoke("raw").content == '{"section": "model"}'


def test_text_streams_in_chunks() -> None:
    model = ScriptedModel("one two three")
    assert list(stream_text(model, "go")) == ["one ", "two ", "three"]


def test_a_scripted_exception_is_raised() -> None:
    model = ScriptedModel(RuntimeError("scripted"))
    with pytest.raises(RuntimeError, match="scripted"):
        model.invoke("x")


def test_an_empty_queue_is_a_clear_error() -> None:
    model = ScriptedModel("only one")
    model.invoke("a")
    with pytest.raises(ScriptExhaustedError, match=r"no reply left for prompt #2: 'second prompt'"):
        model.invoke("second prompt")
    model.script("more")
    assert model.invoke("c").content == "more"
