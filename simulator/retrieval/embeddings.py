"""Embedding functions for the index, injected into chromadb (its default one downloads a model).

`HashingEmbedding` is the offline default: feature hashing of Snowball stems and of character
4-grams of each word. Stems carry meaning; the n-grams let inflected Russian forms that stem
differently ("переобучение" / "переобучать") still share most of their features.
"""

import math
from typing import Any
from zlib import crc32

import numpy as np
from chromadb.api.types import Documents, EmbeddingFunction, Embeddings
from chromadb.utils.embedding_functions import register_embedding_function

from simulator.base.errors import ConfigError
from simulator.base.settings import Settings
from simulator.base.textnorm import STOP_WORDS, stem, words

NGRAM = 4
NGRAM_WEIGHT = 0.35
"""N-grams are many and individually weak; stems stay the main signal."""


@register_embedding_function
class HashingEmbedding(EmbeddingFunction[Documents]):
    """Deterministic, offline, language-agnostic bag of stems and character n-grams."""

    def __init__(self, dim: int = 2048) -> None:
        self.dim = dim

    def __call__(self, input: Documents) -> Embeddings:
        return [self._embed(text) for text in input]

    def _embed(self, text: str) -> np.ndarray:
        counts: dict[int, float] = {}
        for word in words(text):
            if len(word) < 2 or word in STOP_WORDS:
                continue
            _add(counts, "s:" + stem(word), 1.0, self.dim)
            padded = f"<{word}>"
            for i in range(max(1, len(padded) - NGRAM + 1)):
                _add(counts, "g:" + padded[i : i + NGRAM], NGRAM_WEIGHT, self.dim)
        vec = np.zeros(self.dim, dtype=np.float32)
        for index, weight in counts.items():
            vec[index] = 1.0 + math.log(weight) if weight >= 1 else weight
        norm = float(np.linalg.norm(vec))
        return vec / norm if norm else vec

    @staticmethod
    def name() -> str:
        return "sim_hashing_stems"

    def default_space(self) -> str:  # type: ignore[override]
        return "cosine"

    def supported_spaces(self) -> list[str]:  # type: ignore[override]
        return ["cosine"]

    def get_config(self) -> dict[str, Any]:
        return {"dim": self.dim}

    @staticmethod
    def build_from_config(config: dict[str, Any]) -> "HashingEmbedding":
        return HashingEmbedding(dim=int(config.get("dim", 2048)))


def _add(counts: dict[int, float], feature: str, weight: float, dim: int) -> None:
    index = crc32(feature.encode("utf-8")) % dim
    counts[index] = counts.get(index, 0.0) + weight


def embedding_function(settings: Settings) -> EmbeddingFunction[Documents]:
    """The embedding function named by `SIM_EMBEDDINGS`: `local` or `openai:MODEL`."""
    backend, _, name = settings.embeddings.partition(":")
    if backend == "local" and not name:
        return HashingEmbedding()
    if backend == "openai" and name:
        if not settings.openai_api_key:
            raise ConfigError("SIM_EMBEDDINGS=openai:... needs OPENAI_API_KEY")
        from chromadb.utils.embedding_functions import OpenAIEmbeddingFunction

        return OpenAIEmbeddingFunction(
            api_key=settings.openai_api_key,
            model_name=name,
            api_base=settings.openai_base_url,
        )
    raise ConfigError(
        f"unknown SIM_EMBEDDINGS {settings.embeddings!r}: use 'local' or 'openai:MODEL'"
    )
