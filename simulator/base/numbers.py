"""Numbers written the way the report's language writes them: 1.88 in English, 1,88 in Russian."""

from simulator.base.sections import Lang

_DECIMAL_COMMA: frozenset[Lang] = frozenset({"ru"})


def format_number(value: float, lang: Lang, digits: int = 2) -> str:
    """`value` with `digits` decimals."""
    written = f"{value:.{digits}f}"
    return written.replace(".", ",") if lang in _DECIMAL_COMMA else written


def format_weight(value: float, lang: Lang) -> str:
    """A weight as short as it is exact: 2, 1.5 (1,5 in Russian)."""
    written = f"{value:g}"
    return written.replace(".", ",") if lang in _DECIMAL_COMMA else written


_GROUPING: dict[Lang, str] = {"en": ",", "ru": " "}
"""What separates thousands: 12,345 in English, 12 345 in Russian (a plain space: the exports
fold every run of whitespace, a no-break space too, into one)."""


def format_count(value: int, lang: Lang) -> str:
    """A whole number with its thousands grouped the language's way."""
    return f"{value:,}".replace(",", _GROUPING[lang])
