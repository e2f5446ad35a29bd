"""The nearest labelled questions and their votes: closeness decides, words every question has
decide nothing, a question that shares no word with any gets no vote, and the votes are the
cosine similarities of tf-idf vectors, computed here by hand."""

import numpy as np
from sklearn.feature_extraction import DictVectorizer

from simulator.llm.local.topic_model import word_features
from simulator.llm.local.topic_neighbours import ABSTAIN, Neighbours, index_neighbours

# topics: latency, traffic
LABELLED = [
    ("How fast must the page respond?", [1, 0]),
    ("How many milliseconds may scoring take?", [1, 0]),
    ("How many requests per second at peak?", [0, 1]),
    ("How busy is the service at peak?", [0, 1]),
]
LABELS = np.array([y for _, y in LABELLED], dtype=np.float64)


def neighbours() -> tuple[DictVectorizer, Neighbours]:
    vectorizer = DictVectorizer()
    counts = vectorizer.fit_transform([word_features(text) for text, _ in LABELLED])
    return vectorizer, index_neighbours(counts, LABELS)


def votes(text: str, count: int) -> np.ndarray:
    vectorizer, index = neighbours()
    features = word_features(text)
    unseen = [w for name, w in features.items() if name not in vectorizer.vocabulary_]
    return index.votes(vectorizer.transform([features]), [unseen], count)[0]


def test_the_nearest_question_votes_for_its_topic() -> None:
    near = votes("How many requests per second?", count=1)
    assert near[0] == 0 and near[1] > 0.5
    near = votes("How fast must it respond?", count=1)
    assert near[0] > 0.5 and near[1] == 0


def test_more_neighbours_vote_in_proportion_to_closeness() -> None:
    many = votes("How many milliseconds at peak?", count=4)
    assert 0 < many[1] < many[0]
    # "milliseconds" is rarer than "peak" (one question against two), so it weighs more
    closest = votes("How many milliseconds at peak?", count=1)
    assert closest[1] == 0 and closest[0] > many[0]


def test_a_faint_neighbour_votes_faintly() -> None:
    """Similarity abstains in part, and words no labelled question has make a question less like
    any: one shared word does not make it the labelled question."""
    near = votes("How busy is the service at peak?", count=1)
    faint = votes("Is the office busy?", count=1)
    fainter = votes("Is the office busy today or not at all?", count=1)
    assert near.sum() < 1
    assert 0 < fainter[1] < faint[1] < near[1]


def test_no_shared_word_means_no_vote() -> None:
    assert votes("Who founded this company", count=3).tolist() == [0, 0]
    assert votes("", count=3).tolist() == [0, 0]
    # "how" is in every labelled question: it tells them apart no more than nothing does
    assert votes("How", count=3).tolist() == [0, 0]


def test_votes_are_the_cosine_of_tf_idf_vectors() -> None:
    """The index agrees with the definition: idf log(n / df), unseen features at the rarest idf
    in the question's length, the `count` most similar questions voting by similarity."""
    vectorizer, _ = neighbours()
    names = vectorizer.feature_names_
    rows = [word_features(text) for text, _ in LABELLED]
    df = np.array([sum(name in row for row in rows) for name in names])
    idf = np.log(len(rows) / df)
    dense = np.array([[row.get(name, 0.0) for name in names] for row in rows]) * idf
    dense /= np.linalg.norm(dense, axis=1, keepdims=True)
    for text in ("How many milliseconds at peak?", "Is the service busy at peak today?"):
        features = word_features(text)
        query = np.array([features.get(name, 0.0) for name in names]) * idf
        unseen = [w * np.log(len(rows)) for name, w in features.items() if name not in names]
        similarity = dense @ query / np.sqrt(query @ query + sum(u * u for u in unseen))
        nearest = np.argsort(-similarity, kind="stable")[:2]
        want = similarity[nearest] @ LABELS[nearest] / (similarity[nearest].sum() + ABSTAIN)
        assert np.allclose(votes(text, count=2), want, atol=1e-12)


def test_questions_asked_together_get_the_votes_they_get_alone() -> None:
    vectorizer, index = neighbours()
    texts = ["How many requests per second?", "Who founded it", "How fast must it respond?"]
    rows = [word_features(text) for text in texts]
    unseen = [[w for name, w in row.items() if name not in vectorizer.vocabulary_] for row in rows]
    together = index.votes(vectorizer.transform(rows), unseen, count=2)
    assert np.array_equal(together, np.stack([votes(text, count=2) for text in texts]))
