"""Which section a sentence speaks to, from its words: naive Bayes over the knowledge base.

Cue terms say which points a sentence names; they say less about what it is about, since a
sentence on serving names data and model points in passing. This model reads every word, as
they are used across our own texts per section: the cheat-sheet passages, the rubric's
checkpoints (descriptions, probes, cue terms, level descriptors), the scenarios' points and the
catalogue of common mistakes (what is wrong, why, the challenge, and the example sentences a
candidate might say), in both languages. It never sees an eval answer. Multinomial naive Bayes on
word stems with additive smoothing and equal priors; counting takes milliseconds, so the model is
built on first use and kept in memory.
"""

import math
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache

from simulator.base.sections import LANGS, SECTION_IDS, SectionId
from simulator.base.settings import PROJECT_ROOT
from simulator.base.textnorm import STOP_WORDS, stems
from simulator.kb.knowledge import KnowledgeBase, load_knowledge
from simulator.kb.mistakes import MISTAKES_DIR, load_mistakes

SHARPNESS = 3.0
"""How decided a posterior is: the mean log-likelihood ratio of a word times this."""
SMOOTHING = 0.5
"""Added to every word's count per section: a word never seen in a section is unlikely there,
not impossible."""


@dataclass(frozen=True)
class SectionModel:
    log_prob: dict[SectionId, dict[str, float]]
    """log P(word | section) for every word of the vocabulary."""

    def posterior(self, text: str) -> dict[SectionId, float]:
        """P(section | words of `text`), tempered: the words' mean log-likelihood times
        SHARPNESS, so a long text is not certain of one section because it is long (naive Bayes
        multiplies what its words share). Equal for a text with no known word."""
        known = [w for w in _features(text) if w in self.log_prob[SECTION_IDS[0]]]
        if not known:
            return {s: 1 / len(SECTION_IDS) for s in SECTION_IDS}
        scores = {
            s: SHARPNESS * sum(self.log_prob[s][w] for w in known) / len(known) for s in SECTION_IDS
        }
        top = max(scores.values())
        odds = {s: math.exp(v - top) for s, v in scores.items()}
        total = sum(odds.values())
        return {s: v / total for s, v in odds.items()}


def _features(text: str) -> list[str]:
    return [s for s in stems(text) if s not in STOP_WORDS and len(s) > 1]


def corpus(kb: KnowledgeBase) -> dict[SectionId, list[str]]:
    """Texts of the knowledge base per section, both languages."""
    texts: dict[SectionId, list[str]] = {s: [] for s in SECTION_IDS}
    for passage in kb.passages:
        texts[passage.section] += [passage.text(lang) for lang in LANGS]
        texts[passage.section] += [passage.title(lang) for lang in LANGS]
    for section_id, section in kb.rubric.sections.items():
        for c in section.checkpoints:
            for lang in LANGS:
                texts[section_id] += [
                    c.description(lang),
                    c.probe(lang),
                    " ; ".join(c.evidence(lang)),
                ]
        for level in section.levels.values():
            texts[section_id] += [level(lang) for lang in LANGS]
    for scenario in kb.scenarios:
        for section_id, points in scenario.points.items():
            for p in points:
                for lang in LANGS:
                    texts[section_id] += [p.description(lang), " ; ".join(p.evidence(lang))]
    return texts


def fit(texts: dict[SectionId, list[str]]) -> SectionModel:
    counts = {s: Counter(w for t in texts[s] for w in _features(t)) for s in SECTION_IDS}
    vocabulary = set().union(*counts.values())
    log_prob: dict[SectionId, dict[str, float]] = {}
    for s in SECTION_IDS:
        total = sum(counts[s].values()) + SMOOTHING * len(vocabulary)
        log_prob[s] = {w: math.log((counts[s][w] + SMOOTHING) / total) for w in vocabulary}
    return SectionModel(log_prob)


@lru_cache(maxsize=1)
def section_model() -> SectionModel:
    """The model of the project's knowledge base (`knowledge/`), built once."""
    root = PROJECT_ROOT / "knowledge"
    kb = load_knowledge(root)
    texts = corpus(kb)
    if (root / MISTAKES_DIR).is_dir():
        catalogue = load_mistakes(root, [p.id for p in kb.passages], [s.id for s in kb.scenarios])
        for m in catalogue:
            for lang in LANGS:
                examples = m.examples(lang)
                texts[m.section] += [m.wrong(lang), m.why(lang), m.question(lang)]
                texts[m.section] += [*examples.hit, *examples.miss]
    return fit(texts)
