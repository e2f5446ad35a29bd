"""Whole interviews recorded on the real-model path (a responder answering through the relay as
the model would), replayed offline: the same calls go out, one per ordinary turn, with the
conversation in chat roles, and what the model said reaches the candidate."""

import json

import pytest

from simulator.cli.main import main
from tests.support.cassette import CASSETTES, CassetteServer, load, summary

NAMES = sorted(p.stem for p in CASSETTES.glob("interview_*.json"))


def test_there_are_recorded_interviews_in_both_languages() -> None:
    langs = {load(name)["lang"] for name in NAMES}
    assert len(NAMES) >= 4 and langs == {"en", "ru"}


@pytest.mark.parametrize("name", NAMES)
def test_a_recorded_interview_replays_offline(
    name: str, tmp_path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    cassette = load(name)
    server = CassetteServer([call["reply"] for call in cassette["calls"]])
    script = tmp_path / "script.txt"
    script.write_text("\n---\n".join(cassette["script"]), encoding="utf-8")
    monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
    monkeypatch.setenv("OPENAI_API_KEY", "cassette")
    with server.running():
        code = main(
            [
                "interview", "--scenario", cassette["scenario"], "--script", str(script),
                "--model", "openai:relay", "--json",
            ]
        )  # fmt: skip
    assert code == 0
    result = json.loads(capsys.readouterr().out)
    sent = [summary(request) for request in server.requests]
    recorded = [call["request"] for call in cassette["calls"]]
    turn_calls = [s for s in sent if s["format"] == "TurnDecision"]
    assert turn_calls == [r for r in recorded if r["format"] == "TurnDecision"]
    candidate = [t for t in result["turns"] if t["role"] == "candidate"]
    assert len(turn_calls) == len(candidate)  # one model call per ordinary turn
    for call, turn in zip(turn_calls, candidate, strict=True):
        assert call["roles"][:2] == ["system", "system"] and call["stream"]
        assert set(call["roles"][2:]) <= {"user", "assistant"} and call["roles"][-1] == "user"
        assert call["last_user"] == turn["text"]  # the candidate's words, as a user message
    assert result["turns"] == cassette["turns"]  # the same interview as when it was recorded
