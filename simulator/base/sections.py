"""The six sections of a design answer: fixed ids used by the rubric, scores, JSON and UI."""

from collections.abc import Iterator, Mapping
from typing import Literal

SectionId = Literal["requirements", "metrics", "architecture", "data", "model", "serving"]
SECTION_IDS: tuple[SectionId, ...] = (
    "requirements",
    "metrics",
    "architecture",
    "data",
    "model",
    "serving",
)

Lang = Literal["en", "ru"]
LANGS: tuple[Lang, ...] = ("en", "ru")


class _SectionTitles(Mapping[SectionId, Mapping[Lang, str]]):
    """Each section's title by language: the string catalogue's `section.<id>` keys."""

    def __getitem__(self, section: SectionId) -> Mapping[Lang, str]:
        from simulator.base.strings import TextByLang  # not at the top: strings imports this module

        if section not in SECTION_IDS:
            raise KeyError(section)
        return TextByLang(f"section.{section}")

    def __iter__(self) -> Iterator[SectionId]:
        return iter(SECTION_IDS)

    def __len__(self) -> int:
        return len(SECTION_IDS)


SECTION_TITLES: Mapping[SectionId, Mapping[Lang, str]] = _SectionTitles()
