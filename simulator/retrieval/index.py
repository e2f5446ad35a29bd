"""The chromadb index over knowledge/: one chunk per passage and language, searched by meaning.

The index lives under `SIM_DATA_DIR/index` (or on a Chroma server at `SIM_CHROMA_URL`). Its
collection remembers the knowledge digest and the embedding function it was built with, so a
change to knowledge/ rebuilds it and a reopened collection never falls back to chromadb's
downloading default.
"""

import time
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlsplit

import chromadb
from chromadb.api import ClientAPI
from chromadb.api.models.Collection import Collection
from chromadb.config import Settings as ChromaSettings
from pydantic import BaseModel

from simulator.base.errors import ConfigError, KnowledgeError
from simulator.base.sections import LANGS, Lang, SectionId
from simulator.base.settings import Settings
from simulator.base.textnorm import detect_lang
from simulator.kb.knowledge import KnowledgeBase
from simulator.retrieval.embeddings import embedding_function

COLLECTION = "cheatsheet"


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


@lru_cache(maxsize=8)
def _persistent_client(path: Path) -> ClientAPI:
    path.mkdir(parents=True, exist_ok=True)
    return chromadb.PersistentClient(path=str(path), settings=_chroma_settings())


def _client(settings: Settings) -> tuple[ClientAPI, str]:
    if settings.chroma_url:
        url = urlsplit(settings.chroma_url)
        if not url.hostname:
            raise ConfigError(f"SIM_CHROMA_URL {settings.chroma_url!r} is not a URL")
        try:
            client = chromadb.HttpClient(
                host=url.hostname,
                port=url.port or (443 if url.scheme == "https" else 8000),
                ssl=url.scheme == "https",
                settings=_chroma_settings(),
            )
        except Exception as exc:
            raise KnowledgeError(
                f"cannot reach the Chroma server at {settings.chroma_url}: {exc}"
            ) from None
        return client, settings.chroma_url
    path = settings.data_dir.resolve() / "index"
    return _persistent_client(path), str(path)


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


def build_index(settings: Settings, kb: KnowledgeBase, force: bool = False) -> IndexStats:
    """Build the index unless it already holds this knowledge (same digest and embeddings)."""
    started = time.perf_counter()
    client, where = _client(settings)
    stamp = {"digest": kb.digest, "embeddings": settings.embeddings, "hnsw:space": "cosine"}
    try:
        existing = _existing(client)
        if existing is not None and not force and _is_current(existing, stamp):
            return IndexStats(chunks=existing.count(), seconds=0.0, rebuilt=False, where=where)
        if existing is not None:
            client.delete_collection(COLLECTION)
        collection = client.create_collection(
            COLLECTION,
            metadata=stamp,
            embedding_function=embedding_function(settings),  # type: ignore[arg-type]
        )
        ids, docs, metas = _chunks(kb)
        collection.add(ids=ids, documents=docs, metadatas=metas)  # type: ignore[arg-type]
    except (ConfigError, KnowledgeError):
        raise
    except Exception as exc:
        raise KnowledgeError(f"could not build the index at {where}: {exc}") from None
    return IndexStats(
        chunks=len(ids), seconds=time.perf_counter() - started, rebuilt=True, where=where
    )


def _existing(client: ClientAPI) -> Collection | None:
    names = {c if isinstance(c, str) else c.name for c in client.list_collections()}
    return client.get_collection(COLLECTION) if COLLECTION in names else None


def _is_current(collection: Collection, stamp: dict[str, str]) -> bool:
    meta = collection.metadata or {}
    return all(meta.get(k) == v for k, v in stamp.items())


class Retriever:
    """Searches the index; built by `open_retriever`."""

    def __init__(self, collection: Collection, default_lang: Lang) -> None:
        self._collection = collection
        self._default_lang = default_lang

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
            result = self._collection.query(
                query_texts=[query],
                n_results=k,
                where=where,  # type: ignore[arg-type]
            )
        except Exception as exc:
            raise KnowledgeError(f"search failed: {exc}") from None
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


def open_retriever(settings: Settings, kb: KnowledgeBase) -> Retriever:
    """A retriever over an up-to-date index (built or rebuilt here when needed)."""
    build_index(settings, kb)
    client, where = _client(settings)
    try:
        collection = client.get_collection(
            COLLECTION,
            embedding_function=embedding_function(settings),  # type: ignore[arg-type]
        )
    except Exception as exc:
        raise KnowledgeError(f"could not open the index at {where}: {exc}") from None
    return Retriever(collection, settings.lang)
