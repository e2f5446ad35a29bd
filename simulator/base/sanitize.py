"""Cleaning of what the candidate types, before anything else sees it.

Control characters go (newlines and tabs stay; right-to-left scripts, their marks and emoji stay),
and a message longer than the limit is cut (at a word boundary) rather than refused. Nothing here
raises on odd input: the interview must never end with a traceback because of what someone typed.
"""

import re
import unicodedata
from dataclasses import dataclass

MESSAGE_LIMIT = 4000
"""Longest candidate message kept, in characters; the rest is cut with a notice."""
WORD_CUT_WINDOW = 200
"""A cut moves back to the last space within this many characters, so no word is split."""

_KEEP_CONTROLS = {"\n", "\t"}
# Terminal escape sequences (colours, cursor moves) pasted from a shell: drop them whole, so no
# "[31m" is left behind when their ESC character goes.
_ANSI_ESCAPE = re.compile(r"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)?|[@-Z\\-_])")


@dataclass(frozen=True)
class CleanMessage:
    text: str
    """The message as the interviewer will read and store it."""
    truncated: bool
    """True when the message was longer than the limit and was cut."""

    @property
    def empty(self) -> bool:
        """Nothing visible: blanks, or only format characters (zero-width spaces, RTL marks)."""
        return not any(not c.isspace() and unicodedata.category(c) != "Cf" for c in self.text)


def _dropped(char: str) -> bool:
    # Cc: C0/C1 controls (NUL, ESC, BEL...); Cs: lone surrogates, which SQLite and UTF-8 reject.
    # Format characters (Cf: RTL marks, zero-width joiners inside emoji) are kept on purpose.
    category = unicodedata.category(char)
    return (category == "Cc" and char not in _KEEP_CONTROLS) or category == "Cs"


def clean_message(raw: object, limit: int = MESSAGE_LIMIT) -> CleanMessage:
    """Normalise line ends, strip control characters and cut to `limit` characters."""
    if isinstance(raw, bytes | bytearray):
        text = bytes(raw).decode("utf-8", errors="replace")  # undecodable bytes become U+FFFD
    else:
        text = raw if isinstance(raw, str) else ("" if raw is None else str(raw))
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = "".join(c for c in _ANSI_ESCAPE.sub("", text) if not _dropped(c)).strip()
    if len(text) <= limit:
        return CleanMessage(text=text, truncated=False)
    cut = text[: limit + 1]  # one more: a space right after the limit ends a whole word
    boundary = max(cut.rfind(" "), cut.rfind("\n"), cut.rfind("\t"))
    # Cut at the last word boundary, unless that would lose most of a word-less text.
    end = boundary if boundary > limit - WORD_CUT_WINDOW else limit
    return CleanMessage(text=text[:end].rstrip(), truncated=True)
