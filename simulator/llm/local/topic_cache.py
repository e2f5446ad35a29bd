"""The trained topic model on disk, so that only the first process after a change pays for training.

The file is named by a digest of what the model is trained from (`topic_corpus.model_sources`: the
labelled questions, the knowledge its cues come from, the code of its features and learning), each
file by its path relative to the project, so a moved checkout reads the same file; and by the
version of scikit-learn, which does the learning. A change to any gives a new name, so a stale
model is never read.

Arrays only (`np.savez`, read back with `allow_pickle=False`), written to a temporary file and
renamed into place, so a reader sees a whole file or none. The file is untrusted on the way back: it
must be a regular file (a FIFO or a device would block or never end), of a sane size, an archive of
plain stored arrays, and describe a model (`TopicModel.from_arrays` checks keys, dtypes, shapes and
that every weight is finite). Anything else is logged in one line and treated as absent: the model
is trained again and replaces it. Temporary files a killed writer left behind are removed once they
are a few minutes old; a cache that cannot be written is simply not kept.
"""

import hashlib
import io
import logging
import os
import stat
import tempfile
import time
import zipfile
from collections.abc import Callable, Iterable
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import numpy as np

from simulator.base.settings import PROJECT_ROOT
from simulator.llm.local.topic_model import TopicModel

CACHE_NAME = "ml-interview-sim"
PREFIX = "topic-model-"
KEEP = 3
"""Models kept in the cache: the newest few, for checkouts of other versions on the same machine."""
MAX_BYTES = 256 * 2**20
"""A stored model is a few megabytes; a larger file (or archive member) is not read."""
STALE_SECONDS = 600
"""A temporary file this old is a killed writer's: a live one renames its file within seconds."""
LEARNER = "scikit-learn"
ZIP_MAGIC = b"PK\x03\x04"
log = logging.getLogger(__name__)


def cache_dir() -> Path:
    """`$XDG_CACHE_HOME/ml-interview-sim`, `~/.cache/ml-interview-sim` without it."""
    root = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(root) / CACHE_NAME


def digest(sources: Iterable[Path], root: Path = PROJECT_ROOT) -> str:
    """One hash of the files' paths (relative to `root`, which holds them all) and contents, in a
    fixed order, and of the learning library's version."""
    h = hashlib.sha256()
    h.update(f"{LEARNER} {_version(LEARNER)}\n".encode())
    top = root.resolve()
    for name, path in sorted((p.resolve().relative_to(top).as_posix(), p) for p in sources):
        h.update(f"{name}\n{path.stat().st_size}\n".encode())
        h.update(path.read_bytes())
    return h.hexdigest()[:20]


def cache_path(
    sources: Iterable[Path], folder: Path | None = None, root: Path = PROJECT_ROOT
) -> Path:
    """Where the model trained from `sources` (files under `root`) is kept."""
    return (folder or cache_dir()) / f"{PREFIX}{digest(sources, root)}.npz"


def cached_model(
    sources: Iterable[Path],
    train: Callable[[], TopicModel],
    folder: Path | None = None,
    *,
    root: Path = PROJECT_ROOT,
    force: bool = False,
) -> TopicModel:
    """The model trained from `sources`: read from the cache when it holds a sound one (unless
    `force`), else trained and stored there."""
    path = cache_path(sources, folder, root)
    _remove_stale_temporaries(path.parent)
    model = None if force else read_model(path)
    if model is not None:
        return model
    model = train()
    try:
        _store(path, model)
    except OSError as exc:
        log.warning("topic model cache %s not written (%s)", path, _one_line(exc))
    return model


def read_model(path: Path, *, quiet: bool = False) -> TopicModel | None:
    """The model stored at `path`; None when there is none, or when the file is not a sound
    model (logged in one line, unless `quiet`)."""
    try:
        return TopicModel.from_arrays(_read_arrays(path))
    except FileNotFoundError:
        return None
    except Exception as exc:  # an untrusted file: whatever it fails with, it holds no model
        if not quiet:
            log.warning("topic model cache %s unusable (%s): training again", path, _one_line(exc))
        return None


def _read_arrays(path: Path) -> dict[str, np.ndarray]:
    """The arrays of a regular file of at most MAX_BYTES: an archive of plain arrays, stored
    uncompressed (nothing unpacks to more than the file) and read without pickles."""
    mode = os.stat(path).st_mode  # before opening: opening a FIFO waits for a writer
    if not stat.S_ISREG(mode):
        raise ValueError("not a regular file")
    with open(path, "rb") as file:
        if not stat.S_ISREG(os.fstat(file.fileno()).st_mode):
            raise ValueError("not a regular file")  # replaced between the two looks
        data = file.read(MAX_BYTES + 1)
    if not data:
        raise ValueError("empty file")
    if len(data) > MAX_BYTES:
        raise ValueError(f"larger than {MAX_BYTES} bytes")
    if not data.startswith(ZIP_MAGIC):
        raise ValueError("not an archive of arrays")
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        if any(member.compress_type != zipfile.ZIP_STORED for member in archive.infolist()):
            raise ValueError("compressed members")
    with np.load(io.BytesIO(data), allow_pickle=False) as arrays:
        return {name: arrays[name] for name in arrays.files}


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
    older = sorted(path.parent.glob(f"{PREFIX}*.npz"), key=lambda p: -p.lstat().st_mtime)
    for stale in older[KEEP:]:
        stale.unlink(missing_ok=True)


def _remove_stale_temporaries(folder: Path) -> None:
    """Delete the temporary files of writers killed mid-write (`_store`'s, STALE_SECONDS old)."""
    now = time.time()
    try:
        temporaries = list(folder.glob(f"{PREFIX}*.tmp"))
    except OSError:
        return
    for tmp in temporaries:
        try:
            if now - tmp.lstat().st_mtime > STALE_SECONDS:
                tmp.unlink()
        except OSError:
            continue  # gone already, or not ours to delete


def _version(package: str) -> str:
    try:
        return version(package)
    except PackageNotFoundError:
        return "unknown"


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())[:200] or type(exc).__name__
