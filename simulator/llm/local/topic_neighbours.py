"""The labelled questions nearest to a new one, and the topics they vote for.

A linear model weighs each word on its own; a fresh question worded like a few training questions
as a whole ("how long are they willing to stare at a spinner?") is recognised better by its nearest
neighbours. Similarity is the cosine of tf-idf weighted features (the topic model's own, in its
vectoriser's columns), and each of the closest questions votes for its topics in proportion to how
close it is.

Features no labelled question has are as rare as can be: their weight goes into one extra column
that every labelled question has at zero, so they lengthen the question (a question matched in one
word of five is not taken for a close one) without matching anything.

The search is one sparse product of the questions' unit vectors with the labelled ones'
(transposed: per feature, the questions that have it), not scikit-learn's `NearestNeighbors`: its
brute-force cosine search normalises and transposes the whole 7,000 x 58,000 index again on every
call: about 6 ms a question against under 1 ms here, which made the topic model's share of a
question's turn about 10 ms on average and over 20 ms at the 95th percentile (the budget of the
whole turn). The votes are the same to 1e-15; tests/llm/test_topic_neighbours.py checks them
against the definition.

scikit-learn and SciPy are imported when an index is built or queried, never with this module:
starting the app or the CLI does not wait for them.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from math import log, sqrt
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

if TYPE_CHECKING:
    from scipy.sparse import csr_matrix

ABSTAIN = 0.25
"""Similarity that votes for no topic: a question close to none of the labelled ones ("What do you
think?" shares a word or two with a few) gets weak votes, not a topic from its faint neighbours."""
CLOSE = 1e-9
"""Cosine similarity above which a labelled question shares a feature with the question (below:
floating-point noise around zero)."""

Floats = NDArray[np.float64]


@dataclass(frozen=True)
class Neighbours:
    idf: Floats
    """(features,): log(questions / questions with the feature); 0 for a feature every question
    has, which tells them apart no more than nothing does."""
    matrix: "csr_matrix"
    """(questions, features + 1): each labelled question's tf-idf unit vector, the last column
    (unseen features) zero."""
    labels: Floats
    """(questions, topics): 1 where a question asks about a topic."""
    postings: "csr_matrix"
    """`matrix` transposed: per feature, the questions that have it."""

    @classmethod
    def over(cls, idf: Floats, matrix: "csr_matrix", labels: Floats) -> "Neighbours":
        return cls(idf, matrix, labels, matrix.T.tocsr())

    def votes(self, rows: "csr_matrix", unseen: Sequence[Sequence[float]], count: int) -> Floats:
        """(questions, topics): per question, the share of its `count` nearest labelled
        questions' similarity (plus ABSTAIN) that votes for each topic (all zeros when no labelled
        question shares a feature). `rows`: the questions' feature weights in the vectoriser's
        columns; `unseen`: per question, the weights of its features outside them."""
        import scipy.sparse as sp
        from sklearn.preprocessing import normalize

        weighted = rows.tocsr(copy=True)
        weighted.data *= self.idf[weighted.indices]
        rare = [[sqrt(sum((w * self.rarest) ** 2 for w in row))] for row in unseen]
        queries = normalize(sp.hstack([weighted, sp.csr_matrix(rare)], format="csr"))
        cosine = (queries @ self.postings).toarray()
        nearest = np.argsort(-cosine, axis=1, kind="stable")[:, :count]
        similarity = np.take_along_axis(cosine, nearest, axis=1)
        similarity = np.where(similarity > CLOSE, similarity, 0.0)
        votes = np.einsum("qn,qnt->qt", similarity, self.labels[nearest])
        return np.asarray(votes / (similarity.sum(axis=1, keepdims=True) + ABSTAIN))

    @property
    def rarest(self) -> float:
        """The idf of a feature seen once."""
        return log(len(self.labels))

    def arrays(self) -> dict[str, NDArray[Any]]:
        """The index as plain arrays (the matrix in CSR parts), for `from_arrays`."""
        return {
            "idf": self.idf,
            "labels": self.labels,
            "data": self.matrix.data,
            "indices": self.matrix.indices,
            "indptr": self.matrix.indptr,
            "shape": np.array(self.matrix.shape, dtype=np.int64),
        }

    @classmethod
    def from_arrays(cls, arrays: Mapping[str, NDArray[Any]]) -> "Neighbours":
        """The index `arrays` describes, searchable again; ValueError when they do not describe
        one (see `topic_model.TopicModel.from_arrays`, which checks dtypes and sizes first)."""
        import scipy.sparse as sp

        shape = tuple(int(n) for n in arrays["shape"])
        indptr, indices = arrays["indptr"], arrays["indices"]
        if len(shape) != 2 or len(indptr) != shape[0] + 1 or indptr[0] != 0:
            raise ValueError("neighbour matrix: inconsistent shape")
        if indptr[-1] != len(indices) or np.any(np.diff(indptr) < 0):
            raise ValueError("neighbour matrix: row pointers out of order")
        if len(indices) and (indices.min() < 0 or indices.max() >= shape[1]):
            raise ValueError("neighbour matrix: column out of range")
        matrix = sp.csr_matrix((arrays["data"], indices, indptr), shape=shape)
        return cls.over(arrays["idf"], matrix, arrays["labels"])


def index_neighbours(counts: "csr_matrix", labels: Floats) -> Neighbours:
    """Index the labelled questions: `counts` holds their feature weights (one row per row of
    `labels`, every column some question's)."""
    import scipy.sparse as sp
    from sklearn.preprocessing import normalize

    questions = counts.shape[0]
    frequency = np.bincount(counts.tocsr().indices, minlength=counts.shape[1])
    idf = np.log(questions / np.maximum(frequency, 1))
    weighted = counts.tocsr(copy=True)
    weighted.data *= idf[weighted.indices]
    unit = normalize(weighted, norm="l2")
    matrix = sp.hstack([unit, sp.csr_matrix((questions, 1))], format="csr")
    matrix.eliminate_zeros()
    return Neighbours.over(idf, matrix, labels)
