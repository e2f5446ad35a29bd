"""The Streamlit UI's strings: the string catalogue's `ui.` keys (knowledge/strings/ui.yaml)."""

from simulator.base.sections import Lang
from simulator.base.strings import text


def t(key: str, lang: Lang, /, **fields: object) -> str:
    """The UI string `ui.<key>` in `lang`, its placeholders filled from `fields`."""
    return text(f"ui.{key}", lang, **fields)
