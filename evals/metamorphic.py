"""Checks of a grader that need no labels of ours: the same whole answer, changed on purpose.

An outside answer (`evals/data/outside_answers*.jsonl`, written by people who never saw the grader)
is a list of parts, each about one section. From it come variants whose right score is known
relative to the original: reformatted (the same score), a section removed (that section lower,
the others the same), claims made wrong (lower), keyword stuffing, padding and hidden text (no
higher), graded against another scenario (no higher). Pure functions: text in, text out.
"""

import random
import re
from collections.abc import Sequence
from typing import Any

_HEADING = re.compile(r"^\s{0,3}(?:#{1,6}\s+.*|\*\*[^*]{1,60}\*\*:?\s*)$")
_BULLET = re.compile(r"^\s*(?:[-*•]|\d+[.)])\s+")
_TABLE_RULE = re.compile(r"^\s*\|?\s*:?-{3,}")


def joined(parts: Sequence[dict[str, str]]) -> str:
    return "\n\n".join(p["text"] for p in parts)


def without_headings(text: str) -> str:
    """The answer with its heading lines dropped (Markdown headings, bold-only labels)."""
    return "\n".join(line for line in text.splitlines() if not _HEADING.match(line))


def as_prose(text: str) -> str:
    """List items turned into sentences of running paragraphs; headings kept as they are."""
    out: list[str] = []
    for line in text.splitlines():
        if _TABLE_RULE.match(line):
            continue
        item = _BULLET.sub("", line).strip().strip("|").replace(" | ", ", ")
        if not item:
            out.append("")
            continue
        if _BULLET.match(line) and item[-1] not in ".!?:;":
            item += "."
        out.append(item)
    paragraphs = "\n".join(out).split("\n\n")
    return "\n\n".join(" ".join(p.split("\n")) for p in paragraphs)


def one_paragraph(text: str) -> str:
    """Everything on one line: no headings, no list markers, no paragraph breaks."""
    return " ".join(as_prose(without_headings(text)).split())


def rotated(parts: Sequence[dict[str, str]], seed: str) -> list[dict[str, str]]:
    """The parts in another order (the same for the same seed)."""
    order = list(parts)
    random.Random(seed).shuffle(order)
    return order


FORMATS = {
    "no_headings": lambda parts, seed: without_headings(joined(parts)),
    "prose": lambda parts, seed: as_prose(joined(parts)),
    "one_paragraph": lambda parts, seed: one_paragraph(joined(parts)),
    "shuffled": lambda parts, seed: joined(rotated(parts, seed)),
}
"""The same content in other forms: each must score like the original."""


def ablated(parts: Sequence[dict[str, str]], section: str) -> str:
    """The answer without the parts about `section`."""
    return joined([p for p in parts if p["section"] != section])


def negated(parts: Sequence[dict[str, str]], wrong: dict[str, str]) -> str:
    """The answer with the first part of each section in `wrong` replaced by its wrong twin."""
    done: set[str] = set()
    out: list[dict[str, str]] = []
    for part in parts:
        section = part["section"]
        if section in wrong and section not in done:
            out.append({"section": section, "text": wrong[section]})
            done.add(section)
        else:
            out.append(part)
    return joined(out)


def padded(text: str, filler: Sequence[str], words: int, seed: str) -> str:
    """`text` with filler sentences around it until about `words` more words were added."""
    rnd = random.Random(seed)
    before: list[str] = []
    after: list[str] = []
    added = 0
    while added < words and filler:
        line = rnd.choice(filler)
        (before if rnd.random() < 0.5 else after).append(line)
        added += len(line.split())
    return "\n\n".join([" ".join(before), text, " ".join(after)]).strip()


def stuffed(text: str, stuffing: str) -> str:
    """`text` followed by lines that only name things (keyword stuffing)."""
    return f"{text}\n\n{stuffing}"


def hidden(text: str, stuffing: str) -> str:
    """`text` with stuffing a reader never sees: an HTML comment and a zero-size span."""
    return f'{text}\n\n<!-- {stuffing} -->\n<span style="display:none">{stuffing}</span>'


def other_scenario(case: dict[str, Any], scenario_ids: Sequence[str]) -> str:
    """A scenario the answer is not about (the next one in the list, deterministically)."""
    ids = sorted(s for s in scenario_ids if s != case["scenario"])
    return ids[sum(map(ord, case["id"])) % len(ids)]
