"""The local model's grader: deterministic rubric coverage, run from the blocks of the grade prompt.

Blocks: `<rubric>` (JSON: per section its checkpoints and scenario points with cue
terms; under `scenario`, its id, its facts with the checkpoint each one's question covers and
the ids of the common mistakes to watch for), `<disclosed_facts>` (JSON: checkpoints credited
because the candidate asked), `<candidate_answer>` (the text, already stripped of what a reader
cannot see and of what was copied from our passages). The mistakes' cues are read from the
catalogue (`knowledge/mistakes/`); each one found is returned with the unit that makes it.

The grader follows content, not form. The answer is read as units (sentences, list items, table
rows; `simulator/llm/local/answer_text.py`), each read against the rubric block
(`answer_units.py`) and filed under exactly one section (`section_filing.py`): the one its cue
words, scenario points, figures and mistakes point at (a figure given to a step of the design is
its budget, not a requirement), what a heading or label declares, and what the units around it
are about, so headings, bullets, one paragraph or a shuffled order file the same words the same
way. A section is scored here, only from its own units:

- a unit covers the checkpoints its words name, unless it only names them: a heading, a fragment,
  a bare list of names, a clause that denies them ("no A/B test", "monitoring: not needed"), a
  sentence that commits to nothing (only broad topic words, no figure, no technical name), or one
  that commits by cue words alone in a long block with hardly a figure, fact or name (pages of
  filler that sound technical now and then);
- a figure ties the answer to the scenario only when it matches one of the scenario's facts (and
  the unit shares a word with that fact); stating a fact's figure covers the checkpoint that
  asking about it covers (a clarifying question with its answer counts for the requirements);
- reasons count where the unit commits to something, and a guess ("probably") gives none;
- a unit that makes a common mistake of the catalogue earns nothing, and each mistake costs its
  section a point; the mistakes are returned with the unit as their quote;
- its evidence quotes the units sure of their section (filed with most of their paragraph, about
  it by their own words, and under its heading or in the passage where it is discussed, not a
  stray line filed there from another), those whose words lead most clearly for it first, then
  the most argued and tied; where none is sure, the one that leads most clearly.

The cue words are data in `knowledge/lexicon/grading.yaml`; the pipeline checkpoint is the one
the rubric block marks `role: pipeline`.
"""

import json
from collections.abc import Sequence
from functools import lru_cache

from pydantic import BaseModel

from simulator.base.sections import SECTION_IDS, SectionId
from simulator.base.settings import PROJECT_ROOT
from simulator.kb.knowledge import load_knowledge
from simulator.kb.mistakes import MISTAKES_DIR, Mistake, load_mistakes
from simulator.llm.local.answer_text import Sentence, split_sentences
from simulator.llm.local.answer_units import (
    WIRED_COMPONENTS,
    Pipeline,
    RubricBlock,
    ScenarioCues,
    SectionCues,
    Unit,
    elaborations,
    fact_figures,
    heading_holds,
    lead,
    lead_ins,
    pipeline_of,
    platitude_blocks,
    read_unit,
)
from simulator.llm.local.section_filing import attribute, settled

__all__ = ["Sentence", "grade", "run", "score_section", "split_sentences"]

DEVELOPED_WORDS = 15
"""A section whose own units hold fewer words than this only names its points (level 1)."""
COMPLETE = 0.85
"""Coverage at which a section has "most key points" even without reason words."""
ARGUED = 0.75
"""Reasons per checkpoint that make a fully covered section argued throughout."""
FULL_COVERAGE = 1.0
"""Every checkpoint covered: with ARGUED reasons, a 4 without quoting the scenario at length."""
ARGUED_TIES = 1
"""Even a fully argued section ties to the scenario this often for a 4: the scale's "tied to this
scenario's facts"."""
QUOTED_COVERAGE = 0.6
"""A 4 by quoting the scenario still needs most points covered, not depth on a few."""
QUOTED_REASONS = 2
"""...and this many reasons: one "because" is not trade-offs argued."""
QUOTED_TIES = 3
"""...and this many of the scenario's points and facts: tied to this case, not to any."""
MOST_COVERAGE = 0.4
"""Below COMPLETE, this share of the points is "most key points" (a 3) when reasons or facts back
them; "most" counts by weight, and the heaviest points carry a section."""
BACKED_REASONS = 2
"""Reasons that back a section's points on their own: argued twice."""
BACKED_TIES_WITH_A_REASON = 2
"""Ties to the scenario that back one reason: argued once and tied twice to the facts."""
BACKED_TIES = 4
"""Ties to the scenario that back a section without a reason word: tied throughout."""
POINT_COVERAGE = 1.0
"""Weight a scenario point adds to its section's coverage (a checkpoint weighs 0.5 to 2)."""
SOME_COVERAGE = 0.25
"""A quarter of the points by weight is "some key points" (a 2); less only names the section."""
EVIDENCE_QUOTES = 3
"""Quotes kept per section as its evidence, the most clearly about it first."""
MISTAKE_COST = 1
"""Points a section loses for each common mistake made in it."""


class DisclosedBlock(BaseModel):
    checkpoints: list[str] = []
    """Checkpoint ids credited because the candidate asked the matching clarifying question."""


# ----- scoring ---------------------------------------------------------------------------------


def score_section(
    coverage: float,
    reasons: int,
    ties: int,
    checkpoints: int,
    *,
    wired: bool | None = None,
    most: float | None = None,
) -> int:
    """The DESIGN.md scale, for a developed section, from coverage (0..1), reasons and ties.

    A 4 is thorough, argued and tied to the scenario: either the scenario's facts are quoted
    (ties count its points and facts), or every checkpoint is covered with a reason for most.
    Below 4, `most` (coverage with the scenario's points counted in) says how many key points.
    `wired` is given for the pipeline's section alone: whether it connects named parts of the
    system. Stages with no part named ("data, then the model, then serving") are only named,
    whatever reasons come with them; connected parts say more than a name even with no reason.
    """
    if wired is False:
        return 1
    quoted = coverage >= QUOTED_COVERAGE and reasons >= QUOTED_REASONS and ties >= QUOTED_TIES
    argued = coverage >= FULL_COVERAGE and reasons >= ARGUED * checkpoints and ties >= ARGUED_TIES
    if quoted or argued:
        return 4
    if not reasons and not ties and not wired:
        return 1  # key points named, but not one reason, fact, tie or connected part
    coverage = coverage if most is None else most
    # Argued twice, argued once and tied twice to the scenario's facts, or tied throughout.
    backed = (
        reasons >= BACKED_REASONS
        or (reasons >= 1 and ties >= BACKED_TIES_WITH_A_REASON)
        or (reasons >= 1 and ties >= 1 and coverage >= QUOTED_COVERAGE)
        or ties >= BACKED_TIES
    )
    if coverage >= COMPLETE or (coverage >= MOST_COVERAGE and backed):
        return 3  # most points, argued or backed by the scenario's facts
    if coverage >= SOME_COVERAGE:
        return 2
    return 1


def _wires(units: Sequence[Unit]) -> bool:
    """Units that lay the system out: a chain of arrows, or sentences (not lists of names) that
    name at least WIRED_COMPONENTS parts with data moving between them."""
    if any(u.chain for u in units):
        return True
    said = [u for u in units if u.credit]
    parts = {c for u in said for c in u.components}
    return len(parts) >= WIRED_COMPONENTS and any(u.moves and u.components for u in said)


def _grade_section(
    section_id: SectionId,
    cues: SectionCues | None,
    own: list[Unit],
    settled: list[bool],
    disclosed: DisclosedBlock,
    pipeline: Pipeline | None,
) -> dict[str, object]:
    """One section from the units filed under it, in the shape of `SectionGrade`; `settled`
    says which of them sit with most of their paragraph (see `section_filing.settled`)."""
    if cues is None:
        return _section_reply(section_id, 0, [], [], "no rubric for this section", [])
    credit = [u for u in own if u.credit]
    covered = {c.id for c in cues.checkpoints if c.id in disclosed.checkpoints}
    for u in credit:
        covered |= u.hits.get(section_id, frozenset())
    ties = {p for u in credit for p in u.points.get(section_id, ())}
    facts = {f for u in credit for f in u.facts}
    connecting = pipeline is not None and section_id == pipeline.section
    wired = None
    if connecting and pipeline is not None:
        wired = _wires(own)
        if wired and any(u.components for u in credit):
            covered.add(pipeline.checkpoint)
    # A checkpoint's cue word names the section; a word of the scenario's points alone does not
    # ("the candidate is excellent" names no candidate generation).
    named = any(u.hits.get(section_id) and not u.sentence.heading for u in own)
    total = sum(c.weight for c in cues.checkpoints) or 1.0
    coverage = sum(c.weight for c in cues.checkpoints if c.id in covered) / total
    # A scenario point is this case's own form of a checkpoint: it counts towards "most key
    # points" (never towards the every-point 4).
    most = min(1.0, coverage + POINT_COVERAGE * len(ties) / total)
    # Parts wired together are the architecture's argument: they count as one reason.
    reasons = sum(u.sentence.reasons for u in credit) + bool(wired)
    developed = sum(u.sentence.words for u in credit) >= DEVELOPED_WORDS
    if coverage == 0 or not developed:
        score = 1 if named or coverage > 0 else 0
    else:
        score = score_section(
            coverage, reasons, len(ties) + len(facts), len(cues.checkpoints), wired=wired,
            most=most,
        )  # fmt: skip
    made: dict[str, str] = {}
    for u in own:
        for m in u.mistakes:
            if m.section == section_id:
                made.setdefault(m.id, u.sentence.text)
    score = max(0, score - MISTAKE_COST * len(made))
    # Quoted: the units sure of this section (with their paragraph, by their own words, under its
    # heading or in its home passage), those whose words lead most clearly for it first, then the
    # most argued and tied; only where none is sure, the one that leads most clearly.
    ranked = sorted(
        ((u, sure) for u, sure in zip(own, settled, strict=True) if u.credit),
        key=lambda p: (
            not p[1],
            -_lead(p[0], section_id),
            -(p[0].sentence.reasons + len(p[0].facts) + len(p[0].hits.get(section_id, ()))),
        ),
    )
    quoted = [u for u, sure in ranked if sure][:EVIDENCE_QUOTES] or [u for u, _ in ranked[:1]]
    why = (
        f"covered {sorted(covered) or 'nothing'}; {reasons} reasons; "
        f"{len(ties) + len(facts)} ties to the scenario; "
        f"{'developed' if developed else 'only named'}; {len(made)} common mistakes"
    )
    return _section_reply(
        section_id,
        score,
        [u.sentence.text for u in quoted],
        sorted(covered | ties),
        why,
        [{"id": i, "quote": q} for i, q in made.items()],
    )


def _lead(unit: Unit, section_id: SectionId) -> float:
    """How far a unit says more for this section than for any other (its own words, heading and
    label): a quote is evidence for its section only as far as it is about it."""
    return lead({s: unit.emission(s) for s in SECTION_IDS}, section_id)


def _section_reply(
    section_id: SectionId,
    score: int,
    evidence: list[str],
    covered: list[str],
    reasoning: str,
    mistakes: list[dict[str, str]],
) -> dict[str, object]:
    """A section in the shape of `SectionGrade` (the advice is left to the grader)."""
    return {
        "id": section_id,
        "evidence": evidence,
        "reasoning": reasoning,
        "covered": covered,
        "mistakes": mistakes,
        "score": score,
        "advice": [],
    }


def grade(answer: str, rubric: RubricBlock, disclosed: DisclosedBlock) -> dict[str, object]:
    pipeline = pipeline_of(rubric)
    facts = fact_figures(rubric.scenario.facts)
    watch = _watch(rubric.scenario)
    units = elaborations(
        platitude_blocks(
            lead_ins(
                heading_holds(
                    [read_unit(s, rubric, pipeline, facts, watch) for s in split_sentences(answer)]
                )
            )
        )
    )
    path = attribute(units)
    sure = settled(units, path)
    sections: list[dict[str, object]] = []
    for section_id in SECTION_IDS:
        cues = rubric.sections.get(section_id)
        mine = [i for i, s in enumerate(path) if s == section_id]
        own = [units[i] for i in mine]
        sections.append(
            _grade_section(section_id, cues, own, [sure[i] for i in mine], disclosed, pipeline)
        )
    return {"sections": sections}


def _watch(scenario: ScenarioCues) -> list[Mistake]:
    """The catalogue's entries on the block's watch list, or, without one, those that apply to the
    scenario."""
    if scenario.watch_list is None:
        return [m for m in _catalogue() if m.applies_to(scenario.id)]
    wanted = {w.id for w in scenario.watch_list}
    return [m for m in _catalogue() if m.id in wanted]


@lru_cache(maxsize=1)
def _catalogue() -> tuple[Mistake, ...]:
    """The project's catalogue of common mistakes (none when its folder is missing)."""
    root = PROJECT_ROOT / "knowledge"
    if not (root / MISTAKES_DIR).is_dir():
        return ()
    kb = load_knowledge(root)
    return tuple(load_mistakes(root, [p.id for p in kb.passages], [s.id for s in kb.scenarios]))


def run(blocks: dict[str, str]) -> dict[str, object]:
    rubric = RubricBlock.model_validate(json.loads(blocks.get("rubric") or '{"sections": {}}'))
    disclosed = DisclosedBlock.model_validate(json.loads(blocks.get("disclosed_facts") or "{}"))
    return grade(blocks.get("candidate_answer", ""), rubric, disclosed)
