"""The output filter on model-written interviewer text: no reply that names a solution gets out.

The model's stream is released sentence by sentence, each only after the text so far passes the
deny-list (model families, techniques, tools). When a sentence fails, it and the rest of the
stream are dropped and the built-in reply is sent instead. A stream cut midway keeps the screened
part that arrived.
"""

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from simulator.base.textnorm import Terms
from simulator.llm.calls import StreamCut

# Release text up to the last sentence end (or line end) seen so far.
_LAST_BOUNDARY = re.compile(r"[.?!…:;\n](?=[^.?!…:;\n]*$)")


@dataclass
class Screened:
    """What the filter let through, filled in while the stream is consumed."""

    text: str = ""
    replaced: bool = False
    """The model's text named something on the deny-list and was replaced by the fallback."""
    cut: bool = False
    """The model's stream broke off midway; `text` is what arrived."""


def _release(pending: str) -> tuple[str, str]:
    match = _LAST_BOUNDARY.search(pending)
    if match is None:
        return "", pending
    return pending[: match.end()], pending[match.end() :]


def screen(chunks: Iterable[str], deny: Terms, fallback: str, result: Screened) -> Iterator[str]:
    """Yield the model's text once it passes `deny`; on a leak, or when no text came, `fallback`."""
    pending = ""
    previous = ""  # the piece released last: a denied phrase may straddle one boundary
    leaked = False
    stream = iter(chunks)
    try:
        while not leaked:
            try:
                chunk = next(stream)
            except StopIteration:
                break
            except StreamCut:
                result.cut = True
                break
            ready, pending = _release(pending + chunk)
            # Only the new text and the piece before it are checked: the rest already passed, and
            # rescanning it for every sentence would make a long reply quadratic.
            leaked = bool(ready) and bool(deny.find(previous + ready))
            if ready and not leaked:
                result.text += ready
                previous = ready
                yield ready
        if not leaked and pending.strip():
            leaked = bool(deny.find(previous + pending))
            if not leaked:
                result.text += pending
                yield pending
    finally:
        close = getattr(stream, "close", None)
        if close is not None:
            close()
    if leaked or not result.text.strip():
        result.replaced = leaked
        result.cut = result.cut and bool(result.text.strip())
        joint = " " if result.text.strip() else ""
        result.text = (result.text.rstrip() + joint + fallback) if joint else fallback
        yield joint + fallback
