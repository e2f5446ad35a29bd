"""Fault matrix: a whole short interview on `openai:fake` while the server misbehaves once.

Each ordinary turn is one streamed call (the turn's decision, its reply last); a reply that does
not fit is shown back to the model once (an unstreamed repair call), then the local model
answers; grading is one unstreamed structured call at the end. For every fault: no candidate
message is lost (each one is in the store, in order), the interview still finishes with a report,
and the person is told what happened in one line — a one-line ModelError they can retry after
(and the retry works), a notice on the interviewer's turn, or the report marked as a fallback. A
fault the client absorbs (a 429 it retries) leaves no trace at all.

The last two tests check what the turn call asks for: a strict JSON schema by default, a forced
tool call with SIM_LLM_STRUCTURED_METHOD=function_calling.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from simulator.base.errors import ModelError
from simulator.base.settings import Settings, load_settings
from simulator.interview.interviewer import Interviewer
from simulator.interview.session import InterviewSession
from simulator.interview.store import open_store
from simulator.services import open_interviewer
from tests.support.fake_openai_server import (
    BROKEN_JSON,
    Step,
    hang,
    malformed,
    malformed_events,
    status,
    structured,
    structured_cut,
)
from tests.support.reliability import MESSAGES, SCENARIO, CompetentFakeServer, is_repair

FAULTY_TURN = 1
"""Index of the candidate message whose turn call meets the fault ("finish": grading does)."""
RETRIES = 1
HANG = hang(3.0)  # past the 1 s timeout
TURN_SCHEMA = "TurnDecision"
WRONG_SHAPE = {"verdict": "yes"}
CUT_DECISION = {
    "message_kind": "answer",
    "fact_ids": [],
    "section": "model",
    "points_covered": [],
    "mistakes": [],
    "points_asked": [],
    "reply_kind": "probe",
    "reply": "Could you say more about the clicks? Which data would you log first?",
}
"""A decision whose stream is cut in its reply, after the first sentence has been shown."""


@dataclass
class Outcome:
    """What the person saw while the interview ran."""

    session: InterviewSession
    notices: list[str | None] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    shown_before_error: list[str] = field(default_factory=list)
    """The text a failed attempt had shown before its error."""


@pytest.fixture
def server() -> Iterator[CompetentFakeServer]:
    fake = CompetentFakeServer()
    with fake:
        yield fake


def _drain_with_one_retry(produce: Callable[[], Iterator[str]], outcome: Outcome) -> None:
    """Exhaust a reply; after a ModelError show it and retry once, as the CLI and UI let you."""
    shown: list[str] = []
    try:
        shown.extend(produce())
    except ModelError as exc:
        outcome.errors.append(str(exc))
        outcome.shown_before_error.append("".join(shown))
        list(produce())


def run_interview(interviewer: Interviewer, server: CompetentFakeServer, fault: Fault) -> Outcome:
    session = interviewer.start(SCENARIO, "en", model_spec="openai:fake")
    outcome = Outcome(session)
    for index, message in enumerate(MESSAGES):
        if index == FAULTY_TURN and fault.turn == "message":
            fault.inject(server)
        outcome.notices.append(interviewer.accept(session, message))
        _drain_with_one_retry(lambda: interviewer.respond(session), outcome)
    if fault.turn == "finish":
        fault.inject(server)
    _drain_with_one_retry(lambda: interviewer.finish(session), outcome)
    return outcome


@dataclass(frozen=True)
class Fault:
    name: str
    stream: tuple[Step, ...] = ()
    """Replies to the next streamed requests (turn calls)."""
    plain: tuple[Step, ...] = ()
    """Replies to the next unstreamed requests (a turn's repair call, grading)."""
    turn: str = "message"
    told: str = "nothing"
    """How the person learns of it: nothing, error, turn_notice, report_fallback."""
    says: str = ""
    """Words the one line must contain."""
    bad_reply: str | None = None
    """The streamed reply that did not fit, which the repair call must show the model."""

    def inject(self, server: CompetentFakeServer) -> None:
        server.stream_faults.extend(self.stream)
        server.plain_faults.extend(self.plain)


FAULTS = [
    Fault("429 then success", stream=(status(429),)),
    Fault(
        "500 always on the turn call",
        stream=(status(500),) * (RETRIES + 1),
        told="error",
        says="HTTP 500",
    ),
    Fault(
        "500 always while grading",
        plain=(status(500),) * (RETRIES + 1),
        turn="finish",
        told="error",
        says="HTTP 500",
    ),
    Fault(
        "hang past the timeout",
        stream=(HANG,) * (RETRIES + 1),
        told="error",
        says="did not answer within 1 s",
    ),
    Fault(
        "malformed body twice",  # the streamed reply, then its repair's body
        stream=(malformed(),),
        plain=(malformed(),),
        told="turn_notice",
        says="local model",
        bad_reply=BROKEN_JSON,
    ),
    Fault(
        "malformed stream events",
        stream=(malformed_events(),),
        told="error",
        says="not valid JSON",
    ),
    Fault(
        "reply ignores the schema",
        stream=(structured(WRONG_SHAPE),),
        plain=(structured(WRONG_SHAPE),),
        told="turn_notice",
        says="local model",
        bad_reply=json.dumps(WRONG_SHAPE),
    ),
    Fault(
        "reply ignores the schema once",
        stream=(structured(WRONG_SHAPE),),
        told="turn_notice",
        says=TURN_SCHEMA,
        bad_reply=json.dumps(WRONG_SHAPE),
    ),
    Fault(
        "reply ignores the schema while grading",
        plain=(structured(WRONG_SHAPE),) * 2,
        turn="finish",
        told="report_fallback",
    ),
    Fault(
        "stream cut mid-reply",
        stream=(structured_cut(CUT_DECISION, "the clicks? Which data"),),
        told="error",
    ),
]


def schema_asked(body: dict[str, Any]) -> str | None:
    """The name of the schema a request asks for: its response_format's, or its forced tool's."""
    response_format = body.get("response_format") or {}
    if response_format.get("type") == "json_schema":
        return str(response_format["json_schema"]["name"])
    choice = body.get("tool_choice")
    return str(choice["function"]["name"]) if isinstance(choice, dict) else None


def fake_settings(tmp_path: Path, server: CompetentFakeServer, **values: Any) -> Settings:
    return load_settings(
        data_dir=tmp_path,
        openai_base_url=server.base_url,
        llm_timeout=1.0,
        llm_retries=RETRIES,
        **values,
    )


@pytest.mark.parametrize("fault", FAULTS, ids=lambda f: getattr(f, "name", None))
def test_no_turn_is_lost_and_the_person_is_told(
    fault: Fault, server: CompetentFakeServer, tmp_path: Path
) -> None:
    settings = fake_settings(tmp_path, server)
    interviewer = open_interviewer(settings, "openai:fake")
    outcome = run_interview(interviewer, server, fault)

    # The fault struck, and struck what it was meant for.
    assert not server.stream_faults and not server.plain_faults, "the fault never struck"
    asked = [schema_asked(body) for body in server.struck]
    if fault.turn == "message":
        assert asked == [TURN_SCHEMA] * len(asked)
        assert all(body["stream"] for body in server.struck[: len(fault.stream)])
    else:
        assert TURN_SCHEMA not in asked and not any(b.get("stream") for b in server.struck)

    # No turn is lost: every candidate message is stored, in order, each with its reply.
    saved = open_store(settings).load(outcome.session.id)
    assert [t.text for t in saved.turns if t.role == "candidate"] == list(MESSAGES)
    assert saved.status == "finished" and saved.report is not None
    assert [t.role for t in saved.turns] == [t.role for t in outcome.session.turns]
    roles = [t.role for t in saved.turns]
    assert roles == ["interviewer"] + ["candidate", "interviewer"] * len(MESSAGES) + ["interviewer"]
    assert all(t.text.strip() for t in saved.turns)
    assert not any(outcome.notices)  # accept() only speaks of truncated messages
    answer = saved.turns[2 * FAULTY_TURN + 2]  # the interviewer's reply to the faulty message

    if fault.told == "nothing":
        assert outcome.errors == []
        assert not any(t.notice for t in saved.turns)
        assert saved.report.fallback is False
    elif fault.told == "error":
        assert len(outcome.errors) == 1 and "\n" not in outcome.errors[0]
        assert fault.says in outcome.errors[0]
        assert saved.report.fallback is False
    elif fault.told == "turn_notice":
        assert answer.notice and "\n" not in answer.notice and fault.says in answer.notice
        assert saved.report.fallback is False
        # What is said is the answer that fitted (the repair's, or the local model's to the same
        # messages: both answer like the local model here), not a stock phrase.
        fitted = server.local_answer(server.struck[0])
        assert isinstance(fitted, dict) and answer.text == fitted["reply"]
    elif fault.told == "report_fallback":
        assert saved.report.fallback is True and saved.report.notices
        assert all("\n" not in n for n in saved.report.notices)
    if fault.told != "error":
        assert outcome.errors == []

    if fault.bad_reply is not None:  # the repair call showed the model its reply, then asked
        repair = next(b for b in server.requests if is_repair(b))
        assert not repair.get("stream")
        assert repair["messages"][-2] == {"role": "assistant", "content": fault.bad_reply}
        assert schema_asked(repair) == TURN_SCHEMA
    else:
        assert not any(is_repair(b) for b in server.requests)

    if fault.name == "stream cut mid-reply":
        # The first sentence was shown before the cut; the retry's whole reply is what is kept.
        assert outcome.shown_before_error == ["Could you say more about the clicks?"]
        assert answer.text and "Which data" not in answer.text


def _one_turn(settings: Settings) -> tuple[InterviewSession, str]:
    interviewer = open_interviewer(settings, "openai:fake")
    session = interviewer.start(SCENARIO, "en", model_spec="openai:fake")
    return session, "".join(interviewer.reply(session, MESSAGES[1]))


def _objects(node: Any) -> Iterator[dict[str, Any]]:
    """Every object schema inside a JSON schema (properties, items, $defs, anyOf, ...)."""
    if isinstance(node, dict):
        if node.get("type") == "object" or "properties" in node:
            yield node
        for value in node.values():
            yield from _objects(value)
    elif isinstance(node, list):
        for value in node:
            yield from _objects(value)


def test_the_turn_call_asks_for_a_strict_json_schema_by_default(
    server: CompetentFakeServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SIM_LLM_STRUCTURED_METHOD", raising=False)
    settings = fake_settings(tmp_path, server)
    assert settings.llm_structured_method == "json_schema"
    session, said = _one_turn(settings)

    assert said.strip() and session.turns[-1].role == "interviewer"
    (call,) = server.requests
    assert call["stream"] is True and "tools" not in call and "tool_choice" not in call
    response_format = call["response_format"]
    assert response_format["type"] == "json_schema"
    assert response_format["json_schema"]["name"] == TURN_SCHEMA
    assert response_format["json_schema"]["strict"] is True
    schema = response_format["json_schema"]["schema"]
    assert list(schema["properties"])[-1] == "reply"  # last, so that it can stream
    objects = list(_objects(schema))
    assert objects and objects[0] is schema
    for node in objects:
        assert sorted(node["required"]) == sorted(node["properties"])
        assert node["additionalProperties"] is False


def test_function_calling_sends_a_forced_tool_instead(
    server: CompetentFakeServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SIM_LLM_STRUCTURED_METHOD", "function_calling")
    settings = fake_settings(tmp_path, server)
    assert settings.llm_structured_method == "function_calling"
    session, said = _one_turn(settings)

    assert said.strip() and session.turns[-1].role == "interviewer"
    assert session.turns[-1].notice is None  # the tool call's streamed arguments fitted
    (call,) = server.requests
    assert call["stream"] is True and "response_format" not in call
    (tool,) = call["tools"]
    assert tool["type"] == "function" and tool["function"]["name"] == TURN_SCHEMA
    assert tool["function"]["strict"] is True
    assert call["tool_choice"] == {"type": "function", "function": {"name": TURN_SCHEMA}}
