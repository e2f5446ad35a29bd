"""Each interviewer turn keeps what its model call used, so the app and the report can show it."""

from pathlib import Path

from simulator.base.settings import load_settings
from simulator.interview.interviewer import Interviewer
from simulator.interview.session import InterviewSession
from simulator.kb.knowledge import load_knowledge
from simulator.llm.reply_model import prompt_text
from simulator.llm.scripted import ScriptedModel
from simulator.llm.tokens import count_tokens
from tests.support.paths import TEST_DATA
from tests.support.turn_decisions import decision


def test_each_model_turn_records_the_usage_its_reply_reported(tmp_path: Path) -> None:
    knowledge = TEST_DATA / "toy_knowledge"
    model = ScriptedModel(decision(reply="Go on."), decision(reply="And then?"))
    settings = load_settings(data_dir=tmp_path, knowledge_dir=knowledge)
    iv = Interviewer(kb=load_knowledge(knowledge), model=model, settings=settings)
    session = iv.start("toy_recs", "en")
    for text in ("We recommend from purchase history.", "Then a two-tower retrieval model."):
        "".join(iv.reply(session, text))

    replies = [t for t in session.turns if t.role == "interviewer" and t.kind != "opening"]
    assert [t.tokens is not None for t in replies] == [True, True]
    assert session.turns[0].tokens is None  # the opening is ours, not a model call's
    for turn, chat in zip(replies, model.chats, strict=True):
        assert turn.tokens is not None
        # What ScriptedModel reports is the count of the chat it was sent, like a server would.
        assert turn.tokens.input == count_tokens(prompt_text(chat)).tokens
        assert turn.tokens.output > 0
    total = session.tokens()
    assert total.input == sum(t.tokens.input for t in replies if t.tokens)
    assert total.output == sum(t.tokens.output for t in replies if t.tokens)
    # Kept through the store's JSON.
    again = InterviewSession.model_validate_json(session.model_dump_json())
    assert again.tokens() == total
