"""The units of an answer read against the local grade prompt's rubric block.

The rubric block (`<rubric>` of `prompts/grade_local.md`) holds per section the checkpoints and the
scenario's points with their cue terms, and under `scenario` its id, its facts (with the checkpoint
a question about each covers) and the common mistakes to watch for. A unit (a sentence, list item
or table row; `simulator/llm/local/answer_text.py`) is read against it: which checkpoints and
points its live clauses name, which facts its figures state, which mistakes it makes, whether it
commits to anything (so that it can cover what it names), and how strongly its words point at
each section (what `simulator/llm/local/section_filing.py` files it by): a clarifying question,
the answer it got and a restatement of the scenario's facts point at the requirements whatever
other section their words name.
"""

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace

from pydantic import BaseModel

from simulator.base.sections import SECTION_IDS, SectionId
from simulator.base.textnorm import STOP_WORDS, compiled_terms, stems, words
from simulator.kb.knowledge import PIPELINE_ROLE
from simulator.kb.lexicon import lexicon
from simulator.kb.mistakes import Mistake
from simulator.llm.local.answer_text import (
    Sentence,
    figures,
    generic_term,
    live_text,
    technical_names,
    without_task_names,
)

DECLARED = 2.5
"""How strongly a heading or a block's lead-in holds its units in the section it names: a unit
under "## Metrics" that speaks of latency in passing stays a metrics unit."""
LABELLED = 3.0
"""How strongly a unit's own run-in label ("Serving: ...") files it."""
GENERIC_PULL = 0.4
"""How strongly a checkpoint named only by broad topic words ("features", "latency") pulls a unit
towards its section, against 1 for a specific term ("split by time", "A/B test")."""
FACT_PULL = 0.5
"""A fact's figure pulls towards the checkpoint asking about it covers: facts are quoted in every
section, so less than a cue word."""
CHAIN_PULL = 1.0
"""A chain of arrows lays out the pipeline: each arrow after the first pulls towards its section
like a cue word, so a long chain is the architecture whatever parts it names."""
POINT_PULL = 0.5
"""A scenario point named pulls half as much as a specific cue word: points are this case's own
words, and several sections' points share some of them."""
QUESTION_PULL = 0.5
"""A question pulls towards the requirements (a clarifying one), not far: a section may ask
itself one ("was the final query in our top-k?")."""
ASKING_PULL = 1.0
"""A sentence that says it asks ("I'd ask how quickly...") pulls towards the requirements."""
REPLY_PULL = 1.0
"""The answer a clarifying question got ("Privacy? A: GPS traces are kept 90 days") is what the
interviewer said: requirements, whatever section its words name."""
RESTATED_SHARE = 0.6
"""A unit most of whose words are the scenario's facts' own words restates them..."""
RESTATED_WORDS = 3
"""...when it has at least this many words that carry meaning (a phrase of two proves nothing)."""
RESTATED_PULL = 1.0
"""A restated fact ("20M images / 3M products, +50k products daily") is the requirements'
content, even where a fact's words name another section ("consent", "daily")."""
RESTATED_FIGURES = 2
"""A unit that states at least this many measured figures, each one a figure of the scenario's
facts ("50 ms, 600 TPS peak, 3 mo to pilot"; "Base rate 0.1%, labels lag 30-90d"), restates
the task in a note's shorthand, whatever its words: one figure is a design quoting a limit..."""
RESTATED_FIGURE_WORDS = 10
"""...when it has a figure every this many words at most: a long sentence that uses two of the
facts' figures ("exact search over all 20 million vectors is fast enough within 500 ms") is a
design that quotes its limits."""
BUDGET_SHARE = 0.25
"""A unit that names a part of the design, states a figure and clarifies nothing gives that part
its budget ("heavy ranking, 80 ms: the multi-task model scores 500 candidates on GPUs"): the
requirements' cue words and the facts' figures in it pull this much towards them, so the step
stays with the design. Without a figure ("tens of milliseconds rule out anything heavy at request
time") it reasons about what the system must meet, and they pull fully."""
BUDGETED: frozenset[SectionId] = frozenset(("architecture", "data", "model"))
"""The parts of the design a budget is given to. Where the system runs and how often it retrains
are what the scenario's facts set ("server-side, under 500 ms"): naming them restates the task."""
TASK_PULL = 1.0
"""Naming the prediction task ("ну тут классика — CTR prediction") frames the problem: the
requirements, whatever section the name beside the task noun belongs to."""
LIST_NAME_PULL = 1.0
"""The words before a colon name the list after it ("guardrails, things that must not get worse:
p99 latency, ..."): what they name pulls like one more cue word, so a list of monitored figures
introduced as guardrails is a metrics list."""
SENTENCES_PER_CONCRETE = 20
"""A block may run this many sentences per figure, fact or technical name and still be a design:
past that, its units that commit by cue words alone ("sketch the building blocks first and
refine them") are filler that sounds technical, however long it runs. A whole section run into
one paragraph without a figure holds a dozen sentences (at 8, the graded requirements answers
written that way lost their credit); pages of filler run to a hundred."""
WIRED_COMPONENTS = 2
"""Units that move data between at least this many named parts say how the system connects."""
CHAIN_ARROWS = 2
"""Two arrows chain three parts (a -> b -> c): a pipeline laid out, not one step."""
_ARROW = re.compile(r"->|→|=>|⇒")
_COMPOUND = re.compile(r"(?<=\w)[-/](?=\w)")
_AT_K = re.compile(r"(?<=\w)@\d+\b")


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
    by_cues_only: bool
    """It commits by cue words alone, so only with its block (see `platitude_blocks`)."""
    components: frozenset[str]
    """Named parts of a running system (stores, queues, jobs, services)."""
    moves: bool
    """It moves data from one part to another ("writes to", an arrow)."""
    chain: bool
    """Its arrows chain three parts or more (a -> b -> c)."""

    def emission(self, section: SectionId) -> float:
        """How strongly this unit is about `section`. A pros or cons line argues about the choice
        before it: the consequences its words name ("Pros: closer to revenue") are not its
        section, so they pull nothing."""
        s = self.sentence
        own = sum(m.section == section for m in self.mistakes)
        return (
            (0.0 if s.argues else self.pull.get(section, 0.0))
            + own
            + DECLARED * (s.declared == section)
            + LABELLED * (s.label == section)
        )


def lead(said: dict[SectionId, float], section: SectionId) -> float:
    """How much more `said` holds for `section` than for any other section (below 0 when another
    has more): what a unit's cue words (`Unit.pull`) or whole reading (`Unit.emission`) say for
    one section over its rivals."""
    rivals = (v for s, v in said.items() if s != section)
    return said.get(section, 0.0) - max(rivals, default=0.0)


# ----- reading the units against the rubric ----------------------------------------------------


def fact_figures(facts: Sequence[FactCue]) -> list[FactFigures]:
    """The scenario's facts as answers are compared with them: their figures and their words."""
    out = []
    for fact in facts:
        text = f"{fact.en}\n{fact.ru}"
        values = tuple(dict.fromkeys((f.value, f.measured) for f in figures(text)))
        out.append(FactFigures(fact.id, fact.checkpoint, values, _stems(text)))
    return out


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


def _restates(text: str, facts: Sequence[FactFigures]) -> bool:
    """Most of the unit's words are the scenario's facts' words, and it names no technique: it
    says back what the interviewer said, it designs nothing."""
    own = _stems(text)
    if len(own) < RESTATED_WORDS or technical_names(text):
        return False
    said = frozenset().union(*(f.stems for f in facts))
    return len(own & said) >= RESTATED_SHARE * len(own)


def _quotes_figures(text: str, facts: Sequence[FactFigures]) -> bool:
    """At least RESTATED_FIGURES measured figures, densely stated, each one a fact's figure."""
    stated = {f.value for f in figures(text) if f.measured}
    known = [v for f in facts for v, measured in f.values if measured]
    dense = len(words(text)) <= RESTATED_FIGURE_WORDS * len(stated)
    return (
        len(stated) >= RESTATED_FIGURES
        and dense
        and all(any(_same(v, w) for w in known) for v in stated)
    )


def _same(a: float, b: float) -> bool:
    return abs(a - b) <= 1e-6 * max(abs(a), abs(b), 1.0)


def _commitment(text: str, cue_terms: Sequence[str], measured: bool, facts: frozenset[str]) -> int:
    """2 when a unit states a figure or a fact or names a technique or tool; 1 when it commits by
    cue words alone (one that is more than a broad topic: "split by time", not "the data"), which
    holds only in a block with concrete claims (see `platitude_blocks`); 0 when it commits to
    nothing."""
    if measured or facts or technical_names(text):
        return 2
    return int(any(not generic_term(t) for t in cue_terms))


def read_unit(
    sentence: Sentence,
    rubric: RubricBlock,
    pipeline: Pipeline | None,
    facts: Sequence[FactFigures],
    watch: Sequence[Mistake],
) -> Unit:
    """What one unit names, states and commits to, and how strongly it is about each section."""
    text = sentence.text
    live = live_text(text) if sentence.content else text
    # "PR-AUC" names AUC and "A/B-тест" a test: cue words match inside compounds too, and
    # "recall@10" is the "recall@k" of a cue term.
    live = f"{live} {_COMPOUND.sub(' ', live)}" if _COMPOUND.search(live) else live
    live = f"{live} {_AT_K.sub('@k', live)}" if _AT_K.search(live) else live
    hits: dict[SectionId, frozenset[str]] = {}
    points: dict[SectionId, frozenset[str]] = {}
    found: dict[SectionId, list[tuple[str, ...]]] = {}
    found_points: dict[SectionId, list[tuple[str, ...]]] = {}
    # "CTR prediction" names the task: the metric beside a task noun is not named as a metric.
    unnamed = without_task_names(live)
    for section_id, cues in rubric.sections.items():
        cps, pts = set(), set()
        read = unnamed if section_id == "metrics" else live
        for c in cues.checkpoints:
            terms = compiled_terms(tuple(c.terms)).find(read)
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
    for section_id in _list_named(text, rubric):
        pull[section_id] = pull.get(section_id, 0.0) + LIST_NAME_PULL
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
    tied = _tied_facts(live, facts) if not sentence.heading else frozenset()
    for fact in facts:
        if fact.id in tied and fact.checkpoint:
            owner = _section_of(rubric, fact.checkpoint)
            if owner:
                hits[owner] = hits.get(owner, frozenset()) | {fact.checkpoint}
                pull[owner] = pull.get(owner, 0.0) + FACT_PULL
    # A question the candidate asks themselves ("How would we know it works?") asks the
    # interviewer nothing: it neither clarifies nor pulls to the requirements.
    asked = sentence.question and not grading.self_questions.find(live)
    clarifies = (
        QUESTION_PULL * asked
        + ASKING_PULL * bool(grading.asking.find(text))
        + REPLY_PULL * sentence.answers
        + RESTATED_PULL * (_restates(text, facts) or _quotes_figures(text, facts))
        + TASK_PULL * (unnamed != live)
    )
    measured = any(f.measured for f in figures(live))
    if clarifies:
        pull["requirements"] = pull.get("requirements", 0.0) + clarifies
    elif measured and "requirements" in pull and any(pull.get(s) for s in BUDGETED):
        pull["requirements"] *= BUDGET_SHARE
    named = [t for groups in found.values() for g in groups for t in g]
    terms = named + point_terms + list(components)
    # A question commits to what it asks about: a clarifying question is the requirements' content.
    # One that names nothing ("Now, how do we know if we're doing well?") asks nothing: it only
    # opens what follows, and a part of the system it names ("is it doing its job?") is not what
    # it asks about.
    asks = asked and bool(named or point_terms or tied or measured)
    # A question that asks about something commits as cue words do.
    strength = max(int(asks), _commitment(live, terms, measured, tied))
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
        credit=sentence.content and strength > 0 and not mistakes,
        by_cues_only=strength == 1,
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


def _list_named(text: str, rubric: RubricBlock) -> set[SectionId]:
    """The sections whose checkpoints the words before the unit's first colon name, when a list
    follows the colon."""
    head, colon, tail = text.partition(":")
    if not colon or not tail.strip() or not head.strip():
        return set()
    live = live_text(head)
    return {
        section_id
        for section_id, cues in rubric.sections.items()
        if any(compiled_terms(tuple(c.terms)).find(live) for c in cues.checkpoints)
    }


def _section_of(rubric: RubricBlock, checkpoint: str) -> SectionId | None:
    return next(
        (
            sid
            for sid, cues in rubric.sections.items()
            if any(c.id == checkpoint for c in cues.checkpoints)
        ),
        None,
    )


def heading_holds(units: list[Unit]) -> list[Unit]:
    """A heading holds the first block under it in its section, and each later one until a block
    whose committing units, together, point at another section than the requirements by their own
    words by more than a heading holds one unit (DECLARED): an outline that titles only its first
    part ("Reqs") moves on where its content does, and the blocks after that are filed by their
    own words."""
    out = list(units)
    blocks: dict[int, list[int]] = {}
    for i, unit in enumerate(units):
        blocks.setdefault(unit.sentence.block, []).append(i)
    first, moved = True, False
    for members in blocks.values():
        if any(units[i].sentence.heading for i in members):
            first, moved = True, False
            continue
        held = [i for i in members if units[i].sentence.declared and not units[i].sentence.led]
        committing = [units[i] for i in held if units[i].credit]
        section = units[held[0]].sentence.declared if held else None
        if section is None or not committing:
            continue
        if not first and not moved:
            own = {
                sid: sum(u.emission(sid) - DECLARED * (sid == section) for u in committing)
                for sid in SECTION_IDS
            }
            # Every section restates the scenario's figures: a paragraph that does so under
            # "## Metrics" has not moved on to the requirements.
            elsewhere = max(v for sid, v in own.items() if sid not in (section, "requirements"))
            moved = elsewhere - own[section] > DECLARED
        first = False
        for i in held if moved else ():
            out[i] = replace(units[i], sentence=replace(units[i].sentence, declared=None))
    return out


def lead_ins(units: list[Unit]) -> list[Unit]:
    """A block's lead-in ("Metrics: ...") holds the units after it in its section only until one
    whose own words point at another by more than the lead-in holds (DECLARED): a whole answer
    run into one paragraph moves on where its content does, so the units after that one are filed
    by their own words. A later label restarts the hold for the section it names."""
    out = list(units)
    moved_on: set[tuple[int, SectionId]] = set()
    for i, unit in enumerate(units):
        s = unit.sentence
        if not s.led or s.declared is None:
            continue
        held = (s.block, s.declared)
        if s.label == s.declared:
            moved_on.discard(held)
        if held in moved_on:
            out[i] = replace(unit, sentence=replace(s, declared=None, led=False))
            continue
        own = {sid: unit.emission(sid) - DECLARED * (sid == s.declared) for sid in SECTION_IDS}
        if max(own.values()) - own[s.declared] > DECLARED:
            moved_on.add(held)
    return out


def platitude_blocks(units: list[Unit]) -> list[Unit]:
    """A unit that commits by cue words alone keeps its credit only in a block with a figure, a
    fact or a technical name per SENTENCES_PER_CONCRETE sentences (any block that short keeps it):
    pages of filler that sound technical now and then cover nothing."""
    content: Counter[int] = Counter()
    concrete: Counter[int] = Counter()
    for unit in units:
        if unit.sentence.content:
            content[unit.sentence.block] += 1
            concrete[unit.sentence.block] += unit.credit and not unit.by_cues_only
    return [
        replace(unit, credit=False)
        if unit.credit
        and unit.by_cues_only
        and max(1, concrete[unit.sentence.block]) * SENTENCES_PER_CONCRETE
        < content[unit.sentence.block]
        else unit
        for unit in units
    ]


def elaborations(units: list[Unit]) -> list[Unit]:
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
