"""The topic model behind the local classifier: what it learns, that it is deterministic, that the
hand-written cues still count for words it never saw, and that its corpus is valid and separate
from the eval sets that judge it."""

import json
from pathlib import Path

import numpy as np
import pytest

from simulator.base.errors import KnowledgeError
from simulator.kb.cues import FactCue, FactsBlock
from simulator.kb.knowledge import KnowledgeBase, load_knowledge
from simulator.llm.local.topic_corpus import load_corpus
from simulator.llm.local.topic_model import LabelledQuestion, TopicModel, fit
from tests.support.paths import ROOT

TOPICS = ("latency", "traffic", "labels")
CUES = FactsBlock(
    topics={
        "latency": ["latency", "milliseconds", "sla"],
        "traffic": ["qps", "requests per second"],
        "labels": ["label*", "ground truth"],
    },
    facts=[
        FactCue(id="s.latency", topic="latency", text_words=["render"]),
        FactCue(id="s.traffic", topic="traffic"),
        FactCue(id="s.labels", topic="labels", terms=["chargeback*"]),
    ],
)
QUESTIONS = {
    "latency": ["What is the latency budget?", "How many milliseconds per request?",
                "What latency do users accept?", "Is there a latency target for the page?"],
    "traffic": ["What is the peak QPS?", "How many requests per second at peak?",
                "What QPS should we plan for?", "How much load at peak time?"],
    "labels": ["Where do the labels come from?", "What is the ground truth?",
               "How are labels collected?", "Who labels the examples?"],
    "": ["Who is the CEO?", "Where is the office?", "What colour is the logo?",
         "How big is the team?"],
}  # fmt: skip


def toy_model() -> TopicModel:
    examples = [
        LabelledQuestion(text, frozenset([topic]) - {""}, CUES)
        for topic, texts in QUESTIONS.items()
        for text in texts
    ]
    return fit(examples, TOPICS)


def test_it_learns_topics_and_leaves_unrelated_questions_alone() -> None:
    model = toy_model()
    assert model.asked(["And the latency budget for one request?"], CUES) == ["latency"]
    assert model.asked(["Peak QPS?"], CUES) == ["traffic"]
    assert model.asked(["Where do labels come from here?"], CUES) == ["labels"]
    assert model.asked(["Who founded the company?"], CUES) == []
    two_parts = ["What is the peak QPS,", "what is the latency budget?"]
    assert sorted(model.asked(two_parts, CUES)) == ["latency", "traffic"]


def test_a_cue_never_seen_in_training_questions_still_counts() -> None:
    model = toy_model()
    # "SLA" and "chargebacks" occur in no training question, only in the cue lists
    assert model.asked(["What's the SLA?"], CUES) == ["latency"]
    assert model.asked(["Do chargebacks arrive?"], CUES) == ["labels"]
    bare = FactsBlock(topics={t: [] for t in TOPICS}, facts=[])
    assert model.asked(["What's the SLA?"], bare) == []


def test_training_is_deterministic() -> None:
    first, second = toy_model().arrays(), toy_model().arrays()
    assert first.keys() == second.keys()
    for key in first:
        assert np.array_equal(first[key], second[key]), key


def test_a_topic_without_both_kinds_of_question_is_a_knowledge_error() -> None:
    only_latency = [LabelledQuestion(t, frozenset(["latency"]), CUES) for t in QUESTIONS["latency"]]
    with pytest.raises(KnowledgeError, match="topic latency"):
        fit(only_latency, ["latency"])


@pytest.fixture(scope="module")
def kb() -> KnowledgeBase:
    return load_knowledge(ROOT / "knowledge")


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("{not json", "not a labelled question"),
        ('{"scenario": null, "lang": "en", "question": "q?", "topic": "weather"}',
         "unknown topic weather"),
        ('{"scenario": "nope", "lang": "en", "question": "q?", "topic": null}',
         "unknown scenario 'nope'"),
        ('{"scenario": null, "lang": "de", "question": "q?", "topic": null}',
         "not a labelled question"),
        ('{"scenario": null, "lang": "en", "question": "q?", "topic": null, "topics": []}',
         "not a labelled question"),
    ],
)  # fmt: skip
def test_a_bad_corpus_line_names_its_file_and_line(
    kb: KnowledgeBase, tmp_path: Path, line: str, message: str
) -> None:
    good = '{"scenario": null, "lang": "en", "question": "How many users?", "topic": "data_scale"}'
    (tmp_path / "en.jsonl").write_text(f"{good}\n{line}\n", encoding="utf-8")
    with pytest.raises(KnowledgeError, match=rf"en\.jsonl:2: .*{message}"):
        load_corpus(kb, tmp_path)


def test_an_empty_corpus_folder_is_an_error(kb: KnowledgeBase, tmp_path: Path) -> None:
    with pytest.raises(KnowledgeError, match="no labelled questions"):
        load_corpus(kb, tmp_path)


def test_the_corpus_covers_every_topic_in_both_languages(kb: KnowledgeBase) -> None:
    corpus = load_corpus(kb)
    for lang in ("en", "ru"):
        texts = {q.text for q in corpus if _lang(q) == lang}
        per_topic = {
            t: sum(1 for q in corpus if _lang(q) == lang and t in q.topics) for t in kb.topics
        }
        assert min(per_topic.values()) >= 40, (lang, per_topic)
        assert sum(1 for q in corpus if _lang(q) == lang and not q.topics) >= 40
        assert sum(1 for q in corpus if _lang(q) == lang and len(q.topics) == 2) >= 30
        assert len(texts) > 400


def test_no_eval_question_is_in_the_training_corpus(kb: KnowledgeBase) -> None:
    """The eval sets judge the model; a question in both would measure memory, not skill."""
    trained = {_normal(q.text) for q in load_corpus(kb)}
    for path in sorted((ROOT / "evals" / "data").glob("clarify_questions*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                assert _normal(json.loads(line)["question"]) not in trained, path.name


def _lang(question: LabelledQuestion) -> str:
    return "ru" if any("а" <= ch <= "я" for ch in question.text.lower()) else "en"


def _normal(text: str) -> str:
    return " ".join(text.lower().split())
