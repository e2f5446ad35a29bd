"""The trained topic model on disk, so that only the first process after a change pays for training.

The file is named by a digest of everything the model is trained from: the knowledge base (the
labelled questions and the cues they are sent with) and the simulator's code. A change to either
gives a new name, so a stale model is never read. Arrays only (`np.savez` without pickles), written
to a temporary file and renamed into place, so a reader sees a whole file or none; a file that
cannot be read is trained again, and a cache that cannot be written is simply not kept.
"""

import hashlib
import logging
import os
import tempfile
import zipfile
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import numpy as np

from simulator.llm.local.topic_model import TopicModel

CACHE_NAME = "ml-interview-sim"
KEEP = 3
"""Models kept in the cache: the newest few, for checkouts of other versions on the same machine."""
log = logging.getLogger(__name__)


def cache_dir() -> Path:
    """`$XDG_CACHE_HOME/ml-interview-sim`, `~/.cache/ml-interview-sim` without it."""
    root = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(root) / CACHE_NAME


def digest(sources: Iterable[Path]) -> str:
    """One hash of the files' paths and contents, in a fixed order."""
    h = hashlib.sha256()
    for path in sorted(sources):
        h.update(str(path).encode())
        h.update(path.read_bytes())
    return h.hexdigest()[:20]


def cache_path(sources: Iterable[Path], folder: Path | None = None) -> Path:
    """Where the model trained from `sources` is kept."""
    return (folder or cache_dir()) / f"topic-model-{digest(sources)}.npz"


def cached_model(
    sources: Iterable[Path], train: Callable[[], TopicModel], folder: Path | None = None
) -> TopicModel:
    """The model trained from `sources`: read from the cache when it holds one, else trained and
    stored there."""
    path = cache_path(sources, folder)
    try:
        with np.load(path, allow_pickle=False) as arrays:
            return TopicModel.from_arrays(dict(arrays))
    except FileNotFoundError:
        pass
    except (OSError, ValueError, KeyError, zipfile.BadZipFile) as exc:
        log.warning("topic model cache %s unreadable (%s): training again", path, exc)
    model = train()
    try:
        _store(path, model)
    except OSError as exc:
        log.warning("topic model cache %s not written (%s)", path, exc)
    return model


def _store(path: Path, model: TopicModel) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.stem, suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as out:
            arrays: dict[str, Any] = model.arrays()
            np.savez(out, allow_pickle=False, **arrays)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    older = sorted(path.parent.glob("topic-model-*.npz"), key=lambda p: -p.stat().st_mtime)
    for stale in older[KEEP:]:
        stale.unlink(missing_ok=True)
