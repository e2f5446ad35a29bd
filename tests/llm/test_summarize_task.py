"""The summarize local task: pure, extractive, capped."""

import json

from simulator.llm.local.tasks.summarize import SENTENCE_MAX_CHARS, first_sentence, run
from simulator.llm.tasks.summarize import HEADINGS


def blocks(
    turns: list[tuple[str, str]], max_chars: int = 600, summary: str = "", lang: str = "en"
) -> dict[str, str]:
    history = {"max_chars": max_chars, "turns": [{"role": r, "text": t} for r, t in turns]}
    return {"task": "summarize", "lang": lang, "summary": summary, "history": json.dumps(history)}


def test_first_sentence_of_each_candidate_turn_after_the_previous_summary() -> None:
    previous = f"{HEADINGS['en']}\n- We target 10M users."
    turns = [
        ("interviewer", "What metric would you use? Think about it."),
        ("candidate", "Offline I would use recall@k!  Online, CTR."),
        ("candidate", "Data   comes from click logs\nwith some delay"),
    ]
    assert run(blocks(turns, summary=previous)).splitlines() == [
        HEADINGS["en"],
        "- We target 10M users.",
        "- Offline I would use recall@k!",
        "- Data comes from click logs with some delay",
    ]


def test_over_the_cap_the_oldest_points_go_first_and_repeats_are_kept_once() -> None:
    turns = [("candidate", f"Point number {i}.") for i in range(50)] + [
        ("candidate", "Point number 3.")
    ]
    text = run(blocks(turns, max_chars=120))
    assert len(text) <= 120
    lines = text.splitlines()
    assert lines[-1] == "- Point number 3." and lines.count("- Point number 3.") == 1
    assert lines[-2] == "- Point number 49."


def test_nothing_to_say_is_empty_and_the_same_input_gives_the_same_output() -> None:
    assert run(blocks([("interviewer", "Hello.")])) == ""
    turns = [("candidate", "Сначала бейзлайн. Потом модель.")]
    assert (
        run(blocks(turns, lang="ru"))
        == run(blocks(turns, lang="ru"))
        == f"{HEADINGS['ru']}\n- Сначала бейзлайн."
    )


def test_a_long_sentence_is_cut_with_an_ellipsis() -> None:
    sentence = first_sentence("word " * 100)
    assert len(sentence) == SENTENCE_MAX_CHARS and sentence.endswith("…")
