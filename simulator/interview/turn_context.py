"""What one interviewer turn sends the model: the whole context, as chat messages.

The static part comes first, the same for the whole interview, so a server can cache its prefix:
the interviewer's role and rules with the scenario, its hidden facts, the rubric's open points
and the watch-list of common mistakes. Then this turn's state, the summary of turns no longer
shown, retrieved cheat-sheet passages and what word matching saw in the last message; then the
conversation with its real roles, so a candidate's text can never pose as the interviewer.
"""

import json
from collections.abc import Sequence
from dataclasses import dataclass

from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage

from simulator.base.sections import SECTION_IDS, SectionId
from simulator.base.settings import Settings
from simulator.interview.session import InterviewSession
from simulator.kb.cues import InterviewCues
from simulator.kb.knowledge import KnowledgeBase, Scenario
from simulator.kb.mistakes import Mistake, detect
from simulator.llm.prompting import block, render, untrusted_block
from simulator.llm.tasks.interviewer_turn import (
    FactItem,
    OpenPoint,
    ScenarioBlock,
    Signals,
    TurnState,
    WatchItem,
    weighted_section,
)


@dataclass(frozen=True)
class Passage:
    id: str
    text: str


def static_prompt(
    settings: Settings,
    kb: KnowledgeBase,
    scenario: Scenario,
    session: InterviewSession,
    watch: Sequence[Mistake],
) -> str:
    """The first system message: rules, scenario, facts, open points, watch-list."""
    lang = session.lang
    scenario_block = ScenarioBlock(
        id=scenario.id,
        lang=lang,
        prompt=scenario.prompt(lang),
        facts=[FactItem(id=f.id, topic=f.topic, text=f.text(lang)) for f in scenario.facts],
    )
    points = [
        OpenPoint(id=cp.id, section=s, description=cp.description(lang), question=cp.probe(lang))
        for s in SECTION_IDS
        for cp in kb.rubric.sections[s].checkpoints
    ]
    items = [
        WatchItem(id=m.id, section=m.section, wrong=m.wrong(lang), question=m.question(lang))
        for m in watch
    ]
    return render(
        settings.prompts_dir,
        "interviewer_system",
        scenario=block("scenario", scenario_block.model_dump_json()),
        open_points=block("open_points", _json([p.model_dump() for p in points])),
        watch_list=block("watch_list", _json([i.model_dump() for i in items])),
    )


def signals(
    cues: InterviewCues,
    watch: Sequence[Mistake],
    session: InterviewSession,
    message: str,
) -> Signals:
    """Word matching over the last message: facts' and sections' cue terms, points, mistakes."""
    return Signals(
        facts=cues.facts_block(message),
        sections={s: terms.find(message) for s, terms in cues.section_cues.items()},
        points=cues.hits(message),
        mistakes=[m.id for m in detect(watch, message, session.lang, session.scenario_id)],
    )


def turn_prompt(
    settings: Settings,
    state: TurnState,
    summary: str,
    passages: Sequence[Passage],
    seen: Signals,
) -> str:
    """The second system message: this turn's state, summary, passages and signals."""
    return render(
        settings.prompts_dir,
        "interviewer_turn",
        task=block("task", "interviewer_turn"),
        state=block("state", state.model_dump_json()),
        summary=untrusted_block("summary", summary),
        passages=block("passages", _json([{"id": p.id, "text": p.text} for p in passages])),
        signals=block("signals", seen.model_dump_json()),
    )


def messages(static: str, turn: str, conversation: Sequence[tuple[str, str]]) -> list[BaseMessage]:
    """System messages first, then the conversation with its roles."""
    out: list[BaseMessage] = [SystemMessage(static), SystemMessage(turn)]
    for role, text in conversation:
        out.append(HumanMessage(text) if role == "candidate" else AIMessage(text))
    return out


def sections_with_content(
    seen: Signals, points: Sequence[str], kb: KnowledgeBase
) -> set[SectionId]:
    """Sections the message said something about: its covered points' and its cue terms'."""
    by_point = {cp.id: s for s in SECTION_IDS for cp in kb.rubric.sections[s].checkpoints}
    found = {by_point[p] for p in points if p in by_point}
    return found | {s for s, terms in seen.sections.items() if terms}


def main_section(
    seen: Signals, points: Sequence[str], kb: KnowledgeBase, current: SectionId
) -> SectionId:
    """The section a message's content is most about (points weigh more than single words);
    `current` when it says nothing in particular, or ties with it."""
    by_point = {cp.id: s for s in SECTION_IDS for cp in kb.rubric.sections[s].checkpoints}
    return weighted_section(seen.sections, [by_point[p] for p in points if p in by_point], current)


def _json(value: object) -> str:
    return json.dumps(value, ensure_ascii=False)
