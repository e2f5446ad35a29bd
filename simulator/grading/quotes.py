"""Whether a model's quote really is the candidate's words, whatever the markdown and quote marks.

A model copies a quote the way it reads it: without the `**` of bold text, with curly quotes for
straight ones, with a list marker or without, shortened with `...`. Both the answer and the quote
are normalised the same way (markup, list markers and quote marks dropped, dashes and whitespace
collapsed, case folded, `ё` read as `е`) and the quote is looked up in the answer; a quote with an
ellipsis matches when its pieces occur in that order. What is kept as evidence is the matched span
of the candidate's own text, never the model's copy of it. A quote too short to show anything (a
letter, a single word, a bare pair of short words) is not evidence, wherever it occurs.
"""

import re
import unicodedata
from dataclasses import dataclass, field

MIN_QUOTE_WORDS = 3
"""A quote of at least this many words can show what the candidate said about a point; one or two
words ("AUC", "feature store") occur in any answer that names them and show nothing more."""
MIN_QUOTE_CHARS = 20
"""...or of at least two words and this many characters: Russian words run long, and two of them
can say what three English ones do ("Переобучаем еженедельно")."""
ELLIPSIS_JOINER = " … "
"""How the pieces of a quote shortened with an ellipsis are joined in the evidence."""

_DROPPED = frozenset("*_`\"'“”„‟«»‘’‚‛<>‹›")
"""Markdown emphasis and code marks, quote marks of every kind (models add or drop them), and
angle brackets: a tag in the answer reaches the model defused as `‹tag›`."""
_LINE_MARKER = re.compile(r"^[ \t]*(?:(?:[-*+•>]|#{1,6}|\d{1,3}[.)])[ \t]+)+", re.MULTILINE)
"""List bullets, numbers, block quotes and heading marks at the start of a line."""
_LONE_DASH = re.compile(r"(?<=\s)[-–—−](?=\s)")
"""A dash standing between spaces: a list marker inside a joined quote, or punctuation."""
_PAIRED_MARKS = ("**", "__", "`")
"""Markdown marks that come in pairs: a span holding one of a pair takes in the other."""
_ELLIPSIS = re.compile(r"\.{3,}|\[\s*\.\.\.\s*\]")
_SENTENCE_END = frozenset(".!?…")
_EDGE = " .,;:!?()[]"
"""Stripped from both ends of a quote's piece: a model adds or drops the final full stop."""


@dataclass(frozen=True)
class Normalised:
    """A text normalised for matching, with the index in the original of every character."""

    text: str
    origin: list[int]

    def span(self, start: int, end: int) -> tuple[int, int]:
        """The original text's span behind the normalised `text[start:end]`."""
        return self.origin[start], self.origin[end - 1] + 1


def normalise(text: str) -> Normalised:
    """`text` with markup, list markers and quote marks dropped, dashes and whitespace collapsed,
    case folded and `ё` read as `е`, keeping track of where each character came from."""
    skipped = [False] * len(text)
    for pattern in (_LINE_MARKER, _LONE_DASH):
        for match in pattern.finditer(text):
            for i in range(match.start(), match.end()):
                skipped[i] = True
    chars: list[str] = []
    origin: list[int] = []
    for i, char in enumerate(text):
        folded = " " if skipped[i] else unicodedata.normalize("NFKC", char).casefold()
        for c in folded.replace("ё", "е"):
            if c in _DROPPED:
                continue
            if c.isspace():
                if not chars or chars[-1] == " ":
                    continue
                c = " "
            chars.append(c)
            origin.append(i)
    while chars and chars[-1] == " ":
        chars.pop()
        origin.pop()
    return Normalised("".join(chars), origin)


def quote_pieces(quote: str) -> list[str]:
    """The normalised pieces of a quote, split at its ellipses, each trimmed of edge punctuation."""
    pieces = _ELLIPSIS.split(normalise(quote).text)
    return [p.strip(_EDGE) for p in pieces if p.strip(_EDGE)]


def long_enough(pieces: list[str]) -> bool:
    """Whether the pieces together are a meaningful span (MIN_QUOTE_WORDS, MIN_QUOTE_CHARS)."""
    words = sum(len(p.split()) for p in pieces)
    chars = sum(len(p) for p in pieces)
    return words >= MIN_QUOTE_WORDS or (words >= 2 and chars >= MIN_QUOTE_CHARS)


@dataclass
class QuoteCheck:
    """What came of one section's quotes."""

    matched: list[str] = field(default_factory=list)
    """The candidate's own text behind each quote that matched, in the order given, once each."""
    not_found: int = 0
    """Quotes whose words are not in the answer."""
    too_short: int = 0
    """Quotes too short to be evidence (see MIN_QUOTE_WORDS)."""

    @property
    def failed(self) -> int:
        return self.not_found + self.too_short


class QuoteMatcher:
    """Matches quotes against one answer, normalised once."""

    def __init__(self, answer: str) -> None:
        self.answer = answer
        self._normalised = normalise(answer)

    def check(self, quotes: list[str]) -> QuoteCheck:
        """Every quote of a section, matched or counted as failed."""
        result = QuoteCheck()
        for quote in quotes:
            if not quote.strip():
                continue
            pieces = quote_pieces(quote)
            if not pieces or not long_enough(pieces):
                result.too_short += 1
                continue
            found = self._locate(pieces)
            if found is None:
                result.not_found += 1
            elif found not in result.matched:
                result.matched.append(found)
        return result

    def _locate(self, pieces: list[str]) -> str | None:
        text = self._normalised.text
        spans: list[str] = []
        position = 0
        for piece in pieces:
            start = text.find(piece, position)
            if start < 0:
                return None
            position = start + len(piece)
            begin, end = self._normalised.span(start, position)
            spans.append(self._balanced(begin, end))
        return ELLIPSIS_JOINER.join(spans)

    def _balanced(self, begin: int, end: int) -> str:
        """The answer's text from `begin` to `end`, with the full stop that ends it, widened to
        the other half of a bold or code mark it holds only one half of (`**rare**: about`
        rather than `rare**: about`)."""
        if self.answer[end : end + 1] in _SENTENCE_END:
            end += 1
        for mark in _PAIRED_MARKS:
            if self.answer[begin:end].count(mark) % 2 == 0:
                continue
            if self.answer.startswith(mark, begin - len(mark)) and begin >= len(mark):
                begin -= len(mark)
            elif self.answer.startswith(mark, end):
                end += len(mark)
        return self.answer[begin:end].strip()
