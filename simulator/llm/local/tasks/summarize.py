"""`<task>summarize</task>`: a running summary of older interview turns, extractive and pure.

Blocks in (written by simulator/interview/history.py):
- `<lang>`: `en` or `ru`, the language of the summary's heading;
- `<summary>`: the summary so far (may be empty);
- `<history>`: `HistoryBlock` JSON: the turns to fold in and the length cap.
Out: text. The first sentence of each older candidate turn becomes one bullet after the bullets of
the summary so far; a repeated bullet is kept once; when over the cap, the oldest bullets go first.
"""

import re

from simulator.base.sections import Lang
from simulator.llm.tasks.summarize import HEADINGS, HistoryBlock

CANDIDATE_ROLES = frozenset({"candidate", "user"})
SENTENCE_MAX_CHARS = 200
BULLET = "- "

_SENTENCE_END = re.compile(r"(?<=[.!?…])\s+")


def run(blocks: dict[str, str]) -> str:
    history = HistoryBlock.model_validate_json(blocks["history"])
    lang: Lang = "ru" if blocks.get("lang", "").strip() == "ru" else "en"
    bullets = [line for line in blocks.get("summary", "").splitlines() if line.startswith(BULLET)]
    bullets += [
        BULLET + sentence
        for turn in history.turns
        if turn.role.lower() in CANDIDATE_ROLES and (sentence := first_sentence(turn.text))
    ]
    # A point made twice is kept once, where it was made last.
    latest = list(dict.fromkeys(reversed(bullets)))[::-1]
    return capped(HEADINGS[lang], latest, history.max_chars)


def first_sentence(text: str) -> str:
    """The first sentence, whitespace collapsed, cut to SENTENCE_MAX_CHARS with an ellipsis."""
    flat = " ".join(text.split())
    sentence = _SENTENCE_END.split(flat, maxsplit=1)[0]
    if len(sentence) > SENTENCE_MAX_CHARS:
        sentence = sentence[: SENTENCE_MAX_CHARS - 1].rstrip() + "…"
    return sentence


def capped(heading: str, bullets: list[str], max_chars: int) -> str:
    """Heading and the newest bullets that fit in max_chars; empty when there is nothing to say."""
    kept: list[str] = []
    size = len(heading)
    for bullet in reversed(bullets):
        if size + 1 + len(bullet) > max_chars:
            break
        kept.insert(0, bullet)
        size += 1 + len(bullet)
    return "\n".join([heading, *kept]) if kept else ""
