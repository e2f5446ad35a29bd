"""The local model's grader: deterministic rubric coverage, run from the blocks of the grade prompt.

Blocks: `<rubric>` (JSON: per section its checkpoints and scenario points with cue terms),
`<disclosed_facts>` (JSON: topics the candidate asked about, mapped to checkpoints),
`<candidate_answer>` (the text). Only sentences with content count: a heading, a bare list of
names or a fragment of three words or fewer shows a point was named, never that it was covered.
A sentence that speaks to the grader (a fake tag, "ignore the rubric") counts for nothing at all,
and one that hedges ("probably") gives no reasons.
Scores grow with coverage, reasons and ties to the scenario; adding text never lowers them.
A section says more than a name only once its blocks hold a few sentences' worth of words; the
reasons and figures of those blocks count for it, but only from sentences that touch the design.
The architecture says more than a name only where a block moves data between named parts (stores,
queues, jobs, services): pipeline talk that names only its stages stays a name.
The cue words (reasons, hedges, section names, parts, flows) are data in
`knowledge/lexicon/grading.yaml`, and the words that speak to the grader in `steering.yaml`; the
pipeline checkpoint is the one the rubric block marks `role: pipeline`.
"""

import json
import re
from dataclasses import dataclass

from pydantic import BaseModel

from simulator.base.sections import SECTION_IDS, SectionId
from simulator.base.textnorm import STOP_WORDS, compiled_terms, words
from simulator.kb.knowledge import PIPELINE_ROLE
from simulator.kb.lexicon import lexicon

LABEL_LEVEL = 7
"""A "Label:" line is a heading below every Markdown level (`#` to `######`)."""
LABEL_MAX_WORDS = 6
"""A line ending in a colon is a "Label:" heading only this short; a longer one is a sentence that
introduces what follows ("We need three things to serve this:")."""
RUN_IN_WORDS = 3
"""A label with no colon or bold, a line of its own ("Metrics") or a paragraph's first sentence
("Requirements. We ..."), is at most this many words."""
LEAD_IN_WORDS = 8
"""A lead-in ("Let me draw the architecture end to end:") is at most this many words."""
DEVELOPED_WORDS = 15
"""A section whose blocks hold fewer words than this only names its points (level 1)."""
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
"""...and this many of the scenario's points and figures: tied to this case, not to any."""
MOST_COVERAGE = 0.4
"""Below COMPLETE, this share of the points is "most key points" (a 3) when reasons or facts back
them; "most" counts by weight, and the heaviest points carry a section."""
BACKED_REASONS = 2
"""Reasons that back a section's points on their own: argued twice."""
BACKED_TIES_WITH_A_REASON = 2
"""Ties to the scenario that back one reason: argued once and tied twice to the facts."""
BACKED_TIES = 4
"""Ties to the scenario that back a section without a reason word: tied throughout."""
SOME_COVERAGE = 0.25
"""A quarter of the points by weight is "some key points" (a 2); less only names the section."""
WIRED_COMPONENTS = 2
"""A block that moves data between at least this many named parts says how the system connects."""
CHAIN_ARROWS = 2
"""Two arrows chain three parts (a -> b -> c): a pipeline laid out, not one step."""
FRAGMENT_WORDS = 3
"""A sentence of at most this many words is a fragment: it names a point, it does not cover it."""
LABELLED_FRAGMENT_WORDS = 2
"""A label's body of at most this many words is a fragment; fewer than FRAGMENT_WORDS, since the
label already says what the body is about ("Latency: no online serving")."""
BARE_LIST_ITEMS = 3
"""A run of at least this many short names is a bare list of buzzwords ("AUC, F1, NDCG")."""
LABELLED_LIST_ITEMS = 2
"""After a label, two names already make a bare list ("Offline: F1, AUC")."""
NAME_WORDS = 2
"""A list item of at most this many words is a name ("feature store"), not a claim."""
BARE_LIST_SHARE = 0.75
"""A list is bare when at least this share of its items are names: one longer item among names
does not make it an argument."""
EVIDENCE_QUOTES = 3
"""Quotes kept per section as its evidence, the most argued first."""
_TAG = re.compile(r"</?[a-z_]+[^>]*>", re.IGNORECASE)
_NUMBER = re.compile(r"\d")
_SENTENCE_END = re.compile(r"(?<=[.!?;])\s+")
_BOLD_LABEL = re.compile(r"^\*\*([^*]+)\*\*")
_LIST_ITEM = re.compile(r"\s*(?:[-*•]|\d+[.)])\s")
"""A list item's label ("- Data: 40M users") is a sub-topic of the list's context, not a section."""
# A Markdown thematic break ("---") ends what a heading declared: an interview's turns are joined
# with one, so a heading in one turn does not claim the answers of the next.
_THEMATIC_BREAK = re.compile(r"\s*(?:-{3,}|\*{3,}|_{3,})\s*$")
_CONSEQUENCE = re.compile(r",\s+(?:so|так что)\s", re.IGNORECASE)
"""", so ..." states a consequence, unlike "so" in "and so on" or "so far"."""
_PUNCTUATION = re.compile(r"[.,;:!?]")
_ARROW = re.compile(r"->|→|=>|⇒")
_LIST_SEPARATOR = re.compile(r"[,;/+]|->|→|=>|⇒|\s+and\s+|\s+и\s+")


class CueItem(BaseModel):
    id: str
    weight: float = 1.0
    terms: list[str]
    role: str | None = None
    """`pipeline` for the checkpoint that laying out the system covers (knowledge/rubric.yaml)."""


class SectionCues(BaseModel):
    checkpoints: list[CueItem]
    points: list[CueItem] = []


class RubricBlock(BaseModel):
    sections: dict[SectionId, SectionCues]


@dataclass(frozen=True)
class Pipeline:
    """The rubric's pipeline checkpoint (`role: pipeline`) and its section.

    A chain of arrows (a -> b -> c), or a block that wires named parts together, lays out the
    pipeline, whatever its boxes are called. Its section describes how the other sections' parts
    connect, so those parts never outvote its cues.
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
    words: int
    block: int
    """Index of its block: a paragraph, or the stretch between a heading and the next blank line."""
    declared: SectionId | None = None
    """The section its heading or its block's lead-in names, if any."""
    heading: bool = False
    """A heading names a section without saying anything about it: it earns nothing."""


def split_sentences(answer: str) -> list[Sentence]:
    """Sentences of the answer, verbatim, each marked as content or a mere naming.

    A heading that names a section declares it for what follows, up to the next heading as deep
    or shallower, or a thematic break (`---`); a heading that names none ("Hyperparameters:")
    leaves the one above it in force. Where no heading declares a section, a block (paragraph,
    not a list item) that opens with a lead-in naming one ("Serving: ...") declares it for that
    block. Both depend only on what comes before, so adding text never re-files earlier sentences.
    """
    to_the_grader = lexicon().steering.to_the_grader
    out: list[Sentence] = []
    open_headings: list[tuple[int, SectionId]] = []
    by_lead_in: SectionId | None = None
    block_start, block = True, 0
    for line in answer.splitlines():
        if _THEMATIC_BREAK.match(line):
            open_headings = []
        stripped = line.strip().lstrip("-*•>").strip()
        if not stripped:
            block_start, by_lead_in = True, None
            continue
        level = _heading_level(line, stripped, block_start)
        heading = level is not None
        if level is not None:
            open_headings = _open_heading(open_headings, level, _named_section(stripped))
            by_lead_in = None
        by_heading = open_headings[-1][1] if open_headings else None
        if not heading and block_start and by_heading is None and not _LIST_ITEM.match(line):
            by_lead_in = _lead_in_section(line.strip().lstrip(">").strip())
        block += block_start or heading
        block_start = heading
        for part in _SENTENCE_END.split(stripped):
            part = part.strip()
            if not part or _TAG.search(part) or part in to_the_grader:
                continue
            content = not heading and _has_content(part)
            out.append(
                Sentence(
                    text=part,
                    content=content,
                    reasons=_reasons(part) if content else 0,
                    numbers=bool(_NUMBER.search(part)) and content,
                    words=len(words(part)) if content else 0,
                    block=block,
                    declared=by_lead_in or by_heading,
                    heading=heading,
                )
            )
    return out


def _heading_level(line: str, stripped: str, opens_block: bool) -> int | None:
    """How deep a heading line is: `#` counts for Markdown, a short "Label:" line is deepest.

    A line that opens a block and holds nothing but a section's name ("Metrics", "Data and
    labels") is a heading written without Markdown, as deep as the deepest Markdown one.
    """
    marks = len(line.lstrip()) - len(line.lstrip().lstrip("#"))
    if marks:
        return marks
    if stripped.endswith(":") and len(words(stripped)) <= LABEL_MAX_WORDS:
        return LABEL_LEVEL
    bare = opens_block and not _LIST_ITEM.match(line) and not _PUNCTUATION.search(stripped)
    if bare and len(words(stripped)) <= RUN_IN_WORDS and _only_section_names(stripped):
        return LABEL_LEVEL - 1
    return None


def _only_section_names(text: str) -> bool:
    """Every word but function words names a section: a title such as "Fraud model" does not."""
    named = [w for w in words(text) if w not in STOP_WORDS]
    names = lexicon().grading.section_names.values()
    return bool(named) and all(any(w in n for n in names) for w in named)


def _open_heading(
    open_headings: list[tuple[int, SectionId]], level: int, named: SectionId | None
) -> list[tuple[int, SectionId]]:
    """The headings still in force after one at `level`: it closes those as deep or deeper.

    A heading that names no section ("Hyperparameters:" under "## Model") is a sub-topic of the
    one above it, so that one stays in force.
    """
    kept = [(lv, sid) for lv, sid in open_headings if lv < level]
    return [*kept, (level, named)] if named else kept


def _named_section(text: str) -> SectionId | None:
    """The section a heading or lead-in names; the earliest named one when it names several."""
    lowered = text.lower()
    found = [
        (lowered.find(term.rstrip("*").split()[0]), sid)
        for sid, names in lexicon().grading.section_names.items()
        for term in names.find(text)
    ]
    return min(found)[1] if found else None


def _lead_in_section(line: str) -> SectionId | None:
    """The section named by the label a block opens with: "Serving: ...", "**Data.** ...", or a
    first sentence of a few words ("Requirements. We ...").

    Only the first sentence can hold the label, so a colon further on is not mistaken for one.
    """
    first, *rest = _SENTENCE_END.split(line, maxsplit=1)
    bold = _BOLD_LABEL.match(first)
    head, colon, _ = first.partition(":")
    run_in = rest and first.endswith(".") and len(words(first)) <= RUN_IN_WORDS
    label = bold.group(1) if bold else head if colon else first if run_in else ""
    if not label or len(words(label)) > LEAD_IN_WORDS:
        return None
    return _named_section(label)


def _reasons(sentence: str) -> int:
    """Reason words in a sentence, a ", so" of consequence among them; none in a guess."""
    cues = lexicon().grading
    if sentence in cues.hedges:
        return 0
    return len(cues.reason_terms.find(sentence)) + len(_CONSEQUENCE.findall(sentence))


def _has_content(sentence: str) -> bool:
    """More than a fragment, and not a bare list of names.

    A label names what its body speaks about ("Latency: no online serving"), so a labelled
    body says something in fewer words, unless it is a list of names ("Offline: F1, AUC").
    """
    body = sentence.partition(":")[2].strip()
    if not body:
        whole = len(words(sentence)) > FRAGMENT_WORDS
        return whole and not _is_bare_list(sentence, BARE_LIST_ITEMS)
    return (
        len(words(body)) > LABELLED_FRAGMENT_WORDS
        and len(words(sentence)) > FRAGMENT_WORDS
        and not _is_bare_list(body, LABELLED_LIST_ITEMS)
    )


def _is_bare_list(sentence: str, least: int) -> bool:
    """A run of at least `least` short names (commas, arrows) with no reasoning: buzzwords."""
    parts = [p for p in _LIST_SEPARATOR.split(sentence) if p.strip()]
    if len(parts) < least:
        return False
    short = sum(len(words(p)) <= NAME_WORDS for p in parts)
    return short / len(parts) >= BARE_LIST_SHARE and not lexicon().grading.reason_terms.find(
        sentence
    )


def score_section(
    coverage: float, reasons: int, ties: int, checkpoints: int, *, wired: bool | None = None
) -> int:
    """The DESIGN.md scale, for a developed section, from coverage (0..1), reasons and ties.

    A 4 is thorough, argued and tied to the scenario: either the scenario's facts are quoted
    (ties count its points and figures), or every checkpoint is covered with a reason for most.
    `wired` is given for the architecture alone: whether it connects named parts of the system.
    Stages with no part named ("data, then the model, then serving") are only named, whatever
    reasons come with them; connected parts say more than a name even with no reason.
    """
    if wired is False:
        return 1
    quoted = coverage >= QUOTED_COVERAGE and reasons >= QUOTED_REASONS and ties >= QUOTED_TIES
    argued = coverage >= FULL_COVERAGE and reasons >= ARGUED * checkpoints and ties >= ARGUED_TIES
    if quoted or argued:
        return 4
    if not reasons and not ties and not wired:
        return 1  # key points named, but not one reason, figure, tie or connected part
    # Argued twice, argued once and tied twice to the scenario's facts, or tied throughout.
    backed = (
        reasons >= BACKED_REASONS
        or (reasons >= 1 and ties >= BACKED_TIES_WITH_A_REASON)
        or ties >= BACKED_TIES
    )
    if coverage >= COMPLETE or (coverage >= MOST_COVERAGE and backed):
        return 3  # most points, argued or backed by the scenario's facts and figures
    if coverage >= SOME_COVERAGE:
        return 2
    return 1


def _checkpoint_hits(
    sentence: Sentence, rubric: RubricBlock, pipeline: Pipeline | None
) -> dict[SectionId, set[str]]:
    """Every checkpoint the sentence's words (or its chain of arrows) point at, by section."""
    hits: dict[SectionId, set[str]] = {}
    for section_id, cues in rubric.sections.items():
        text = sentence.text
        found = {c.id for c in cues.checkpoints if compiled_terms(tuple(c.terms)).find(text)}
        if found:
            hits[section_id] = found
    if pipeline and len(_ARROW.findall(sentence.text)) >= CHAIN_ARROWS:
        hits.setdefault(pipeline.section, set()).add(pipeline.checkpoint)
    return hits


def _components(sentence: Sentence) -> set[str]:
    return set(lexicon().grading.components.find(sentence.text)) if sentence.content else set()


def _moves_data(sentence: Sentence) -> bool:
    return bool(lexicon().grading.flows.find(sentence.text) or _ARROW.search(sentence.text))


def _wired_blocks(sentences: list[Sentence]) -> set[int]:
    """Blocks that move data between named parts: they say how the system is put together.

    Parts and moves add up across a block, a chain of arrows among them ("logs -> Kafka ->
    feature store"): alone it only names the parts, but a block that also explains them draws
    its system. A block only gains parts as it grows, so more text never unwires one.
    """
    components = lexicon().grading.components
    parts: dict[int, set[str]] = {}
    moving: set[int] = set()
    for s in sentences:
        found = set() if s.heading else set(components.find(s.text))
        if found:
            parts.setdefault(s.block, set()).update(found)
            if _moves_data(s):
                moving.add(s.block)
    return {b for b in moving if len(parts[b]) >= WIRED_COMPONENTS}


def _wired_pipelines(
    sentences: list[Sentence],
    hits: list[dict[SectionId, set[str]]],
    pipeline: Pipeline | None,
    wired: set[int],
) -> list[dict[SectionId, set[str]]]:
    """Hits plus the pipeline checkpoint for the sentences on named parts of a wired block."""
    if pipeline is None:
        return hits
    section, checkpoint = pipeline.section, pipeline.checkpoint
    return [
        {**h, section: h.get(section, set()) | {checkpoint}}
        if s.block in wired and _components(s)
        else h
        for s, h in zip(sentences, hits, strict=True)
    ]


def _about(
    sentence: Sentence, hits: dict[SectionId, set[str]], connecting: SectionId | None
) -> dict[SectionId, set[str]]:
    """The section(s) a sentence is about, with the checkpoints it covers there.

    A sentence under a declared section counts there when it hits that section at all (elsewhere
    it only names things, see `grade`). Otherwise only the sections with the most checkpoint hits
    in it keep them: a sentence about data that mentions latency in passing counts for data.
    The `connecting` section (the pipeline's) keeps its hits whatever the others have.
    """
    if not sentence.content:
        return {}
    if sentence.declared in hits:
        return {sentence.declared: hits[sentence.declared]}
    if sentence.declared is not None:
        return {}
    top = max((len(v) for v in hits.values()), default=0)
    return {k: v for k, v in hits.items() if len(v) == top or k == connecting}


def grade(answer: str, rubric: RubricBlock, disclosed: DisclosedBlock) -> dict[str, object]:
    sentences = split_sentences(answer)
    pipeline = pipeline_of(rubric)
    connecting = pipeline.section if pipeline else None
    wired = _wired_blocks(sentences)
    hits = [_checkpoint_hits(s, rubric, pipeline) for s in sentences]
    raw = _wired_pipelines(sentences, hits, pipeline, wired)
    about = [_about(s, h, connecting) for s, h in zip(sentences, raw, strict=True)]
    on_topic = [s for s, h in zip(sentences, raw, strict=True) if h]
    block_words: dict[int, int] = {}
    for s in on_topic:
        block_words[s.block] = block_words.get(s.block, 0) + s.words
    sections: list[dict[str, object]] = []
    for section_id in SECTION_IDS:
        cues = rubric.sections.get(section_id)
        if cues is None:
            sections.append({"id": section_id, "score": 0, "evidence": [], "covered": []})
            continue
        covered: set[str] = {c.id for c in cues.checkpoints if c.id in disclosed.checkpoints}
        evidence = [s for s, a in zip(sentences, about, strict=True) if section_id in a]
        for a in about:
            covered |= a.get(section_id, set())
        # A list of names or a passing mention names a section; a heading alone does not.
        named = any(section_id in h for s, h in zip(sentences, raw, strict=True) if not s.heading)
        ties = {
            p.id
            for p in cues.points
            for s in sentences
            if s.content and compiled_terms(tuple(p.terms)).find(s.text)
        }
        total = sum(c.weight for c in cues.checkpoints) or 1.0
        coverage = sum(c.weight for c in cues.checkpoints if c.id in covered) / total
        blocks = {s.block for s in evidence}
        if coverage == 0 or sum(block_words.get(b, 0) for b in blocks) < DEVELOPED_WORDS:
            score = 1 if named or coverage > 0 else 0
        else:
            # The blocks that hold a section's evidence are about it: their reasons and facts
            # count for it even in sentences whose cue words point elsewhere (only in sentences
            # on the design at all, so a stray "score 4" adds nothing).
            support = [s for s in on_topic if s.block in blocks]
            reasons = sum(s.reasons for s in support)
            figures = sum(s.numbers for s in support)
            connects = bool(blocks & wired) if section_id == connecting else None
            score = score_section(
                coverage, reasons, len(ties) + figures, len(cues.checkpoints), wired=connects
            )
        best = sorted(evidence, key=lambda s: -s.reasons)[:EVIDENCE_QUOTES]
        sections.append(
            {
                "id": section_id,
                "score": score,
                "evidence": [s.text for s in best],
                "covered": sorted(covered | ties),
            }
        )
    return {"sections": sections}


def run(blocks: dict[str, str]) -> dict[str, object]:
    rubric = RubricBlock.model_validate(json.loads(blocks.get("rubric") or '{"sections": {}}'))
    disclosed = DisclosedBlock.model_validate(json.loads(blocks.get("disclosed_facts") or "{}"))
    return grade(blocks.get("candidate_answer", ""), rubric, disclosed)
