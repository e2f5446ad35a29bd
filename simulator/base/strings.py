"""The string catalogue: every text the simulator shows a person, in English and Russian.

`knowledge/strings/*.yaml` map dotted keys (`ui.start`, `interviewer.steer`, `section.data`) to
`{en: ..., ru: ...}` with `{name}` placeholders. The files are read and checked once: every key
has non-empty text in both languages with the same placeholders and no other field, is a dotted
lower-case name, and is defined once across all files. `text(key, lang, **fields)` fills a string
in; a missing key or field is a KnowledgeError naming the key, never a silent fallback.
"""

import re
import string
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError, field_validator, model_validator

from simulator.base.errors import KnowledgeError
from simulator.base.sections import LANGS, Lang
from simulator.base.settings import PROJECT_ROOT

STRINGS_DIR = PROJECT_ROOT / "knowledge" / "strings"
KEY = re.compile(r"[a-z][a-z0-9_]*(?:\.[a-z0-9_]+)*")


def placeholders(text: str) -> frozenset[str]:
    """The `{name}` fields of `text`; any other use of braces is a ValueError."""
    try:
        parsed = list(string.Formatter().parse(text))
    except ValueError as exc:
        raise ValueError(f"bad braces ({exc})") from None
    names: set[str] = set()
    for _, name, spec, conversion in parsed:
        if name is None:
            continue
        if not name.isidentifier() or spec or conversion:
            raise ValueError(f"placeholder {{{name}}} is not of the form {{name}}")
        names.add(name)
    return frozenset(names)


class Entry(BaseModel):
    """One string in both languages."""

    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)

    en: str
    """The English text."""
    ru: str
    """The Russian text, with the same placeholders as the English."""

    @field_validator("en", "ru")
    @classmethod
    def _not_empty(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("is empty")
        return value.strip()

    @model_validator(mode="after")
    def _same_placeholders(self) -> "Entry":
        en, ru = placeholders(self.en), placeholders(self.ru)
        if en != ru:
            raise ValueError(f"placeholders differ: en {sorted(en)}, ru {sorted(ru)}")
        return self


@dataclass(frozen=True)
class Catalogue:
    folder: Path
    entries: Mapping[str, Entry]
    files: Mapping[str, Path]
    """The file each key is defined in."""

    def text(self, key: str, lang: Lang, /, **fields: object) -> str:
        """The string `key` in `lang`, its placeholders filled from `fields` (exactly those)."""
        entry = self.entries.get(key)
        if entry is None:
            raise KnowledgeError(f"{self.folder}: no string {key!r}")
        if lang not in LANGS:
            raise KnowledgeError(f"{self.files[key]}: {key}: no language {lang!r}")
        wanted = placeholders(entry.en)
        if wanted != fields.keys():
            given = sorted(fields)
            raise KnowledgeError(f"{self.files[key]}: {key}: needs {sorted(wanted)}, got {given}")
        text: str = getattr(entry, lang)
        return text.format(**fields)


class _UniqueKeyLoader(yaml.SafeLoader):
    """A YAML loader that refuses a key repeated within one mapping."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[object] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"key {key!r} appears twice", key_node.start_mark
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def _read(path: Path) -> dict[object, object]:
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_UniqueKeyLoader)
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise KnowledgeError(f"{path}: not valid YAML ({str(exc).splitlines()[0]})") from None
    if not isinstance(data, dict):
        raise KnowledgeError(f"{path}: expected a mapping of string keys to {{en, ru}}")
    return data


def _problem(exc: ValidationError) -> str:
    err = exc.errors()[0]
    where = ".".join(str(p) for p in err["loc"])
    error = err.get("ctx", {}).get("error")
    message = str(error) if err["type"] == "value_error" and error else err["msg"]
    return f"{where}: {message}" if where else message


@lru_cache(maxsize=4)
def load_catalogue(folder: Path = STRINGS_DIR) -> Catalogue:
    """Every `*.yaml` in `folder`, checked; a one-line KnowledgeError names the file and key."""
    paths = sorted(folder.glob("*.yaml"))
    if not paths:
        raise KnowledgeError(f"{folder}: no string files (*.yaml)")
    entries: dict[str, Entry] = {}
    files: dict[str, Path] = {}
    for path in paths:
        for key, value in _read(path).items():
            if not isinstance(key, str) or not KEY.fullmatch(key):
                raise KnowledgeError(f"{path}: {key!r}: a key is a dotted lower-case name")
            if key in files:
                raise KnowledgeError(f"{path}: {key}: already defined in {files[key].name}")
            try:
                entries[key] = Entry.model_validate(value)
            except ValidationError as exc:
                raise KnowledgeError(f"{path}: {key}: {_problem(exc)}") from None
            files[key] = path
    return Catalogue(folder=folder, entries=entries, files=files)


def text(key: str, lang: Lang, /, **fields: object) -> str:
    """The catalogue's string `key` in `lang`, its `{name}` placeholders filled from `fields`."""
    return load_catalogue().text(key, lang, **fields)


class TextByLang(Mapping[Lang, str]):
    """One key's text in each language, read from the catalogue when indexed (`titles[lang]`)."""

    def __init__(self, key: str) -> None:
        self.key = key

    def __getitem__(self, lang: Lang) -> str:
        if lang not in LANGS:
            raise KeyError(lang)
        return text(self.key, lang)

    def __iter__(self) -> Iterator[Lang]:
        return iter(LANGS)

    def __len__(self) -> int:
        return len(LANGS)
