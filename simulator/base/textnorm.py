"""Text normalisation shared by retrieval, the local model and the grader: tokens, stems, language.

Russian is heavily inflected ("переобучение" / "переобучать"), so matching works on Snowball
stems, not surface words.
"""

import re
import threading
from functools import lru_cache

import snowballstemmer
from snowballstemmer.basestemmer import BaseStemmer

from simulator.base.sections import Lang

# Function words say nothing about what a text is about.
_STOP_WORDS = (
    "a an the and or of to in on for with at by from as is are be been it its this that these "
    "those we you i our your they them do does did can could should would will what which how "
    "when where why who if so not no about into than then there here be has have had my me "
    "и в во на с со к ко по за из от до для о об что как это мы вы я он она они их наш ваш ли "
    "же бы не ни да а но или если то так там тут где когда какой какая какие каком чем при "
    "у нам нас вам вас его её ее их свой свою своими быть есть"
)
STOP_WORDS = frozenset(_STOP_WORDS.split())

_WORD = re.compile(r"[0-9]+(?:[.,][0-9]+)*|[a-zа-яё]+(?:[-'][a-zа-яё]+)*", re.IGNORECASE)
_CYRILLIC = re.compile(r"[а-яё]", re.IGNORECASE)
_LATIN = re.compile(r"[a-z]", re.IGNORECASE)

# A Snowball stemmer keeps the word it is working on in its own fields, so two threads sharing one
# corrupt each other's words (IndexError inside the stemmer): each thread gets its own pair.
_STEMMERS = threading.local()


def _stemmer(lang: Lang) -> BaseStemmer:
    if not hasattr(_STEMMERS, "en"):
        _STEMMERS.en = snowballstemmer.stemmer("english")
        _STEMMERS.ru = snowballstemmer.stemmer("russian")
    return _STEMMERS.ru if lang == "ru" else _STEMMERS.en


def detect_lang(text: str, default: Lang = "en") -> Lang:
    """`ru` when Cyrillic letters outnumber Latin ones, `en` when Latin ones do."""
    cyr = len(_CYRILLIC.findall(text))
    lat = len(_LATIN.findall(text))
    if cyr == lat:
        return default
    return "ru" if cyr > lat else "en"


def words(text: str) -> list[str]:
    """Lower-cased word and number tokens, `ё` folded to `е`."""
    return [w.lower().replace("ё", "е") for w in _WORD.findall(text)]


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """Stem one lower-case word with the stemmer of its own script."""
    if _CYRILLIC.search(word):
        return str(_stemmer("ru").stemWord(word))
    if _LATIN.search(word):
        return str(_stemmer("en").stemWord(word))
    return word


def stems(text: str) -> list[str]:
    """Stems of every word of `text`, in order."""
    return [stem(w) for w in words(text)]


class Terms:
    """A set of cue terms matched against text by stems, tolerant of inflection.

    A term is one or more words. A word ending in `*` matches any word that starts with it
    (`переобуч*` matches "переобучение" and "переобучать"); any other word matches by stem
    (`retraining` matches "retrain", "retrained"). Matching is case-insensitive.
    """

    def __init__(self, terms: list[str] | tuple[str, ...]) -> None:
        self.terms = tuple(t for t in terms if t.strip())
        self._patterns = [self._compile(t) for t in self.terms]

    @staticmethod
    def _compile(term: str) -> tuple[tuple[bool, str], ...]:
        parts: list[tuple[bool, str]] = []
        for raw in term.lower().replace("ё", "е").split():
            if raw.endswith("*"):
                parts.append((True, raw[:-1]))
            else:
                parts.extend((False, stem(w)) for w in words(raw))
        return tuple(parts)

    def find(self, text: str) -> list[str]:
        """The terms that occur in `text`, in the order they were given."""
        toks, stemmed, stem_set = _tokenised(text)
        return [
            term
            for term, pattern in zip(self.terms, self._patterns, strict=True)
            if _may_occur(pattern, toks, stem_set) and _occurs(pattern, toks, stemmed)
        ]

    def __contains__(self, text: object) -> bool:
        return isinstance(text, str) and bool(self.find(text))


@lru_cache(maxsize=1024)
def compiled_terms(terms: tuple[str, ...]) -> Terms:
    """Compiled once per distinct list: the same cue lists arrive with every message."""
    return Terms(terms)


@lru_cache(maxsize=4096)
def _tokenised(text: str) -> tuple[list[str], list[str], frozenset[str]]:
    """Words and stems of a text, once: the same sentence is matched against many term lists."""
    toks = words(text)
    stemmed = [stem(w) for w in toks]
    return toks, stemmed, frozenset(stemmed)


def _may_occur(
    pattern: tuple[tuple[bool, str], ...], toks: list[str], stem_set: frozenset[str]
) -> bool:
    """A cheap test on the first word that rules out most terms before the positional scan."""
    if not pattern:
        return False
    prefix, first = pattern[0]
    return any(t.startswith(first) for t in toks) if prefix else first in stem_set


def _occurs(pattern: tuple[tuple[bool, str], ...], toks: list[str], stemmed: list[str]) -> bool:
    n = len(pattern)
    if n == 0:
        return False
    for i in range(len(toks) - n + 1):
        if all(
            toks[i + j].startswith(p) if prefix else stemmed[i + j] == p
            for j, (prefix, p) in enumerate(pattern)
        ):
            return True
    return False
