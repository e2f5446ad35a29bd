"""Where the index lives on disk, its pointer file and its build lock, and one-line errors for
the ways a data folder or an index can be unusable.

```
SIM_DATA_DIR/
  index.lock            flock held by a builder; a second builder waits for it
  index/                chromadb's folder (absent on a Chroma server)
    chroma.sqlite3, <segment uuid>/...
    current.json        the pointer: collection, digest, embeddings, chunks; replaced atomically
  server-index.json     the pointer when SIM_CHROMA_URL names a server
```
"""

import errno
import fcntl
import os
import re
import shutil
import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from uuid import UUID

from pydantic import BaseModel

from simulator.base.errors import StorageError
from simulator.base.settings import Settings

REBUILD = "rebuild it with `python -m simulator index build --force`"
WRITABLE = "make it writable or point SIM_DATA_DIR at a writable folder"
POINTER = "current.json"
SERVER_POINTER = "server-index.json"
LOCK = "index.lock"
LOCK_WAIT_S = 120.0
"""How long a builder waits for another one (a local build takes well under a second)."""


class IndexStorageError(StorageError):
    """The index cannot be opened, read or written; says whether it is read-only."""

    def __init__(self, message: str, *, detail: str, read_only: bool) -> None:
        super().__init__(message)
        self.detail = detail
        self.read_only = read_only


class Pointer(BaseModel):
    """The complete collection the index is, written once that collection holds every chunk."""

    collection: str
    digest: str
    """`KnowledgeBase.digest` of the knowledge it was built from."""
    embeddings: str
    """`SIM_EMBEDDINGS` it was built with."""
    chunks: int
    """How many chunks it holds; a collection with any other count is not this index."""
    where: str
    """The folder or server it is in."""


@dataclass(frozen=True)
class IndexPlace:
    where: str
    """The folder or server URL, as shown to the user."""
    folder: Path | None
    """chromadb's persistent folder; None on a Chroma server."""
    pointer: Path
    lock: Path


def place_of(settings: Settings) -> IndexPlace:
    """Where the index of `settings` lives; the data folder is created, or a one-line error."""
    data = settings.data_dir.resolve()
    ensure_folder(data)
    if settings.chroma_url:
        return IndexPlace(settings.chroma_url, None, data / SERVER_POINTER, data / LOCK)
    folder = data / "index"
    try:  # a read-only folder may still hold an index; the read-only one is reported later
        usable = os.access(data, os.W_OK | os.X_OK) or folder.is_dir()
    except OSError:
        usable = False
    if not usable:
        raise StorageError(f"the data folder {data} is not writable: {WRITABLE}")
    return IndexPlace(str(folder), folder, folder / POINTER, data / LOCK)


def ensure_folder(path: Path) -> None:
    """Create the data folder `path`, or say in one line why it cannot be one."""
    try:
        if path.is_dir():
            return
        blocker = next((p for p in (path, *path.parents) if p.exists()), None)
        if blocker is not None and not blocker.is_dir():
            where = "is a file" if blocker == path else f"is under {blocker}, which is a file"
            raise StorageError(
                f"the data folder {path} {where}, not a folder: point SIM_DATA_DIR at a folder"
            )
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StorageError(
            f"cannot create the data folder {path} ({exc.strerror or exc}): "
            "point SIM_DATA_DIR at a writable folder"
        ) from None


def read_pointer(path: Path) -> Pointer | None:
    """The pointer, or None when there is none or it cannot be read (the index is rebuilt)."""
    try:
        return Pointer.model_validate_json(path.read_bytes())
    except (OSError, ValueError):
        return None


def write_pointer(place: IndexPlace, pointer: Pointer) -> None:
    """Replace the pointer atomically: readers see the old one or the new one, never half."""
    path = place.pointer
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "w", encoding="utf-8") as out:
            out.write(pointer.model_dump_json(indent=2))
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
        folder = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(folder)
        finally:
            os.close(folder)
    except OSError as exc:
        raise index_error(place, exc, "written") from None


@contextmanager
def build_lock(place: IndexPlace, progress: Callable[[str], None] | None) -> Iterator[None]:
    """Hold the build lock; wait up to LOCK_WAIT_S for another builder, saying so once."""
    try:
        fd = os.open(place.lock, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    except OSError as exc:
        raise StorageError(
            f"the data folder {place.lock.parent} is not writable ({exc.strerror}): {WRITABLE}"
        ) from None
    try:
        deadline = time.monotonic() + LOCK_WAIT_S
        told = False
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise StorageError(
                        f"another index build still holds {place.lock} after {LOCK_WAIT_S:.0f} s:"
                        " try again when it has finished"
                    ) from None
                if not told and progress is not None:
                    progress(f"waiting for another index build to finish (lock {place.lock})...")
                told = True
                time.sleep(0.05)
        _remove_stale_pointer_drafts(place)
        yield
    finally:
        os.close(fd)  # releases the lock


def _remove_stale_pointer_drafts(place: IndexPlace) -> None:
    """Drafts of builders killed before they replaced the pointer (only under the lock)."""
    for draft in place.pointer.parent.glob(f".{place.pointer.name}.*.tmp"):
        draft.unlink(missing_ok=True)


def sweep_dropped_segments(folder: Path) -> None:
    """Remove the folders of dropped collections: chromadb 1.x leaves each one behind (about
    1 MB; chroma-core/chroma#5520). Only uuid-named folders no segment refers to; under the lock."""
    catalogue = folder / "chroma.sqlite3"
    try:
        with closing(sqlite3.connect(f"{catalogue.as_uri()}?mode=ro", uri=True)) as db:
            live = {str(row[0]) for row in db.execute("SELECT id FROM segments")}
    except sqlite3.Error:
        return
    with suppress(OSError):
        for child in folder.iterdir():
            if child.is_dir() and _is_uuid(child.name) and child.name not in live:
                shutil.rmtree(child, ignore_errors=True)


def _is_uuid(name: str) -> bool:
    try:
        return str(UUID(name)) == name
    except ValueError:
        return False


_SQLITE_PREFIX = re.compile(
    r"^(?:database error: )?error returned from database: \(code: \d+\)\s*", re.I
)
_READ_ONLY = re.compile(r"read-?only|permission denied|\(code: 8\)", re.IGNORECASE)


def describe(exc: BaseException) -> str:
    """The first line of an exception's message, short, without chromadb's SQLite preamble."""
    text = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
    if isinstance(exc, OSError) and exc.strerror:
        text = exc.strerror
    text = _SQLITE_PREFIX.sub("", text).strip() or type(exc).__name__
    return text if len(text) <= 160 else text[:157] + "..."


def is_read_only(exc: BaseException) -> bool:
    """Whether `exc` says the files cannot be written (permissions, a read-only mount)."""
    if isinstance(exc, OSError) and exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return True
    return bool(_READ_ONLY.search(str(exc)))


def index_error(place: IndexPlace, exc: BaseException, what: str) -> IndexStorageError:
    """One line for an index that cannot be `what` ("opened", "read", "written"), with the fix."""
    detail = describe(exc)
    if is_read_only(exc):
        return IndexStorageError(
            f"the retrieval index at {place.where} is read-only ({detail}): {WRITABLE}",
            detail=detail,
            read_only=True,
        )
    return IndexStorageError(
        f"the retrieval index at {place.where} cannot be {what} ({detail}): {REBUILD}",
        detail=detail,
        read_only=False,
    )
