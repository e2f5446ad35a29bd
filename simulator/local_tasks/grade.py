"""The local model's grader: deterministic rubric coverage, run from the blocks of the grade prompt.

Blocks: `<rubric>` (JSON: per section its checkpoints and scenario points with cue terms),
`<disclosed_facts>` (JSON: topics the candidate asked about, mapped to checkpoints),
`<candidate_answer>` (the text). Only sentences with content count: a heading, a bare list of
names or a fragment of three words or fewer shows a point was named, never that it was covered.
Scores grow with coverage, reasons and ties to the scenario; adding text never lowers them.
"""

import json
import re
from dataclasses import dataclass
from functools import lru_cache

from pydantic import BaseModel

from simulator.sections import SECTION_IDS, SectionId
from simulator.textnorm import Terms, words

REASON_TERMS = Terms(
    [
        "because",
        "since",
        "so that",
        "therefore",
        "trade-off*",
        "tradeoff*",
        "trade off",
        "but",
        "however",
        "instead",
        "whereas",
        "pros",
        "cons",
        "downside*",
        "upside*",
        "at the cost",
        "cost of",
        "which means",
        "otherwise",
        "drawback*",
        "risk*",
        "потому что",
        "так как",
        "поэтому",
        "чтобы",
        "компромисс*",
        "но",
        "однако",
        "зато",
        "плюс*",
        "минус*",
        "вместо",
        "иначе",
        "ценой",
        "недостат*",
        "преимуществ*",
        "риск*",
    ]
)
_NUMBER = re.compile(r"\d")
_SENTENCE_END = re.compile(r"(?<=[.!?;])\s+")


class CueItem(BaseModel):
    id: str
    weight: float = 1.0
    terms: list[str]


class SectionCues(BaseModel):
    checkpoints: list[CueItem]
    points: list[CueItem] = []


class RubricBlock(BaseModel):
    sections: dict[SectionId, SectionCues]


class DisclosedBlock(BaseModel):
    checkpoints: list[str] = []
    """Checkpoint ids credited because the candidate asked the matching clarifying question."""


@dataclass(frozen=True)
class Sentence:
    text: str
    content: bool
    """False for headings, bare lists of names and fragments: they name, they do not cover."""
    reasons: int
    numbers: bool


@lru_cache(maxsize=1024)
def _terms(terms: tuple[str, ...]) -> Terms:
    return Terms(terms)


def split_sentences(answer: str) -> list[Sentence]:
    """Sentences of the answer, verbatim, each marked as content or a mere naming."""
    out: list[Sentence] = []
    for line in answer.splitlines():
        stripped = line.strip().lstrip("-*•>").strip()
        if not stripped:
            continue
        heading = line.lstrip().startswith("#") or (
            stripped.endswith(":") and len(words(stripped)) <= 6
        )
        for part in _SENTENCE_END.split(stripped):
            part = part.strip()
            if not part:
                continue
            content = not heading and len(words(part)) > 3 and not _is_bare_list(part)
            out.append(
                Sentence(
                    text=part,
                    content=content,
                    reasons=len(REASON_TERMS.find(part)) if content else 0,
                    numbers=bool(_NUMBER.search(part)) and content,
                )
            )
    return out


def _is_bare_list(sentence: str) -> bool:
    """A comma-separated run of short names with no reasoning: buzzwords, not an answer."""
    parts = [p for p in re.split(r"[,;/]|\s+and\s+|\s+и\s+", sentence) if p.strip()]
    if len(parts) < 3:
        return False
    short = sum(len(words(p)) <= 2 for p in parts)
    return short / len(parts) >= 0.75 and not REASON_TERMS.find(sentence)


def score_section(coverage: float, named: bool, reasons: int, ties: int) -> int:
    """The DESIGN.md scale from measured coverage (0..1), reasons and ties to the scenario."""
    if coverage == 0:
        return 1 if named else 0
    if coverage >= 0.7 and reasons >= 3 and ties >= 1:
        return 4
    if coverage >= 0.5 and reasons >= 1:
        return 3
    if coverage >= 0.25:
        return 2
    return 1


def _sentence_hits(
    sentences: list[Sentence], rubric: RubricBlock
) -> list[dict[SectionId, set[str]]]:
    """Per sentence, the checkpoints it hits in the section(s) it is mostly about.

    A sentence about data that mentions latency in passing counts for data, not requirements:
    only the sections with the most checkpoint hits in that sentence keep them.
    """
    out: list[dict[SectionId, set[str]]] = []
    for sentence in sentences:
        hits: dict[SectionId, set[str]] = {}
        for section_id, cues in rubric.sections.items():
            found = {c.id for c in cues.checkpoints if _terms(tuple(c.terms)).find(sentence.text)}
            if found:
                hits[section_id] = found
        top = max((len(v) for v in hits.values()), default=0)
        out.append({k: v for k, v in hits.items() if len(v) == top})
    return out


def grade(answer: str, rubric: RubricBlock, disclosed: DisclosedBlock) -> dict[str, object]:
    sentences = split_sentences(answer)
    per_sentence = _sentence_hits(sentences, rubric)
    sections: list[dict[str, object]] = []
    for section_id in SECTION_IDS:
        cues = rubric.sections.get(section_id)
        if cues is None:
            sections.append({"id": section_id, "score": 0, "evidence": [], "covered": []})
            continue
        covered: set[str] = {c.id for c in cues.checkpoints if c.id in disclosed.checkpoints}
        named = False
        evidence: list[Sentence] = []
        for sentence, hits in zip(sentences, per_sentence, strict=True):
            hit = hits.get(section_id)
            if not hit:
                continue
            if not sentence.content:
                named = True
                continue
            covered |= hit
            evidence.append(sentence)
        ties = {
            p.id
            for p in cues.points
            for s in sentences
            if s.content and _terms(tuple(p.terms)).find(s.text)
        }
        total = sum(c.weight for c in cues.checkpoints) or 1.0
        coverage = sum(c.weight for c in cues.checkpoints if c.id in covered) / total
        reasons = sum(s.reasons for s in evidence)
        ties_count = len(ties) + sum(s.numbers for s in evidence)
        best = sorted(evidence, key=lambda s: -s.reasons)[:3]
        sections.append(
            {
                "id": section_id,
                "score": score_section(coverage, named, reasons, ties_count),
                "evidence": [s.text for s in best],
                "covered": sorted(covered | ties),
            }
        )
    return {"sections": sections}


def run(blocks: dict[str, str]) -> dict[str, object]:
    rubric = RubricBlock.model_validate(json.loads(blocks.get("rubric") or '{"sections": {}}'))
    disclosed = DisclosedBlock.model_validate(json.loads(blocks.get("disclosed_facts") or "{}"))
    return grade(blocks.get("candidate_answer", ""), rubric, disclosed)
