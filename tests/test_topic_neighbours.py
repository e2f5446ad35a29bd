"""The nearest labelled questions and their votes: closeness decides, words every question has
decide nothing, and a question that shares no word with any gets no vote."""

import numpy as np

from simulator.topic_model import word_features
from simulator.topic_neighbours import index_neighbours

# topics: latency, traffic
LABELLED = [
    ("How fast must the page respond?", [1, 0]),
    ("How many milliseconds may scoring take?", [1, 0]),
    ("How many requests per second at peak?", [0, 1]),
    ("How busy is the service at peak?", [0, 1]),
]


def neighbours():
    features = [word_features(text) for text, _ in LABELLED]
    return index_neighbours(features, np.array([y for _, y in LABELLED], dtype=np.float64))


def test_the_nearest_question_votes_for_its_topic() -> None:
    votes = neighbours().votes(word_features("How many requests per second?"), count=1)
    assert votes.tolist() == [0.0, 1.0]
    votes = neighbours().votes(word_features("How fast must it respond?"), count=1)
    assert votes.tolist() == [1.0, 0.0]


def test_more_neighbours_vote_in_proportion_to_closeness() -> None:
    votes = neighbours().votes(word_features("How many milliseconds at peak?"), count=4)
    assert 0 < votes[0] < 1 and 0 < votes[1] < 1
    assert votes.sum() == 1.0
    # "milliseconds" is rarer than "peak" (one question against two), so it weighs more
    closest = neighbours().votes(word_features("How many milliseconds at peak?"), count=1)
    assert closest.tolist() == [1.0, 0.0]


def test_no_shared_word_means_no_vote() -> None:
    assert neighbours().votes(word_features("Who founded this company"), count=3).tolist() == [0, 0]
    # "how" is in every labelled question: it tells them apart no more than nothing does
    assert neighbours().votes(word_features("How"), count=3).tolist() == [0, 0]
