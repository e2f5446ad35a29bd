"""The interviewer's own words in both languages, and the deny-list model-written replies must pass.

The phrases are the string catalogue's `interviewer.` keys (`knowledge/strings/`, checked on load by
`simulator.base.strings`); the deny-list is `knowledge/lexicon/denylist.yaml`, loaded and checked
with the other vocabularies by `simulator.kb.lexicon`. No phrase is scattered in code.
"""

from dataclasses import dataclass
from pathlib import Path

from simulator.base.sections import Lang
from simulator.base.strings import Catalogue, load_catalogue
from simulator.base.textnorm import Terms
from simulator.kb.lexicon import lexicon

PHRASE_PREFIX = "interviewer."
"""The interviewer's phrases are the catalogue keys that start with this."""


@dataclass(frozen=True)
class Phrases:
    catalogue: Catalogue

    def __call__(self, key: str, lang: Lang, /, **values: object) -> str:
        """The phrase `key` (catalogue key `interviewer.<key>`) in `lang`, filled from `values`."""
        return self.catalogue.text(PHRASE_PREFIX + key, lang, **values)


def load_phrases(prompts_dir: Path | None = None) -> Phrases:
    """The interviewer's phrases, from the string catalogue (loaded and checked once).

    `prompts_dir` is not read: the phrases left `prompts/` for the catalogue.
    """
    return Phrases(catalogue=load_catalogue())


def load_denylist(prompts_dir: Path | None = None) -> Terms:
    """Model families, named techniques and tools, in both languages, as one compiled matcher.

    `prompts_dir` is not read: the deny-list left `prompts/` for `knowledge/lexicon/`.
    """
    return lexicon().denylist.terms
