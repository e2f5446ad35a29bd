"""Which fact topics a clarifying question asks about: a logistic regression per topic, sharing
the weights of the hand-written cues.

Hand-written cue lists match the words their authors foresaw and miss fresh paraphrases; this model
learns from labelled questions (`knowledge/clarify/`) which words, word pairs and cue hits go with
each topic. Its inputs are the question's words and the cues the interviewer already sends in the
`<facts>` block, so it needs nothing the classifier does not see.

Its probabilities are blended with the votes of the labelled questions nearest to the question
(`simulator/llm/local/topic_neighbours.py`): those recognise a fresh question worded like a few
known ones as a whole, where single words weigh little.

The learning is scikit-learn's. A `DictVectorizer` numbers the word features; one binary
`LogisticRegression` reads (question, topic) pairs (`_pairs`): a question may ask about two topics
at once, so each topic is a yes-or-no of its own, with its own word weights, bias and reading of
every topic's cue hits, while the topic's own cue features ("a cue of this topic matched") also
have one weight shared by all topics, so a cue that never appears in the training questions still
counts, for a topic with few questions too. L-BFGS from zero on one thread: the same corpus always
gives the same model.

Chosen on the clarify validation split (`python -m evals run --split tune --suite clarify`): the
hand-written model this replaced (Adam, 300 steps, a hand-built neighbour index) scored
`clarify_accuracy` 0.979; this one 0.982 (0.980 with the old PART_MIN; LOGISTIC_C 0.5 to 2, and
separate per-topic classifiers, score 0.978 to 0.982). `fit` takes a quarter to a half of the old
one's time; most of a training run is now `load_corpus` matching every question's cues.

scikit-learn and SciPy are imported when a model is trained, loaded or asked, never with this
module: starting the app or the CLI does not wait for them.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from math import log1p
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from simulator.base.errors import KnowledgeError
from simulator.base.textnorm import compiled_terms, stem, words
from simulator.kb.cues import FactsBlock
from simulator.llm.local.topic_neighbours import Neighbours, index_neighbours

if TYPE_CHECKING:
    from scipy.sparse import csr_matrix
    from sklearn.feature_extraction import DictVectorizer
    from sklearn.linear_model import LogisticRegression

LOGISTIC_C = 1.0
"""scikit-learn's inverse L2 strength (of a sum over the corpus: more questions, less weight on the
prior). On the clarify validation split 0.5 and 2 lose one question of 953 against this."""
MAX_ITER = 1000
NEIGHBOURS = 5
NEIGHBOUR_SHARE = 0.5
"""A topic's probability is this share of the nearest questions' vote plus the rest of the
linear model's (`simulator/llm/local/topic_neighbours.py`)."""
NGRAM = 4
NGRAM_WEIGHT = 0.6
CUE_COLUMNS = 3
"""Cue features per topic (`cue_features`)."""
LIKELIEST_MIN = 0.35
"""The likeliest topic is asked about from this probability on: each binary classifier under-rates
a topic worded in a way it has seen little, while a clarifying question that names no topic at all
is rare."""
PART_MIN = 0.45
"""A separate question in the same message ("What latency? How often do we retrain?") gets its own
likeliest topic from this on (0.5 lost one or two questions of the validation split, whatever the
regularisation)."""
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
    return np.array(rows, dtype=np.float64).reshape(len(topics), CUE_COLUMNS)


def _named(text: str, block: FactsBlock, topic: str) -> int:
    cue_lists = [block.topics.get(topic, []), *(f.terms for f in block.facts if f.topic == topic)]
    return sum(cue_weight(compiled_terms(tuple(c)).find(text)) for c in cue_lists)


def cue_weight(found: list[str]) -> int:
    """A cue weighs as many words as it has: "requests per second" says more than "second"."""
    return sum(len(term.split()) for term in found)


@dataclass(frozen=True)
class TopicModel:
    topics: tuple[str, ...]
    vectorizer: "DictVectorizer"
    """Word feature names to columns (of the classifier's inputs and of the neighbour index)."""
    classifier: "LogisticRegression"
    """Binary, over (question, topic) pairs (`_pairs`)."""
    neighbours: Neighbours

    def probabilities(self, text: str, block: FactsBlock) -> dict[str, float]:
        """How likely `text` asks about each topic."""
        return dict(zip(self.topics, self._probabilities([text], block)[0].tolist(), strict=True))

    def _probabilities(self, texts: Sequence[str], block: FactsBlock) -> Floats:
        """(texts, topics): each text's probabilities, all texts in one pass through the
        learners (their per-call overhead is most of the time a question takes)."""
        features = [word_features(text) for text in texts]
        rows = self.vectorizer.transform(features)
        cues = np.stack([cue_features(text, block, self.topics) for text in texts])
        pairs = self.classifier.predict_proba(_pairs(rows, cues))[:, 1]
        linear = pairs.reshape(len(self.topics), len(texts)).T
        known = self.vectorizer.vocabulary_
        unseen = [[w for name, w in row.items() if name not in known] for row in features]
        votes = self.neighbours.votes(rows, unseen, NEIGHBOURS)
        return np.asarray((1 - NEIGHBOUR_SHARE) * linear + NEIGHBOUR_SHARE * votes)

    def asked(
        self, parts: Sequence[str], block: FactsBlock, *, least: float = LIKELIEST_MIN
    ) -> list[str]:
        """Topics a question asks about, read from its parts (its sentences and the clauses of a
        two-part one), in the order the parts ask them: the likeliest topic overall from `least`
        on, each part's own likeliest from PART_MIN on, any other from ALSO_MIN on."""
        if not parts:
            return []
        best: dict[str, tuple[float, int]] = {}
        chosen: set[str] = set()
        for index, row in enumerate(self._probabilities(parts, block).tolist()):
            probs = dict(zip(self.topics, row, strict=True))
            top = max(probs, key=lambda t: probs[t])
            if probs[top] >= PART_MIN:
                chosen.add(top)
            for topic, p in probs.items():
                if topic not in best or p > best[topic][0]:
                    best[topic] = (p, index)
        ranked = sorted(best, key=lambda t: -best[t][0])
        if best[ranked[0]][0] < least:
            return []
        chosen |= {ranked[0], *(t for t in ranked if best[t][0] >= ALSO_MIN)}
        return sorted(chosen, key=lambda t: (best[t][1], -best[t][0]))

    def arrays(self) -> dict[str, NDArray[Any]]:
        """The model as named plain arrays, which `from_arrays` reads back: the disk cache keeps
        them without pickles."""
        own = {
            "topics": np.array(self.topics, dtype=str),
            "features": np.array(self.vectorizer.feature_names_, dtype=str),
            "coef": self.classifier.coef_,
            "intercept": self.classifier.intercept_,
        }
        return own | {f"neighbours.{k}": v for k, v in self.neighbours.arrays().items()}

    @classmethod
    def from_arrays(cls, arrays: Mapping[str, NDArray[Any]]) -> "TopicModel":
        """The model that `arrays` (as `arrays()` writes them) describe; ValueError, saying what
        is wrong, when they describe none: a missing or extra key, a wrong dtype or shape, a value
        that is not finite, a neighbour matrix out of order."""
        _check(arrays)
        from sklearn.feature_extraction import DictVectorizer

        names: list[str] = arrays["features"].tolist()  # str already: the dtype is checked
        vectorizer = DictVectorizer()
        vectorizer.feature_names_ = names
        vectorizer.vocabulary_ = dict(zip(names, range(len(names)), strict=True))
        classifier = _classifier()
        classifier.coef_ = arrays["coef"].copy()
        classifier.intercept_ = arrays["intercept"].copy()
        classifier.classes_ = np.array([0, 1])
        classifier.n_features_in_ = arrays["coef"].shape[1]
        prefix = "neighbours."
        neighbours = {k[len(prefix) :]: v for k, v in arrays.items() if k.startswith(prefix)}
        topics = tuple(str(t) for t in arrays["topics"].tolist())
        return cls(topics, vectorizer, classifier, Neighbours.from_arrays(neighbours))


def fit(examples: Sequence[LabelledQuestion], topics: Sequence[str]) -> TopicModel:
    """Train on labelled questions; `topics` fixes the output order."""
    from sklearn.feature_extraction import DictVectorizer
    from threadpoolctl import threadpool_limits

    labels = np.array([[t in ex.topics for t in topics] for ex in examples], dtype=np.int64)
    for topic, column in zip(topics, labels.T, strict=True):
        if column.min() == column.max():
            raise KnowledgeError(
                f"topic {topic}: the labelled questions must include some that ask about it and "
                "some that do not"
            )
    vectorizer = DictVectorizer()  # columns in the sorted order of the feature names
    counts = vectorizer.fit_transform([word_features(ex.text) for ex in examples])
    cues = np.stack([cue_features(ex.text, ex.block, topics) for ex in examples])
    with threadpool_limits(limits=1):
        classifier = _classifier().fit(_pairs(counts, cues), labels.T.reshape(-1))
    neighbours = index_neighbours(counts, labels.astype(np.float64))
    return TopicModel(tuple(topics), vectorizer, classifier, neighbours)


def _classifier() -> "LogisticRegression":
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(C=LOGISTIC_C, max_iter=MAX_ITER, random_state=0)


def _pairs(counts: "csr_matrix", cues: Floats) -> "csr_matrix":
    """The classifier's rows, one per (topic, question), topic by topic: `counts` (questions, word
    columns) and `cues` (questions, topics, CUE_COLUMNS) laid out as

        [shared cue columns | topic 0's block | ... | topic K-1's block]

    The shared columns hold the row's own topic's cue features (one weight per cue feature for all
    topics); a topic's block (word columns, a bias column of ones, every topic's cue features) is
    filled in that topic's rows only (weights per topic). Built in one go: stacking sparse blocks
    costs more than the classifier itself when a question is asked."""
    import scipy.sparse as sp

    questions, topics = cues.shape[0], cues.shape[1]
    ones = np.ones((questions, 1))
    block = sp.hstack([counts, ones, cues.reshape(questions, -1)], format="coo")
    width = block.shape[1]
    topic = np.arange(topics)[:, None]
    rows = [
        np.repeat(np.arange(topics * questions), CUE_COLUMNS),
        (block.row + questions * topic).ravel(),
    ]
    cols = [
        np.tile(np.arange(CUE_COLUMNS), topics * questions),
        (block.col + CUE_COLUMNS + width * topic).ravel(),
    ]
    values = [cues.transpose(1, 0, 2).ravel(), np.tile(block.data, topics)]
    shape = (topics * questions, CUE_COLUMNS + topics * width)
    coordinates = (np.concatenate(rows), np.concatenate(cols))
    return sp.csr_matrix((np.concatenate(values), coordinates), shape=shape)


_KINDS = {"U": "strings", "f": "float64", "i": "integers"}
_LAYOUT = {
    "topics": ("U", 1),
    "features": ("U", 1),
    "coef": ("f", 2),
    "intercept": ("f", 1),
    "neighbours.idf": ("f", 1),
    "neighbours.labels": ("f", 2),
    "neighbours.data": ("f", 1),
    "neighbours.indices": ("i", 1),
    "neighbours.indptr": ("i", 1),
    "neighbours.shape": ("i", 1),
}
"""Every array a stored model has: its dtype kind (floats are float64) and number of axes."""


def _check(arrays: Mapping[str, NDArray[Any]]) -> None:
    missing, extra = sorted(_LAYOUT.keys() - arrays.keys()), sorted(arrays.keys() - _LAYOUT.keys())
    if missing or extra:
        raise ValueError(f"arrays missing {missing}, unexpected {extra}")
    for key, (kind, ndim) in _LAYOUT.items():
        array = arrays[key]
        if array.dtype.kind != kind or (kind == "f" and array.dtype != np.float64):
            raise ValueError(f"{key}: {array.dtype}, not {_KINDS[kind]}")
        if array.ndim != ndim:
            raise ValueError(f"{key}: {array.ndim} axes, not {ndim}")
        if kind == "f" and not np.isfinite(array).all():
            raise ValueError(f"{key}: not finite")
    topics, features = len(arrays["topics"]), len(arrays["features"])
    questions = len(arrays["neighbours.labels"])
    if not topics or len(set(arrays["topics"].tolist())) != topics:
        raise ValueError("topics: empty or repeated")
    if len(set(arrays["features"].tolist())) != features:
        raise ValueError("features: repeated")
    expected = {
        "coef": (1, topics * (features + 1 + topics * CUE_COLUMNS) + CUE_COLUMNS),
        "intercept": (1,),
        "neighbours.idf": (features,),
        "neighbours.labels": (questions, topics),
        "neighbours.data": arrays["neighbours.indices"].shape,
        "neighbours.shape": (2,),
    }
    for key, shape in expected.items():
        if arrays[key].shape != shape:
            raise ValueError(f"{key}: shape {arrays[key].shape}, not {shape}")
    if arrays["neighbours.shape"].tolist() != [questions, features + 1]:
        raise ValueError("neighbours.shape: not (questions, features + 1)")
