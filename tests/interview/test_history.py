"""compact_history: recent turns plus a running summary written by the model, within budget."""

import json

from simulator.base.settings import load_settings
from simulator.interview.history import (
    SUMMARY_TOKENS,
    HistorySummary,
    compact_history,
    summarize_turns,
)
from simulator.llm.local.model import LocalModel
from simulator.llm.local.tasks import summarize
from simulator.llm.prompting import parse_blocks
from simulator.llm.scripted import ScriptedModel
from simulator.llm.tokens import MESSAGE_OVERHEAD, count_tokens

PROMPTS = load_settings().prompts_dir
SYSTEM = "You are the interviewer of an ML system design interview. Ask one question at a time."
SCENARIO = "<scenario>\nRecommend products on a marketplace with 10M daily users.\n</scenario>"


def conversation(rounds: int) -> list[tuple[str, str]]:
    turns = []
    for i in range(rounds):
        turns.append(("interviewer", f"Question {i}: what about the next part of the design?"))
        turns.append(
            (
                "candidate",
                f"Point {i}: I would log impressions and clicks as implicit labels. "
                "Then I would split by time to avoid leakage, and watch for popularity bias.",
            )
        )
    return turns


def tokens_of(texts: list[str]) -> int:
    return sum(count_tokens(t).tokens + MESSAGE_OVERHEAD for t in texts)


def test_system_scenario_summary_and_recent_turns_fit_the_budget() -> None:
    turns = conversation(30)
    budget = 1200
    kept, summary = compact_history(
        LocalModel(),
        turns,
        budget,
        summary=HistorySummary(),
        prompts_dir=PROMPTS,
        lang="en",
        fixed=[SYSTEM, SCENARIO],
    )
    assert kept == turns[-len(kept) :] and len(kept) < len(turns)
    assert summary.covers == len(turns) - len(kept)
    assert summary.text.startswith(summarize.HEADINGS["en"])
    assert "Point 0: I would log impressions and clicks as implicit labels." not in summary.text
    assert f"- Point {summary.covers // 2 - 1}: I would log impressions" in summary.text
    assert tokens_of([SYSTEM, SCENARIO, summary.text] + [t for _, t in kept]) <= budget


def test_the_running_summary_folds_in_only_newly_dropped_turns() -> None:
    turns = conversation(30)
    model = ScriptedModel("Earlier, the candidate said:\n- first batch", "Earlier:\n- both batches")
    _, first = compact_history(
        model, turns[:40], 1000, summary=HistorySummary(), prompts_dir=PROMPTS, lang="en"
    )
    _, second = compact_history(model, turns, 1000, summary=first, prompts_dir=PROMPTS, lang="en")
    assert second.text == "Earlier:\n- both batches" and second.covers > first.covers
    sent = json.loads(parse_blocks(model.prompts[1])["history"])["turns"]
    assert [(t["role"], t["text"]) for t in sent] == turns[first.covers : second.covers]
    assert parse_blocks(model.prompts[1])["summary"] == first.text


def test_a_remote_summary_that_runs_long_is_cut_to_its_budget() -> None:
    model = ScriptedModel("word " * 2000)
    text = summarize_turns(model, conversation(2), previous="", prompts_dir=PROMPTS, lang="en")
    assert count_tokens(text).tokens <= SUMMARY_TOKENS


def test_local_summary_is_extractive_capped_and_in_the_prompt_language() -> None:
    turns = [
        ("candidate", "Мы начнём с бейзлайна. Потом бустинг."),
        ("interviewer", "Хорошо."),
    ] * 40
    text = summarize_turns(
        LocalModel(), turns, previous="", prompts_dir=PROMPTS, lang="ru", max_tokens=40
    )
    assert text.splitlines() == [summarize.HEADINGS["ru"], "- Мы начнём с бейзлайна."]
    assert len(text) <= 80
