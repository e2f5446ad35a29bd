"""What the interviewer matches a candidate's words against, compiled once per (scenario, language).

- Checkpoint evidence (rubric) as compiled `Terms`, to track which checkpoints the candidate has
  addressed and so which sections are covered.
- The classifier's `<facts>` and `<section>` block payloads, serialised once: fact ids, topics and
  cue terms (never the fact texts), and every section's cue terms.

Building this takes a few milliseconds; a turn then only matches, it never rebuilds.
"""

import json
from collections.abc import Iterable
from dataclasses import dataclass

from pydantic import BaseModel, Field

from simulator.base.sections import SECTION_IDS, Lang, SectionId
from simulator.base.textnorm import STOP_WORDS, Terms, stem, words
from simulator.kb.knowledge import Checkpoint, KnowledgeBase, Scenario

COVERAGE_SHARE = 0.75
"""A section is covered once the checkpoints hit carry at least this share of its weight."""


class FactCue(BaseModel):
    id: str
    topic: str
    terms: list[str] = Field(default_factory=list)
    """Cue terms of this fact alone, on top of its topic's cues."""
    text_words: list[str] = Field(default_factory=list)
    """Words of the fact's own text that no other fact of the scenario shares: one input of the
    topic model, for questions in words the cue lists never foresaw."""


class FactsBlock(BaseModel):
    topics: dict[str, list[str]]
    """Cue terms per fact topic, in the interview's language."""
    facts: list[FactCue]


@dataclass(frozen=True)
class InterviewCues:
    lang: Lang
    checkpoints: dict[SectionId, tuple[Checkpoint, ...]]
    evidence: dict[str, Terms]
    """Compiled evidence terms per checkpoint id."""
    section_cues: dict[SectionId, Terms]
    facts: FactsBlock
    """Every fact's id and topic, with the cue terms of the topics and the facts."""
    topic_terms: dict[str, Terms]
    fact_terms: dict[str, Terms]
    fact_text_words: dict[str, Terms]

    def hits(self, text: str) -> list[str]:
        """Checkpoint ids whose evidence occurs in `text`, in rubric order."""
        return [cp_id for cp_id, terms in self.evidence.items() if text in terms]

    def covered(self, hit: Iterable[str]) -> list[SectionId]:
        """Sections whose hit checkpoints weigh at least COVERAGE_SHARE of the section."""
        hit_set = set(hit)
        out: list[SectionId] = []
        for section, cps in self.checkpoints.items():
            total = sum(cp.weight for cp in cps)
            got = sum(cp.weight for cp in cps if cp.id in hit_set)
            if total and got / total >= COVERAGE_SHARE:
                out.append(section)
        return out

    def missed(
        self, section: SectionId, hit: Iterable[str], asked: Iterable[str]
    ) -> list[Checkpoint]:
        """Checkpoints of `section` neither addressed nor probed yet, heaviest first."""
        skip = set(hit) | set(asked)
        todo = [cp for cp in self.checkpoints[section] if cp.id not in skip]
        return sorted(todo, key=lambda cp: -cp.weight)  # stable: rubric order breaks ties

    def facts_json(self, message: str) -> str:
        """The classifier's `<facts>` payload (see `facts_block`)."""
        return self.facts_block(message).model_dump_json()

    def facts_block(self, message: str) -> FactsBlock:
        """Every fact, with only the cues `message` contains.

        The classifier scores a fact by the cues found in the question, so the cues that are not
        in the message change nothing; leaving them out keeps every turn's prompt small.
        """
        return FactsBlock(
            topics={t: terms.find(message) for t, terms in self.topic_terms.items()},
            facts=[
                FactCue(
                    id=f.id,
                    topic=f.topic,
                    terms=self.fact_terms[f.id].find(message),
                    text_words=self.fact_text_words[f.id].find(message),
                )
                for f in self.facts.facts
            ],
        )

    def section_json(self, current: SectionId, message: str) -> str:
        """The classifier's `<section>` payload, pruned to the cues `message` contains."""
        cues = {s: terms.find(message) for s, terms in self.section_cues.items()}
        return json.dumps({"current": current, "cues": cues}, ensure_ascii=False)


def _fact_cues(kb: KnowledgeBase, scenario: Scenario, lang: Lang) -> FactsBlock:
    topics = {f.topic for f in scenario.facts}
    distinctive = _distinctive_words({f.id: f.text(lang) for f in scenario.facts})
    return FactsBlock(
        topics={t: kb.topics[t](lang) for t in sorted(topics) if t in kb.topics},
        facts=[
            FactCue(
                id=f.id,
                topic=f.topic,
                terms=f.terms(lang) if f.terms else [],
                text_words=distinctive[f.id],
            )
            for f in scenario.facts
        ],
    )


def _distinctive_words(texts: dict[str, str]) -> dict[str, list[str]]:
    """Per fact, the content words of its text whose stem no other fact's text has."""
    stemmed = {
        fid: {stem(w): w for w in words(text) if w.isalpha() and len(w) > 2 and w not in STOP_WORDS}
        for fid, text in texts.items()
    }
    out: dict[str, list[str]] = {}
    for fid, own in stemmed.items():
        others = {s for other, st in stemmed.items() if other != fid for s in st}
        out[fid] = sorted(w for s, w in own.items() if s not in others)
    return out


def compile_cues(kb: KnowledgeBase, scenario: Scenario, lang: Lang) -> InterviewCues:
    """Compiled cues for one scenario in one language; callers keep it for the whole session."""
    checkpoints = {s: tuple(kb.rubric.sections[s].checkpoints) for s in SECTION_IDS}
    evidence = {cp.id: Terms(cp.evidence(lang)) for s in SECTION_IDS for cp in checkpoints[s]}
    section_cues = {
        s: Terms(list(dict.fromkeys(t for cp in checkpoints[s] for t in cp.evidence(lang))))
        for s in SECTION_IDS
    }
    facts = _fact_cues(kb, scenario, lang)
    return InterviewCues(
        lang=lang,
        checkpoints=checkpoints,
        evidence=evidence,
        section_cues=section_cues,
        facts=facts,
        topic_terms={t: Terms(terms) for t, terms in facts.topics.items()},
        fact_terms={f.id: Terms(f.terms) for f in facts.facts},
        fact_text_words={f.id: Terms(f.text_words) for f in facts.facts},
    )
