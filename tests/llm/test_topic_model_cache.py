"""The topic model's disk cache: trained once per set of sources, read back exactly, never stale,
and a broken or unwritable cache costs a training run, never an error."""

from pathlib import Path

import pytest

from simulator.llm.local.topic_cache import KEEP, cache_dir, cached_model
from simulator.llm.local.topic_model import TopicModel
from tests.llm.test_topic_model import CUES, toy_model


class Trainer:
    def __init__(self) -> None:
        self.runs = 0

    def __call__(self) -> TopicModel:
        self.runs += 1
        return toy_model()


@pytest.fixture
def sources(tmp_path: Path) -> list[Path]:
    corpus = tmp_path / "src" / "corpus.jsonl"
    corpus.parent.mkdir()
    corpus.write_text("one\n", encoding="utf-8")
    return [corpus]


QUESTIONS = ["Peak QPS?", "And the latency budget for one request?", "Who founded the company?"]


def test_the_second_process_reads_the_model_instead_of_training(
    tmp_path: Path, sources: list[Path]
) -> None:
    train = Trainer()
    first = cached_model(sources, train, tmp_path / "cache")
    second = cached_model(sources, train, tmp_path / "cache")
    assert train.runs == 1
    for q in QUESTIONS:
        assert second.probabilities(q, CUES) == first.probabilities(q, CUES)
    assert second.vocabulary == first.vocabulary
    assert second.neighbours.features == first.neighbours.features


def test_a_changed_source_trains_again(tmp_path: Path, sources: list[Path]) -> None:
    train = Trainer()
    cached_model(sources, train, tmp_path / "cache")
    sources[0].write_text("two\n", encoding="utf-8")
    cached_model(sources, train, tmp_path / "cache")
    assert train.runs == 2


def test_a_broken_file_is_trained_again_and_replaced(tmp_path: Path, sources: list[Path]) -> None:
    train = Trainer()
    cached_model(sources, train, tmp_path / "cache")
    [stored] = (tmp_path / "cache").glob("topic-model-*.npz")
    stored.write_bytes(b"not an archive")
    model = cached_model(sources, train, tmp_path / "cache")
    assert train.runs == 2 and model.asked(["Peak QPS?"], CUES) == ["traffic"]
    cached_model(sources, train, tmp_path / "cache")
    assert train.runs == 2


def test_a_cache_path_that_is_a_file_still_gives_the_model(
    tmp_path: Path, sources: list[Path]
) -> None:
    blocker = tmp_path / "cache"
    blocker.write_text("a file where the folder should be", encoding="utf-8")
    model = cached_model(sources, Trainer(), blocker)
    assert model.asked(["Peak QPS?"], CUES) == ["traffic"]


def test_only_the_newest_models_are_kept(tmp_path: Path, sources: list[Path]) -> None:
    for version in range(KEEP + 2):
        sources[0].write_text(f"version {version}\n", encoding="utf-8")
        cached_model(sources, Trainer(), tmp_path / "cache")
    assert len(list((tmp_path / "cache").glob("topic-model-*.npz"))) == KEEP


def test_the_cache_follows_xdg_cache_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert cache_dir() == tmp_path / "ml-interview-sim"
    monkeypatch.delenv("XDG_CACHE_HOME")
    assert cache_dir() == Path.home() / ".cache" / "ml-interview-sim"
