"""The local model's grader: deterministic rubric coverage, run from the blocks of the grade prompt.

Blocks: `<rubric>` (JSON: per section its checkpoints and scenario points with cue
terms; under `scenario`, its id, its facts with the checkpoint each one's question covers and
the ids of the common mistakes to watch for), `<disclosed_facts>` (JSON: checkpoints credited
because the candidate asked), `<candidate_answer>` (the text, already stripped of what a reader
cannot see and of what was copied from our passages). The mistakes' cues are read from the
catalogue (`knowledge/mistakes/`); each one found is returned with the unit that makes it.

The grader follows content, not form. The answer is read as units (sentences, list items, table
rows; see `simulator/llm/local/answer_text.py`), and each unit is filed under exactly one section:
the one its cue words, scenario points, figures and mistakes point at, what a heading or label
declares, and what the units around it are about (a path through the units that changes section
only where the content does, so headings, bullets, one paragraph or a shuffled order file the
same words the same way). A section is scored only from its own units:

- a unit covers the checkpoints its words name, unless it only names them: a heading, a fragment,
  a bare list of names, a clause that denies them ("no A/B test", "monitoring: not needed"), or a
  sentence that commits to nothing (only broad topic words, no figure, no technical name);
- a figure ties the answer to the scenario only when it matches one of the scenario's facts (and
  the unit shares a word with that fact); stating a fact's figure covers the checkpoint that
  asking about it covers (a clarifying question with its answer counts for the requirements);
- reasons count where the unit commits to something, and a guess ("probably") gives none;
- a unit that makes a common mistake of the catalogue earns nothing, and each mistake costs its
  section a point; the mistakes are returned with the unit as their quote.

The cue words are data in `knowledge/lexicon/grading.yaml`; the pipeline checkpoint is the one
the rubric block marks `role: pipeline`.
"""

import itertools
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import lru_cache

from pydantic import BaseModel

from simulator.base.sections import SECTION_IDS, SectionId
from simulator.base.settings import PROJECT_ROOT
from simulator.base.textnorm import STOP_WORDS, compiled_terms, stems, words
from simulator.kb.knowledge import PIPELINE_ROLE, load_knowledge
from simulator.kb.lexicon import lexicon
from simulator.kb.mistakes import MISTAKES_DIR, Mistake, load_mistakes
from simulator.llm.local.answer_text import (
    Sentence,
    figures,
    generic_term,
    live_text,
    split_sentences,
    technical_names,
)
from simulator.llm.local.section_model import section_model

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
WIRED_COMPONENTS = 2
"""Units that move data between at least this many named parts say how the system connects."""
CHAIN_ARROWS = 2
"""Two arrows chain three parts (a -> b -> c): a pipeline laid out, not one step."""
EVIDENCE_QUOTES = 3
"""Quotes kept per section as its evidence, the most argued first."""
DECLARED = 2.5
"""How strongly a heading or a block's lead-in holds its units in the section it names: a unit
under "## Metrics" that speaks of latency in passing stays a metrics unit."""
LABELLED = 3.0
"""How strongly a unit's own run-in label ("Serving: ...") files it."""
SWITCH_AT_BLOCK = 0.5
"""What changing section costs where a new block (paragraph, list, table) starts..."""
SWITCH_INSIDE_BLOCK = 1.5
"""...and inside one: a paragraph is about one thing unless its words clearly move on."""
MISTAKE_COST = 1
"""Points a section loses for each common mistake made in it."""
GENERIC_PULL = 0.4
"""How strongly a checkpoint named only by broad topic words ("features", "latency") pulls a unit
towards its section, against 1 for a specific term ("split by time", "A/B test")."""
FACT_PULL = 0.5
"""A fact's figure pulls towards the checkpoint asking about it covers: facts are quoted in every
section, so less than a cue word."""
TOPIC_WINDOW = 3
"""Neighbours each side whose words count for what a unit is about."""
TOPIC_PULL = 0.5
"""How strongly what a unit's words are about (`section_model`, a probability) pulls it."""
SCENARIO_WORDS_COMMIT = False
NAMING_PULL = 0.25
"""A unit that only names things (a list, a fragment, a platitude) pulls this much of what its
words would: it files itself, it does not drag what is around it."""
CHAIN_PULL = 1.0
"""A chain of arrows lays out the pipeline: each arrow after the first pulls towards its section
like a cue word, so a long chain is the architecture whatever parts it names."""
ANSWER_PULL = 1.0
"""How strongly what the whole answer is about pulls each unit: an answer written for one section
files its passing mentions of others under it; a whole design spreads this evenly."""
ANSWER_FLOOR = 0.17
"""A section holds at most about this share of a whole design's words (six sections, some longer
than others); above it, the answer is written for that section."""
POINT_PULL = 0.5
"""A scenario point named pulls like a specific cue word."""
QUESTION_PULL = 0.5
"""A question pulls towards the requirements (a clarifying one), not far: a section may ask
itself one ("was the final query in our top-k?")."""
ASKING_PULL = 1.0
"""A sentence that says it asks ("I'd ask how quickly...") pulls towards the requirements."""
_ARROW = re.compile(r"->|→|=>|⇒")
_COMPOUND = re.compile(r"(?<=\w)[-/](?=\w)")


class CueItem(BaseModel):
    id: str
    weight: float = 1.0
    terms: list[str]
    role: str | None = None
    """`pipeline` for the checkpoint that laying out the system covers (knowledge/rubric.yaml)."""


class SectionCues(BaseModel):
    checkpoints: list[CueItem]
    points: list[CueItem] = []


class FactCue(BaseModel):
    id: str
    checkpoint: str | None = None
    """The checkpoint a clarifying question about this fact covers, if any."""
    en: str = ""
    ru: str = ""


class WatchItem(BaseModel):
    id: str
    section: SectionId | None = None


class ScenarioCues(BaseModel):
    id: str | None = None
    """The scenario graded against."""
    facts: list[FactCue] = []
    watch_list: list[WatchItem] | None = None
    """The common mistakes to watch for; unset: the catalogue's entries for the scenario."""


class RubricBlock(BaseModel):
    sections: dict[SectionId, SectionCues]
    scenario: ScenarioCues = ScenarioCues()


class DisclosedBlock(BaseModel):
    checkpoints: list[str] = []
    """Checkpoint ids credited because the candidate asked the matching clarifying question."""


@dataclass(frozen=True)
class Pipeline:
    """The rubric's pipeline checkpoint (`role: pipeline`) and its section.

    A chain of arrows (a -> b -> c), or units that wire named parts together, lay out the
    pipeline, whatever its boxes are called.
    """

    section: SectionId
    checkpoint: str


def pipeline_of(rubric: RubricBlock) -> Pipeline | None:
    """The checkpoint the rubric block marks `role: pipeline`, if any."""
    return next(
        (
            Pipeline(section_id, c.id)
            for section_id, cues in rubric.sections.items()
            for c in cues.checkpoints
            if c.role == PIPELINE_ROLE
        ),
        None,
    )


@dataclass(frozen=True)
class FactFigures:
    """A scenario fact as the grader compares answers with it: its figures and its words."""

    id: str
    checkpoint: str | None
    values: tuple[tuple[float, bool], ...]
    """Each figure's value and whether it has a unit or scale: "2 seconds" is not "two
    thresholds"."""
    stems: frozenset[str]


@dataclass(frozen=True)
class Unit:
    """One unit of the answer and what it says against this rubric."""

    sentence: Sentence
    hits: dict[SectionId, frozenset[str]]
    """Checkpoints its live clauses name (and the pipeline, and what a stated fact covers)."""
    points: dict[SectionId, frozenset[str]]
    """Scenario points its live clauses name."""
    pull: dict[SectionId, float]
    """How strongly its words point at each section (see `_pull`)."""
    facts: frozenset[str]
    """Facts whose figures it states."""
    mistakes: tuple[Mistake, ...]
    credit: bool
    """It says something (content) and commits to something: it can cover what it names."""
    components: frozenset[str]
    moves: bool
    chain: bool
    """Its arrows chain three parts or more (a -> b -> c)."""
    """It moves data from one part to another ("writes to", an arrow)."""

    def emission(self, section: SectionId) -> float:
        """How strongly this unit is about `section`."""
        s = self.sentence
        own = sum(m.section == section for m in self.mistakes)
        return (
            self.pull.get(section, 0.0)
            + own
            + DECLARED * (s.declared == section)
            + LABELLED * (s.label == section)
        )


# ----- reading the units against the rubric ----------------------------------------------------


@dataclass(frozen=True)
class ScenarioWords:
    """The scenario as answers are compared with it: its facts' figures, and its own words."""

    facts: tuple[FactFigures, ...]
    words: frozenset[str]
    """Stems of the facts' words that are not broad topic words ("payment", "chargeback")."""


def scenario_words(facts: Sequence[FactCue]) -> ScenarioWords:
    out = []
    vocabulary: set[str] = set()
    generic = lexicon().grading.generic_terms
    for fact in facts:
        text = f"{fact.en}\n{fact.ru}"
        values = tuple(dict.fromkeys((f.value, f.measured) for f in figures(text)))
        out.append(FactFigures(fact.id, fact.checkpoint, values, _stems(text)))
        vocabulary |= {w for w in _stems(text) if not generic.find(w)}
    return ScenarioWords(tuple(out), frozenset(vocabulary))


def _stems(text: str) -> frozenset[str]:
    """Stems of the words that carry meaning: no function words, no numbers, no short tokens."""
    return frozenset(s for s in stems(text) if len(s) > 2 and s not in STOP_WORDS and s.isalpha())


def _tied_facts(text: str, facts: Sequence[FactFigures]) -> frozenset[str]:
    """Facts whose figure the text states (the same value, measured the same way), in a sentence
    that shares a word with the fact: a digit alone ("as noted in 3 places") ties to nothing."""
    values = {(f.value, f.measured) for f in figures(text)}
    if not values:
        return frozenset()
    own = _stems(text)
    return frozenset(
        f.id
        for f in facts
        if own & f.stems and any(_same(v, w) and m == n for v, m in values for w, n in f.values)
    )


def _same(a: float, b: float) -> bool:
    return abs(a - b) <= 1e-6 * max(abs(a), abs(b), 1.0)


def _commits(
    text: str,
    found_terms: Sequence[str],
    measured: bool,
    facts: frozenset[str],
    scenario_words: frozenset[str],
) -> bool:
    """A unit commits to something when it states a figure or a fact, names a technique or tool,
    speaks of this scenario's own things (a word of its facts that is no broad topic word), or
    uses a cue word that is more than a broad topic ("split by time", not "the data")."""
    if (
        measured
        or facts
        or technical_names(text)
        or (SCENARIO_WORDS_COMMIT and _stems(text) & scenario_words)
    ):
        return True
    return any(not generic_term(t) for t in found_terms)


def read_unit(
    sentence: Sentence,
    rubric: RubricBlock,
    pipeline: Pipeline | None,
    scenario: "ScenarioWords",
    watch: Sequence[Mistake],
) -> Unit:
    """What one unit names, states and commits to, and how strongly it is about each section."""
    text = sentence.text
    live = live_text(text) if sentence.content else text
    # "PR-AUC" names AUC and "A/B-тест" a test: cue words match inside compounds too.
    live = f"{live} {_COMPOUND.sub(' ', live)}" if _COMPOUND.search(live) else live
    hits: dict[SectionId, frozenset[str]] = {}
    points: dict[SectionId, frozenset[str]] = {}
    found: dict[SectionId, list[tuple[str, ...]]] = {}
    found_points: dict[SectionId, list[tuple[str, ...]]] = {}
    for section_id, cues in rubric.sections.items():
        cps, pts = set(), set()
        for c in cues.checkpoints:
            terms = compiled_terms(tuple(c.terms)).find(live)
            if terms:
                cps.add(c.id)
                found.setdefault(section_id, []).append(tuple(terms))
        for p in cues.points:
            terms = compiled_terms(tuple(p.terms)).find(live)
            if terms:
                pts.add(p.id)
                found_points.setdefault(section_id, []).append(tuple(terms))
        if cps:
            hits[section_id] = frozenset(cps)
        if pts:
            points[section_id] = frozenset(pts)
    pull = _pull(found, found_points)
    point_terms = [t for groups in found_points.values() for g in groups for t in g]
    grading = lexicon().grading
    components = frozenset(grading.components.find(live)) if not sentence.heading else frozenset()
    moves = bool(grading.flows.find(text) or _ARROW.search(text))
    arrows = len(_ARROW.findall(text))
    chain = arrows >= CHAIN_ARROWS
    if pipeline and (chain or (len(components) >= WIRED_COMPONENTS and moves)):
        section = pipeline.section
        hits[section] = hits.get(section, frozenset()) | {pipeline.checkpoint}
        pull[section] = pull.get(section, 0.0) + max(1.0, CHAIN_PULL * (arrows - 1))
    tied = _tied_facts(live, scenario.facts) if not sentence.heading else frozenset()
    for fact in scenario.facts:
        if fact.id in tied and fact.checkpoint:
            owner = _section_of(rubric, fact.checkpoint)
            if owner:
                hits[owner] = hits.get(owner, frozenset()) | {fact.checkpoint}
                pull[owner] = pull.get(owner, 0.0) + FACT_PULL
    asks = QUESTION_PULL * sentence.question + ASKING_PULL * bool(grading.asking.find(text))
    if asks:
        pull["requirements"] = pull.get("requirements", 0.0) + asks
    measured = any(f.measured for f in figures(live))
    terms = [t for groups in found.values() for g in groups for t in g]
    terms += point_terms + list(components)
    # A question commits to what it asks about: a clarifying question is the requirements' content.
    commits = sentence.question or _commits(live, terms, measured, tied, scenario.words)
    if sentence.fragment and any(not generic_term(t) for t in terms):
        # A named choice of a few words ("temporal split;") says as much as a sentence.
        sentence = replace(sentence, content=True, words=len(words(text)))
    mistakes = tuple(m for m in watch if m.made_in(text)) if sentence.content else ()
    return Unit(
        sentence=sentence,
        hits=hits,
        points=points,
        pull=pull,
        facts=tied,
        mistakes=mistakes,
        credit=sentence.content and commits and not mistakes,
        components=components,
        moves=moves,
        chain=chain,
    )


def _pull(
    checkpoints: dict[SectionId, list[tuple[str, ...]]],
    points: dict[SectionId, list[tuple[str, ...]]],
) -> dict[SectionId, float]:
    """How strongly the unit's cue words point at each section: a checkpoint named by a specific
    term pulls fully, one named only by broad topic words (GENERIC_PULL) pulls less, a scenario
    point POINT_PULL; a term that several sections share splits its pull between them."""
    sections_of: dict[str, set[SectionId]] = {}
    for found in (checkpoints, points):
        for section_id, groups in found.items():
            for term in (t for g in groups for t in g):
                sections_of.setdefault(term.lower(), set()).add(section_id)
    pull: dict[SectionId, float] = {}
    for found, weight in ((checkpoints, 1.0), (points, POINT_PULL)):
        for section_id, groups in found.items():
            for group in groups:
                pull[section_id] = pull.get(section_id, 0.0) + max(
                    weight
                    * (GENERIC_PULL if generic_term(t) else 1.0)
                    / len(sections_of[t.lower()])
                    for t in group
                )
    return pull


def _section_of(rubric: RubricBlock, checkpoint: str) -> SectionId | None:
    return next(
        (
            sid
            for sid, cues in rubric.sections.items()
            if any(c.id == checkpoint for c in cues.checkpoints)
        ),
        None,
    )


# ----- filing each unit under one section --------------------------------------------------------


def attribute(units: Sequence[Unit]) -> list[SectionId]:
    """The section of each unit: the path through the units that best fits what each is about,
    where changing section costs SWITCH_AT_BLOCK at a new block and SWITCH_INSIDE_BLOCK inside one
    (a Viterbi path; ties keep the section the units before were in)."""
    if not units:
        return []
    sections = list(SECTION_IDS)
    topics = _topics(units)
    whole = _answer_topic(units, topics)
    emission = [
        {
            s: (u.emission(s) + TOPIC_PULL * t[s]) * (1.0 if u.credit else NAMING_PULL)
            + ANSWER_PULL * whole[s]
            for s in sections
        }
        for u, t in zip(units, topics, strict=True)
    ]
    best = dict(emission[0])
    back: list[dict[SectionId, SectionId]] = []
    for i, (prev, unit) in enumerate(itertools.pairwise(units), 1):
        cost = (
            SWITCH_AT_BLOCK if unit.sentence.block != prev.sentence.block else SWITCH_INSIDE_BLOCK
        )
        leader = max(sections, key=lambda s: best[s])
        step: dict[SectionId, SectionId] = {}
        scores: dict[SectionId, float] = {}
        for s in sections:
            moved = best[leader] - cost
            origin = s if best[s] >= moved else leader
            step[s] = origin
            scores[s] = (best[s] if origin == s else moved) + emission[i][s]
        back.append(step)
        best = scores
    last = max(sections, key=lambda s: best[s])
    path = [last]
    for step in reversed(back):
        path.append(step[path[-1]])
    return path[::-1]


def _topics(units: Sequence[Unit]) -> list[dict[SectionId, float]]:
    """What each unit is about by its words and its neighbours' in the same block (TOPIC_WINDOW
    units each side): a sentence alone says little, its paragraph more."""
    model = section_model()
    nothing = {s: 0.0 for s in SECTION_IDS}
    out = []
    for i, unit in enumerate(units):
        block = unit.sentence.block
        near = [
            u.sentence.text
            for u in units[max(0, i - TOPIC_WINDOW) : i + TOPIC_WINDOW + 1]
            if u.sentence.block == block and _says(u)
        ]
        out.append(model.posterior(" ".join(near)) if _says(unit) else nothing)
    return out


def _says(unit: Unit) -> bool:
    """A unit whose words can say what it is about: content, or a phrase that names points (not
    a heading, a code line or a stray fragment)."""
    s = unit.sentence
    return not s.heading and (s.content or bool(unit.hits or unit.points))


def _answer_topic(
    units: Sequence[Unit], topics: Sequence[dict[SectionId, float]]
) -> dict[SectionId, float]:
    """How far the answer as a whole is about one section: the mean of its units' topics (by
    words) above ANSWER_FLOOR. A design of every section spreads below it and pulls nothing."""
    weights = [u.sentence.words for u in units]
    total = sum(weights) or 1
    mean = {
        s: sum(w * t[s] for w, t in zip(weights, topics, strict=True)) / total for s in SECTION_IDS
    }
    return {s: max(0.0, v - ANSWER_FLOOR) / (1 - ANSWER_FLOOR) for s, v in mean.items()}


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
    disclosed: DisclosedBlock,
    pipeline: Pipeline | None,
) -> dict[str, object]:
    """One section from the units filed under it, in the shape of `SectionGrade`."""
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
    ranked = sorted(
        credit, key=lambda u: -(u.sentence.reasons + len(u.facts) + len(u.hits.get(section_id, ())))
    )
    why = (
        f"covered {sorted(covered) or 'nothing'}; {reasons} reasons; "
        f"{len(ties) + len(facts)} ties to the scenario; "
        f"{'developed' if developed else 'only named'}; {len(made)} common mistakes"
    )
    return _section_reply(
        section_id,
        score,
        [u.sentence.text for u in ranked[:EVIDENCE_QUOTES]],
        sorted(covered | ties),
        why,
        [{"id": i, "quote": q} for i, q in made.items()],
    )


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
    scenario = scenario_words(rubric.scenario.facts)
    watch = _watch(rubric.scenario)
    units = _elaborations(
        [read_unit(s, rubric, pipeline, scenario, watch) for s in split_sentences(answer)]
    )
    path = attribute(units)
    sections: list[dict[str, object]] = []
    for section_id in SECTION_IDS:
        cues = rubric.sections.get(section_id)
        own = [u for u, s in zip(units, path, strict=True) if s == section_id]
        sections.append(_grade_section(section_id, cues, own, disclosed, pipeline))
    return {"sections": sections}


def _elaborations(units: list[Unit]) -> list[Unit]:
    """A sentence that argues (gives a reason) right after one that commits, in the same block,
    argues about that choice ("LightGBM on the features. Pros: fast, cons: no interactions."):
    it commits too. One step only, so a run of platitudes never inherits from one another."""
    out = list(units)
    for i in range(1, len(units)):
        prev, unit = units[i - 1], units[i]
        s = unit.sentence
        if (
            not unit.credit
            and s.content
            and s.reasons
            and not unit.mistakes
            and prev.credit
            and prev.sentence.block == s.block
        ):
            out[i] = replace(unit, credit=True)
    return out


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
