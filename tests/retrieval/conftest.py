"""Guards for every retrieval test."""

import chromadb.utils.embedding_functions as chroma_efs
import pytest


@pytest.fixture(autouse=True)
def _no_default_embeddings(monkeypatch: pytest.MonkeyPatch) -> None:
    """chromadb's default embedding function downloads a model: it must never be used."""

    def refuse(self: object, input: object) -> None:
        raise AssertionError("chromadb's default (downloading) embedding function was used")

    monkeypatch.setattr(chroma_efs.DefaultEmbeddingFunction, "__call__", refuse)
    monkeypatch.setattr(chroma_efs.ONNXMiniLM_L6_V2, "__call__", refuse)
