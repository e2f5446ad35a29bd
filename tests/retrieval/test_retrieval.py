"""The retrieval index: offline build, reopen, rebuild on change, inflection, recall@3."""

import json
import shutil
from pathlib import Path

import pytest

from simulator.base.settings import load_settings
from simulator.cli.main import main
from simulator.kb.knowledge import load_knowledge
from simulator.retrieval.embeddings import HashingEmbedding
from simulator.retrieval.index import _forget_client, build_index, open_retriever
from tests.support.paths import ROOT


@pytest.fixture(scope="module")
def kb():
    return load_knowledge(ROOT / "knowledge")


def _settings(tmp_path: Path, **kw: object):
    return load_settings(data_dir=tmp_path, **kw)


def test_builds_offline_and_reopens_from_a_new_client(tmp_path: Path, kb) -> None:
    settings = _settings(tmp_path)
    stats = build_index(settings, kb)
    assert stats.rebuilt and stats.chunks == 2 * len(kb.passages)
    assert not build_index(settings, kb).rebuilt  # unchanged knowledge: no rebuild
    _forget_client(tmp_path.resolve() / "index")  # a new process would start with a fresh client
    hits = open_retriever(settings, kb).search("class imbalance", k=3, lang="en")
    assert hits and hits[0].section == "data"
    assert all(0 < h.score <= 1 for h in hits)


def test_rebuilds_when_knowledge_changes(tmp_path: Path) -> None:
    knowledge = tmp_path / "knowledge"
    shutil.copytree(ROOT / "knowledge", knowledge)
    settings = _settings(tmp_path / "data", knowledge_dir=knowledge)
    assert build_index(settings, load_knowledge(knowledge)).rebuilt
    passages = knowledge / "passages" / "serving.yaml"
    passages.write_text(passages.read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8")
    assert build_index(settings, load_knowledge(knowledge)).rebuilt


def test_russian_inflections_match(tmp_path: Path, kb) -> None:
    retriever = open_retriever(_settings(tmp_path), kb)
    hits = retriever.search("переобучение", k=3, lang="ru")
    assert any("переобуч" in h.text.lower() for h in hits)
    assert all(h.lang == "ru" for h in hits)


def test_embedding_is_deterministic_and_normalised() -> None:
    ef = HashingEmbedding()
    a, b = ef(["Feature store for online features"]), ef(["Feature store for online features"])
    assert list(a[0]) == list(b[0])
    assert abs(sum(float(x) ** 2 for x in a[0]) - 1.0) < 1e-5
    rebuilt = HashingEmbedding.build_from_config(ef.get_config())
    assert list(rebuilt(["x y"])[0]) == list(ef(["x y"])[0])


@pytest.mark.parametrize("lang", ["en", "ru"])
def test_recall_at_3_on_the_tuning_queries(tmp_path: Path, kb, lang: str) -> None:
    retriever = open_retriever(_settings(tmp_path), kb)
    cases = [
        json.loads(line)
        for line in (ROOT / "evals/data/retrieval_queries.jsonl").read_text("utf-8").splitlines()
    ]
    cases = [c for c in cases if c["lang"] == lang]
    assert len(cases) >= 20
    found = sum(
        c["section"] in {h.section for h in retriever.search(c["query"], k=3, lang=lang)}
        for c in cases
    )
    assert found / len(cases) >= 0.9


def test_openai_embeddings_need_a_key(tmp_path: Path, kb) -> None:
    from simulator.base.errors import ConfigError

    with pytest.raises(ConfigError, match="OPENAI_API_KEY"):
        build_index(_settings(tmp_path, embeddings="openai:text-embedding-3-small"), kb)


def test_search_cli_json(tmp_path: Path, monkeypatch, capsys) -> None:
    monkeypatch.setenv("SIM_DATA_DIR", str(tmp_path))
    assert main(["search", "how often to retrain", "--k", "2", "--lang", "en", "--json"]) == 0
    hits = json.loads(capsys.readouterr().out)
    assert len(hits) == 2
    assert set(hits[0]) == {"id", "section", "lang", "text", "score"}
    assert hits[0]["score"] >= hits[1]["score"]


@pytest.mark.parametrize(
    "argv", [["search", "x", "--k", "0"], ["search", "  "], ["search", "x", "--lang", "de"]]
)
def test_search_cli_bad_arguments(tmp_path: Path, monkeypatch, capsys, argv) -> None:
    monkeypatch.setenv("SIM_DATA_DIR", str(tmp_path))
    with pytest.raises(SystemExit) as exit_info:
        code = main(argv)
        raise SystemExit(code)
    assert exit_info.value.code == 2
    err = capsys.readouterr().err.strip()
    assert err and len(err.splitlines()) == 1 and "Traceback" not in err


def test_index_build_cli(tmp_path: Path, monkeypatch, capsys) -> None:
    monkeypatch.setenv("SIM_DATA_DIR", str(tmp_path))
    assert main(["index", "build"]) == 0
    first = capsys.readouterr().out
    assert "built" in first and "topic model" in first
    assert main(["index", "build"]) == 0
    second = capsys.readouterr().out
    assert "index is up to date" in second and "topic model is up to date" in second
