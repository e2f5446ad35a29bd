"""The topic model's disk cache: trained once per set of sources, read back exactly, never stale,
and a broken, hostile or unwritable cache costs a training run (and one log line), never an error,
a hang or code run on load."""

import logging
import os
import pickle
import shutil
import time
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest

import simulator.retrieval.index
import simulator.services
from simulator.base.settings import PROJECT_ROOT, load_settings
from simulator.llm.local import topic_cache, topic_corpus
from simulator.llm.local.topic_cache import KEEP, STALE_SECONDS, cache_dir, cache_path, cached_model
from simulator.llm.local.topic_model import TopicModel
from tests.llm.test_topic_model import CUES, toy_model

LOGGER = "simulator.llm.local.topic_cache"


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


@pytest.fixture
def cache(tmp_path: Path, sources: list[Path]) -> Callable[..., TopicModel]:
    """`cached_model` over `sources` (project root: tmp_path) in tmp_path/cache."""

    def run(train: Trainer, **options: Any) -> TopicModel:
        return cached_model(sources, train, tmp_path / "cache", root=tmp_path, **options)

    return run


def stored(tmp_path: Path) -> Path:
    [path] = (tmp_path / "cache").glob("topic-model-*.npz")
    return path


def warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        r.getMessage() for r in caplog.records if r.name == LOGGER and r.levelno >= logging.WARNING
    ]


QUESTIONS = ["Peak QPS?", "And the latency budget for one request?", "Who founded the company?"]


def test_the_second_process_reads_the_model_instead_of_training(
    cache: Callable[..., TopicModel],
) -> None:
    train = Trainer()
    first = cache(train)
    second = cache(train)
    assert train.runs == 1
    for q in QUESTIONS:
        assert second.probabilities(q, CUES) == first.probabilities(q, CUES)
    a, b = first.arrays(), second.arrays()
    assert a.keys() == b.keys() and all(np.array_equal(a[k], b[k]) for k in a)


def test_a_changed_source_trains_again(
    cache: Callable[..., TopicModel], sources: list[Path]
) -> None:
    train = Trainer()
    cache(train)
    sources[0].write_text("two\n", encoding="utf-8")
    cache(train)
    assert train.runs == 2


def test_a_moved_checkout_reads_the_same_model(tmp_path: Path, sources: list[Path]) -> None:
    """Sources are named by their path inside the project: another folder with the same files
    finds the same cache file, a file renamed inside it does not."""
    moved = tmp_path / "elsewhere"
    shutil.copytree(tmp_path / "src", moved / "src")
    here = cache_path(sources, tmp_path, root=tmp_path)
    assert cache_path([moved / "src" / "corpus.jsonl"], tmp_path, root=moved) == here
    (moved / "src" / "corpus.jsonl").rename(moved / "src" / "other.jsonl")
    assert cache_path([moved / "src" / "other.jsonl"], tmp_path, root=moved) != here


def test_another_scikit_learn_trains_again(
    tmp_path: Path, sources: list[Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    before = cache_path(sources, tmp_path, root=tmp_path)
    monkeypatch.setattr(topic_cache, "_version", lambda package: "0.0")
    assert cache_path(sources, tmp_path, root=tmp_path) != before


def test_a_forced_run_trains_even_when_the_cache_is_current(
    cache: Callable[..., TopicModel], tmp_path: Path
) -> None:
    train = Trainer()
    cache(train)
    before = stored(tmp_path).stat().st_mtime_ns
    model = cache(train, force=True)
    assert train.runs == 2 and model.asked(["Peak QPS?"], CUES) == ["traffic"]
    assert stored(tmp_path).stat().st_mtime_ns >= before
    cache(train)
    assert train.runs == 2


def test_a_broken_file_is_trained_again_and_replaced(
    cache: Callable[..., TopicModel], tmp_path: Path
) -> None:
    train = Trainer()
    cache(train)
    stored(tmp_path).write_bytes(b"not an archive")
    model = cache(train)
    assert train.runs == 2 and model.asked(["Peak QPS?"], CUES) == ["traffic"]
    cache(train)
    assert train.runs == 2


@pytest.mark.parametrize("keep", [0.0, 0.1, 0.5, 0.9, 0.999])
def test_an_empty_or_truncated_file_is_absent_with_one_log_line(
    cache: Callable[..., TopicModel], tmp_path: Path, caplog: pytest.LogCaptureFixture, keep: float
) -> None:
    train = Trainer()
    cache(train)
    path = stored(tmp_path)
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * keep)])
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger=LOGGER):
        cache(train)
    assert train.runs == 2
    [line] = warnings(caplog)
    assert "\n" not in line and str(path) in line
    assert path.read_bytes() == data  # replaced by a whole model
    cache(train)
    assert train.runs == 2


def _tamper(key: str, change: Callable[[np.ndarray], np.ndarray]) -> Callable[[dict], None]:
    def apply(arrays: dict[str, np.ndarray]) -> None:
        arrays[key] = change(arrays[key])

    return apply


def _with_nan(array: np.ndarray) -> np.ndarray:
    out = array.copy()
    out.flat[0] = np.nan
    return out


TAMPERED = {
    "nan weights": _tamper("coef", _with_nan),
    "infinite bias": _tamper("intercept", lambda a: a * np.inf),
    "nan idf": _tamper("neighbours.idf", _with_nan),
    "float32 weights": _tamper("coef", lambda a: a.astype(np.float32)),
    "integer labels": _tamper("neighbours.labels", lambda a: a.astype(np.int64)),
    "topics as numbers": _tamper("topics", lambda a: np.arange(len(a))),
    "a weight short": _tamper("coef", lambda a: a[:, :-1]),
    "weights flattened": _tamper("coef", lambda a: a.ravel()),
    "a feature short": _tamper("features", lambda a: a[:-1]),
    "a topic repeated": _tamper("topics", lambda a: np.array([a[0], a[0], a[2]])),
    "column out of range": _tamper("neighbours.indices", lambda a: a + 10**6),
    "row pointers reversed": _tamper("neighbours.indptr", lambda a: a[::-1].copy()),
    "missing key": lambda arrays: arrays.pop("intercept"),
    "extra key": lambda arrays: arrays.update(extra=np.zeros(3)),
}


@pytest.mark.parametrize("change", TAMPERED.values(), ids=TAMPERED.keys())
def test_arrays_that_describe_no_model_are_trained_again(
    cache: Callable[..., TopicModel],
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    change: Callable[[dict], None],
) -> None:
    """Keys, dtypes, shapes and finite values are checked on load: NaN weights would otherwise
    load and send every question to the wrong fact."""
    train = Trainer()
    cache(train)
    path = stored(tmp_path)
    with np.load(path, allow_pickle=False) as archive:
        arrays = {k: archive[k] for k in archive.files}
    change(arrays)
    with path.open("wb") as out:
        np.savez(out, **arrays)
    with caplog.at_level(logging.WARNING, logger=LOGGER):
        model = cache(train)
    assert train.runs == 2 and len(warnings(caplog)) == 1
    assert model.asked(["Peak QPS?"], CUES) == ["traffic"]
    cache(train)
    assert train.runs == 2


@pytest.mark.timeout(30)
def test_a_fifo_in_place_of_the_file_neither_hangs_nor_stays(
    cache: Callable[..., TopicModel], tmp_path: Path, sources: list[Path]
) -> None:
    path = cache_path(sources, tmp_path / "cache", root=tmp_path)
    path.parent.mkdir()
    os.mkfifo(path)
    train = Trainer()
    model = cache(train)
    assert train.runs == 1 and model.asked(["Peak QPS?"], CUES) == ["traffic"]
    assert path.is_file()
    cache(train)
    assert train.runs == 1


class Planted:
    """Unpickling this writes its marker file: proof that code ran on load."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[Callable[[str], None], tuple[str]]:
        return (_plant, (str(self.marker),))


def _plant(marker: str) -> None:
    Path(marker).write_text("code ran", encoding="utf-8")


def test_a_planted_pickle_is_never_executed(
    cache: Callable[..., TopicModel], tmp_path: Path, sources: list[Path]
) -> None:
    proof = tmp_path / "proof"
    pickle.loads(pickle.dumps(Planted(proof)))
    assert proof.exists()  # the payload does run when unpickled

    marker = tmp_path / "marker"
    path = cache_path(sources, tmp_path / "cache", root=tmp_path)
    path.parent.mkdir()
    train = Trainer()
    path.write_bytes(pickle.dumps(Planted(marker)))
    cache(train)
    assert train.runs == 1 and not marker.exists()

    arrays: dict[str, Any] = toy_model().arrays()
    arrays["coef"] = np.array([Planted(marker)], dtype=object)
    with path.open("wb") as out:
        np.savez(out, allow_pickle=True, **arrays)
    cache(train)
    assert train.runs == 2 and not marker.exists()


def test_stale_temporary_files_are_removed(
    cache: Callable[..., TopicModel], tmp_path: Path
) -> None:
    """A writer killed mid-write leaves its temporary file: once it is old it is removed, while a
    fresh one (a writer at work) is left alone."""
    folder = tmp_path / "cache"
    folder.mkdir()
    stale, fresh = folder / "topic-model-abc123.tmp", folder / "topic-model-def456.tmp"
    for tmp in (stale, fresh):
        tmp.write_bytes(b"half a model")
    old = time.time() - STALE_SECONDS - 60
    os.utime(stale, (old, old))
    cache(Trainer())
    assert not stale.exists() and fresh.exists()
    cache(Trainer())  # also when the model is read, not trained
    assert fresh.exists() and not stale.exists()


def test_a_cache_path_that_is_a_file_still_gives_the_model(
    tmp_path: Path, sources: list[Path]
) -> None:
    blocker = tmp_path / "cache"
    blocker.write_text("a file where the folder should be", encoding="utf-8")
    model = cached_model(sources, Trainer(), blocker, root=tmp_path)
    assert model.asked(["Peak QPS?"], CUES) == ["traffic"]


def test_only_the_newest_models_are_kept(
    cache: Callable[..., TopicModel], tmp_path: Path, sources: list[Path]
) -> None:
    for version in range(KEEP + 2):
        sources[0].write_text(f"version {version}\n", encoding="utf-8")
        cache(Trainer())
    assert len(list((tmp_path / "cache").glob("topic-model-*.npz"))) == KEEP


def test_the_cache_follows_xdg_cache_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert cache_dir() == tmp_path / "ml-interview-sim"
    monkeypatch.delenv("XDG_CACHE_HOME")
    assert cache_dir() == Path.home() / ".cache" / "ml-interview-sim"


def test_the_digest_covers_what_the_model_is_trained_from_and_no_more() -> None:
    sources = topic_corpus.model_sources()
    names = {p.relative_to(PROJECT_ROOT).as_posix() for p in sources}
    assert all(p.is_file() for p in sources)
    corpus = {f"knowledge/clarify/{p.name}" for p in topic_corpus.CORPUS_DIR.glob("*.jsonl")}
    assert corpus and corpus <= names
    assert "knowledge/topics.yaml" in names
    assert any(n.startswith("knowledge/scenarios/") for n in names)
    assert "simulator/llm/local/topic_model.py" in names
    assert "simulator/services.py" not in names and "knowledge/rubric.yaml" not in names


def test_a_forced_index_build_retrains_the_topic_model(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`index build --force` passes `force` down to the training entry point, which trains even
    when the cache is current; a plain build leaves a current model alone."""
    calls: list[bool] = []
    stats = SimpleNamespace(chunks=1, rebuilt=False, seconds=0.0, where="here")
    monkeypatch.setattr(simulator.retrieval.index, "build_index", lambda *a, **k: stats)
    monkeypatch.setattr(simulator.services, "model_is_cached", lambda: True)
    monkeypatch.setattr(simulator.services, "trained_model", lambda *, force: calls.append(force))
    settings, quiet = load_settings(), lambda _: None
    assert simulator.services.prepare_index(settings, progress=quiet).topic_model_seconds is None
    state = simulator.services.prepare_index(settings, force=True, progress=quiet)
    assert calls == [True] and state.topic_model_seconds is not None

    runs: list[bool] = []

    def recorded(sources: object, train: object, *, force: bool = False) -> TopicModel:
        runs.append(force)
        return toy_model()

    monkeypatch.setattr(topic_corpus, "cached_model", recorded)
    monkeypatch.setattr(topic_corpus, "_trained", {})
    first = topic_corpus.trained_model()
    assert topic_corpus.trained_model() is first and runs == [False]
    assert topic_corpus.trained_model(force=True) is not first and runs == [False, True]
