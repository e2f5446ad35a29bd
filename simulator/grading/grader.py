"""Per-section scoring against the rubric, on any model, with everything the model says checked.

The grader builds one prompt (`prompts/grade.md`) and asks for `SectionGrades`. Whatever comes
back is verified here: quotes not found verbatim in the answer are dropped, a section left with no
verified evidence keeps at most 1, and nothing the candidate writes can raise a score (their text
is a defused block of data). Missed checkpoints, references, advice and reading come from the
knowledge base, so the report always cites real passages.
"""

import json
import re
from collections.abc import Sequence

from langchain_core.language_models import BaseChatModel

from simulator.base.sections import LANGS, SECTION_IDS, Lang
from simulator.base.settings import Settings
from simulator.base.strings import text
from simulator.grading.types import (
    GradeReport,
    MissedPoint,
    ReadNext,
    SectionGrade,
    SectionGrades,
    SectionReport,
)
from simulator.kb.knowledge import Checkpoint, KnowledgeBase, Scenario
from simulator.llm.calls import ask_structured
from simulator.llm.prompting import render, untrusted_block

MAX_ANSWER_CHARS = 200_000
"""Longer answers are graded on this prefix, and the report says so."""
READ_NEXT = 5

UNVERIFIED_MAX_SCORE = 1
"""A section with no quote verified in the answer shows at most that a point was named (scale 1)."""
TOP_SCORE = 4
"""The top of the 0..4 scale: below it, the advice asks for argued trade-offs tied to the facts."""


def grade_answer(
    answer: str,
    *,
    kb: KnowledgeBase,
    model: BaseChatModel,
    lang: Lang,
    settings: Settings,
    scenario: Scenario | None = None,
    disclosed_facts: Sequence[str] = (),
) -> GradeReport:
    """Grade a written design or an interview's candidate text, section by section."""
    notices: list[str] = []
    if len(answer) > MAX_ANSWER_CHARS:
        answer = answer[:MAX_ANSWER_CHARS]
        notices.append(text("grade.notice.truncated", lang, limit=MAX_ANSWER_CHARS))
    credited = _credited_checkpoints(kb, scenario, disclosed_facts)
    prompt = render(
        settings.prompts_dir,
        "grade",
        lang=lang,
        rubric=json.dumps(_rubric_block(kb, scenario), ensure_ascii=False),
        disclosed_facts=json.dumps({"checkpoints": sorted(credited)}),
        candidate_answer=untrusted_block("candidate_answer", answer),
    )
    result = ask_structured(model, SectionGrades, prompt)
    if result.fallback:
        notices.append(text("grade.notice.fallback", lang, note=result.note or ""))
    by_id = {g.id: g for g in result.value.sections}
    sections = [
        _section_report(by_id.get(sid, SectionGrade(id=sid, score=0)), answer, kb, lang, credited)
        for sid in SECTION_IDS
    ]
    weights = {sid: kb.rubric.sections[sid].weight for sid in SECTION_IDS}
    overall = sum(weights[s.id] * s.score for s in sections) / sum(weights.values())
    return GradeReport(
        scenario=scenario.id if scenario else None,
        lang=lang,
        overall=round(overall, 2),
        sections=sections,
        read_next=_read_next(kb, sections, lang),
        fallback=result.fallback,
        notices=notices,
    )


def _credited_checkpoints(
    kb: KnowledgeBase, scenario: Scenario | None, disclosed: Sequence[str]
) -> set[str]:
    """Checkpoints covered by asking: the rubric's `credited_by_topics` of the facts disclosed."""
    if scenario is None:
        return set()
    topics = {f.topic for f in scenario.facts if f.id in set(disclosed)}
    return kb.rubric.credited_by(topics)


def _rubric_block(kb: KnowledgeBase, scenario: Scenario | None) -> dict[str, object]:
    """Checkpoints and scenario points with the cue terms of both languages (answers mix them);
    the checkpoint with a `role` (the pipeline) says so, for the local grader."""
    sections: dict[str, object] = {}
    for sid in SECTION_IDS:
        section = kb.rubric.sections[sid]
        points = scenario.points.get(sid, []) if scenario else []
        sections[sid] = {
            "weight": section.weight,
            "checkpoints": [
                {
                    "id": c.id,
                    "weight": c.weight,
                    "description": c.description.en,
                    "terms": [t for lang in LANGS for t in c.evidence(lang)],
                    **({"role": c.role} if c.role else {}),
                }
                for c in section.checkpoints
            ],
            "points": [
                {
                    "id": p.id,
                    "description": p.description.en,
                    "terms": [t for lang in LANGS for t in p.evidence(lang)],
                }
                for p in points
            ],
        }
    return {"sections": sections}


def _normalise(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip().lower()


def _verified(quotes: list[str], answer: str) -> list[str]:
    """Quotes that really are the candidate's words; anything else is dropped."""
    haystack = _normalise(answer)
    seen: list[str] = []
    for quote in quotes:
        q = quote.strip()
        if q and _normalise(q) in haystack and q not in seen:
            seen.append(q)
    return seen


def _section_report(
    grade: SectionGrade, answer: str, kb: KnowledgeBase, lang: Lang, credited: set[str]
) -> SectionReport:
    evidence = _verified(grade.evidence, answer)
    checkpoints = kb.rubric.sections[grade.id].checkpoints
    asked = any(c.id in credited for c in checkpoints)
    score = grade.score if evidence or asked else min(grade.score, UNVERIFIED_MAX_SCORE)
    covered = set(grade.covered) | credited
    missed = sorted((c for c in checkpoints if c.id not in covered), key=lambda c: -c.weight)
    advice = [a for a in grade.advice if a.strip()][:2] or _advice(missed, score, lang)
    references = list(dict.fromkeys(c.passage for c in [*missed, *checkpoints]))
    return SectionReport(
        id=grade.id,
        score=score,
        evidence=evidence,
        missed=[_missed_point(c, kb, lang) for c in missed],
        references=references,
        advice=advice,
    )


def _missed_point(checkpoint: Checkpoint, kb: KnowledgeBase, lang: Lang) -> MissedPoint:
    passage = kb.passage(checkpoint.passage)
    return MissedPoint(
        id=checkpoint.id,
        text=checkpoint.description(lang),
        passage=checkpoint.passage,
        passage_text=passage.text(lang) if passage else "",
    )


def _advice(missed: list[Checkpoint], score: int, lang: Lang) -> list[str]:
    advice = [text("grade.advice.missed", lang, text=c.description(lang)) for c in missed[:1]]
    if score < TOP_SCORE:
        advice.append(text("grade.advice.depth", lang))
    return advice[:2]


def _read_next(kb: KnowledgeBase, sections: list[SectionReport], lang: Lang) -> list[ReadNext]:
    """The passages behind the heaviest missed points, weakest sections first."""
    ranked: list[tuple[int, float, str]] = []
    for section in sorted(sections, key=lambda s: s.score):
        weight = kb.rubric.sections[section.id].weight
        ranked.extend((section.score, -weight, m.passage) for m in section.missed)
    out: list[ReadNext] = []
    for _, _, passage_id in sorted(ranked):
        passage = kb.passage(passage_id)
        if passage and passage_id not in {r.passage for r in out}:
            out.append(ReadNext(passage=passage_id, title=passage.title(lang)))
        if len(out) == READ_NEXT:
            break
    return out
