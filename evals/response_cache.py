"""Model traffic of an eval run: replies cached by request, and every request counted.

An OpenAI-compatible request's body is the whole prompt: the model, every message, the response
schema or tools and every parameter. A reply (HTTP 200, complete) is kept under the hash of the
server's URL and that body, so an unchanged rerun replays it and sends nothing. Errors (429, 5xx)
and streams cut midway are never kept; the SDK's own retries sit above this transport.
"""

from __future__ import annotations

import hashlib
import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx2

from evals.usage import Ledger, reply_payloads
from simulator.llm import backends

CACHE_FILE = "eval_responses.sqlite3"
"""The cache's file in SIM_DATA_DIR."""

_KEPT_HEADERS = ("content-type", "content-encoding")
"""What a replayed reply needs to be read as the original was (never request headers: the key)."""


@dataclass(frozen=True)
class StoredReply:
    headers: dict[str, str]
    body: bytes


class ResponseStore:
    """Replies by request key in one SQLite file, safe to share between threads. The file is
    made on first use, so a run that sends nothing (the local model) leaves none behind."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._db: sqlite3.Connection | None = None

    def _open(self) -> sqlite3.Connection:
        if self._db is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(self.path, check_same_thread=False, timeout=30)
            with self._db:
                self._db.execute(
                    "CREATE TABLE IF NOT EXISTS replies "
                    "(key TEXT PRIMARY KEY, content_type TEXT, content_encoding TEXT, body BLOB)"
                )
        return self._db

    def get(self, key: str) -> StoredReply | None:
        with self._lock:
            row = (
                self._open()
                .execute(
                    "SELECT content_type, content_encoding, body FROM replies WHERE key = ?",
                    (key,),
                )
                .fetchone()
            )
        if row is None:
            return None
        headers = {k: v for k, v in zip(_KEPT_HEADERS, row[:2], strict=True) if v}
        return StoredReply(headers, bytes(row[2]))

    def put(self, key: str, reply: StoredReply) -> None:
        values = [reply.headers.get(name) for name in _KEPT_HEADERS]
        with self._lock:
            db = self._open()
            with db:
                db.execute(
                    "INSERT OR REPLACE INTO replies VALUES (?, ?, ?, ?)", (key, *values, reply.body)
                )

    def close(self) -> None:
        with self._lock:
            if self._db is not None:
                self._db.close()
                self._db = None


def request_key(request: httpx2.Request, body: bytes) -> str:
    digest = hashlib.sha256(f"{request.method} {request.url}\n".encode())
    digest.update(body)
    return digest.hexdigest()


class CachingTransport(httpx2.BaseTransport):
    """Answers from `store` when it can (None: never), else asks `inner` and keeps a complete
    reply; `ledger` hears about every request either way. Many clients share one: closing it
    leaves `inner` open for its owner to close."""

    def __init__(
        self, inner: httpx2.BaseTransport, store: ResponseStore | None, ledger: Ledger
    ) -> None:
        self.inner = inner
        self.store = store
        self.ledger = ledger

    def handle_request(self, request: httpx2.Request) -> httpx2.Response:
        body = request.read()
        key = request_key(request, body)
        kept = self.store.get(key) if self.store is not None else None
        if kept is not None:
            self.ledger.record(body, _decoded(kept), cached=True)
            return httpx2.Response(200, headers=kept.headers, content=kept.body, request=request)
        response = self.inner.handle_request(request)
        if response.status_code != 200:
            return response
        headers = {
            name: response.headers[name] for name in _KEPT_HEADERS if name in response.headers
        }

        def keep(raw: bytes) -> None:
            reply = StoredReply(headers, raw)
            decoded = _decoded(reply)
            if _complete(decoded):
                self.ledger.record(body, decoded, cached=False)
                if self.store is not None:
                    self.store.put(key, reply)

        return httpx2.Response(
            200,
            headers=response.headers,
            stream=_Recorded(response.stream, keep),
            extensions=response.extensions,
            request=request,
        )


class _Recorded(httpx2.SyncByteStream):
    """Passes a reply's bytes through as they arrive and hands what arrived to `done` once, when
    the reader is through with it: at the end, or when it closes early (the SDK stops reading a
    stream at its [DONE] event). `done` judges whether that is a whole reply."""

    def __init__(self, inner: httpx2.SyncByteStream, done: Callable[[bytes], None]) -> None:
        self.inner = inner
        self.done = done
        self.parts: list[bytes] = []
        self.handed = False

    def __iter__(self) -> Iterator[bytes]:
        for part in self.inner:
            self.parts.append(part)
            yield part
        self._hand()

    def close(self) -> None:
        self.inner.close()
        self._hand()

    def _hand(self) -> None:
        if not self.handed:
            self.handed = True
            self.done(b"".join(self.parts))


def _decoded(reply: StoredReply) -> bytes:
    """The body as the client reads it (a compressed body decompressed)."""
    return httpx2.Response(200, headers=reply.headers, content=reply.body).read()


def _complete(body: bytes) -> bool:
    """Whether a reply is whole and readable: JSON, or a stream of JSON events that the server
    ended with [DONE]. Anything else is the server's fault, not an answer to keep."""
    try:
        _, streamed = reply_payloads(body)
    except ValueError:
        return False
    return not streamed or b"data: [DONE]" in body


@contextmanager
def model_traffic(cache_path: Path | None) -> Iterator[Ledger]:
    """While open, every OpenAI-compatible model built (through simulator/llm/backends.py) sends
    its requests through a transport that counts them in the ledger yielded and, given a cache
    file, replays the replies it keeps there."""
    ledger = Ledger()
    store = ResponseStore(cache_path) if cache_path is not None else None
    inner = httpx2.HTTPTransport()
    previous = backends.HTTP_TRANSPORT
    backends.HTTP_TRANSPORT = CachingTransport(inner, store, ledger)
    try:
        yield ledger
    finally:
        backends.HTTP_TRANSPORT = previous
        inner.close()
        if store is not None:
            store.close()
