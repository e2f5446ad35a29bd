"""The labelled questions nearest to a new one, and the topics they vote for.

A linear model weighs each word on its own; a fresh question worded like a few training questions
as a whole ("how long are they willing to stare at a spinner?") is recognised better by its nearest
neighbours. Similarity is the cosine of tf-idf weighted features (the topic model's own), and each
of the closest questions votes for its topics in proportion to how close it is.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from math import log, sqrt
from typing import Any

import numpy as np
from numpy.typing import NDArray

ABSTAIN = 0.25
"""Similarity that votes for no topic: a question close to none of the labelled ones ("What do you
think?" shares a word or two with a few) gets weak votes, not a topic from its faint neighbours."""

Floats = NDArray[np.float64]
Indices = NDArray[np.int64]


@dataclass(frozen=True)
class Neighbours:
    features: dict[str, int]
    """Feature names and their numbers."""
    idf: Floats
    starts: Indices
    """Feature i's entries are rows[starts[i]:starts[i + 1]] and the same slice of `values`."""
    rows: Indices
    """The questions that have each feature."""
    values: Floats
    """The feature's weight in each of those questions' unit vectors."""
    labels: Floats
    """(questions, topics): 1 where a question asks about a topic."""

    def votes(self, features: Mapping[str, float], count: int) -> Floats:
        """Per topic, the share of the `count` nearest questions' similarity (plus ABSTAIN) that
        votes for it (all zeros when no labelled question shares a feature)."""
        known = {
            self.features[f]: w * self.idf[self.features[f]]
            for f, w in features.items()
            if f in self.features
        }
        # Words no labelled question has are as rare as can be: they count in the question's
        # length, so a question matched in one word of five is not taken for a close one.
        unknown = [w * self.rarest for f, w in features.items() if f not in self.features]
        norm = sqrt(sum(w * w for w in [*known.values(), *unknown])) or 1.0
        similarity = np.zeros(len(self.labels))
        for feature, weight in ((i, w / norm) for i, w in known.items()):
            entries = slice(self.starts[feature], self.starts[feature + 1])
            similarity[self.rows[entries]] += weight * self.values[entries]
        nearest = np.argsort(-similarity, kind="stable")[:count]
        nearest = nearest[similarity[nearest] > 0]
        if not len(nearest):
            return np.zeros(self.labels.shape[1])
        closeness = similarity[nearest]
        return closeness @ self.labels[nearest] / (closeness.sum() + ABSTAIN)

    @property
    def rarest(self) -> float:
        """The idf of a feature seen once."""
        return log(len(self.labels))

    def arrays(self) -> dict[str, NDArray[Any]]:
        """The index as plain arrays, for `from_arrays` (the features are the caller's)."""
        return {
            "idf": self.idf,
            "starts": self.starts,
            "rows": self.rows,
            "values": self.values,
            "labels": self.labels,
        }

    @classmethod
    def from_arrays(
        cls, arrays: Mapping[str, NDArray[Any]], features: dict[str, int]
    ) -> "Neighbours":
        return cls(
            features,
            arrays["idf"],
            arrays["starts"],
            arrays["rows"],
            arrays["values"],
            arrays["labels"],
        )


def index_neighbours(
    features: Sequence[Mapping[str, float]], labels: Floats, vocabulary: dict[str, int]
) -> Neighbours:
    """Index the labelled questions' features (one mapping per row of `labels`); `vocabulary`
    numbers every feature they have (the topic model's own, shared rather than copied)."""
    frequency = np.zeros(len(vocabulary))
    for row in features:
        frequency[[vocabulary[name] for name in row]] += 1
    idf = np.log(len(features) / frequency)
    entries: list[list[tuple[int, float]]] = [[] for _ in vocabulary]
    for question, row in enumerate(features):
        vector = _unit({vocabulary[f]: w * idf[vocabulary[f]] for f, w in row.items()})
        for feature, weight in vector.items():
            entries[feature].append((question, weight))
    starts = np.cumsum([0, *(len(e) for e in entries)], dtype=np.int64)
    rows = np.array([q for e in entries for q, _ in e], dtype=np.int64)
    values = np.array([w for e in entries for _, w in e], dtype=np.float64)
    return Neighbours(vocabulary, idf, starts, rows, values, labels)


def _unit(vector: dict[int, float]) -> dict[int, float]:
    norm = sqrt(sum(w * w for w in vector.values())) or 1.0
    return {key: w / norm for key, w in vector.items()}
