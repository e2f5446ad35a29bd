"""Filing each unit of an answer under exactly one section.

The units that commit to something are filed by the path through them that best fits what each
one is about (a Viterbi path over the six sections): a unit's own cue words, points, facts,
mistakes, heading and label (`Unit.emission`), what its words and its neighbours' are about by
the knowledge base's own texts (`simulator/llm/local/section_model.py`), and, for an answer
written for one section, what the whole answer is about. Changing section costs more inside a
block than where a new one starts, and most before a unit that argues about the one before it
("Pros: ...", "Cons: ..."), so the path changes section only where the content does:
headings, bullets, one paragraph or a shuffled order file the same words the same way. The units
that only name things (headings, lists of names, platitudes) are filed afterwards, each by its
own words and its nearest committing neighbour: padding, however long, moves nothing else.
"""

import bisect
import itertools
from collections import Counter
from collections.abc import Sequence

from simulator.base.sections import SECTION_IDS, SectionId
from simulator.llm.local.answer_units import Unit, lead
from simulator.llm.local.section_model import section_model

SWITCH_AT_BLOCK = 0.5
"""What changing section costs where a new block (paragraph, list, table) starts..."""
SWITCH_INSIDE_BLOCK = 1.5
"""...and inside one: a paragraph is about one thing unless its words clearly move on."""
SWITCH_TO_ARGUE = 4.0
"""...and before a unit that argues about the one before it ("Pros: ...", "Cons: ..."): pros and
cons go with their choice, whatever section their own words name."""
TOPIC_WINDOW = 3
"""Neighbours each side whose words count for what a unit is about."""
TOPIC_PULL = 0.5
"""How strongly what a unit's words are about (`section_model`, a probability) pulls it."""
ANSWER_PULL = 1.0
"""How strongly what the whole answer is about pulls each unit: an answer written for one section
files its passing mentions of others under it; a whole design spreads this evenly."""
ANSWER_FLOOR = 0.17
"""An even share of six sections: a whole design spreads about this much on each, and only what
an answer holds above it on one section pulls its units there."""

OWN_WORDS_SHARE = 0.5
"""A unit sure of its section says at least half as much for it by its own words as for any other:
a sentence of guardrails that names latency and monitoring is still metrics evidence, while one
whose words are all about another section, filed here by its paragraph, is not."""


GATHERED_FIRST: SectionId = "requirements"
"""What the system must meet is gathered before the design: where some of it was, once a unit lays
out the architecture, data, model or serving, the scenario's figures it or later units restate
("heavy ranking, 80 ms: ...") are the design's, however strongly they name the requirements,
unless a heading says so. An answer with nothing gathered before its design (or whose first lines
were read as design) keeps its requirements' home wherever it is."""
DESIGN = frozenset(SECTION_IDS[SECTION_IDS.index("metrics") + 1 :])
"""The sections that lay out the design, after the requirements and the metrics."""


def attribute(units: Sequence[Unit]) -> list[SectionId]:
    """The section of each unit.

    The units that commit to something are filed by the path through them that best fits what
    each is about, where changing section costs SWITCH_AT_BLOCK at a new block and
    SWITCH_INSIDE_BLOCK inside one (a Viterbi path; ties keep the section the units before were
    in). A unit that only names things (a heading, a list of names, a platitude) files itself
    afterwards, so no run of them, however long, moves the units that say something.
    """
    topics = _topics(units)
    # A unit that makes a common mistake commits too, to something wrong: it holds its paragraph
    # in its section as a right claim would, so the claims after it are not set adrift. What the
    # answer as a whole is about is still read from the claims that earn.
    said = [i for i, u in enumerate(units) if u.credit or u.mistakes]
    whole = _answer_topic([units[i] for i in said if units[i].credit])
    filed = _path([units[i] for i in said], [topics[i] for i in said], whole)
    path = dict(zip(said, filed, strict=True))
    out = []
    for i, unit in enumerate(units):
        if i in path:
            out.append(path[i])
            continue
        own = {s: unit.emission(s) + TOPIC_PULL * topics[i][s] for s in SECTION_IDS}
        near = _nearest(said, i)
        if near is None:
            out.append(max(SECTION_IDS, key=lambda s: own[s]))
            continue
        # With its neighbour, unless its own words point elsewhere by more than leaving costs; a
        # platitude (a sentence that commits to nothing) leaves only as a sentence would leave
        # its paragraph, so pages of them name no section the answer left empty.
        content = unit.sentence.content
        cost = SWITCH_INSIDE_BLOCK if content else _switch_cost(units[near], unit)
        out.append(max(SECTION_IDS, key=lambda s: own[s] - cost * (s != path[near])))
    return out


def settled(units: Sequence[Unit], path: Sequence[SectionId]) -> list[bool]:
    """Whether each unit is sure of its section, so that it may be quoted as its evidence. Three
    readings must agree:
    - its block: filed where more of its block's committing units are than anywhere else (a block
      split evenly between two sections is sure of neither);
    - its own words: what it names, its heading or label say at least OWN_WORDS_SHARE as much
      for this section as for any other, so it is not here only by its neighbours;
    - its place: under a heading that names the section, or in the section's home
      (`_home_runs`: the one passage where it is discussed), not in a stray line filed there from
      the middle of another section's passage (a figure of the scenario restated while describing
      the model; for the requirements gathered before the design, any line filed there once the
      design has begun: GATHERED_FIRST).
    A unit that is not sure still counts for its section; it is quoted only where none is sure."""
    filed: dict[int, Counter[SectionId]] = {}
    for unit, section in zip(units, path, strict=True):
        if unit.credit:
            filed.setdefault(unit.sentence.block, Counter())[section] += 1
    design = next(
        (i for i, (u, s) in enumerate(zip(units, path, strict=True)) if u.credit and s in DESIGN),
        len(units),
    )
    gathered = any(units[i].credit and path[i] == GATHERED_FIRST for i in range(design))
    strays = {i for i, s in enumerate(path) if gathered and s == GATHERED_FIRST and i > design}
    home = _home_runs(units, path, strays)
    out = []
    for k, (unit, section) in enumerate(zip(units, path, strict=True)):
        counts = filed.get(unit.sentence.block, Counter())
        rivals = [n for s, n in counts.items() if s != section]
        with_block = counts[section] > max(rivals, default=0)
        own = {s: unit.emission(s) for s in SECTION_IDS}
        by_own_words = own[section] > 0 and own[section] >= OWN_WORDS_SHARE * max(own.values())
        at_home = k in home or (unit.sentence.declared == section and not unit.sentence.led)
        out.append(with_block and by_own_words and at_home)
    return out


def _home_runs(units: Sequence[Unit], path: Sequence[SectionId], strays: set[int]) -> set[int]:
    """The units in each section's home: of the runs of consecutive committing units filed under
    it in one block (a paragraph, a list, a table), the one whose own words say the most for it
    over any other section (by strength, not length: one long paragraph of clarified figures
    outweighs three short lines that restate them later, and a paragraph on the pipeline that
    names features and logs in passing gives way to the one on labels). A run ends with its
    block, so the steps of a flow that follows the gathered figures, filed with them for a timeout
    named in passing, are no part of their home.
    `strays` are in no run: lines filed under a section where they cannot be its home."""
    said = [i for i, unit in enumerate(units) if unit.credit and i not in strays]
    runs = [
        (section, list(run))
        for (section, _), run in itertools.groupby(
            said, key=lambda i: (path[i], units[i].sentence.block)
        )
    ]
    weight = [sum(lead(units[i].pull, section) for i in run) for section, run in runs]
    best: dict[SectionId, float] = {}
    for (section, _), w in zip(runs, weight, strict=True):
        best[section] = max(best.get(section, 0.0), w)
    return {
        i for (section, run), w in zip(runs, weight, strict=True) if w == best[section] for i in run
    }


def _path(
    units: Sequence[Unit], topics: Sequence[dict[SectionId, float]], whole: dict[SectionId, float]
) -> list[SectionId]:
    """The Viterbi path through `units` (see `attribute`)."""
    if not units:
        return []
    sections = list(SECTION_IDS)
    emission = [
        {s: u.emission(s) + TOPIC_PULL * t[s] + ANSWER_PULL * whole[s] for s in sections}
        for u, t in zip(units, topics, strict=True)
    ]
    best = dict(emission[0])
    back: list[dict[SectionId, SectionId]] = []
    for i, (prev, unit) in enumerate(itertools.pairwise(units), 1):
        cost = _switch_cost(prev, unit)
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


def _switch_cost(a: Unit, b: Unit) -> float:
    if a.sentence.block != b.sentence.block:
        return SWITCH_AT_BLOCK
    return SWITCH_TO_ARGUE if b.sentence.argues else SWITCH_INSIDE_BLOCK


def _nearest(said: Sequence[int], i: int) -> int | None:
    """The committing unit nearest to unit `i` (the one before it on a tie), if any."""
    k = bisect.bisect_left(said, i)
    near = said[max(0, k - 1) : k + 1]
    return min(near, key=lambda j: (abs(j - i), j)) if near else None


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


def _answer_topic(units: Sequence[Unit]) -> dict[SectionId, float]:
    """How far the answer as a whole is about one section: the mean of what each of its
    committing units says by its own words (weighted by words), above ANSWER_FLOOR. A design of
    every section spreads below it and pulls nothing; platitudes around a thin answer do not
    decide what it is about, and one paragraph holding two sections is not about one of them."""
    model = section_model()
    weights = [u.sentence.words for u in units]
    total = sum(weights) or 1
    topics = [model.posterior(u.sentence.text) for u in units]
    mean = {
        s: sum(w * t[s] for w, t in zip(weights, topics, strict=True)) / total for s in SECTION_IDS
    }
    return {s: max(0.0, v - ANSWER_FLOOR) / (1 - ANSWER_FLOOR) for s, v in mean.items()}
