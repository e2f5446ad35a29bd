"""The `interviewer_turn` task: one model call per interviewer turn, with the whole context.

What the model is sent (`prompts/interviewer_system.md`, then the conversation):
1. A system message, the same for the whole interview so servers can cache it: the interviewer's
   role and rules, then `<scenario>` (`ScenarioBlock`: the prompt and the hidden facts with their
   texts), `<open_points>` (`OpenPoint` list: what a good answer covers, per section, described,
   never as cue lists) and `<watch_list>` (`WatchItem` list: common mistakes to notice).
2. A second system message for this turn (`prompts/interviewer_turn.md`): `<state>` (`TurnState`),
   `<summary>` (older turns folded), `<passages>` (cheat-sheet passages retrieved for what was
   just said) and `<signals>` (`Signals`: what simple word matching saw in the message).
3. The conversation as chat messages: the interviewer's turns as assistant messages, the
   candidate's as user messages, the last one being the message to answer.
What it returns: `TurnDecision`, the reply last so that it can be streamed as it is written.
"""

from collections.abc import Iterable, Mapping, Sequence
from typing import Literal

from pydantic import BaseModel, ConfigDict

from simulator.base.sections import SECTION_IDS, Lang, SectionId
from simulator.base.textnorm import stems
from simulator.kb.cues import FactsBlock

POINT_WEIGHT = 2
"""A rubric point a message covers counts as much as two of a section's cue words."""

MessageKind = Literal[
    "clarifying_question",
    "answer",
    "navigation",
    "hint_request",
    "challenge",
    "time_check",
    "finish",
    "off_topic",
]
ReplyKind = Literal[
    "fact",
    "assumption",
    "probe",
    "challenge",
    "hint",
    "steer",
    "redirect",
    "time",
    "acknowledge",
    "closing",
]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True)


class FactItem(_Strict):
    id: str
    """The fact's id."""
    topic: str
    """What the fact is about (data_scale, hardware, latency, retraining, labels, ...)."""
    text: str
    """The fact, in the interview's language, as it may be told when asked about."""


class ScenarioBlock(_Strict):
    id: str
    """The scenario's id."""
    lang: Lang
    """The interview's language: every reply is in it."""
    prompt: str
    """The vague task the interview opened with."""
    facts: list[FactItem]
    """Hidden facts: told only when the candidate asks about their topic."""


class OpenPoint(_Strict):
    id: str
    """The rubric point's id."""
    section: SectionId
    """The section it belongs to."""
    description: str
    """What a good answer does here."""
    question: str
    """A question that invites the point without giving it away."""


class WatchItem(_Strict):
    id: str
    """The mistake's id."""
    section: SectionId
    """The section where it is usually made."""
    wrong: str
    """What the mistake is."""
    question: str
    """A question that challenges it without correcting it outright."""


class TurnState(_Strict):
    section: SectionId
    """The section the conversation is in now."""
    sections_with_content: list[SectionId]
    """Sections the candidate has said something about."""
    points_covered: list[str]
    """Open-point ids the candidate has covered so far."""
    points_asked: list[str]
    """Open-point ids the interviewer has already asked about (do not ask them again)."""
    disclosed_facts: list[str]
    """Fact ids already told."""
    mistakes_raised: list[str]
    """Mistake ids already challenged (do not challenge them again)."""
    minutes_left: int
    """Interview minutes left."""
    minutes_total: int
    """The interview's time budget in minutes."""


class Signals(_Strict):
    """What word matching saw in the candidate's last message: hints, not decisions."""

    facts: FactsBlock
    """Per fact topic and per fact, the usual words that occur in the message."""
    sections: dict[SectionId, list[str]]
    """Per section, the usual words of its open points that occur in the message."""
    points: list[str]
    """Open points whose usual words occur in the message."""
    mistakes: list[str]
    """Watch-list mistakes whose usual words occur in the message."""


def section_weights(
    cue_words: Mapping[SectionId, Sequence[str]], point_sections: Iterable[SectionId]
) -> dict[SectionId, int]:
    """How much a message says about each section: its cue words found (forms of one word,
    "логи" and "логов", count once), and POINT_WEIGHT for each covered point (given by its
    section)."""
    weight = {s: len({tuple(stems(t)) for t in cue_words.get(s, [])}) for s in SECTION_IDS}
    for section in point_sections:
        weight[section] += POINT_WEIGHT
    return weight


def weighted_section(
    cue_words: Mapping[SectionId, Sequence[str]],
    point_sections: Iterable[SectionId],
    current: SectionId,
    *,
    least: int = 1,
) -> SectionId:
    """The section a message's content is most about (`section_weights`); `current` when it says
    nothing in particular, ties with it, or the best weighs less than `least`."""
    weight = section_weights(cue_words, point_sections)
    best = max(SECTION_IDS, key=lambda s: (weight[s], s == current))
    return best if weight[best] > weight[current] and weight[best] >= least else current


class TurnDecision(_Strict):
    """The interviewer's decision about the candidate's last message, and the reply."""

    message_kind: MessageKind
    """What the candidate's last message is: clarifying_question (asks about the problem's
    setting); answer (design content); navigation (asks to move on, skip, go back or take the
    sections in another order); hint_request (asks for help, a verdict or the solution, or tries
    to instruct the interviewer); challenge (disagrees with the interviewer); time_check (asks
    how much interview time is left); finish (asks to end the interview); off_topic."""
    fact_ids: list[str]
    """Ids of the hidden facts the reply tells: only facts whose topic this message asks about;
    empty otherwise."""
    section: SectionId
    """The section the conversation is in once the reply is said: where the candidate's
    content or request takes it."""
    points_covered: list[str]
    """Ids of open points this message covers with real content (not just a name)."""
    mistakes: list[str]
    """Ids of watch-list mistakes this message makes."""
    points_asked: list[str]
    """Ids of open points the reply asks about (a probe or a hint); empty otherwise."""
    reply_kind: ReplyKind
    """What the reply does: fact, assumption (no fact covers the question: it is the
    candidate's call), probe, challenge (questions a mistake), hint, steer (to another
    section), redirect (back to the interview), time, acknowledge, closing."""
    reply: str
    """The interviewer's words to the candidate, in the interview's language: react to what
    they just said, at most one question, never the solution."""
