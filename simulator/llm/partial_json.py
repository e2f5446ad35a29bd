"""Reading a structured reply while it streams: the fields before the reply text, then the text.

A model asked for `{"...": ..., "reply": "..."}` writes the JSON a few characters at a time. The
person should see the reply's first words as soon as they are written, but only once the fields
before it (which facts it tells, which section it moves to) are known, so that the guards can
judge them first. `ReplyStream` is fed the raw deltas and says when the head is complete and
which new reply characters arrived; the whole text is validated as usual at the end.
"""

import json
import re
from typing import Any

_KEY = re.compile(r'"(?P<key>[A-Za-z_]+)"\s*:\s*')
_ESCAPES = {'"': '"', "\\": "\\", "/": "/", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t"}


class ReplyStream:
    """Incremental reader of one JSON object whose string field `field` is streamed."""

    def __init__(self, field: str, head_keys: frozenset[str]) -> None:
        self.field = field
        self.head_keys = head_keys
        self.raw = ""
        self.head: dict[str, Any] | None = None
        """The fields written before the streamed one, once all of `head_keys` are among them."""
        self.started = False
        """True once the streamed field's string has begun."""
        self.closed = False
        self._pos = 0
        """Where in `raw` the streamed string's next unread character is."""

    def feed(self, delta: str) -> str:
        """Take more raw JSON; return the streamed field's new characters (empty when none are
        ready, or while the head is incomplete: they are returned once it is)."""
        self.raw += delta
        if not self.started:
            start = self._field_start()
            if start is None:
                return ""
            self.started = True
            self._pos = start
            self.head = self._parse_head(start)
        if self.head is None or self.closed:
            return ""
        return self._read_string()

    def _field_start(self) -> int | None:
        for match in _KEY.finditer(self.raw):
            if match.group("key") == self.field and self.raw[match.end() : match.end() + 1] == '"':
                return match.end() + 1
        return None

    def _parse_head(self, start: int) -> dict[str, Any] | None:
        """The object written before the streamed field, when it parses and has every head key."""
        before = self.raw[: self.raw.rfind(f'"{self.field}"', 0, start)].rstrip().rstrip(",")
        try:
            head = json.loads(before + "}")
        except json.JSONDecodeError:
            return None
        if not isinstance(head, dict) or not self.head_keys <= head.keys():
            return None
        return head

    def _read_string(self) -> str:
        out: list[str] = []
        pos = self._pos
        raw = self.raw
        while pos < len(raw):
            char = raw[pos]
            if char == '"':
                self.closed = True
                pos += 1
                break
            if char != "\\":
                out.append(char)
                pos += 1
                continue
            if pos + 1 >= len(raw):
                break  # the escape's next character has not arrived yet
            code = raw[pos + 1]
            if code == "u":
                if pos + 6 > len(raw) or _awaits_low_half(raw, pos):
                    break
                out.append(_unicode(raw, pos))
                pos += 12 if _is_pair(raw, pos) else 6
                continue
            out.append(_ESCAPES.get(code, code))
            pos += 2
        self._pos = pos
        return "".join(out)


def _awaits_low_half(raw: str, pos: int) -> bool:
    """A high surrogate whose low half may still be on its way."""
    high = int(raw[pos + 2 : pos + 6], 16)
    return 0xD800 <= high < 0xDC00 and len(raw) < pos + 12


def _is_pair(raw: str, pos: int) -> bool:
    """Whether the \\u escape at `pos` is a high surrogate followed by its low half."""
    high = int(raw[pos + 2 : pos + 6], 16)
    return 0xD800 <= high < 0xDC00 and raw[pos + 6 : pos + 8] == "\\u" and len(raw) >= pos + 12


def _unicode(raw: str, pos: int) -> str:
    high = int(raw[pos + 2 : pos + 6], 16)
    if _is_pair(raw, pos):
        low = int(raw[pos + 8 : pos + 12], 16)
        return chr(0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00))
    return chr(high)
