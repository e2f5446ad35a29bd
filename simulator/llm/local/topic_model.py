"""Which fact topics a clarifying question asks about: a small multi-label logistic regression.

Hand-written cue lists match the words their authors foresaw and miss fresh paraphrases; this model
learns from labelled questions (`knowledge/clarify/`) which words, word pairs and cue hits go with
each topic. Its inputs are the question's words and the cues the interviewer already sends in the
`<facts>` block, so it needs nothing the classifier does not see.

Its probabilities are blended with the votes of the labelled questions nearest to the question
(`simulator/llm/local/topic_neighbours.py`): those recognise a fresh question worded like a few
known ones as a whole, where single words weigh little.

One binary classifier per topic (a question may ask about two topics at once); the cue features
share one weight across topics ("a cue of this topic matched"), so a cue that never appears in the
training questions still counts. Training is full-batch Adam from zero for a fixed number of steps:
the same corpus always gives the same model.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from math import log1p
from typing import Any

import numpy as np
from numpy.typing import NDArray

from simulator.base.textnorm import compiled_terms, stem, words
from simulator.kb.cues import FactsBlock
from simulator.llm.local.topic_neighbours import Neighbours, index_neighbours

STEPS = 300
LEARNING_RATE = 0.1
L2 = 3e-4
NEIGHBOURS = 5
NEIGHBOUR_SHARE = 0.5
"""A topic's probability is this share of the nearest questions' vote plus the rest of the
linear model's (`simulator/llm/local/topic_neighbours.py`)."""
NGRAM = 4
NGRAM_WEIGHT = 0.6
LIKELIEST_MIN = 0.35
"""The likeliest topic is asked about from this probability on: each binary classifier under-rates
a topic worded in a way it has seen little, while a clarifying question that names no topic at all
is rare."""
PART_MIN = 0.5
"""A separate question in the same message ("What latency? How often do we retrain?") gets its own
likeliest topic from this on."""
ALSO_MIN = 0.9
"""Any other topic must be near-certain: a question about one thing often borrows a word of another
or adds an aside ("where do labels come from, and how many get reviewed a day?" asks about
labels)."""

Floats = NDArray[np.float64]


@dataclass(frozen=True)
class LabelledQuestion:
    text: str
    topics: frozenset[str]
    """Empty: the question asks about nothing the facts state."""
    block: FactsBlock
    """The cues the interviewer would send with this question."""


def word_features(text: str) -> dict[str, float]:
    """Stems and neighbouring stem pairs, with the sentence's start and end as pseudo-words (so
    "how many" at the start differs from "how many" later), and the letter 4-grams of longer
    words, weaker: they carry a word the corpus never had in that form ("протухают", "moderator-
    labelled") to the ones it shares letters with."""
    tokens = words(text)
    stems = [stem(w) for w in tokens]
    out = {f"w:{s}": 1.0 for s in stems}
    out.update({f"b:{a}_{b}": 1.0 for a, b in zip(["^", *stems], [*stems, "$"], strict=True)})
    for token in (t for t in tokens if len(t) > NGRAM):
        out.update(
            {f"c:{token[i : i + NGRAM]}": NGRAM_WEIGHT for i in range(len(token) - NGRAM + 1)}
        )
    return out


def cue_features(text: str, block: FactsBlock, topics: Sequence[str]) -> Floats:
    """How strongly `text` names each topic by the hand-written cues, one row per topic: the words
    of the topic's cues and of its facts' own cues; whether no other topic's cues weigh more (what
    the cue rules alone would answer); the most words shared with one of the topic's fact texts."""
    named = {t: _named(text, block, t) for t in topics}
    most = max(named.values(), default=0)
    rows = []
    for topic in topics:
        own = [f for f in block.facts if f.topic == topic]
        shared = max((len(compiled_terms(tuple(f.text_words)).find(text)) for f in own), default=0)
        rows.append((log1p(named[topic]), float(0 < named[topic] == most), log1p(shared)))
    return np.array(rows, dtype=np.float64)


def _named(text: str, block: FactsBlock, topic: str) -> int:
    cue_lists = [block.topics.get(topic, []), *(f.terms for f in block.facts if f.topic == topic)]
    return sum(cue_weight(compiled_terms(tuple(c)).find(text)) for c in cue_lists)


def cue_weight(found: list[str]) -> int:
    """A cue weighs as many words as it has: "requests per second" says more than "second"."""
    return sum(len(term.split()) for term in found)


@dataclass(frozen=True)
class TopicModel:
    topics: tuple[str, ...]
    vocabulary: dict[str, int]
    weights: Floats
    """(vocabulary, topics)"""
    bias: Floats
    cue_weights: Floats
    neighbours: Neighbours

    def probabilities(self, text: str, block: FactsBlock) -> dict[str, float]:
        features = word_features(text)
        row = np.zeros(len(self.topics))
        for name, value in features.items():
            index = self.vocabulary.get(name)
            if index is not None:
                row += value * self.weights[index]
        logits = row + self.bias + cue_features(text, block, self.topics) @ self.cue_weights
        linear = 1.0 / (1.0 + np.exp(-logits))
        votes = self.neighbours.votes(features, NEIGHBOURS)
        blended = (1 - NEIGHBOUR_SHARE) * linear + NEIGHBOUR_SHARE * votes
        return dict(zip(self.topics, blended.tolist(), strict=True))

    def arrays(self) -> dict[str, NDArray[Any]]:
        """The model as named plain arrays, which `from_arrays` reads back: the disk cache keeps
        them without pickles."""
        own = {
            "topics": np.array(self.topics, dtype=str),
            "vocabulary": np.array(list(self.vocabulary), dtype=str),
            "weights": self.weights,
            "bias": self.bias,
            "cue_weights": self.cue_weights,
        }
        return own | {f"neighbours.{k}": v for k, v in self.neighbours.arrays().items()}

    @classmethod
    def from_arrays(cls, arrays: Mapping[str, NDArray[Any]]) -> "TopicModel":
        prefix = "neighbours."
        neighbours = {k[len(prefix) :]: v for k, v in arrays.items() if k.startswith(prefix)}
        vocabulary = {str(name): i for i, name in enumerate(arrays["vocabulary"].tolist())}
        return cls(
            tuple(str(t) for t in arrays["topics"].tolist()),
            vocabulary,
            arrays["weights"],
            arrays["bias"],
            arrays["cue_weights"],
            Neighbours.from_arrays(neighbours, vocabulary),
        )

    def asked(
        self, parts: Sequence[str], block: FactsBlock, *, least: float = LIKELIEST_MIN
    ) -> list[str]:
        """Topics a question asks about, read from its parts (its sentences and the clauses of a
        two-part one), in the order the parts ask them: the likeliest topic overall from `least`
        on, each part's own likeliest from PART_MIN on, any other from ALSO_MIN on."""
        best: dict[str, tuple[float, int]] = {}
        chosen: set[str] = set()
        for index, part in enumerate(parts):
            probs = self.probabilities(part, block)
            top = max(probs, key=lambda t: probs[t])
            if probs[top] >= PART_MIN:
                chosen.add(top)
            for topic, p in probs.items():
                if topic not in best or p > best[topic][0]:
                    best[topic] = (p, index)
        ranked = sorted(best, key=lambda t: -best[t][0])
        if not ranked or best[ranked[0]][0] < least:
            return []
        chosen |= {ranked[0], *(t for t in ranked if best[t][0] >= ALSO_MIN)}
        return sorted(chosen, key=lambda t: (best[t][1], -best[t][0]))


def fit(examples: Sequence[LabelledQuestion], topics: Sequence[str]) -> TopicModel:
    """Train on labelled questions; `topics` fixes the output order."""
    features = [word_features(ex.text) for ex in examples]
    vocabulary: dict[str, int] = {}
    rows: list[int] = []
    cols: list[int] = []
    vals: list[float] = []
    for i, row in enumerate(features):
        for name, value in row.items():
            rows.append(i)
            cols.append(vocabulary.setdefault(name, len(vocabulary)))
            vals.append(value)
    n, d, k = len(examples), len(vocabulary), len(topics)
    r, c, v = np.array(rows), np.array(cols), np.array(vals, dtype=np.float32)[:, None]
    # Sums over a question's features and over a feature's questions, as sums of runs of sorted
    # entries: every question has a feature (its "^_$" pair at least) and every feature a question.
    row_starts = np.flatnonzero(np.diff(r, prepend=-1))
    by_feature = np.argsort(c, kind="stable")
    feature_starts = np.flatnonzero(np.diff(c[by_feature], prepend=-1))
    r_by_feature, v_by_feature = r[by_feature], v[by_feature]
    entries = np.empty((len(r), k), dtype=np.float32)
    """Reused every step: a fresh array this size costs more to allocate than to fill. Single
    precision halves the memory these per-entry products move, which is most of a step's time."""
    cues = np.stack([cue_features(ex.text, ex.block, topics) for ex in examples])
    labels = np.array([[t in ex.topics for t in topics] for ex in examples], dtype=np.float64)

    params = [np.zeros((d, k)), np.zeros(k), np.zeros(cues.shape[2])]
    moments = [np.zeros_like(p) for p in params]
    squares = [np.zeros_like(p) for p in params]
    for step in range(1, STEPS + 1):
        weights, bias, cue_weights = params
        np.multiply(np.take(weights.astype(np.float32), c, axis=0, out=entries), v, out=entries)
        logits = np.add.reduceat(entries, row_starts, axis=0) + bias + cues @ cue_weights
        error = (1.0 / (1.0 + np.exp(-logits)) - labels) / n
        np.multiply(
            np.take(error.astype(np.float32), r_by_feature, axis=0, out=entries),
            v_by_feature,
            out=entries,
        )
        grads = [
            np.add.reduceat(entries, feature_starts, axis=0) + L2 * weights,
            error.sum(axis=0),
            np.einsum("nk,nkf->f", error, cues) + L2 * cue_weights,
        ]
        for p, g, m, s in zip(params, grads, moments, squares, strict=True):
            m *= 0.9
            m += 0.1 * g
            s *= 0.999
            s += 0.001 * g * g
            p -= LEARNING_RATE * (m / (1 - 0.9**step)) / (np.sqrt(s / (1 - 0.999**step)) + 1e-8)
    neighbours = index_neighbours(features, labels, vocabulary)
    return TopicModel(tuple(topics), vocabulary, params[0], params[1], params[2], neighbours)
