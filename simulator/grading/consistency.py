"""A grade that never contradicts itself, whichever model gave it.

The model's `SectionGrades` are settled before the report is built from them:

- evidence stays only under the section it supports: a quote that names none of its section's
  points but names another section's is dropped, and a quote given under several sections stays
  under the one it names most;
- a point the kept evidence covers (its cue words in a clause that does not deny them) is covered,
  so "missed" never lists it;
- a point that does not apply to the scenario is never missed nor advised (compressing a model for
  phones when a fact says it runs on our servers);
- a section scored 4 lists no missed point: a missed core point (the heaviest, CORE_WEIGHT) caps
  it at 3, and a 4 that stands has its minor points left out of "missed" (the heaviest of them
  becomes its advice);
- the mistakes the model reports are matched to the watch list by id and listed with the
  candidate's words and the passage to read; a section with a catalogue mistake is not thorough,
  so it keeps at most 3;
- advice that would itself make a catalogue mistake for this scenario is dropped.
"""

import re
from collections.abc import Sequence

from simulator.base.sections import LANGS, SECTION_IDS, Lang, SectionId
from simulator.base.strings import text
from simulator.base.textnorm import compiled_terms, words
from simulator.grading.types import MistakeMade, MistakeNote, SectionGrade, SectionGrades
from simulator.kb.knowledge import PIPELINE_ROLE, Checkpoint, KnowledgeBase, Scenario
from simulator.kb.lexicon import lexicon
from simulator.kb.mistakes import Mistake

CORE_WEIGHT = 1.5
"""A checkpoint of at least this weight is a core point (the heaviest of each section: the data
volume, the offline and online metrics, the pipeline, the labels, the baseline, the A/B test...):
a 4 that misses one is not thorough."""
TOP_SCORE = 4
CAPPED_SCORE = 3


def settle(
    grades: SectionGrades,
    *,
    kb: KnowledgeBase,
    scenario: Scenario | None,
    lang: Lang,
    credited: set[str],
    watch: Sequence[Mistake],
    answer: str,
) -> tuple[SectionGrades, list[MistakeNote]]:
    """The grades made consistent (see the module's docstring), and the mistakes noticed."""
    evidence = _evidence_by_section(grades.sections, kb, scenario)
    excused = _not_applicable(kb, scenario)
    settled: list[SectionGrade] = []
    notes: list[MistakeNote] = []
    for grade in grades.sections:
        quotes = evidence[grade.id]
        checkpoints = kb.rubric.sections[grade.id].checkpoints
        covered = {_full(grade.id, c) for c in grade.covered} | credited | excused
        covered |= {c.id for c in checkpoints if any(_covers(c, q) for q in quotes)}
        found = [_note(made, grade.id, watch, kb, lang, answer) for made in grade.mistakes]
        notes.extend(found)
        score = grade.score
        core_missed = any(c.id not in covered and c.weight >= CORE_WEIGHT for c in checkpoints)
        if score == TOP_SCORE and (core_missed or any(n.id for n in found)):
            score = CAPPED_SCORE
        advice = [a for a in grade.advice if not any(m.made_in(a) for m in watch)]
        if score == TOP_SCORE:
            # A 4 lists no minor point as missed; the heaviest one left becomes its advice.
            minor = sorted((c for c in checkpoints if c.id not in covered), key=lambda c: -c.weight)
            if minor and not advice:
                advice = [text("grade.advice.missed", lang, text=minor[0].description(lang))]
            covered |= {c.id for c in checkpoints}
        settled.append(
            grade.model_copy(
                update={
                    "evidence": quotes,
                    "covered": sorted(covered),
                    "score": score,
                    "advice": advice,
                }
            )
        )
    return SectionGrades(sections=settled), notes


def _full(section: SectionId, point_id: str) -> str:
    return point_id if point_id.startswith(f"{section}.") else f"{section}.{point_id}"


def _terms(section: SectionId, kb: KnowledgeBase, scenario: Scenario | None) -> list[list[str]]:
    """Each point's cue terms (checkpoints and the scenario's points), both languages."""
    points = scenario.points.get(section, []) if scenario else []
    checkpoints = kb.rubric.sections[section].checkpoints
    groups = [[t for lang in LANGS for t in c.evidence(lang)] for c in checkpoints]
    if any(c.role == PIPELINE_ROLE for c in checkpoints):
        # The pipeline is laid out by naming the system's parts, whatever the cue words.
        groups.append(lexicon().grading.components.listed)
    return groups + [[t for lang in LANGS for t in p.evidence(lang)] for p in points]


def _named(quote: str, groups: list[list[str]]) -> int:
    live = lexicon().grading.live_text(quote)
    return sum(bool(compiled_terms(tuple(g)).find(live)) for g in groups)


def _evidence_by_section(
    grades: Sequence[SectionGrade], kb: KnowledgeBase, scenario: Scenario | None
) -> dict[SectionId, list[str]]:
    """Each section's quotes, without those that belong to another section."""
    terms = {g.id: _terms(g.id, kb, scenario) for g in grades}
    named = {(g.id, q): {s: _named(q, terms[s]) for s in terms} for g in grades for q in g.evidence}
    listed: dict[str, list[SectionId]] = {}
    for g in grades:
        for q in g.evidence:
            listed.setdefault(_key(q), []).append(g.id)
    kept: dict[SectionId, list[str]] = {}
    for g in grades:
        kept[g.id] = []
        for q in g.evidence:
            counts = named[(g.id, q)]
            elsewhere = max((n for s, n in counts.items() if s != g.id), default=0)
            if counts[g.id] == 0 and elsewhere > 0:
                continue  # it speaks to another section, none of this one's points
            rivals = [s for s in listed[_key(q)] if s != g.id]
            if any(counts[s] > counts[g.id] for s in rivals):
                continue  # given twice: it stays where it names the most
            if any(counts[s] == counts[g.id] and _order(s) < _order(g.id) for s in rivals):
                continue
            kept[g.id].append(q)
    return kept


def _key(quote: str) -> str:
    return " ".join(words(quote))


def _order(section: SectionId) -> int:
    return SECTION_IDS.index(section)


def _covers(checkpoint: Checkpoint, quote: str) -> bool:
    terms = tuple(t for lang in LANGS for t in checkpoint.evidence(lang))
    return bool(compiled_terms(terms).find(lexicon().grading.live_text(quote)))


def _not_applicable(kb: KnowledgeBase, scenario: Scenario | None) -> set[str]:
    """Checkpoints for models on devices, when no fact says the model runs on one."""
    cues = lexicon().grading
    facts = " ".join(f"{f.en} {f.ru}" for f in scenario.facts) if scenario else ""
    if cues.on_device.find(facts):
        return set()
    return {
        c.id
        for section in kb.rubric.sections.values()
        for c in section.checkpoints
        if any(cues.device_only.find(c.description(lang)) for lang in LANGS)
    }


def _note(
    made: MistakeMade,
    section: SectionId,
    watch: Sequence[Mistake],
    kb: KnowledgeBase,
    lang: Lang,
    answer: str,
) -> MistakeNote:
    """The reported mistake as a note, with its passage when it names a catalogue entry (by id,
    short or full); its quote is the model's when the answer holds it, else the first sentence
    that makes the mistake."""
    entry = next((m for m in watch if m.id in (made.id, _full(section, made.id))), None)
    quote = made.quote if _key(made.quote) and _key(made.quote) in _key(answer) else ""
    if entry is None:
        return MistakeNote(
            id=None, section=section, wrong=made.id, why="", quote=quote, passage=None,
            passage_title="",
        )  # fmt: skip
    passage = kb.passage(entry.passage)
    return MistakeNote(
        id=entry.id,
        section=section,
        wrong=entry.wrong(lang),
        why=entry.why(lang),
        quote=quote or _quote(entry, answer),
        passage=entry.passage,
        passage_title=passage.title(lang) if passage else "",
    )


def _quote(mistake: Mistake, answer: str) -> str:
    """The first sentence (or list item) of the answer that makes the mistake."""
    for line in answer.splitlines():
        for sentence in _SENTENCE_END.split(line.strip().lstrip("-*•>+#").strip()):
            if sentence.strip() and mistake.made_in(sentence):
                return sentence.strip()
    return ""


_SENTENCE_END = re.compile(r"(?<=[.!?;])\s+")
