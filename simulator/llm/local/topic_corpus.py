"""The labelled clarifying questions the topic model learns from, and the trained model.

`knowledge/clarify/*.jsonl`, one question per line: `{"scenario": id or null, "lang": "en"|"ru",
"question": ..., "topic": topic | null | [topic, topic]}`. Written by us, never copied from the
eval sets: `evals/data/clarify_questions*.jsonl` judge the model, they do not train it.

The model is trained from the project's own corpus and knowledge base whatever knowledge folder a
session uses: it depends only on the topic names, which every knowledge base shares.
"""

import json
import threading
from pathlib import Path

from pydantic import ValidationError

from simulator.base.errors import KnowledgeError
from simulator.base.sections import Lang
from simulator.base.settings import PROJECT_ROOT
from simulator.kb.cues import FactsBlock, InterviewCues, compile_cues
from simulator.kb.knowledge import KnowledgeBase, Strict, load_knowledge
from simulator.llm.local.topic_cache import cache_path, cached_model, read_model
from simulator.llm.local.topic_model import LabelledQuestion, TopicModel, fit

KNOWLEDGE_DIR = PROJECT_ROOT / "knowledge"
CORPUS_DIR = KNOWLEDGE_DIR / "clarify"


class _Line(Strict):
    scenario: str | None
    lang: Lang
    question: str
    topic: str | list[str] | None


def load_corpus(kb: KnowledgeBase, folder: Path = CORPUS_DIR) -> list[LabelledQuestion]:
    """Every labelled question under `folder`, with the cues its scenario would send."""
    paths = sorted(folder.glob("*.jsonl"))
    if not paths:
        raise KnowledgeError(f"{folder}: no labelled questions (*.jsonl)")
    cues: dict[tuple[str, Lang], InterviewCues] = {}
    return [q for path in paths for q in _read(path, kb, cues)]


def _read(
    path: Path, kb: KnowledgeBase, cues: dict[tuple[str, Lang], InterviewCues]
) -> list[LabelledQuestion]:
    out: list[LabelledQuestion] = []
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not raw.strip():
            continue
        try:
            line = _Line.model_validate(json.loads(raw))
        except (json.JSONDecodeError, ValidationError) as exc:
            raise KnowledgeError(f"{path}:{number}: not a labelled question ({exc})") from None
        topics = frozenset(line.topic if isinstance(line.topic, list) else [line.topic or ""])
        unknown = sorted(t for t in topics - {""} if t not in kb.topics)
        if unknown:
            raise KnowledgeError(f"{path}:{number}: unknown topic {', '.join(unknown)}")
        block = _block(kb, line, cues)
        if block is None:
            raise KnowledgeError(f"{path}:{number}: unknown scenario {line.scenario!r}")
        out.append(LabelledQuestion(line.question, topics - {""}, block))
    return out


def _block(
    kb: KnowledgeBase, line: _Line, cues: dict[tuple[str, Lang], InterviewCues]
) -> FactsBlock | None:
    """What the interviewer would send with this question (None: no such scenario); a question
    written for no scenario gets the topic cues alone."""
    if line.scenario is None:
        return FactsBlock(topics={t: terms(line.lang) for t, terms in kb.topics.items()}, facts=[])
    key = (line.scenario, line.lang)
    if key not in cues:
        scenario = kb.scenario(line.scenario)
        if scenario is None:
            return None
        cues[key] = compile_cues(kb, scenario, line.lang)
    return cues[key].facts_block(line.question)


_TRAINING = threading.Lock()
_trained: dict[str, TopicModel] = {}
"""The model this process has, once trained or read."""

MODEL_CODE = tuple(
    PROJECT_ROOT / "simulator" / name
    for name in (
        "base/textnorm.py",
        "kb/cues.py",
        "llm/local/topic_corpus.py",
        "llm/local/topic_model.py",
        "llm/local/topic_neighbours.py",
    )
)
"""The code the model's inputs and learning come from: words and stems, the cues sent with a
question, the corpus reader, the features and the learners."""


def trained_model(*, force: bool = False) -> TopicModel:
    """The topic model of the project's corpus: read from the disk cache, or trained (several
    seconds) and stored there; `force` trains it again even when the cache holds it. A caller
    that arrives while it loads waits for that run instead of starting another."""
    with _TRAINING:
        if force or "model" not in _trained:
            _trained["model"] = cached_model(model_sources(), train_model, force=force)
        return _trained["model"]


def model_is_cached() -> bool:
    """Whether a sound model of the current corpus and code is on disk (no training needed); a
    broken one is logged when `trained_model` replaces it."""
    return read_model(cache_path(model_sources()), quiet=True) is not None


def warm_up() -> None:
    """Train in the background, so the candidate's first question does not wait for it."""
    threading.Thread(target=trained_model, name="topic-model", daemon=True).start()


def train_model() -> TopicModel:
    """Train the topic model from the project's corpus (several seconds)."""
    kb = load_knowledge(KNOWLEDGE_DIR)
    return fit(load_corpus(kb), sorted(kb.topics))


def model_sources() -> list[Path]:
    """Every file the trained model depends on: the labelled questions, the knowledge its cues
    come from (`load_corpus` reads the topics' cue terms and the scenarios' facts), and
    MODEL_CODE. Not the rest of the knowledge base or of the code: a change there trains
    nothing."""
    knowledge = [
        *sorted(CORPUS_DIR.glob("*.jsonl")),
        KNOWLEDGE_DIR / "topics.yaml",
        *sorted((KNOWLEDGE_DIR / "scenarios").glob("*.yaml")),
    ]
    return [*knowledge, *MODEL_CODE]
