"""The nearest labelled questions and their votes: closeness decides, words every question has
decide nothing, and a question that shares no word with any gets no vote."""

import numpy as np

from simulator.llm.local.topic_model import word_features
from simulator.llm.local.topic_neighbours import index_neighbours

# topics: latency, traffic
LABELLED = [
    ("How fast must the page respond?", [1, 0]),
    ("How many milliseconds may scoring take?", [1, 0]),
    ("How many requests per second at peak?", [0, 1]),
    ("How busy is the service at peak?", [0, 1]),
]


def neighbours():
    features = [word_features(text) for text, _ in LABELLED]
    vocabulary = {
        name: i for i, name in enumerate(dict.fromkeys(f for row in features for f in row))
    }
    labels = np.array([y for _, y in LABELLED], dtype=np.float64)
    return index_neighbours(features, labels, vocabulary)


def test_the_nearest_question_votes_for_its_topic() -> None:
    votes = neighbours().votes(word_features("How many requests per second?"), count=1)
    assert votes[0] == 0 and votes[1] > 0.5
    votes = neighbours().votes(word_features("How fast must it respond?"), count=1)
    assert votes[0] > 0.5 and votes[1] == 0


def test_more_neighbours_vote_in_proportion_to_closeness() -> None:
    votes = neighbours().votes(word_features("How many milliseconds at peak?"), count=4)
    assert 0 < votes[1] < votes[0]
    # "milliseconds" is rarer than "peak" (one question against two), so it weighs more
    closest = neighbours().votes(word_features("How many milliseconds at peak?"), count=1)
    assert closest[1] == 0 and closest[0] > votes[0]


def test_a_faint_neighbour_votes_faintly() -> None:
    """Similarity abstains in part, and words no labelled question has make a question less like
    any: one shared word does not make it the labelled question."""
    near = neighbours().votes(word_features("How busy is the service at peak?"), count=1)
    faint = neighbours().votes(word_features("Is the office busy?"), count=1)
    fainter = neighbours().votes(word_features("Is the office busy today or not at all?"), count=1)
    assert near.sum() < 1
    assert 0 < fainter[1] < faint[1] < near[1]


def test_no_shared_word_means_no_vote() -> None:
    assert neighbours().votes(word_features("Who founded this company"), count=3).tolist() == [0, 0]
    # "how" is in every labelled question: it tells them apart no more than nothing does
    assert neighbours().votes(word_features("How"), count=3).tolist() == [0, 0]
