"""The string catalogue: the real one loads and is complete, a malformed one is refused in one
line, and every key the code asks for by name exists with the fields the code fills in."""

import ast
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from simulator.base.errors import KnowledgeError
from simulator.base.sections import LANGS, SECTION_IDS, SECTION_TITLES
from simulator.base.strings import STRINGS_DIR, Entry, load_catalogue, placeholders, text
from simulator.kb.phrases import PHRASE_PREFIX
from tests.support.paths import ROOT
from tests.support.yaml_files import one_line_refusal

# The functions that look strings up by key, and the prefix each puts before the key it is given.
LOOKUPS = {
    "text": "",
    "TextByLang": "",
    "t": "ui.",
    "phrases": PHRASE_PREFIX,
    "_l": "report.",
}


def test_the_catalogue_loads_and_every_key_has_both_languages_with_the_same_fields() -> None:
    catalogue = load_catalogue()
    assert catalogue.folder == STRINGS_DIR == ROOT / "knowledge" / "strings"
    assert tuple(Entry.model_fields) == LANGS
    assert len(catalogue.entries) > 100
    for key, entry in catalogue.entries.items():
        assert all(getattr(entry, lang).strip() for lang in LANGS), key
        assert placeholders(entry.en) == placeholders(entry.ru), key


def test_every_section_has_a_title_and_a_question() -> None:
    for section in SECTION_IDS:
        assert SECTION_TITLES[section]["en"] and SECTION_TITLES[section]["ru"]
        for lang in LANGS:
            assert text(f"{PHRASE_PREFIX}section_question.{section}", lang)
    assert list(SECTION_TITLES) == list(SECTION_IDS)
    with pytest.raises(KeyError):
        SECTION_TITLES["deployment"]  # type: ignore[index]


def test_text_fills_placeholders_and_refuses_a_missing_key_or_field() -> None:
    assert text("ui.download", "en", fmt="HTML") == "Download HTML"
    assert text("ui.download", "ru", fmt="HTML") == "Скачать HTML"
    with pytest.raises(KnowledgeError, match=r"no string 'ui\.no_such_key'"):
        text("ui.no_such_key", "en")
    with pytest.raises(KnowledgeError, match=r"ui\.download: needs \['fmt'\], got \[\]"):
        text("ui.download", "en")
    with pytest.raises(KnowledgeError, match=r"ui\.start: needs \[\], got \['fmt'\]"):
        text("ui.start", "en", fmt="HTML")


# ----- a malformed catalogue --------------------------------------------------------------------


def _folder(tmp_path: Path, **files: str) -> Path:
    for name, content in files.items():
        (tmp_path / f"{name}.yaml").write_text(content, encoding="utf-8")
    return tmp_path


GOOD = 'ui.ok:\n  en: "Fine {n}"\n  ru: "Хорошо {n}"\n'


def test_a_well_formed_folder_loads(tmp_path: Path) -> None:
    catalogue = load_catalogue(_folder(tmp_path, a=GOOD))
    assert catalogue.text("ui.ok", "ru", n=2) == "Хорошо 2"


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        ('ui.x:\n  en: "Only English"\n', r"a\.yaml: ui\.x: ru: Field required$"),
        ('ui.x:\n  en: "Hi"\n  ru: "  "\n', r"a\.yaml: ui\.x: ru: is empty$"),
        (
            'ui.x:\n  en: "{n} left"\n  ru: "осталось {m}"\n',
            r"a\.yaml: ui\.x: placeholders differ: en \['n'\], ru \['m'\]$",
        ),
        ('ui.x:\n  en: "{0} left"\n  ru: "{0}"\n', r"a\.yaml: ui\.x: placeholder \{0\} is not"),
        ('ui.x:\n  en: "a {"\n  ru: "б"\n', r"a\.yaml: ui\.x: bad braces"),
        ('ui.x:\n  en: "Hi"\n  ru: "Привет"\n  de: "Hallo"\n', r"a\.yaml: ui\.x: de: Extra inputs"),
        ('ui.x:\n  en: 3\n  ru: "три"\n', r"a\.yaml: ui\.x: en: Input should be a valid string"),
        ('ui.x: "Hi"\n', r"a\.yaml: ui\.x: Input should be a valid dictionary"),
        ('Title:\n  en: "Hi"\n  ru: "Привет"\n', r"a\.yaml: 'Title': a key is a dotted lower-case"),
        ('ui.x:\n  en: "a"\n  ru: "б"\nui.x:\n  en: "c"\n  ru: "в"\n', r"a\.yaml: not valid YAML"),
        ("- ui.x\n", r"a\.yaml: expected a mapping"),
    ],
)
def test_a_malformed_file_is_refused_naming_file_and_key(
    tmp_path: Path, content: str, problem: str
) -> None:
    message = one_line_refusal(load_catalogue, _folder(tmp_path, a=content))
    assert re.search(problem, message), message


def test_a_key_defined_in_two_files_is_refused(tmp_path: Path) -> None:
    message = one_line_refusal(load_catalogue, _folder(tmp_path, a=GOOD, b=GOOD))
    assert message.endswith("b.yaml: ui.ok: already defined in a.yaml"), message


def test_an_empty_folder_is_refused(tmp_path: Path) -> None:
    assert "no string files" in one_line_refusal(load_catalogue, tmp_path)


# ----- every key the code asks for --------------------------------------------------------------


@dataclass(frozen=True)
class Lookup:
    where: str
    key: str
    """The whole key, or its literal start when the rest is computed (`ui.nav.{view}`)."""
    whole: bool
    fields: frozenset[str] | None
    """The keyword arguments the call passes, or None when it passes `**values`."""


def _function(call: ast.Call) -> str | None:
    if isinstance(call.func, ast.Name) and call.func.id in LOOKUPS:
        return call.func.id
    if isinstance(call.func, ast.Attribute) and call.func.attr == "phrases":
        return "phrases"
    return None


def _keys(node: ast.expr) -> Iterator[tuple[str, bool]]:
    """The literal keys an argument can be: constants whole, f-strings by their literal start."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        yield node.value, True
    elif isinstance(node, ast.IfExp):
        yield from _keys(node.body)
        yield from _keys(node.orelse)
    elif isinstance(node, ast.JoinedStr) and node.values:
        first = node.values[0]
        if isinstance(first, ast.Constant) and isinstance(first.value, str):
            yield first.value, False


def _lookups() -> list[Lookup]:
    files = [*sorted((ROOT / "simulator").rglob("*.py")), ROOT / "app.py"]
    found: list[Lookup] = []
    for path in files:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call) or not node.args:
                continue
            function = _function(node)
            if function is None:
                continue
            passed = [k.arg for k in node.keywords]
            fields = None if None in passed else frozenset(k for k in passed if k)
            where = f"{path.relative_to(ROOT)}:{node.lineno}"
            for key, whole in _keys(node.args[0]):
                found.append(Lookup(where, LOOKUPS[function] + key, whole, fields))
    return found


def test_every_key_the_code_asks_for_exists_with_the_fields_it_fills() -> None:
    catalogue = load_catalogue()
    lookups = _lookups()
    assert len([lk for lk in lookups if lk.whole]) > 60  # the scan does see the code's lookups
    problems = []
    for lookup in lookups:
        if not lookup.whole:
            if not any(key.startswith(lookup.key) for key in catalogue.entries):
                problems.append(f"{lookup.where}: no key starts with {lookup.key!r}")
            continue
        entry = catalogue.entries.get(lookup.key)
        if entry is None:
            problems.append(f"{lookup.where}: no key {lookup.key!r}")
        elif lookup.fields is not None and lookup.fields != placeholders(entry.en):
            problems.append(
                f"{lookup.where}: {lookup.key} fills {sorted(lookup.fields)}, "
                f"its text has {sorted(placeholders(entry.en))}"
            )
    assert problems == []
