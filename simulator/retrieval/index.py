"""The chromadb index over knowledge/: one chunk per passage and language, searched by meaning.

Layout (see `simulator/retrieval/layout.py`): chromadb's folder is `SIM_DATA_DIR/index` (or a
Chroma server at `SIM_CHROMA_URL`). Every build fills a fresh collection `cheatsheet-<time>-<hex>`;
only once it holds every chunk does the pointer file (`index/current.json`, replaced atomically)
name it, with the knowledge digest, the embeddings and the chunk count; then the older collections
are dropped. A build that fails or is killed therefore leaves the previous index in use, or none,
never an empty one called current. The index is current when the pointer's digest and embeddings
match and its collection holds exactly the recorded count; anything else is rebuilt. Builders take
`SIM_DATA_DIR/index.lock` (flock): a second one waits, then finds the index current.

An index chromadb cannot open (a damaged `chroma.sqlite3`) or search is reported in one line that
names the fix, `python -m simulator index build --force`, which removes it and builds afresh. There
is no silent fallback to an interview without retrieval: `search` and `interview` say what is wrong
and exit 2, as they do for a data folder that is a file, not writable, or read-only.
"""

import shutil
import threading
import time
from collections.abc import Callable
from contextlib import suppress
from pathlib import Path
from secrets import token_hex
from urllib.parse import urlsplit

import chromadb
from chromadb.api import ClientAPI
from chromadb.api.models.Collection import Collection
from chromadb.api.shared_system_client import SharedSystemClient
from chromadb.api.types import QueryResult
from chromadb.config import Settings as ChromaSettings
from chromadb.errors import NotFoundError
from pydantic import BaseModel

from simulator.base.errors import ConfigError, KnowledgeError, SimulatorError, StorageError
from simulator.base.sections import LANGS, Lang, SectionId
from simulator.base.settings import Settings
from simulator.base.textnorm import detect_lang
from simulator.kb.knowledge import KnowledgeBase
from simulator.retrieval.embeddings import embedding_function
from simulator.retrieval.layout import (
    REBUILD,
    IndexPlace,
    IndexStorageError,
    Pointer,
    build_lock,
    describe,
    index_error,
    is_read_only,
    place_of,
    read_pointer,
    sweep_dropped_segments,
    write_pointer,
)

PREFIX = "cheatsheet"
"""Every collection of ours is `cheatsheet-...` (the first layout used `cheatsheet` itself)."""

Progress = Callable[[str], None]


class Hit(BaseModel):
    id: str
    """Passage id."""
    section: SectionId
    lang: Lang
    text: str
    score: float
    """Cosine similarity: higher is closer."""


class IndexStats(BaseModel):
    chunks: int
    seconds: float
    rebuilt: bool
    where: str


def _chroma_settings() -> ChromaSettings:
    return ChromaSettings(anonymized_telemetry=False, allow_reset=True)


_clients: dict[Path, ClientAPI] = {}
_clients_lock = threading.Lock()


def _persistent_client(path: Path) -> ClientAPI:
    """One client per folder and process (chromadb shares its state per path anyway)."""
    with _clients_lock:
        client = _clients.get(path)
        if client is None:
            try:
                client = chromadb.PersistentClient(path=str(path), settings=_chroma_settings())
            except BaseException:
                # chromadb keeps a system that failed to start and would hand it out again.
                _forget_client(path)
                raise
            _clients[path] = client
        return client


def _forget_client(path: Path) -> None:
    """Close and forget this process's client of `path`, so the next one reopens the files."""
    client = _clients.pop(path, None)
    if client is not None:
        with suppress(Exception):
            client.close()  # type: ignore[attr-defined]  # stops chromadb's system if last
    # A system that failed to start holds no reference but stays registered, and chromadb would
    # hand it out again; one that other clients still use is theirs to close.
    if SharedSystemClient._identifier_to_refcount.get(str(path), 0) <= 0:
        system = SharedSystemClient._identifier_to_system.pop(str(path), None)
        if system is not None:
            with suppress(Exception):
                system.stop()


def _http_client(settings: Settings, url: str) -> ClientAPI:
    parts = urlsplit(url)
    if not parts.hostname:
        raise ConfigError(f"SIM_CHROMA_URL {url!r} is not a URL")
    try:
        return chromadb.HttpClient(
            host=parts.hostname,
            port=parts.port or (443 if parts.scheme == "https" else 8000),
            ssl=parts.scheme == "https",
            settings=_chroma_settings(),
        )
    except Exception as exc:
        raise KnowledgeError(f"cannot reach the Chroma server at {url}: {describe(exc)}") from None


def _open_client(settings: Settings, place: IndexPlace) -> ClientAPI:
    if place.folder is None:
        return _http_client(settings, place.where)
    try:
        client = _persistent_client(place.folder)
        client.list_collections()  # a damaged catalogue fails here, not in the middle of a build
    except Exception as exc:
        _forget_client(place.folder)
        raise index_error(place, exc, "opened") from None
    return client


def _chunks(
    kb: KnowledgeBase,
) -> tuple[list[str], list[str], list[dict[str, str | int | float | bool]]]:
    ids, docs, metas = [], [], []
    for passage in kb.passages:
        for lang in LANGS:
            ids.append(f"{passage.id}:{lang}")
            docs.append(f"{passage.title(lang)}. {passage.text(lang)}")
            metas.append({"passage_id": passage.id, "section": passage.section, "lang": lang})
    return ids, docs, metas  # type: ignore[return-value]


class _Index:
    """The index of one settings and knowledge base: check, open and build it."""

    def __init__(self, settings: Settings, kb: KnowledgeBase) -> None:
        self.settings = settings
        self.kb = kb
        self.place = place_of(settings)
        self.embed = embedding_function(settings)
        self.digest = kb.digest

    def current(self, client: ClientAPI) -> tuple[Collection, int] | None:
        """The collection the pointer names when it is complete and of this knowledge."""
        pointer = read_pointer(self.place.pointer)
        if pointer is None or not self._matches(pointer):
            return None
        try:
            collection = client.get_collection(
                pointer.collection,
                embedding_function=self.embed,  # type: ignore[arg-type]
            )
            count = collection.count()
        except NotFoundError:
            return None
        except Exception as exc:
            if "does not exist" in str(exc):
                return None
            raise index_error(self.place, exc, "read") from None
        return (collection, count) if count == pointer.chunks else None

    def _matches(self, pointer: Pointer) -> bool:
        return (
            pointer.digest == self.digest
            and pointer.embeddings == self.settings.embeddings
            and (self.place.folder is not None or pointer.where == self.place.where)
        )

    def ensure(self, force: bool, progress: Progress | None) -> tuple[Collection, IndexStats]:
        """The current collection, built first when missing, stale, incomplete or `force`d."""
        started = time.perf_counter()
        if not force:
            try:
                found = self.current(_open_client(self.settings, self.place))
            except IndexStorageError as error:
                if error.read_only:
                    raise
                found = None  # perhaps a builder is creating it: look again under the lock
            if found is not None:
                return found[0], self._stats(found[1], rebuilt=False)
        with build_lock(self.place, progress):
            client = self._client_for_build(force, progress)
            if not force:  # another builder may have finished while this one waited
                found = self.current(client)
                if found is not None:
                    return found[0], self._stats(found[1], rebuilt=False)
            collection, count = self._build(client)
        return collection, self._stats(count, rebuilt=True, seconds=time.perf_counter() - started)

    def _stats(self, chunks: int, rebuilt: bool, seconds: float = 0.0) -> IndexStats:
        return IndexStats(chunks=chunks, seconds=seconds, rebuilt=rebuilt, where=self.place.where)

    def _client_for_build(self, force: bool, progress: Progress | None) -> ClientAPI:
        """The client to build with; under `force`, an index that cannot be opened is removed."""
        folder = self.place.folder
        try:
            return _open_client(self.settings, self.place)
        except IndexStorageError as error:
            if not force or folder is None or error.read_only:
                raise
            if progress is not None:
                progress(f"removing the damaged index at {folder} ({error.detail})")
            _forget_client(folder)
            try:
                shutil.rmtree(folder)
            except OSError as exc:
                raise index_error(self.place, exc, "removed") from None
            return _open_client(self.settings, self.place)

    def _build(self, client: ClientAPI) -> tuple[Collection, int]:
        ids, docs, metas = _chunks(self.kb)
        if not ids:
            raise KnowledgeError(f"{self.settings.knowledge_dir}: no passages to index")
        name = f"{PREFIX}-{time.strftime('%Y%m%d%H%M%S')}-{token_hex(4)}"
        try:
            collection = client.create_collection(
                name,
                metadata={"digest": self.digest, "hnsw:space": "cosine"},
                embedding_function=self.embed,  # type: ignore[arg-type]
            )
            collection.add(ids=ids, documents=docs, metadatas=metas)  # type: ignore[arg-type]
            count = collection.count()
        except SimulatorError:
            raise
        except Exception as exc:
            if is_read_only(exc):
                raise index_error(self.place, exc, "written") from None
            raise KnowledgeError(
                f"could not build the index at {self.place.where}: {describe(exc)}"
            ) from None
        if count != len(ids):
            raise KnowledgeError(
                f"the new index at {self.place.where} took {count} of {len(ids)} chunks and was"
                " not switched to: run `python -m simulator index build` again"
            )
        write_pointer(
            self.place,
            Pointer(
                collection=name,
                digest=self.digest,
                embeddings=self.settings.embeddings,
                chunks=count,
                where=self.place.where,
            ),
        )
        self._drop_all_but(client, name)
        return collection, count

    def _drop_all_but(self, client: ClientAPI, keep: str) -> None:
        """Drop the collections this one replaces, and those of builds that never finished."""
        try:
            names = [c if isinstance(c, str) else c.name for c in client.list_collections()]
            for name in names:
                if name != keep and (name == PREFIX or name.startswith(PREFIX + "-")):
                    client.delete_collection(name)
        except Exception:
            return  # the new index is in place; leftovers go with the next build
        if self.place.folder is not None:
            sweep_dropped_segments(self.place.folder)


def build_index(
    settings: Settings, kb: KnowledgeBase, force: bool = False, progress: Progress | None = None
) -> IndexStats:
    """Build the index unless it is current (same digest and embeddings, every chunk present)."""
    return _Index(settings, kb).ensure(force, progress)[1]


class Retriever:
    """Searches the index; built by `open_retriever`."""

    def __init__(
        self,
        collection: Collection,
        default_lang: Lang,
        reopen: Callable[[], Collection] | None = None,
    ) -> None:
        self._collection = collection
        self._default_lang = default_lang
        self._reopen = reopen
        """Finds the current collection again, after another process rebuilt the index."""

    def search(
        self,
        query: str,
        k: int = 3,
        lang: Lang | None = None,
        section: SectionId | None = None,
    ) -> list[Hit]:
        """The `k` passages closest to `query`, best first, in `lang` (default: the query's)."""
        if not query.strip():
            return []
        lang = lang or detect_lang(query, self._default_lang)
        where: dict[str, object] = {"lang": lang}
        if section is not None:
            where = {"$and": [{"lang": lang}, {"section": section}]}
        try:
            result = self._query(query, k, where)
        except Exception as exc:
            if self._reopen is None:
                raise KnowledgeError(f"search failed: {describe(exc)}") from None
            self._collection = self._reopen()
            try:
                result = self._query(query, k, where)
            except Exception as again:
                raise StorageError(
                    f"search failed ({describe(again)}); if the index is damaged, {REBUILD}"
                ) from None
        metas = (result.get("metadatas") or [[]])[0]
        docs = (result.get("documents") or [[]])[0]
        dists = (result.get("distances") or [[]])[0]
        return [
            Hit(
                id=str(m["passage_id"]),
                section=m["section"],  # type: ignore[arg-type]
                lang=m["lang"],  # type: ignore[arg-type]
                text=d,
                score=round(1.0 - float(dist), 4),
            )
            for m, d, dist in zip(metas, docs, dists, strict=True)
        ]

    def _query(self, query: str, k: int, where: dict[str, object]) -> QueryResult:
        return self._collection.query(
            query_texts=[query],
            n_results=k,
            where=where,  # type: ignore[arg-type]
        )


def open_retriever(
    settings: Settings, kb: KnowledgeBase, progress: Progress | None = None
) -> Retriever:
    """A retriever over a current index (built here when missing or stale). An index that cannot
    be opened or searched raises a one-line StorageError naming the fix; the interviewer gets no
    retriever-less fallback, since its probes are grounded in what this finds."""
    index = _Index(settings, kb)
    collection, _ = index.ensure(False, progress)
    return Retriever(collection, settings.lang, reopen=lambda: index.ensure(False, None)[0])
