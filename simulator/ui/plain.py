"""Text that is not ours (the candidate's, a model's) inside an element that reads Markdown.

Where the text stands alone it goes out through `st.text`, which parses nothing. Where it has to
share a Markdown element (a notice box, a label), `inert` makes it read as written.
"""

import re

_PUNCTUATION = re.compile(r"([!-/:-@\[-`{-~])")
"""Every ASCII punctuation mark: CommonMark lets any of them be backslash-escaped."""


def inert(text: str) -> str:
    """`text` with every ASCII punctuation mark backslash-escaped, so no Markdown, raw HTML,
    link, image or LaTeX (`$`) in it is live: `![x](http://...)` shows as those characters and
    the browser fetches nothing."""
    return _PUNCTUATION.sub(r"\\\1", text)
