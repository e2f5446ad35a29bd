"""The text a reader of the answer actually sees: what is hidden is never graded.

An answer may be Markdown with HTML in it. A reader does not see HTML or Markdown comments,
elements hidden by their style (`display:none`, `visibility:hidden`, zero font size or opacity,
transparent text) or by the `hidden` attribute, `<script>`/`<style>` bodies, or zero-width and
other invisible format characters. All of that is removed before the model is asked, so text
planted for the grader alone earns nothing. Pure functions: text in, text out.
"""

import re
from dataclasses import dataclass

_COMMENT = re.compile(r"<!--.*?(?:-->|\Z)", re.DOTALL)
# `[//]: # (note)`, `[comment]: <> (note)`: link definitions Markdown renders as nothing.
_MD_COMMENT = re.compile(r"^[ \t]{0,3}\[[^\]\n]*\]:[ \t]*(?:#|<>)(?:[ \t]+.*)?$", re.MULTILINE)
_OPEN_TAG = re.compile(r"<([a-zA-Z][a-zA-Z0-9-]*)(\s[^<>]*)?>")
_HIDING_STYLE = re.compile(
    r"display\s*:\s*none|visibility\s*:\s*(?:hidden|collapse)|font-size\s*:\s*0(?![.\d]*[1-9])"
    r"|opacity\s*:\s*0(?![.\d]*[1-9])|color\s*:\s*transparent|(?:max-)?height\s*:\s*0(?![.\d]*[1-9])",
    re.IGNORECASE,
)
_HIDDEN_ATTRIBUTE = re.compile(r"(?:^|\s)hidden(?:\s|=|$)", re.IGNORECASE)
_STYLE_ATTRIBUTE = re.compile(r"""style\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))""", re.IGNORECASE)
_NEVER_SHOWN = frozenset({"script", "style", "template", "noscript"})
_VOID = frozenset({"br", "hr", "img", "input", "meta", "link", "wbr", "source", "col", "area"})
# Zero-width characters, the soft hyphen, word joiners, bidirectional controls and Unicode tag
# characters: nothing on screen, but they split words apart or carry hidden text.
_INVISIBLE = re.compile(
    "[\u00ad\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff\U000e0000-\U000e007f]"
)


@dataclass(frozen=True)
class Visible:
    text: str
    """What a reader sees of the answer."""
    removed: bool
    """True when anything a reader does not see was removed."""


def visible_text(answer: str) -> Visible:
    """The answer without comments, hidden elements and invisible characters."""
    text = _COMMENT.sub("", answer)
    text = _MD_COMMENT.sub("", text)
    text = _without_hidden_elements(text)
    text = _INVISIBLE.sub("", text)
    return Visible(text, text != answer)


def _hides(tag: str, attributes: str) -> bool:
    if tag.lower() in _NEVER_SHOWN:
        return True
    if _HIDDEN_ATTRIBUTE.search(_STYLE_ATTRIBUTE.sub(" ", attributes)):
        return True
    return any(
        _HIDING_STYLE.search("".join(m.groups(""))) for m in _STYLE_ATTRIBUTE.finditer(attributes)
    )


def _without_hidden_elements(text: str) -> str:
    """Each hidden element cut out with everything inside it, up to its own closing tag (nested
    elements of the same name counted); one never closed hides the rest of the text."""
    out: list[str] = []
    pos = 0
    while True:
        opening = next(
            (
                m
                for m in _OPEN_TAG.finditer(text, pos)
                if m.group(1).lower() not in _VOID and _hides(m.group(1), m.group(2) or "")
            ),
            None,
        )
        if opening is None:
            out.append(text[pos:])
            return "".join(out)
        out.append(text[pos : opening.start()])
        if opening.group(0).endswith("/>"):
            pos = opening.end()
            continue
        pos = _element_end(text, opening.group(1), opening.end())


def _element_end(text: str, tag: str, start: int) -> int:
    """Where the element named `tag` opened just before `start` closes (the text's end if never)."""
    pattern = re.compile(rf"<(/?){re.escape(tag)}(?:\s[^<>]*)?>", re.IGNORECASE)
    depth = 1
    for m in pattern.finditer(text, start):
        if m.group(1):
            depth -= 1
            if depth == 0:
                return m.end()
        elif not m.group(0).endswith("/>"):
            depth += 1
    return len(text)
