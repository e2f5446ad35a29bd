"""The real knowledge base: it loads, covers every point of the cheat sheet in both languages,
does not copy the cheat sheet, and its rubric is well formed; malformed copies fail loudly."""

import re
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from simulator.base.errors import KnowledgeError
from simulator.base.sections import LANGS, SECTION_IDS, Lang
from simulator.base.textnorm import Terms
from simulator.kb.knowledge import KnowledgeBase, Passage, Rubric, load_knowledge
from tests.support.paths import ROOT
from tests.support.seed_checklist import SEED_POINTS
from tests.support.yaml_files import edit_yaml, read_yaml, write_yaml

KNOWLEDGE = ROOT / "knowledge"
TOY = ROOT / "tests" / "data" / "toy_knowledge"
SEED = ROOT.parent / "shared" / "seeds" / "000_9ce5fe5c0dd5653e.txt"


@pytest.fixture
def knowledge_copy(tmp_path: Path) -> Path:
    """A copy of knowledge/; topics and scenarios come from the toy base until real ones exist."""
    root = tmp_path / "knowledge"
    shutil.copytree(KNOWLEDGE, root)
    if not (root / "topics.yaml").exists():
        shutil.copy(TOY / "topics.yaml", root / "topics.yaml")
    if not (root / "scenarios").is_dir():
        shutil.copytree(TOY / "scenarios", root / "scenarios")
    return root


@pytest.fixture
def kb(knowledge_copy: Path) -> KnowledgeBase:
    return load_knowledge(knowledge_copy)


def _passages() -> list[Passage]:
    """The real passages, validated by the model directly (independent of topics and scenarios)."""
    return [
        Passage.model_validate(item)
        for path in sorted((KNOWLEDGE / "passages").glob("*.yaml"))
        for item in read_yaml(path)["passages"]
    ]


def _rubric() -> Rubric:
    return Rubric.model_validate(read_yaml(KNOWLEDGE / "rubric.yaml"))


def _corpus(lang: Lang) -> str:
    return "\n".join(f"{p.title(lang)}\n{p.text(lang)}" for p in _passages())


# --- (a) the real knowledge loads and has the intended shape ---------------------------------


def test_real_knowledge_loads_with_its_passages_and_rubric(kb: KnowledgeBase) -> None:
    assert {p.id for p in kb.passages} == {p.id for p in _passages()}
    assert kb.rubric == _rubric()


def test_real_knowledge_folder_loads_as_is() -> None:
    if not (KNOWLEDGE / "topics.yaml").exists() or not (KNOWLEDGE / "scenarios").is_dir():
        pytest.skip("topics.yaml or scenarios/ not written yet")
    kb = load_knowledge(KNOWLEDGE)
    assert len(kb.passages) == len(_passages())


def test_each_section_has_its_own_passage_file() -> None:
    files = {path.stem for path in (KNOWLEDGE / "passages").glob("*.yaml")}
    assert files == set(SECTION_IDS)
    for path in (KNOWLEDGE / "passages").glob("*.yaml"):
        for item in read_yaml(path)["passages"]:
            assert item["section"] == path.stem, item["id"]
            assert item["id"].startswith(f"{path.stem}."), item["id"]


def test_passage_count_and_length_are_in_range() -> None:
    passages = _passages()
    assert 45 <= len(passages) <= 70
    for p in passages:
        for lang in LANGS:
            sentences = [s for s in re.split(r"(?<=[.!?])\s+", p.text(lang).strip()) if s]
            assert 2 <= len(sentences) <= 5, f"{p.id} ({lang}) has {len(sentences)} sentences"


def test_russian_text_is_russian_and_english_is_english() -> None:
    for p in _passages():
        assert re.search("[а-яё]", p.text.ru, re.IGNORECASE), p.id
        assert not re.search("[а-яё]", p.text.en, re.IGNORECASE), p.id


def test_rubric_sections_weights_and_checkpoint_counts() -> None:
    rubric = _rubric()
    weights = {sid: s.weight for sid, s in rubric.sections.items()}
    heaviest = max(weights.values())
    assert weights["data"] == heaviest and weights["model"] == heaviest
    for sid, section in rubric.sections.items():
        assert 4 <= len(section.checkpoints) <= 8, sid
        for cp in section.checkpoints:
            assert cp.id.startswith(f"{sid}."), cp.id
            assert cp.passage.startswith(f"{sid}."), f"{cp.id} cites {cp.passage}"


# --- (b) every point of the cheat sheet is there, in both languages --------------------------


def test_checklist_is_substantial_and_unique() -> None:
    names = [name for name, _, _ in SEED_POINTS]
    assert len(names) >= 60
    assert len(names) == len(set(names))


@pytest.mark.parametrize("lang", LANGS)
def test_every_seed_point_is_in_the_passages(lang: Lang) -> None:
    corpus = _corpus(lang)
    missing = [
        name for name, en, ru in SEED_POINTS if not Terms(en if lang == "en" else ru).find(corpus)
    ]
    assert not missing, f"missing from the {lang} passages: {'; '.join(missing)}"


# --- (c) nothing is pasted from the cheat sheet ----------------------------------------------


def _normalise(text: str) -> str:
    return re.sub(r"\s+", " ", text.lower().replace("ё", "е")).strip()


@pytest.fixture(scope="module")
def seed_text() -> str:
    if not SEED.exists():
        pytest.skip(f"the cheat sheet is not next to the repository ({SEED})")
    return SEED.read_text(encoding="utf-8")


def _knowledge_text() -> str:
    return _normalise(" ".join(p.read_text(encoding="utf-8") for p in KNOWLEDGE.rglob("*.yaml")))


def _copied_sentences(seed: str, ours: str) -> list[str]:
    """Seed sentences of 40+ characters that appear verbatim (case and spacing aside) in `ours`."""
    sentences = {_normalise(s).strip(' •-–—«»"') for s in re.split(r"[.!?;:\n\[\]]", seed)}
    return sorted(s for s in sentences if len(s) >= 40 and s in ours)


def _copied_runs(seed: str, ours: str, width: int = 40) -> list[str]:
    """Any `width`-character stretch of the seed that appears verbatim in `ours`."""
    flat = _normalise(seed)
    runs = {flat[i : i + width] for i in range(len(flat) - width + 1)}
    return sorted(run for run in runs if run in ours)


def test_no_seed_sentence_is_copied(seed_text: str) -> None:
    copied = _copied_sentences(seed_text, _knowledge_text())
    assert not copied, f"copied from the cheat sheet: {copied}"


def test_no_long_run_of_the_seed_is_copied(seed_text: str) -> None:
    """Stricter than whole sentences: not even part of a sentence is pasted."""
    copied = _copied_runs(seed_text, _knowledge_text())
    assert not copied, f"copied from the cheat sheet: {copied[:5]}"


def test_the_copy_checks_catch_a_pasted_sentence(seed_text: str) -> None:
    # A real sentence of the seed, picked at run time so this file does not quote the seed itself.
    pasted = next(s for s in seed_text.splitlines() if len(s) > 80).split(".")[0]
    ours = _knowledge_text() + " " + _normalise(pasted.upper())
    assert _copied_sentences(seed_text, ours)
    assert _copied_runs(seed_text, ours)


# --- (d) malformed rubrics are refused with the file and the field named ----------------------

Mutation = Callable[[dict[str, Any]], None]


def _unknown_field(r: dict[str, Any]) -> None:
    r["sections"]["data"]["checkpoints"][0]["colour"] = "red"


def _missing_section(r: dict[str, Any]) -> None:
    del r["sections"]["serving"]


def _negative_weight(r: dict[str, Any]) -> None:
    r["sections"]["model"]["weight"] = -1


def _text_weight(r: dict[str, Any]) -> None:
    r["sections"]["metrics"]["checkpoints"][0]["weight"] = "heavy"


def _unknown_passage(r: dict[str, Any]) -> None:
    r["sections"]["data"]["checkpoints"][0]["passage"] = "data.nowhere"


def _no_russian_evidence(r: dict[str, Any]) -> None:
    del r["sections"]["serving"]["checkpoints"][0]["evidence"]["ru"]


def _duplicate_checkpoint(r: dict[str, Any]) -> None:
    first = r["sections"]["model"]["checkpoints"][0]
    r["sections"]["model"]["checkpoints"].append(dict(first))


def _unknown_section(r: dict[str, Any]) -> None:
    r["sections"]["deployment"] = r["sections"]["serving"]


@pytest.mark.parametrize(
    ("mutate", "field"),
    [
        (_unknown_field, "sections.data.checkpoints.0.colour"),
        (_missing_section, "serving"),
        (_negative_weight, "sections.model.weight"),
        (_text_weight, "sections.metrics.checkpoints.0.weight"),
        (_unknown_passage, "data.nowhere"),
        (_no_russian_evidence, "sections.serving.checkpoints.0.evidence.ru"),
        (_duplicate_checkpoint, "model.baseline"),
        (_unknown_section, "deployment"),
    ],
    ids=lambda v: getattr(v, "__name__", v),
)
def test_malformed_rubric_is_refused(knowledge_copy: Path, mutate: Mutation, field: str) -> None:
    path = knowledge_copy / "rubric.yaml"
    edit_yaml(path, mutate)
    with pytest.raises(KnowledgeError) as err:
        load_knowledge(knowledge_copy)
    assert "rubric.yaml" in str(err.value)
    assert field in str(err.value)
    assert "\n" not in str(err.value)


def test_broken_rubric_yaml_is_refused(knowledge_copy: Path) -> None:
    path = knowledge_copy / "rubric.yaml"
    path.write_text(path.read_text(encoding="utf-8") + "\n  - : [unclosed\n", encoding="utf-8")
    with pytest.raises(KnowledgeError, match=r"rubric\.yaml: not valid YAML"):
        load_knowledge(knowledge_copy)


def test_missing_rubric_is_refused(knowledge_copy: Path) -> None:
    (knowledge_copy / "rubric.yaml").unlink()
    with pytest.raises(KnowledgeError, match=r"rubric\.yaml: file is missing"):
        load_knowledge(knowledge_copy)


def test_malformed_passage_is_refused(knowledge_copy: Path) -> None:
    path = knowledge_copy / "passages" / "data.yaml"
    data = read_yaml(path)
    data["passages"][1]["section"] = "deployment"
    write_yaml(path, data)
    with pytest.raises(KnowledgeError, match=r"data\.yaml: field passages\.1\.section"):
        load_knowledge(knowledge_copy)


def test_duplicate_passage_id_across_files_is_refused(knowledge_copy: Path) -> None:
    path = knowledge_copy / "passages" / "model.yaml"
    data = read_yaml(path)
    data["passages"][0]["id"] = "data.target"
    write_yaml(path, data)
    with pytest.raises(KnowledgeError, match=r"duplicate ids: data\.target"):
        load_knowledge(knowledge_copy)


# --- (e) the evidence terms describe the point they grade ------------------------------------


def test_every_checkpoint_cites_an_existing_passage() -> None:
    known = {p.id for p in _passages()}
    for section in _rubric().sections.values():
        for cp in section.checkpoints:
            assert cp.passage in known, cp.id


@pytest.mark.parametrize("lang", LANGS)
def test_evidence_matches_its_own_passage(lang: Lang) -> None:
    passages = {p.id: p for p in _passages()}
    unmatched = [
        cp.id
        for section in _rubric().sections.values()
        for cp in section.checkpoints
        if not Terms(cp.evidence(lang)).find(passages[cp.passage].text(lang))
    ]
    assert not unmatched, f"{lang} evidence matches nothing in its passage: {unmatched}"


@pytest.mark.parametrize("lang", LANGS)
def test_probes_do_not_give_the_answer_away(lang: Lang) -> None:
    """A probe that already contains the cue terms would hand the candidate the answer."""
    leaking = {
        cp.id: Terms(cp.evidence(lang)).find(cp.probe(lang))
        for section in _rubric().sections.values()
        for cp in section.checkpoints
    }
    leaking = {cid: hits for cid, hits in leaking.items() if hits}
    assert not leaking, f"{lang} probes contain their own evidence: {leaking}"


@pytest.mark.parametrize("lang", LANGS)
def test_evidence_terms_are_not_generic(lang: Lang) -> None:
    """Words that occur in any answer must not count as evidence on their own."""
    generic = Terms(["data", "model", "system", "user", "данные", "модель", "система"])
    too_broad = [
        (cp.id, term)
        for section in _rubric().sections.values()
        for cp in section.checkpoints
        for term in cp.evidence(lang)
        if generic.find(term) and len(term.split()) == 1
    ]
    assert not too_broad, f"generic evidence terms: {too_broad}"


GENERIC_ANSWERS: dict[Lang, str] = {
    "en": (
        "We will collect the data, clean it and build a good model with machine learning. Then we"
        " deploy the system to production and make sure it works well for users. I will pick the"
        " best algorithm, tune it, evaluate the results and keep improving the quality over time."
    ),
    "ru": (
        "Мы соберём данные, почистим их и построим хорошую модель машинного обучения. Потом"
        " развернём систему в продакшене и убедимся, что она хорошо работает для пользователей."
        " Я выберу лучший алгоритм, настрою его, оценю результаты и буду улучшать качество."
    ),
}


@pytest.mark.parametrize("lang", LANGS)
def test_a_content_free_answer_earns_almost_no_evidence(lang: Lang) -> None:
    """Buzzwords without content must not look like coverage of the rubric."""
    matched = [
        cp.id
        for section in _rubric().sections.values()
        for cp in section.checkpoints
        if Terms(cp.evidence(lang)).find(GENERIC_ANSWERS[lang])
    ]
    assert len(matched) <= 1, f"a generic {lang} answer matches {matched}"


def test_stemming_is_safe_from_several_threads_at_once() -> None:
    """The topic model trains in a background thread while the index is built: both stem."""
    from concurrent.futures import ThreadPoolExecutor

    from simulator.base.textnorm import stem

    raw = stem.__wrapped__  # past the cache, so the threads really share the stemmers' work
    bases = ("retrain", "переобуч", "label", "размеч")
    suffixes = ("ing", "ed", "ение", "ать", "ers", "ами", "s", "ов")
    vocabulary = [f"{base}{suffix}" for base in bases for suffix in suffixes] * 200
    expected = [raw(w) for w in vocabulary]
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(lambda _: [raw(w) for w in vocabulary], range(8)))
    assert all(r == expected for r in results)
