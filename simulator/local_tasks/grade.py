"""The local model's grader: deterministic rubric coverage, run from the blocks of the grade prompt.

Blocks: `<rubric>` (JSON: per section its checkpoints and scenario points with cue terms),
`<disclosed_facts>` (JSON: topics the candidate asked about, mapped to checkpoints),
`<candidate_answer>` (the text). Only sentences with content count: a heading, a bare list of
names or a fragment of three words or fewer shows a point was named, never that it was covered.
A sentence that speaks to the grader (a fake tag, "ignore the rubric") counts for nothing at all.
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
# Words addressed to whoever grades, not to the design problem: such a sentence is an attempt to
# steer the grade, so it neither covers nor names anything.
TO_THE_GRADER = Terms(
    [
        "rubric", "grader", "grading", "checklist", "full marks", "ignore previous",
        "ignore all", "ignore your", "ignore the above", "ignore the rubric", "disregard any",
        "system prompt", "you are now", "pretend",
        "рубрик*", "оценщик*", "чеклист*", "критери* оценк*", "игнорируй*", "проигнорируй*",
        "не обращай внимани*", "высший балл", "теперь ты", "притворись", "представь, что ты",
    ]
)  # fmt: skip
# Words that name a section when they open a block ("Serving:", "## Data and labels"): what follows
# is about that section, so its sentences count there first.
SECTION_NAMES: dict[SectionId, Terms] = {
    "requirements": Terms(["requirement*", "clarif*", "scope", "problem statement", "требовани*",
                           "уточнени*", "постановк*"]),
    "metrics": Terms(["metric*", "evaluation", "метрик*", "оценк* качеств*"]),
    "architecture": Terms(["architecture", "pipeline", "system design", "high-level design",
                           "архитектур*", "пайплайн*"]),
    "data": Terms(["data", "dataset", "features", "feature engineering", "labels", "данные",
                   "данных", "датасет*", "признак*", "разметк*"]),
    "model": Terms(["model", "models", "modelling", "modeling", "модел*"]),
    "serving": Terms(["serving", "deployment", "deploy*", "production", "inference", "monitoring",
                      "launch", "сервинг*", "обслуживани*", "внедрени*", "деплой*", "продакшн*",
                      "инференс*", "мониторинг*", "запуск*"]),
}  # fmt: skip
LEAD_IN_WORDS = 8
"""A lead-in ("Let me draw the architecture end to end:") is at most this many words."""
_TAG = re.compile(r"</?[a-z_]+[^>]*>", re.IGNORECASE)
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
    declared: SectionId | None = None
    """The section its heading or its block's lead-in names, if any."""


@lru_cache(maxsize=1024)
def _terms(terms: tuple[str, ...]) -> Terms:
    return Terms(terms)


def split_sentences(answer: str) -> list[Sentence]:
    """Sentences of the answer, verbatim, each marked as content or a mere naming.

    A heading that names a section declares it for what follows, up to the next heading; a block
    (paragraph) that opens with a lead-in naming a section ("Serving: ...") declares it for that
    block. Both depend only on what comes before, so adding text never re-files earlier sentences.
    """
    out: list[Sentence] = []
    by_heading: SectionId | None = None
    by_lead_in: SectionId | None = None
    block_start = True
    for line in answer.splitlines():
        stripped = line.strip().lstrip("-*•>").strip()
        if not stripped:
            block_start, by_lead_in = True, None
            continue
        heading = line.lstrip().startswith("#") or (
            stripped.endswith(":") and len(words(stripped)) <= 6
        )
        if heading:
            by_heading, by_lead_in = _named_section(stripped), None
        elif block_start:
            by_lead_in = _lead_in_section(stripped)
        block_start = heading
        for part in _SENTENCE_END.split(stripped):
            part = part.strip()
            if not part or _TAG.search(part) or part in TO_THE_GRADER:
                continue
            content = not heading and len(words(part)) > 3 and not _is_bare_list(part)
            out.append(
                Sentence(
                    text=part,
                    content=content,
                    reasons=len(REASON_TERMS.find(part)) if content else 0,
                    numbers=bool(_NUMBER.search(part)) and content,
                    declared=by_lead_in or by_heading,
                )
            )
    return out


def _named_section(text: str) -> SectionId | None:
    """The section a heading or lead-in names; the earliest named one when it names several."""
    lowered = text.lower()
    found = [
        (lowered.find(term.rstrip("*").split()[0]), sid)
        for sid, names in SECTION_NAMES.items()
        for term in names.find(text)
    ]
    return min(found)[1] if found else None


def _lead_in_section(line: str) -> SectionId | None:
    head, colon, _ = line.partition(":")
    if not colon or len(words(head)) > LEAD_IN_WORDS:
        return None
    return _named_section(head)


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
    """Per sentence, the checkpoints it hits in the section(s) it is about.

    A sentence under a declared section counts there when it hits that section at all (elsewhere
    it only names things, see `grade`). Otherwise only the sections with the most checkpoint hits
    in it keep them: a sentence about data that mentions latency in passing counts for data.
    """
    out: list[dict[SectionId, set[str]]] = []
    for sentence in sentences:
        hits: dict[SectionId, set[str]] = {}
        for section_id, cues in rubric.sections.items():
            found = {c.id for c in cues.checkpoints if _terms(tuple(c.terms)).find(sentence.text)}
            if found:
                hits[section_id] = found
        if sentence.declared in hits:
            out.append({sentence.declared: hits[sentence.declared]})
            continue
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
            if not sentence.content or sentence.declared not in (None, section_id):
                named = True  # a heading, a list of names, or a passing mention elsewhere
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
