"""Per-section scoring against the rubric, on any model, with everything the model says checked.

The grader builds one prompt (simulator/grading/prompt.py: a system message with the scale and
the level descriptors, a user message with the scenario, the open points and the candidate's
words) and asks for `SectionGrades`, evidence first. Whatever comes back is checked here: each
quote is matched to the candidate's own text (simulator/grading/quotes.py), quotes that match
nothing are reported in a notice, a section with no matched evidence at all keeps at most 1 and
the notice says so, and nothing the candidate writes can raise a score (their text is a defused
block of data). Missed checkpoints, references, advice and reading come from the knowledge base,
so the report always cites real passages.
"""

import logging
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

from langchain_core.language_models import BaseChatModel

from simulator.base.sections import SECTION_IDS, Lang
from simulator.base.settings import Settings
from simulator.base.strings import text
from simulator.grading.consistency import settle
from simulator.grading.copied import own_words
from simulator.grading.prompt import Cut, GradeContext, Transcript, full_id, grade_prompt
from simulator.grading.quotes import QuoteCheck, QuoteMatcher
from simulator.grading.types import (
    GradeReport,
    MissedPoint,
    ReadNext,
    SectionGrade,
    SectionGrades,
    SectionReport,
)
from simulator.grading.visible import visible_text
from simulator.kb.knowledge import Checkpoint, KnowledgeBase, Scenario, load_knowledge
from simulator.kb.mistakes import MISTAKES_DIR, Mistake, load_mistakes
from simulator.llm.calls import ask_structured, runs_locally

log = logging.getLogger(__name__)

MAX_ANSWER_CHARS = 200_000
"""Longer answers are graded on this prefix, and the report says so."""
READ_NEXT = 5

UNVERIFIED_MAX_SCORE = 1
"""A section with no quote matched in the answer shows at most that a point was named (scale 1);
the report says when a score was capped to it."""
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
    transcript: Transcript | None = None,
) -> GradeReport:
    """Grade a written design or an interview's candidate text, section by section.

    `answer` is the candidate's words, the only text quotes are matched against; for an interview,
    `transcript` holds the turns they come from with the interviewer's (context for the model).
    """
    notices: list[str] = []
    if len(answer) > MAX_ANSWER_CHARS:
        answer = answer[:MAX_ANSWER_CHARS]
        notices.append(text("grade.notice.truncated", lang, limit=MAX_ANSWER_CHARS))
    # What a reader cannot see, and sentences copied from our own passages, are never graded.
    seen = visible_text(answer)
    own = own_words(seen.text, kb)
    answer = own.text
    notices += [text("grade.notice.hidden", lang)] if seen.removed else []
    notices += [text("grade.notice.copied", lang, count=own.copied)] if own.copied else []
    transcript = _as_graded(transcript, kb) if transcript is not None else None
    ctx = grade_context(kb, lang, settings, scenario, disclosed_facts)
    credited, watch = ctx.credited, ctx.watch
    prompt = grade_prompt(
        ctx,
        answer,
        prompts_dir=settings.prompts_dir,
        transcript=transcript,
        window=None if runs_locally(model) else settings.context_tokens,
        counting_model=getattr(model, "model_name", None),
    )
    if prompt.cut is not None:
        notices.append(_cut_notice(prompt.cut, lang))
    result = ask_structured(model, SectionGrades, prompt.messages, local_prompt=prompt.local)
    if result.fallback:
        notices.append(text("grade.notice.fallback", lang, note=result.note or ""))
    matched, quote_notices = _matched_quotes(result.value, QuoteMatcher(answer), lang)
    notices += quote_notices
    grades, mistakes = settle(
        matched, kb=kb, scenario=scenario, lang=lang, credited=credited, watch=watch,
        answer=answer,
    )  # fmt: skip
    claimed = {g.id: g.score for g in result.value.sections}
    sections: list[SectionReport] = []
    for grade in grades.sections:
        report, capped = _section_report(grade, claimed[grade.id], kb, lang, credited)
        sections.append(report)
        notices += [capped] if capped else []
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
        mistakes=mistakes,
    )


def grade_context(
    kb: KnowledgeBase,
    lang: Lang,
    settings: Settings,
    scenario: Scenario | None = None,
    disclosed_facts: Sequence[str] = (),
) -> GradeContext:
    """What a grade is about: the scenario, the points credited by asking, the mistakes to watch."""
    credited = _credited_checkpoints(kb, scenario, disclosed_facts)
    watch = _watch_list(settings.knowledge_dir, scenario.id if scenario else None)
    return GradeContext(kb, lang, scenario, disclosed_facts, credited, watch)


def _as_graded(transcript: Transcript, kb: KnowledgeBase) -> Transcript:
    """The transcript with each candidate turn read as their answer is: without what a reader
    cannot see or what was copied from our passages."""
    return [
        (role, own_words(visible_text(said).text, kb).text if role == "candidate" else said)
        for role, said in transcript
    ]


def _cut_notice(cut: Cut, lang: Lang) -> str:
    """Say (in the log and the report) that the candidate's text was cut to fit the window."""
    log.warning(
        "the grade prompt would not fit SIM_CONTEXT_TOKENS=%d: the candidate's text (%d tokens) "
        "was cut at a sentence boundary to fit %d",
        cut.window,
        cut.tokens,
        cut.kept,
    )
    return text(
        "grade.notice.context_cut", lang, tokens=cut.tokens, room=cut.kept, window=cut.window
    )


def _watch_list(knowledge_dir: Path, scenario_id: str | None) -> list[Mistake]:
    """The common mistakes that apply to the scenario; none without a catalogue."""
    return [m for m in _catalogue(knowledge_dir) if m.applies_to(scenario_id)]


@lru_cache(maxsize=4)
def _catalogue(knowledge_dir: Path) -> tuple[Mistake, ...]:
    """The catalogue of common mistakes, checked against its own knowledge base (the one graded
    against may be another, a test's)."""
    if not (knowledge_dir / MISTAKES_DIR).is_dir():
        return ()
    own = load_knowledge(knowledge_dir)
    ids = ([p.id for p in own.passages], [s.id for s in own.scenarios])
    return tuple(load_mistakes(knowledge_dir, *ids))


def _credited_checkpoints(
    kb: KnowledgeBase, scenario: Scenario | None, disclosed: Sequence[str]
) -> set[str]:
    """Checkpoints covered by asking: the rubric's `credited_by_topics` of the facts disclosed."""
    if scenario is None:
        return set()
    topics = {f.topic for f in scenario.facts if f.id in set(disclosed)}
    return kb.rubric.credited_by(topics)


def _matched_quotes(
    grades: SectionGrades, matcher: QuoteMatcher, lang: Lang
) -> tuple[SectionGrades, list[str]]:
    """The grades with each section's quotes replaced by the candidate's own text they match,
    in section order, and a notice for each section whose quotes did not all match."""
    checked: list[SectionGrade] = []
    notices: list[str] = []
    for grade in sorted(grades.sections, key=lambda g: SECTION_IDS.index(g.id)):
        quotes = matcher.check(grade.evidence)
        checked.append(grade.model_copy(update={"evidence": quotes.matched}))
        if quotes.failed:
            notices.append(_quotes_notice(grade, quotes, lang))
    return SectionGrades(sections=checked), notices


def _quotes_notice(grade: SectionGrade, quotes: QuoteCheck, lang: Lang) -> str:
    return text(
        "grade.notice.quotes_unmatched",
        lang,
        section=text(f"section.{grade.id}", lang),
        failed=quotes.failed,
        total=quotes.failed + len(quotes.matched),
    )


def _section_report(
    grade: SectionGrade, claimed: int, kb: KnowledgeBase, lang: Lang, credited: set[str]
) -> tuple[SectionReport, str | None]:
    """The section's report, and a notice when its score (`claimed` by the model) had to be
    capped for want of any matched evidence (a question asked is evidence enough)."""
    evidence = grade.evidence
    checkpoints = kb.rubric.sections[grade.id].checkpoints
    asked = any(c.id in credited for c in checkpoints)
    capped = not evidence and not asked and grade.score > UNVERIFIED_MAX_SCORE
    score = UNVERIFIED_MAX_SCORE if capped else grade.score
    covered = {full_id(grade.id, c) for c in grade.covered} | credited
    missed = sorted((c for c in checkpoints if c.id not in covered), key=lambda c: -c.weight)
    advice = [a for a in grade.advice if a.strip()][:2] or _advice(missed, score, lang)
    references = list(dict.fromkeys(c.passage for c in [*missed, *checkpoints]))
    report = SectionReport(
        id=grade.id,
        score=score,
        evidence=evidence,
        asked=[c.description(lang) for c in checkpoints if c.id in credited],
        missed=[_missed_point(c, kb, lang) for c in missed],
        references=references,
        advice=advice,
    )
    notice = None
    if capped:
        section = text(f"section.{grade.id}", lang)
        notice = text("grade.notice.score_capped", lang, section=section, score=claimed, cap=score)
    return report, notice


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
