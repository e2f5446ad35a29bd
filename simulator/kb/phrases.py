"""The interviewer's own words in both languages, and the deny-list model-written replies must pass.

Both live as files in `prompts/` (`interviewer_phrases.yaml`, `interviewer_denylist.yaml`), so no
phrase is scattered in code; they are read once per folder and checked on load: every phrase has
both languages and the same placeholders in each.
"""

import string
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from simulator.base.errors import KnowledgeError
from simulator.base.sections import LANGS, Lang
from simulator.base.textnorm import Terms
from simulator.kb.knowledge import read_yaml

PHRASES_FILE = "interviewer_phrases.yaml"
DENYLIST_FILE = "interviewer_denylist.yaml"


def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


@dataclass(frozen=True)
class Phrases:
    path: Path
    table: dict[str, dict[Lang, str]]

    def __call__(self, key: str, lang: Lang, **values: object) -> str:
        """The phrase `key` in `lang`, its placeholders filled from `values`."""
        entry = self.table.get(key)
        if entry is None:
            raise KnowledgeError(f"{self.path}: no phrase {key!r}")
        try:
            return entry[lang].format(**values)
        except KeyError as exc:
            raise KnowledgeError(f"{self.path}: phrase {key!r} needs a value for {exc}") from None


@lru_cache(maxsize=4)
def load_phrases(prompts_dir: Path) -> Phrases:
    path = prompts_dir / PHRASES_FILE
    raw = read_yaml(path)
    if not isinstance(raw, dict):
        raise KnowledgeError(f"{path}: expected a mapping of phrase keys")
    table: dict[str, dict[Lang, str]] = {}
    for key, entry in raw.items():
        if not isinstance(entry, dict) or not all(
            isinstance(entry.get(lang), str) and entry[lang].strip() for lang in LANGS
        ):
            raise KnowledgeError(f"{path}: phrase {key!r} needs non-empty `en` and `ru` text")
        if _fields(entry["en"]) != _fields(entry["ru"]):
            raise KnowledgeError(f"{path}: phrase {key!r} has different placeholders in en and ru")
        table[str(key)] = {"en": entry["en"].strip(), "ru": entry["ru"].strip()}
    return Phrases(path=path, table=table)


@lru_cache(maxsize=4)
def load_denylist(prompts_dir: Path) -> Terms:
    """Model families, named techniques and tools, in both languages, as one compiled matcher."""
    path = prompts_dir / DENYLIST_FILE
    raw = read_yaml(path)
    if not isinstance(raw, dict) or not all(
        isinstance(raw.get(lang), list) and raw[lang] for lang in LANGS
    ):
        raise KnowledgeError(f"{path}: expected non-empty `en` and `ru` lists of terms")
    return Terms([str(t) for lang in LANGS for t in raw[lang]])
