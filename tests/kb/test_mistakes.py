"""The catalogue of common mistakes: the real files load and are big enough, every example
sentence is detected (hit) or left alone (miss) by its entry's cues, and malformed catalogues are
refused with a one-line KnowledgeError naming the file and the entry."""

import copy
import re
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml

from simulator.base.errors import KnowledgeError
from simulator.base.sections import LANGS, SECTION_IDS, Lang
from simulator.kb.knowledge import load_knowledge
from simulator.kb.mistakes import MISTAKES_DIR, Mistake, detect, load_mistakes
from simulator.kb.phrases import load_denylist
from tests.support.paths import ROOT

KNOWLEDGE = ROOT / "knowledge"
MISTAKES = KNOWLEDGE / MISTAKES_DIR
MIN_PER_SECTION = 4
MIN_TOTAL = 36
MIN_EXAMPLES = 2


@cache
def _catalogue() -> tuple[Mistake, ...]:
    kb = load_knowledge(KNOWLEDGE)
    return tuple(
        load_mistakes(KNOWLEDGE, [p.id for p in kb.passages], [s.id for s in kb.scenarios])
    )


def _by_id(mistake_id: str) -> Mistake:
    return next(m for m in _catalogue() if m.id == mistake_id)


def _raw_entries() -> list[tuple[Path, Any]]:
    """Entries as written, read at collection time so each one becomes its own test case."""
    out: list[tuple[Path, Any]] = []
    for path in sorted(MISTAKES.glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        out.extend((path, item) for item in (data if isinstance(data, list) else []))
    return out


ENTRY_IDS = [item["id"] for _, item in _raw_entries() if isinstance(item, dict) and "id" in item]
CASES = [(mistake_id, lang) for mistake_id in ENTRY_IDS for lang in LANGS]


# --- the real catalogue -------------------------------------------------------------------------


def test_real_catalogue_loads() -> None:
    assert _catalogue()
    assert len({m.id for m in _catalogue()}) == len(_catalogue())


def test_every_file_holds_only_its_own_section() -> None:
    for path, item in _raw_entries():
        assert isinstance(item, dict) and item.get("section") == path.stem, (path.name, item)


@pytest.mark.parametrize("section", SECTION_IDS)
def test_each_written_section_has_enough_entries(section: str) -> None:
    if not (MISTAKES / f"{section}.yaml").exists():
        pytest.skip(f"{section}.yaml is not written yet")
    count = sum(1 for m in _catalogue() if m.section == section)
    assert count >= MIN_PER_SECTION, f"{section}: {count} mistakes"


@pytest.mark.skipif(
    not all((MISTAKES / f"{s}.yaml").exists() for s in SECTION_IDS),
    reason="the total is checked once all six files exist",
)
def test_catalogue_has_enough_entries_in_total() -> None:
    assert len(_catalogue()) >= MIN_TOTAL


@pytest.mark.parametrize(("mistake_id", "lang"), CASES)
def test_examples_are_detected_exactly(mistake_id: str, lang: Lang) -> None:
    mistake = _by_id(mistake_id)
    scenario = mistake.scenarios[0] if mistake.scenarios else None
    examples = mistake.examples(lang)
    assert len(examples.hit) >= MIN_EXAMPLES and len(examples.miss) >= MIN_EXAMPLES
    missed = [t for t in examples.hit if mistake not in detect(_catalogue(), t, lang, scenario)]
    flagged = [t for t in examples.miss if mistake in detect(_catalogue(), t, lang, scenario)]
    assert not missed, f"hits not detected: {missed}"
    assert not flagged, f"near misses detected: {flagged}"


@pytest.mark.parametrize(("mistake_id", "lang"), CASES)
def test_question_names_no_solution(mistake_id: str, lang: Lang) -> None:
    question = _by_id(mistake_id).question(lang)
    assert not load_denylist().find(question), question


def test_scenario_specific_entries_apply_only_to_their_scenarios() -> None:
    specific = [(m, m.scenarios) for m in _catalogue() if m.scenarios]
    assert specific
    for m, scenarios in specific:
        assert m.applies_to(scenarios[0]) and not m.applies_to(None)


STRONG_SCRIPTS = sorted((ROOT / "tests" / "data" / "scripts").glob("strong_*.txt"))
_SENTENCE = re.compile(r"(?<=[.!?;:])\s+|\n+")


@pytest.mark.parametrize("path", STRONG_SCRIPTS, ids=lambda p: p.stem)
def test_a_strong_scripted_answer_makes_no_catalogue_mistake(path: Path) -> None:
    """Sentence by sentence, as the grader reads: "for mobile devices shrink the model with
    quantisation" lists an option, it does not put the model on the phone."""
    scenario, lang = path.stem.removeprefix("strong_").rsplit("_", 1)
    flagged = {
        (m.id, sentence)
        for sentence in _SENTENCE.split(path.read_text(encoding="utf-8"))
        for m in _catalogue()
        if sentence.strip() and m.applies_to(scenario) and m.made_in(sentence)
    }
    assert lang in LANGS and not flagged, flagged


# --- malformed catalogues -----------------------------------------------------------------------

PASSAGES = ["metrics.offline"]
SCENARIOS = ["payment_fraud"]


def _entry() -> dict[str, Any]:
    both = {"en": "Some text.", "ru": "Какой-то текст."}
    return {
        "id": "metrics.toy_mistake",
        "section": "metrics",
        "passage": "metrics.offline",
        "wrong": dict(both),
        "why": dict(both),
        "question": dict(both),
        "cues": {"en": {"all": [["accuracy"]]}, "ru": {"all": [["accuracy"]]}},
        "examples": {
            "en": {"hit": ["We use accuracy."], "miss": ["We use recall."]},
            "ru": {"hit": ["Берём accuracy."], "miss": ["Берём полноту."]},
        },
    }


def _write(root: Path, name: str, entries: list[Any]) -> Path:
    folder = root / MISTAKES_DIR
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(yaml.safe_dump(entries, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def _load(root: Path) -> list[Mistake]:
    return load_mistakes(root, PASSAGES, SCENARIOS)


def test_a_well_formed_toy_catalogue_loads(tmp_path: Path) -> None:
    _write(tmp_path, "metrics.yaml", [_entry()])
    [mistake] = _load(tmp_path)
    assert mistake.applies_to(None) and mistake.applies_to("payment_fraud")
    assert detect([mistake], "We use accuracy.", "en", "payment_fraud") == [mistake]
    assert detect([mistake], "We use recall.", "en", None) == []


def _unknown_key(e: dict[str, Any]) -> None:
    e["hint"] = {"en": "x", "ru": "x"}


def _unknown_passage(e: dict[str, Any]) -> None:
    e["passage"] = "metrics.no_such_passage"


def _unknown_scenario(e: dict[str, Any]) -> None:
    e["scenarios"] = ["payment_fraud", "no_such_scenario"]


def _empty_scenarios(e: dict[str, Any]) -> None:
    e["scenarios"] = []


def _section_mismatch(e: dict[str, Any]) -> None:
    e["section"] = "model"


def _missing_ru(e: dict[str, Any]) -> None:
    del e["wrong"]["ru"]


def _missing_ru_cues(e: dict[str, Any]) -> None:
    del e["cues"]["ru"]


def _empty_cue_group(e: dict[str, Any]) -> None:
    e["cues"]["en"]["all"] = [["accuracy"], []]


def _no_miss_examples(e: dict[str, Any]) -> None:
    e["examples"]["ru"]["miss"] = []


@pytest.mark.parametrize(
    ("mutate", "fragment"),
    [
        (_unknown_key, "hint"),
        (_unknown_passage, "unknown passage id 'metrics.no_such_passage'"),
        (_unknown_scenario, "unknown scenario ids: no_such_scenario"),
        (_empty_scenarios, "scenarios is empty"),
        (_section_mismatch, "must start with its section"),
        (_missing_ru, "wrong.ru"),
        (_missing_ru_cues, "cues.ru"),
        (_empty_cue_group, "empty cue group"),
        (_no_miss_examples, "examples.ru.miss"),
    ],
)
def test_malformed_entry_is_refused_naming_file_and_id(
    tmp_path: Path, mutate: Callable[[dict[str, Any]], None], fragment: str
) -> None:
    entry = copy.deepcopy(_entry())
    mutate(entry)
    path = _write(tmp_path, "metrics.yaml", [entry])
    with pytest.raises(KnowledgeError) as info:
        _load(tmp_path)
    message = str(info.value)
    assert "\n" not in message
    assert str(path) in message and "metrics.toy_mistake" in message
    assert fragment in message


def test_duplicate_id_across_files_is_refused(tmp_path: Path) -> None:
    first = _write(tmp_path, "metrics.yaml", [_entry()])
    second = _write(tmp_path, "model.yaml", [_entry()])
    with pytest.raises(KnowledgeError) as info:
        _load(tmp_path)
    message = str(info.value)
    assert "\n" not in message
    assert "duplicate id" in message and "metrics.toy_mistake" in message
    assert str(first) in message and str(second) in message


def test_duplicate_id_in_one_file_is_refused(tmp_path: Path) -> None:
    path = _write(tmp_path, "metrics.yaml", [_entry(), _entry()])
    with pytest.raises(KnowledgeError, match="duplicate id") as info:
        _load(tmp_path)
    assert str(path) in str(info.value) and "metrics.toy_mistake" in str(info.value)


def test_a_file_that_is_not_a_list_is_refused(tmp_path: Path) -> None:
    path = _write(tmp_path, "metrics.yaml", [])
    path.write_text("id: metrics.toy_mistake\n", encoding="utf-8")
    with pytest.raises(KnowledgeError, match="expected a list") as info:
        _load(tmp_path)
    assert str(path) in str(info.value)


def test_a_missing_folder_is_refused(tmp_path: Path) -> None:
    with pytest.raises(KnowledgeError, match="folder is missing"):
        _load(tmp_path)
