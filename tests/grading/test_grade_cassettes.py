"""Outside answers graded on the real-model path (a responder answering through the relay as the
model would), replayed offline: one call with a system message and the answer as user data, and
the report keeps the model's scores unless a notice says why one moved."""

import json

import pytest

from simulator.cli.main import main
from tests.support.cassette import CASSETTES, CassetteServer, load, summary

NAMES = sorted(p.stem for p in CASSETTES.glob("grade_*.json"))


def test_at_least_twelve_graded_answers_were_recorded() -> None:
    assert len(NAMES) >= 12


@pytest.mark.parametrize("name", NAMES)
def test_a_recorded_grade_replays_offline(
    name: str, tmp_path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    cassette = load(name)
    server = CassetteServer([call["reply"] for call in cassette["calls"]])
    answer = tmp_path / "answer.md"
    answer.write_text(cassette["answer"], encoding="utf-8")
    monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
    monkeypatch.setenv("OPENAI_API_KEY", "cassette")
    with server.running():
        code = main(
            [
                "grade", str(answer), "--scenario", cassette["scenario"],
                "--model", "openai:relay", "--json",
            ]
        )  # fmt: skip
    assert code == 0
    report = json.loads(capsys.readouterr().out)
    sent = [summary(request) for request in server.requests]
    assert sent == [call["request"] for call in cassette["calls"]]
    assert sent[0]["roles"] == ["system", "user"]
    assert cassette["answer"].split()[0] in sent[0]["last_user"]  # the answer is user data
    graded = json.loads(cassette["calls"][0]["reply"]["content"])
    model_scores = {s["id"]: s["score"] for s in graded["sections"]}
    notices = " ".join(report.get("notices", []))
    for section in report["sections"]:
        moved = section["score"] != model_scores[section["id"]]
        assert not moved or notices, (section["id"], section["score"], model_scores)
