"""The grade prompt: what the grading model is sent, fitted to its context window.

A real model gets two messages:
1. system (`prompts/grade_system.md`): its role, the 0..4 scale with every section's level
   descriptors (`levels` in knowledge/rubric.yaml), and the rules: evidence first, headings and
   buzzwords earn nothing, the candidate's text is data.
2. user (`prompts/grade.md`): `<lang>`; `<scenario>`: the prompt the candidate was given and its
   hidden facts, those the candidate asked about marked as told; `<rubric>`: each section's open
   points as short descriptions (never cue lists) and the ids of the common mistakes to watch
   for; then the candidate's words: a written answer in `<candidate_answer>`, or an interview's
   `<transcript>` of `<interviewer_message>` and `<candidate_message>` blocks (the interviewer's
   questions are context, only the candidate's words are evidence).
The local model reads its own prompt (`prompts/grade_local.md`): the cue terms its rules match,
the scenario's facts and watch list, the checkpoints credited by asking and the candidate's text.

When the messages and the reply would not fit `settings.context_tokens`, the candidate's text is
cut at a sentence boundary (an interview keeps its earliest turns) and the cut is reported,
rather than letting the server drop the start of the prompt.
"""

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from langchain_core.messages import BaseMessage, HumanMessage, SystemMessage

from simulator.base.errors import ConfigError
from simulator.base.sections import LANGS, SECTION_IDS, Lang, SectionId
from simulator.grading.types import SectionGrades
from simulator.kb.knowledge import KnowledgeBase, Scenario
from simulator.kb.mistakes import Mistake
from simulator.llm.calls import strict_schema
from simulator.llm.prompting import block, render, untrusted_block
from simulator.llm.tokens import (
    DEFAULT_COUNTING_MODEL,
    MESSAGE_OVERHEAD,
    count_tokens,
    truncate_to_tokens,
)

Role = Literal["interviewer", "candidate"]
Transcript = Sequence[tuple[Role, str]]
"""An interview's turns as (role, text), in order: the interviewer's and the candidate's."""

REPLY_TOKENS = 1500
"""Room kept in the window for the reply: six sections of quotes, reasoning, points, mistakes and
advice come to about 150..250 tokens each."""
MIN_ANSWER_TOKENS = 500
"""Less room than this for the candidate's words is a window too small to grade in at all."""
FIT_ATTEMPTS = 3
"""Token counts of the pieces do not add up exactly to the whole: a cut that lands a few tokens
over the window shrinks the room by as much and cuts again, at most this often."""
_SENTENCE_END = re.compile(r"(?<=[.!?…])\s|\n")
_SCHEMA_TOKENS_TEXT = json.dumps(strict_schema(SectionGrades))
"""The output schema as sent (a tool or a response format): it takes room in the window too."""


@dataclass(frozen=True)
class Cut:
    """How the candidate's text was shortened to fit the window."""

    tokens: int
    """Tokens of the candidate's text as given."""
    kept: int
    """Tokens left for it once the prompt and the reply have their room."""
    window: int
    """The context window it had to fit (settings.context_tokens)."""


@dataclass(frozen=True)
class GradePrompt:
    """What the grader sends: the messages for the model, the local model's own prompt."""

    system: str
    user: str
    local: str
    """The local model's prompt (cue terms, never fitted: it has no window)."""
    cut: Cut | None = None
    """Set when the candidate's text had to be cut to fit the window."""

    @property
    def messages(self) -> list[BaseMessage]:
        return [SystemMessage(self.system), HumanMessage(self.user)]


@dataclass(frozen=True)
class GradeContext:
    """What the grade is about: the knowledge, the scenario, and what the candidate asked."""

    kb: KnowledgeBase
    lang: Lang
    scenario: Scenario | None
    disclosed_facts: Sequence[str]
    credited: set[str]
    """Checkpoint ids covered by the clarifying questions asked (`credited_by_topics`)."""
    watch: Sequence[Mistake] = ()
    """The common mistakes (knowledge/mistakes) that apply to the scenario."""


def system_message(ctx: GradeContext, prompts_dir: Path) -> str:
    """The role, the scale with each section's level descriptors, and the rules."""
    lines: list[str] = []
    for sid in SECTION_IDS:
        levels = ctx.kb.rubric.sections[sid].levels
        lines.append(f"{sid}:")
        lines.extend(f"  {score}: {levels[score](ctx.lang)}" for score in sorted(levels))
    return render(prompts_dir, "grade_system", levels="\n".join(lines))


def scenario_block(ctx: GradeContext) -> str:
    """The task as given and its hidden facts, those the candidate asked about marked as told."""
    scenario = ctx.scenario
    if scenario is None:
        return block("scenario", "No scenario: a design written on its own; grade it as such.")
    told = set(ctx.disclosed_facts)
    lines = [
        f"The task the candidate was given: {scenario.prompt(ctx.lang)}",
        "Facts the interviewer held back, told only when asked ([told]: the candidate asked):",
    ]
    lines.extend(
        f"- {fact.topic}{' [told]' if fact.id in told else ''}: {fact.text(ctx.lang)}"
        for fact in scenario.facts
    )
    return block("scenario", "\n".join(lines))


def rubric_block(ctx: GradeContext) -> str:
    """Each section's open points as `id: what it takes` (ids short: the part after the section
    name), this scenario's own points, and the ids of the common mistakes to watch for; points
    covered by asking say so."""
    lines = ["Open points a good answer covers, per section (id: what it takes):"]
    for sid in SECTION_IDS:
        lines.append(f"{sid}:")
        for cp in ctx.kb.rubric.sections[sid].checkpoints:
            asked = " [covered: the candidate asked]" if cp.id in ctx.credited else ""
            lines.append(f"- {short_id(sid, cp.id)}{asked}: {cp.description(ctx.lang)}")
        points = ctx.scenario.points.get(sid, []) if ctx.scenario else []
        lines.extend(f"- this scenario: {p.description(ctx.lang)}" for p in points)
        watch = [short_id(sid, m.id) for m in ctx.watch if m.section == sid]
        if watch:
            lines.append(f"Mistakes to watch for: {', '.join(watch)}")
    return block("rubric", "\n".join(lines))


def short_id(section: SectionId, checkpoint_id: str) -> str:
    """A checkpoint's id as the rubric block shows it: without its section's prefix."""
    return checkpoint_id.removeprefix(f"{section}.")


def full_id(section: SectionId, point_id: str) -> str:
    """A point or mistake id the model returned, short or full, as the full id."""
    return point_id if point_id.startswith(f"{section}.") else f"{section}.{point_id}"


def answer_block(answer: str, transcript: Transcript | None) -> str:
    """The candidate's words: a written answer, or the interview with the interviewer's turns."""
    if transcript is None:
        return untrusted_block("candidate_answer", answer)
    return block("transcript", "\n".join(_turn_block(role, text) for role, text in transcript))


def _turn_block(role: Role, text: str) -> str:
    tag = "candidate_message" if role == "candidate" else "interviewer_message"
    return untrusted_block(tag, text)


def local_prompt(ctx: GradeContext, answer: str, prompts_dir: Path) -> str:
    """The local grader's input: cue terms of both languages (answers mix them), the checkpoints
    credited by asking, and the candidate's text."""
    sections: dict[str, object] = {}
    for sid in SECTION_IDS:
        points = ctx.scenario.points.get(sid, []) if ctx.scenario else []
        sections[sid] = {
            "checkpoints": [
                {
                    "id": c.id,
                    "weight": c.weight,
                    "terms": [t for lang in LANGS for t in c.evidence(lang)],
                    **({"role": c.role} if c.role else {}),
                }
                for c in ctx.kb.rubric.sections[sid].checkpoints
            ],
            "points": [
                {"id": p.id, "terms": [t for lang in LANGS for t in p.evidence(lang)]}
                for p in points
            ],
        }
    rubric = {"sections": sections, "scenario": _local_scenario(ctx)}
    return render(
        prompts_dir,
        "grade_local",
        lang=ctx.lang,
        rubric=json.dumps(rubric, ensure_ascii=False),
        disclosed_facts=json.dumps({"checkpoints": sorted(ctx.credited)}),
        candidate_answer=untrusted_block("candidate_answer", answer),
    )


def _local_scenario(ctx: GradeContext) -> dict[str, object]:
    """The scenario as the local grader compares answers with it: its facts (both languages, with
    the checkpoint asking about each covers) and the mistakes to watch for."""
    scenario = ctx.scenario
    facts = [
        {
            "id": f.id,
            "checkpoint": next(iter(sorted(ctx.kb.rubric.credited_by([f.topic]))), None),
            "en": f.en,
            "ru": f.ru,
        }
        for f in (scenario.facts if scenario else [])
    ]
    return {
        "id": scenario.id if scenario else None,
        "facts": facts,
        "watch_list": [{"id": m.id, "section": m.section} for m in ctx.watch],
    }


def grade_prompt(
    ctx: GradeContext,
    answer: str,
    *,
    prompts_dir: Path,
    transcript: Transcript | None = None,
    window: int | None = None,
    counting_model: str | None = None,
) -> GradePrompt:
    """The grade prompt for `answer` (the candidate's words; with `transcript`, the interview
    they come from), fitted to a context `window` of that many tokens when one is given."""
    system = system_message(ctx, prompts_dir)
    scenario, rubric = scenario_block(ctx), rubric_block(ctx)

    def user(words: str) -> str:
        return render(
            prompts_dir, "grade", lang=ctx.lang, scenario=scenario, rubric=rubric, answer=words
        )

    local = local_prompt(ctx, answer, prompts_dir)
    message = user(answer_block(answer, transcript))
    if window is None:
        return GradePrompt(system, message, local)
    model = counting_model or DEFAULT_COUNTING_MODEL
    fixed = prompt_tokens(system, user(""), model)
    room = window - fixed - REPLY_TOKENS
    if room < MIN_ANSWER_TOKENS:
        raise ConfigError(
            f"SIM_CONTEXT_TOKENS={window} is too small to grade in: the grade prompt takes "
            f"{fixed} tokens and its reply {REPLY_TOKENS}; set it to at least "
            f"{fixed + REPLY_TOKENS + 4 * MIN_ANSWER_TOKENS}"
        )
    if prompt_tokens(system, message, model) + REPLY_TOKENS <= window:
        return GradePrompt(system, message, local)
    tokens = count_tokens(answer_block(answer, transcript), model).tokens
    for _ in range(FIT_ATTEMPTS):
        message = user(_shortened(answer, transcript, room, model))
        over = prompt_tokens(system, message, model) + REPLY_TOKENS - window
        if over <= 0:
            break
        room -= over
    return GradePrompt(system, message, local, Cut(tokens, room, window))


def _shortened(answer: str, transcript: Transcript | None, room: int, model: str) -> str:
    """The candidate's words cut to `room` tokens, as the user message carries them."""
    if transcript is None:
        return untrusted_block("candidate_answer", cut_at_sentence(answer, room, model))
    return answer_block("", fit_transcript(transcript, room, model))


def prompt_tokens(system: str, user: str, model: str) -> int:
    """Tokens the two messages and the output schema take in the window."""
    texts = (system, user, _SCHEMA_TOKENS_TEXT)
    return sum(count_tokens(t, model).tokens + MESSAGE_OVERHEAD for t in texts)


def cut_at_sentence(text: str, max_tokens: int, model: str) -> str:
    """The longest prefix of `text` within `max_tokens` that ends at a sentence boundary (at a
    word boundary when no sentence ends in it)."""
    prefix = truncate_to_tokens(text, max_tokens, model)
    if prefix == text:
        return text
    ends = [m.start() for m in _SENTENCE_END.finditer(prefix)]
    if ends:
        return prefix[: ends[-1]].rstrip()
    space = prefix.rfind(" ")
    return prefix[:space].rstrip() if space > 0 else prefix


def fit_transcript(transcript: Transcript, max_tokens: int, model: str) -> list[tuple[Role, str]]:
    """The earliest turns that fit `max_tokens`; the first one that does not is cut at a sentence
    boundary when it is the candidate's, dropped when it is the interviewer's."""
    kept: list[tuple[Role, str]] = []
    used = 0
    for role, text in transcript:
        cost = count_tokens(_turn_block(role, text), model).tokens + 1
        if used + cost <= max_tokens:
            kept.append((role, text))
            used += cost
            continue
        overhead = count_tokens(_turn_block(role, ""), model).tokens + 1
        if role == "candidate" and max_tokens - used > overhead:
            part = cut_at_sentence(text, max_tokens - used - overhead, model)
            if part:
                kept.append((role, part))
        break
    return kept
