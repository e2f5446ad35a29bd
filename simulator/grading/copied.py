"""Sentences copied from our own knowledge passages earn nothing.

The cheat sheet says what a good answer covers in general terms; pasting it back is not a design.
A sentence is copied when most of its words sit in runs of COPY_NGRAM words that also occur, in
that order, in one of the knowledge base's passages (either language). Runs are found over the
whole text, so a short sentence pasted with its neighbours is caught too, and a few words changed
here and there do not make a sentence the candidate's own. Copied sentences are blanked out
before the model is asked; the rest of the answer is left exactly as written.
"""

import re
from dataclasses import dataclass
from functools import lru_cache

from simulator.base.sections import LANGS
from simulator.base.textnorm import words
from simulator.kb.knowledge import KnowledgeBase

COPY_NGRAM = 8
"""Words in a run shared with a passage: long enough that no two writers meet by chance."""
COPIED_SHARE = 0.5
"""A sentence is copied when at least this share of its words lie in shared runs."""
_SENTENCE = re.compile(r"[^\n]+?(?:[.!?]+(?=\s)|$)", re.MULTILINE)
_WORD = re.compile(r"[0-9]+(?:[.,][0-9]+)*|[a-zа-яё]+(?:[-'][a-zа-яё]+)*", re.IGNORECASE)
"""The tokens of `textnorm.words`, found with where each one stands."""


@dataclass(frozen=True)
class Own:
    text: str
    """The answer with copied sentences blanked out (the same length and lines)."""
    copied: int
    """How many sentences were copied."""


def own_words(answer: str, kb: KnowledgeBase) -> Own:
    """The answer without the sentences copied from `kb`'s passages."""
    grams = _passage_ngrams(tuple(p.text(lang) for p in kb.passages for lang in LANGS))
    tokens = list(_WORD.finditer(answer))
    plain = [words(t.group(0))[0] for t in tokens]
    shared = [False] * len(tokens)
    for i in range(len(tokens) - COPY_NGRAM + 1):
        if tuple(plain[i : i + COPY_NGRAM]) in grams:
            shared[i : i + COPY_NGRAM] = [True] * COPY_NGRAM
    pieces: list[str] = []
    copied = 0
    pos = 0
    first = 0  # the first token not yet past: sentences and tokens both run in order
    for m in _SENTENCE.finditer(answer):
        while first < len(tokens) and tokens[first].start() < m.start():
            first += 1
        last = first
        while last < len(tokens) and tokens[last].start() < m.end():
            last += 1
        inside = shared[first:last]
        pieces.append(answer[pos : m.start()])
        if inside and sum(inside) >= COPIED_SHARE * len(inside):
            copied += 1
            pieces.append(" " * len(m.group(0)))
        else:
            pieces.append(m.group(0))
        pos = m.end()
    pieces.append(answer[pos:])
    return Own("".join(pieces), copied)


@lru_cache(maxsize=4)
def _passage_ngrams(texts: tuple[str, ...]) -> frozenset[tuple[str, ...]]:
    """Every run of COPY_NGRAM words of the passages' texts."""
    grams: set[tuple[str, ...]] = set()
    for text in texts:
        tokens = words(text)
        grams.update(tuple(tokens[i : i + COPY_NGRAM]) for i in range(len(tokens) - COPY_NGRAM + 1))
    return frozenset(grams)
