"""Prompt templates from `prompts/`, loaded by name, and the tagged blocks they carry.

Templates use `{name}` placeholders; a placeholder without a value is an error, never an empty
string. Untrusted text (the candidate's words) always goes inside a tagged block, with any of our
own tags in it defused, so it stays data and can never close its block or open another.
"""

import re
import string
from functools import lru_cache
from pathlib import Path

from simulator.base.errors import KnowledgeError

# The tags our prompts use. The local model reads them; candidate text may not forge them.
TAGS = (
    "task",
    "lang",
    "candidate_answer",
    "candidate_message",
    "interviewer_message",
    "transcript",
    "rubric",
    "facts",
    "passages",
    "scenario",
    "scenario_points",
    "disclosed_facts",
    "checkpoint",
    "history",
    "summary",
    "section",
    "instructions",
    "open_points",
    "watch_list",
    "state",
    "signals",
)
_TAG_RE = re.compile(r"<\s*(/?)\s*(" + "|".join(TAGS) + r")\s*>", re.IGNORECASE)
_BLOCK_RE = re.compile(r"<(" + "|".join(TAGS) + r")>\n?(.*?)\n?</\1>", re.DOTALL)


def defuse(text: str) -> str:
    """Turn any of our tags inside untrusted text into look-alikes that are not tags."""
    return _TAG_RE.sub(lambda m: f"‹{m.group(1)}{m.group(2).lower()}›", text)


def block(tag: str, content: str) -> str:
    """Wrap content (already trusted or already defused) in a tagged block."""
    if tag not in TAGS:
        raise ValueError(f"unknown prompt tag {tag!r}")
    return f"<{tag}>\n{content}\n</{tag}>"


def untrusted_block(tag: str, text: str) -> str:
    """Wrap the candidate's text: defused, so it is data and never instructions."""
    return block(tag, defuse(text))


def parse_blocks(prompt: str) -> dict[str, str]:
    """The tagged blocks of a prompt, by tag (the last one wins when a tag repeats)."""
    return {m.group(1): m.group(2) for m in _BLOCK_RE.finditer(prompt)}


@lru_cache(maxsize=64)
def _template(prompts_dir: Path, name: str) -> tuple[str, frozenset[str]]:
    path = prompts_dir / f"{name}.md"
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise KnowledgeError(f"{path}: prompt template is missing") from None
    fields = frozenset(f for _, f, _, _ in string.Formatter().parse(text) if f)
    return text, fields


def render(prompts_dir: Path, name: str, **values: str) -> str:
    """Fill the template `prompts/<name>.md`; every placeholder must be given, and only those."""
    text, fields = _template(prompts_dir.resolve(), name)
    missing = sorted(fields - values.keys())
    if missing:
        raise KnowledgeError(f"prompt {name!r}: no value for {', '.join(missing)}")
    extra = sorted(values.keys() - fields)
    if extra:
        raise KnowledgeError(f"prompt {name!r}: unexpected values {', '.join(extra)}")
    return text.format(**values)
