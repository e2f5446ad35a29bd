"""The labelled questions nearest to a new one, and the topics they vote for.

A linear model weighs each word on its own; a fresh question worded like a few training questions
as a whole ("how long are they willing to stare at a spinner?") is recognised better by its nearest
neighbours. Similarity is the cosine of tf-idf weighted features (the topic model's own), and each
of the closest questions votes for its topics in proportion to how close it is.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from math import log, sqrt

import numpy as np
from numpy.typing import NDArray

Floats = NDArray[np.float64]
Indices = NDArray[np.int64]


@dataclass(frozen=True)
class Neighbours:
    idf: dict[str, float]
    postings: dict[str, tuple[Indices, Floats]]
    """Per feature: the questions that have it and its weight in each one's unit vector."""
    labels: Floats
    """(questions, topics): 1 where a question asks about a topic."""

    def votes(self, features: Mapping[str, float], count: int) -> Floats:
        """Per topic, the share of the `count` nearest questions' similarity that votes for it
        (all zeros when no labelled question shares a feature)."""
        query = _unit({f: w * self.idf[f] for f, w in features.items() if f in self.idf})
        similarity = np.zeros(len(self.labels))
        for feature, weight in query.items():
            rows, values = self.postings[feature]
            similarity[rows] += weight * values
        nearest = np.argsort(-similarity, kind="stable")[:count]
        nearest = nearest[similarity[nearest] > 0]
        if not len(nearest):
            return np.zeros(self.labels.shape[1])
        closeness = similarity[nearest]
        return closeness @ self.labels[nearest] / closeness.sum()


def index_neighbours(features: Sequence[Mapping[str, float]], labels: Floats) -> Neighbours:
    """Index the labelled questions' features (one mapping per row of `labels`)."""
    frequency: dict[str, int] = {}
    for row in features:
        for name in row:
            frequency[name] = frequency.get(name, 0) + 1
    idf = {name: log(len(features) / n) for name, n in frequency.items()}
    entries: dict[str, tuple[list[int], list[float]]] = {}
    for index, row in enumerate(features):
        for name, weight in _unit({f: w * idf[f] for f, w in row.items()}).items():
            rows, values = entries.setdefault(name, ([], []))
            rows.append(index)
            values.append(weight)
    postings = {
        name: (np.array(rows, dtype=np.int64), np.array(values, dtype=np.float64))
        for name, (rows, values) in entries.items()
    }
    return Neighbours(idf, postings, labels)


def _unit(vector: dict[str, float]) -> dict[str, float]:
    norm = sqrt(sum(w * w for w in vector.values())) or 1.0
    return {name: w / norm for name, w in vector.items()}
