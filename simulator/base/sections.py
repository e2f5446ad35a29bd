"""The six sections of a design answer: fixed ids used by the rubric, scores, JSON and UI."""

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

SECTION_TITLES: dict[SectionId, dict[Lang, str]] = {
    "requirements": {"en": "Requirements", "ru": "Требования"},
    "metrics": {"en": "Metrics", "ru": "Метрики"},
    "architecture": {"en": "Architecture", "ru": "Архитектура"},
    "data": {"en": "Data", "ru": "Данные"},
    "model": {"en": "Model", "ru": "Модель"},
    "serving": {"en": "Serving", "ru": "Обслуживание"},
}
