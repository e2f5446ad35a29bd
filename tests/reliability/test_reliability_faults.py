"""Fault matrix: a whole short interview on `openai:fake` while the server misbehaves once.

For every fault: no candidate message is lost (each one is in the store, in order), the interview
still finishes with a report, and the person is told what happened — a notice on the turn, a
one-line ModelError they can retry after, or the report marked as a fallback. A fault the client
absorbs (a 429 it retries) leaves no trace at all.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from simulator.base.errors import ModelError
from simulator.base.settings import load_settings
from simulator.interview.interviewer import Interviewer
from simulator.interview.session import InterviewSession
from simulator.interview.store import open_store
from simulator.services import open_interviewer
from tests.support.fake_openai_server import Step, hang, malformed, status, stream_cut, structured
from tests.support.reliability import MESSAGES, SCENARIO, CompetentFakeServer

FAULTY_TURN = 1
"""Index of the candidate message during which the fault is injected (its classify is the first
structured request, its probe the first streamed one); "finish" means during grading."""
RETRIES = 1
HANG = hang(3.0)  # past the 1 s timeout


@dataclass
class Outcome:
    """What the person saw while the interview ran."""

    session: InterviewSession
    notices: list[str | None] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


@pytest.fixture
def server() -> Iterator[CompetentFakeServer]:
    fake = CompetentFakeServer()
    with fake:
        yield fake


def _drain_with_one_retry(produce: Callable[[], Iterator[str]], outcome: Outcome) -> None:
    """Exhaust a reply; after a ModelError show it and retry once, as the CLI and UI let you."""
    try:
        list(produce())
    except ModelError as exc:
        outcome.errors.append(str(exc))
        list(produce())


def run_interview(interviewer: Interviewer, server: CompetentFakeServer, fault: Fault) -> Outcome:
    session = interviewer.start(SCENARIO, "en", model_spec="openai:fake")
    outcome = Outcome(session)
    for index, message in enumerate(MESSAGES):
        if index == FAULTY_TURN:
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
    steps: tuple[Step, ...]
    stream: bool = False
    """Whether the fault hits a streamed request (the probe) rather than a structured one."""
    turn: str = "message"
    told: str = "nothing"
    """How the person learns of it: nothing, classify_notice, error, reply_cut, report_fallback."""

    def inject(self, server: CompetentFakeServer) -> None:
        (server.stream_faults if self.stream else server.structured_faults).extend(self.steps)


FAULTS = [
    Fault("429 then success", (status(429),)),
    Fault("500 always on classify", (status(500),) * (RETRIES + 1), told="classify_notice"),
    Fault("500 always on the probe", (status(500),) * (RETRIES + 1), stream=True, told="error"),
    Fault("500 always while grading", (status(500),) * (RETRIES + 1), turn="finish", told="error"),
    Fault("hang past the timeout", (HANG,) * (RETRIES + 1), told="classify_notice"),
    Fault("malformed body twice", (malformed(), malformed()), told="classify_notice"),
    Fault(
        "reply ignores the schema", (structured({"verdict": "yes"}),) * 2, told="classify_notice"
    ),
    Fault(
        "reply ignores the schema while grading",
        (structured({"verdict": "yes"}),) * 2,
        turn="finish",
        told="report_fallback",
    ),
    Fault(
        "stream cut mid-reply",
        (stream_cut("Could you say more about", 3),),
        stream=True,
        told="reply_cut",
    ),
]


@pytest.mark.parametrize("fault", FAULTS, ids=lambda f: getattr(f, "name", None))
def test_no_turn_is_lost_and_the_person_is_told(
    fault: Fault, server: CompetentFakeServer, tmp_path: Path
) -> None:
    settings = load_settings(
        data_dir=tmp_path,
        openai_base_url=server.base_url,
        llm_timeout=1.0,
        llm_retries=RETRIES,
    )
    interviewer = open_interviewer(settings, "openai:fake")
    outcome = run_interview(interviewer, server, fault)

    assert not server.structured_faults and not server.stream_faults, "the fault never struck"
    saved = open_store(settings).load(outcome.session.id)
    assert [t.text for t in saved.turns if t.role == "candidate"] == list(MESSAGES)
    assert saved.status == "finished" and saved.report is not None
    assert [t.role for t in saved.turns] == [t.role for t in outcome.session.turns]

    phrases = interviewer.phrases
    candidate_turns = [t for t in saved.turns if t.role == "candidate"]
    probe_turn = next(t for t in saved.turns if t.kind == "probe")
    expected_notice = phrases("notice.classifier_fallback", "en")
    if fault.told == "nothing":
        assert outcome.errors == [] and not any(outcome.notices)
        assert saved.report.fallback is False
    elif fault.told == "classify_notice":
        assert outcome.notices[FAULTY_TURN] == expected_notice
        assert candidate_turns[FAULTY_TURN].notice == expected_notice
    elif fault.told == "error":
        assert len(outcome.errors) == 1 and "\n" not in outcome.errors[0]
    elif fault.told == "reply_cut":
        assert probe_turn.notice == phrases("notice.reply_cut", "en")
        assert probe_turn.text.startswith("Could you")
    elif fault.told == "report_fallback":
        assert saved.report.fallback is True and saved.report.notices
    if fault.told != "error":
        assert outcome.errors == []
