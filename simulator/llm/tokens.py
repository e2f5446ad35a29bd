"""Token counts, trimming a conversation to a context budget, and cost estimates.

Counts are exact (tiktoken) only when the encoding file is already in tiktoken's cache; nothing
here can download it. Otherwise a calibrated per-character estimate is used, flagged
`approximate=True`.
"""

from __future__ import annotations

import base64
import hashlib
import math
import os
import re
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

import tiktoken
from tiktoken.model import encoding_name_for_model

if TYPE_CHECKING:
    from langchain_core.messages import AIMessage

DEFAULT_COUNTING_MODEL = "gpt-4o-mini"
"""Whose tokenizer counts text for models that are not OpenAI's (the local model, Ollama)."""

MESSAGE_OVERHEAD = 4
"""Tokens a chat message costs beyond its text (role and separators)."""

USAGE_IS_ESTIMATE = "usage_is_estimate"
"""response_metadata key our own models set when their usage_metadata was estimated."""


@dataclass(frozen=True)
class TokenCount:
    tokens: int
    """How many tokens the text is."""
    approximate: bool
    """True when estimated from character classes rather than counted with the real encoding."""

    def __add__(self, other: TokenCount) -> TokenCount:
        return TokenCount(self.tokens + other.tokens, self.approximate or other.approximate)


@dataclass(frozen=True)
class _Encoding:
    """One tiktoken encoding: where tiktoken would download it from, and how to estimate it."""

    url: str
    sha256: str
    pat_str: str
    # Estimated tokens per character of each class in _CHAR_CLASSES, then per other character.
    weights: tuple[float, float, float, float, float]


# pat_str values are tiktoken_ext.openai_public's (tests check they still match); they are copied
# because that module only hands them out together with the ranks, which it downloads if missing.
# The weights were fitted by least squares on 300-character chunks of English prose, Russian prose
# (the cheat sheet) and Python source, against the real encodings rebuilt offline (sha256 equal to
# tiktoken's); 5-fold cross-validated mean absolute error about 7%, 95th percentile about 17%.
_ENCODINGS: dict[str, _Encoding] = {
    "o200k_base": _Encoding(
        url="https://openaipublic.blob.core.windows.net/encodings/o200k_base.tiktoken",
        sha256="446a9538cb6c348e3516120d7c08b09f57c36495e2acfffe59a5bf8b0cfb1a2d",
        pat_str="|".join(
            [
                r"""[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?""",
                r"""[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?""",
                r"""\p{N}{1,3}""",
                r""" ?[^\s\p{L}\p{N}]+[\r\n/]*""",
                r"""\s*[\r\n]+""",
                r"""\s+(?!\S)""",
                r"""\s+""",
            ]
        ),
        weights=(0.240, 0.264, 1.04, 0.054, 0.538),
    ),
    "cl100k_base": _Encoding(
        url="https://openaipublic.blob.core.windows.net/encodings/cl100k_base.tiktoken",
        sha256="223921b76ee99bde995b7ff738513eef100fb51d18c93597a113bcffe865b2a7",
        pat_str="|".join(
            [
                r"""'(?i:[sdmt]|ll|ve|re)""",
                r"""[^\r\n\p{L}\p{N}]?+\p{L}++""",
                r"""\p{N}{1,3}+""",
                r""" ?[^\s\p{L}\p{N}]++[\r\n]*+""",
                r"""\s++$""",
                r"""\s*[\r\n]""",
                r"""\s+(?!\S)""",
                r"""\s""",
            ]
        ),
        weights=(0.242, 0.467, 1.08, 0.055, 0.519),
    ),
}
_FALLBACK_ENCODING = "o200k_base"

# Latin letters, Cyrillic letters, digits, whitespace; everything else is the fifth class.
_CHAR_CLASSES = (
    re.compile(r"[A-Za-z]"),
    re.compile(r"[А-Яа-яЁё]"),
    re.compile(r"[0-9]"),
    re.compile(r"\s"),
)


def encoding_name(model: str) -> str:
    """The tiktoken encoding a model uses; o200k_base for models tiktoken does not know."""
    name = model.removeprefix("openai:")
    try:
        found = encoding_name_for_model(name)
    except KeyError:
        return _FALLBACK_ENCODING
    return found if found in _ENCODINGS else _FALLBACK_ENCODING


def tiktoken_cache_dir() -> Path | None:
    """Where tiktoken keeps downloaded encodings (the rules of tiktoken.load.read_file_cached)."""
    for var in ("TIKTOKEN_CACHE_DIR", "DATA_GYM_CACHE_DIR"):
        if var in os.environ:
            return Path(os.environ[var]) if os.environ[var] else None
    return Path(tempfile.gettempdir()) / "data-gym-cache"


def cached_encoding_file(name: str) -> Path | None:
    """The encoding's file in tiktoken's cache, if it is there (named by the sha1 of its URL)."""
    spec = _ENCODINGS.get(name)
    cache = tiktoken_cache_dir()
    if spec is None or cache is None:
        return None
    path = cache / hashlib.sha1(spec.url.encode()).hexdigest()
    return path if path.is_file() else None


def load_cached_encoding(name: str) -> tiktoken.Encoding | None:
    """The real encoding when its cached file is present and intact; never downloads."""
    path = cached_encoding_file(name)
    if path is None:
        return None
    stat = path.stat()
    return _read_encoding(name, str(path), stat.st_size, stat.st_mtime_ns)


@lru_cache(maxsize=4)
def _read_encoding(name: str, path: str, size: int, mtime_ns: int) -> tiktoken.Encoding | None:
    """Parse a cached .tiktoken file; size and mtime are in the key so a replaced file is reread."""
    spec = _ENCODINGS[name]
    data = Path(path).read_bytes()
    if hashlib.sha256(data).hexdigest() != spec.sha256:
        return None  # truncated or foreign file: estimate rather than trust it
    ranks = {
        base64.b64decode(token): int(rank)
        for token, rank in (line.split() for line in data.splitlines() if line)
    }
    # Special tokens are left out: counting encodes them as plain text anyway.
    return tiktoken.Encoding(
        name=name, pat_str=spec.pat_str, mergeable_ranks=ranks, special_tokens={}
    )


def estimate_tokens(text: str, encoding: str = _FALLBACK_ENCODING) -> int:
    """A calibrated estimate from counts of Latin, Cyrillic, digit, space and other characters."""
    counts = [len(pattern.findall(text)) for pattern in _CHAR_CLASSES]
    counts.append(len(text) - sum(counts))
    weights = _ENCODINGS[encoding].weights
    return math.ceil(sum(w * n for w, n in zip(weights, counts, strict=True)))


def count_tokens(text: str, model: str = DEFAULT_COUNTING_MODEL) -> TokenCount:
    """Tokens of `text` for `model`: exact when the encoding is cached, else an estimate."""
    name = encoding_name(model)
    encoding = load_cached_encoding(name)
    if encoding is None:
        return TokenCount(estimate_tokens(text, name), approximate=True)
    return TokenCount(len(encoding.encode(text, disallowed_special=())), approximate=False)


def truncate_to_tokens(text: str, max_tokens: int, model: str = DEFAULT_COUNTING_MODEL) -> str:
    """The longest prefix of `text` that counts at most `max_tokens` tokens."""
    if count_tokens(text, model).tokens <= max_tokens:
        return text
    low, high = 0, len(text)  # prefix text[:low] fits, text[:high] does not
    while high - low > 1:
        middle = (low + high) // 2
        if count_tokens(text[:middle], model).tokens <= max_tokens:
            low = middle
        else:
            high = middle
    return text[:low]


Turn = tuple[str, str]
"""(role, text) of one conversation turn."""


def fit_history(
    turns: Sequence[Turn],
    budget_tokens: int,
    *,
    fixed: Sequence[str] = (),
    summary_tokens: int = 0,
    model: str = DEFAULT_COUNTING_MODEL,
) -> tuple[list[Turn], list[Turn]]:
    """Split turns into (kept, older) so that the prompt fits `budget_tokens`.

    `fixed` are the texts always sent (system prompt, scenario block). When every turn fits, all
    are kept. Otherwise `summary_tokens` is set aside for a running summary of the older turns and
    the most recent turns that fit the rest are kept. The newest turn is always kept, even if it
    alone is over budget: the model must see the message it answers.
    """
    available = budget_tokens - sum(_message_tokens(text, model) for text in fixed)
    costs = [_message_tokens(text, model) for _, text in turns]
    if sum(costs) <= available:
        return list(turns), []
    available -= summary_tokens
    keep = 0
    used = 0
    for cost in reversed(costs):
        if keep and used + cost > available:
            break
        used += cost
        keep += 1
    split = len(turns) - keep
    return list(turns[split:]), list(turns[:split])


def _message_tokens(text: str, model: str) -> int:
    return count_tokens(text, model).tokens + MESSAGE_OVERHEAD


def _default_prices() -> Mapping[str, tuple[float, float]]:
    from simulator.base.settings import Settings

    default: Mapping[str, tuple[float, float]] = Settings.model_fields[
        "prices_per_million"
    ].get_default(call_default_factory=True)
    return default


def estimate_cost(
    model_name: str,
    input_tokens: int,
    output_tokens: int,
    prices: Mapping[str, tuple[float, float]] | None = None,
) -> float | None:
    """USD for the tokens at `prices` (settings.prices_per_million; its defaults when None).

    A dated model name (`gpt-4o-mini-2024-07-18`) takes the price of its longest listed prefix;
    a model with no listed price (an Ollama model, say) has no estimate: None.
    """
    table = _default_prices() if prices is None else prices
    name = model_name.removeprefix("openai:")
    matches = [key for key in table if name == key or name.startswith(key + "-")]
    if not matches:
        return None
    per_input, per_output = table[max(matches, key=len)]
    return (input_tokens * per_input + output_tokens * per_output) / 1_000_000


@dataclass
class Usage:
    """Running totals of the tokens a conversation used, and what they cost."""

    model_name: str = "local"
    input_tokens: int = 0
    output_tokens: int = 0
    approximate: bool = False
    """True when any part of the totals was estimated rather than reported or counted exactly."""

    def add(self, input_tokens: int, output_tokens: int, approximate: bool = False) -> None:
        self.input_tokens += input_tokens
        self.output_tokens += output_tokens
        self.approximate = self.approximate or approximate

    def add_counts(self, prompt: str, reply: str) -> None:
        """Count a prompt and its reply ourselves (for a model that reported no usage)."""
        sent = count_tokens(prompt, self.model_name)
        got = count_tokens(reply, self.model_name)
        self.add(sent.tokens, got.tokens, sent.approximate or got.approximate)

    def add_message(self, message: AIMessage, prompt: str) -> None:
        """Add what a reply reports in `usage_metadata`, or count prompt and reply if nothing."""
        reported = message.usage_metadata
        if reported is None:
            self.add_counts(prompt, message.text)
            return
        estimated = bool(message.response_metadata.get(USAGE_IS_ESTIMATE))
        self.add(reported["input_tokens"], reported["output_tokens"], estimated)

    @property
    def total_tokens(self) -> int:
        return self.input_tokens + self.output_tokens

    def cost(self, prices: Mapping[str, tuple[float, float]] | None = None) -> float | None:
        """Estimated USD so far; None when the model has no listed price."""
        return estimate_cost(self.model_name, self.input_tokens, self.output_tokens, prices)
