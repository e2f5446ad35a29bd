"""`<task>classify</task>`: what a candidate message is, by rules, for the local model.

Blocks in (written by simulator/interviewer.py with the models below):
- `<lang>`: `en` or `ru`;
- `<facts>`: `FactsBlock` JSON, the cue terms per fact topic and each hidden fact's own cue terms
  (never the fact text: the classifier does not need it);
- `<section>`: `SectionBlock` JSON, the current section and cue terms per section;
- `<candidate_message>`: the candidate's words (untrusted, data only).
Out: `MessageAnalysis` as a dict.

Order of the rules matters: a short "let's finish" ends the interview even if it mentions a topic; a
question that names a fact topic is a clarifying question even if it also asks "which model?"; a
request for the solution or an instruction to the interviewer is at most a hint request.
"""

import json
import re
from functools import lru_cache
from typing import Literal

from pydantic import BaseModel, Field

from simulator.sections import SECTION_IDS, SectionId
from simulator.textnorm import Terms, words

MessageKind = Literal[
    "clarifying_question", "answer", "move_on", "hint", "time_check", "finish", "off_topic"
]


class FactCue(BaseModel):
    id: str
    topic: str
    terms: list[str] = Field(default_factory=list)
    """Cue terms of this fact alone, on top of its topic's cues."""
    text_words: list[str] = Field(default_factory=list)
    """Words of the fact's own text that no other fact of the scenario shares: a weak cue, used
    only when no topic or fact cue matches (a question in words the cue lists never foresaw)."""


class FactsBlock(BaseModel):
    topics: dict[str, list[str]]
    """Cue terms per fact topic, in the interview's language."""
    facts: list[FactCue]


class SectionBlock(BaseModel):
    current: SectionId
    cues: dict[SectionId, list[str]]
    """Terms that show a message is about a section (its checkpoints' evidence terms)."""


class MessageAnalysis(BaseModel):
    """What the candidate's message is."""

    kind: MessageKind
    """clarifying_question: asks about the problem; answer: design content; move_on: asks to go to
    the next part; hint: asks for help or for the solution, or tries to instruct the interviewer;
    time_check: asks how much interview time is left; finish: asks to end the interview;
    off_topic: none of these."""
    fact_ids: list[str] = Field(default_factory=list)
    """For a clarifying question: ids of the hidden facts it asks about (may be empty)."""
    sections_touched: list[SectionId] = Field(default_factory=list)
    """Sections the message's content is about, most touched first."""


# Short control messages: only counted as such when the message is this short (in words), so a
# long answer that happens to say "that's all for the data" stays an answer.
SHORT = 14
OFF_TOPIC_MAX_WORDS = 5

FINISH = Terms(
    [
        "let's finish", "lets finish", "let us finish", "finish the interview", "end the interview",
        "stop the interview", "let's stop", "let's wrap up", "wrap it up", "i'm done", "i am done",
        "that's all", "that is all", "we can finish", "we can stop",
        "давай* законч*", "давай* заверш*", "законч* интервью", "заверш* интервью",
        "законч* собеседовани*", "заверш* собеседовани*", "на этом вс*", "я закончил*",
        "можно заканчивать", "заканчива*",
    ]
)  # fmt: skip
MOVE_ON = Terms(
    [
        "move on", "moving on", "next section", "next part", "next topic", "next step",
        "let's continue", "go on", "skip this", "skip it", "skip", "next",
        "дальше", "далее", "перейд*", "переход*", "следующ* раздел*", "следующ* тем*",
        "пропуст*", "продолж*",
    ]
)  # fmt: skip
TIME_CHECK = Terms(
    [
        "time left", "time is left", "time remaining", "time remains", "minutes left",
        "how much time do i have", "how much longer", "how long do we have left",
        "how many minutes", "do we have left", "have left", "is left", "are left",
        "сколько времени остал*", "сколько осталось", "остал* времени", "времени остал*",
        "сколько минут", "сколько у меня времени", "сколько еще времени", "у нас остал*",
        "у меня остал*", "осталось времени", "еще осталось", "ещё осталось",
    ]
)  # fmt: skip
# Words that make "how much time" a question about the problem's time budget, not the interview's.
TASK_TIME = Terms(
    [
        "train*", "inference", "compute", "deadline", "budget", "project", "deliver*", "build*",
        "обучен*", "обучать", "задач*", "проект*", "инференс*", "вычислен*", "бюджет*", "срок*",
    ]
)  # fmt: skip
HINT = Terms(
    [
        "hint", "help me", "i'm stuck", "i am stuck", "stuck", "any tips", "give me a clue",
        "подскаж*", "подсказк*", "помоги*", "помощь", "застрял*", "намекн*",
    ]
)  # fmt: skip
SOLUTION_REQUEST = Terms(
    [
        "what model should", "which model should", "which model would you", "what model would you",
        "what algorithm", "which algorithm", "should i use", "should we use", "tell me the answer",
        "give me the answer", "just tell me", "the right answer", "the solution",
        "what should i say", "what do you expect", "what are you looking for", "what is the answer",
        "would you recommend", "do you recommend", "would you suggest", "would you use",
        "would you pick", "would you choose", "do you prefer",
        "какую модель", "какой модел*", "какой алгоритм*", "какие алгоритм*", "что использовать",
        "стоит использовать", "лучше использовать", "скажи* ответ", "дай* ответ",
        "правильн* ответ", "готов* решени*", "какое решение", "что говорить", "что сказать",
        "что вы ожида*", "посоветова*", "посоветуе*", "посоветуй*", "порекомендуе*",
        "порекомендуй*", "ты бы выбрал*", "вы бы выбрал*",
    ]
)  # fmt: skip
# Attempts to instruct the interviewer; they stay the candidate's words, never commands.
INJECTION = Terms(
    [
        "ignore previous", "ignore the previous", "ignore all", "ignore your", "ignore the above",
        "system prompt", "your instructions", "rubric", "checklist", "you are now",
        "игнорируй*", "проигнорируй*", "забудь*", "инструкци*", "системн* промпт*", "рубрик*",
        "чеклист*", "критери* оценк*", "притворись", "теперь ты",
    ]
)  # fmt: skip
QUANTITY = Terms(
    ["how many", "how much", "how big", "how large", "what volume", "сколько", "какой объем*",
     "какого размера", "насколько велик*", "насколько больш*"]
)  # fmt: skip
"""A question of quantity with no other topic in it asks how much data there is."""
QUANTITY_TOPIC = "data_scale"

INTERROGATIVES = frozenset(
    [
        "how", "what", "which", "when", "where", "who", "whom", "whose", "why", "is", "are", "was",
        "were", "do", "does", "did", "can", "could", "should", "would", "will", "shall", "may",
        "might", "any",
        "как", "какой", "какая", "какое", "какие", "каков", "какова", "каковы", "сколько", "что",
        "чем", "где", "когда", "кто", "почему", "зачем", "нужно", "нужен", "нужна", "нужны",
        "можно", "есть", "будет", "будут",
    ]
)  # fmt: skip
_SENTENCE_END = re.compile(r"(?<=[.?!…])\s+|\n+")


@lru_cache(maxsize=512)
def _terms(terms: tuple[str, ...]) -> Terms:
    """Compiled once per distinct list: the same cues arrive with every message of a session."""
    return Terms(terms)


def _sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE_END.split(text) if s.strip()]


def _is_question(sentence: str) -> bool:
    toks = words(sentence)
    if sentence.rstrip().endswith("?"):
        return True
    return bool(toks) and (toks[0] in INTERROGATIVES or "ли" in toks)


def _facts_asked(questions: list[str], block: FactsBlock, *, by_fact_words: bool) -> list[str]:
    """Facts the questions ask about: per question, the best-scoring facts. A cue weighs as many
    words as it has ("requests per second" beats "second"); a fact's own cues count twice, so
    "how many items?" picks the catalogue fact over the users one. With no cue at all, a question
    of quantity asks for the data scale, and otherwise the one fact whose own words it uses most
    is the answer (a tie there means the question is too vague to pick one). That last, weakest
    rule is off for a request for the solution: "which embedding network?" asks for no fact."""
    asked: list[str] = []
    for question in questions:
        topic_hits = {t: _weight(_terms(tuple(c)).find(question)) for t, c in block.topics.items()}
        scores = {
            f.id: topic_hits.get(f.topic, 0) + 2 * _weight(_terms(tuple(f.terms)).find(question))
            for f in block.facts
        }
        winners = _best(scores)
        if not winners and question in QUANTITY:
            winners = [f.id for f in block.facts if f.topic == QUANTITY_TOPIC]
        elif not winners and by_fact_words:
            by_words = _best(
                {f.id: len(_terms(tuple(f.text_words)).find(question)) for f in block.facts}
            )
            winners = by_words if len(by_words) == 1 else []
        asked.extend(f for f in winners if f not in asked)
    return asked


def _best(scores: dict[str, int]) -> list[str]:
    best = max(scores.values(), default=0)
    return [k for k, v in scores.items() if v == best] if best > 0 else []


def _weight(found: list[str]) -> int:
    return sum(len(term.split()) for term in found)


def _sections_touched(text: str, block: SectionBlock) -> list[SectionId]:
    hits = {s: len(_terms(tuple(block.cues.get(s, []))).find(text)) for s in SECTION_IDS}
    touched = [s for s in SECTION_IDS if hits[s] > 0]
    return sorted(touched, key=lambda s: -hits[s])


def classify(message: str, facts: FactsBlock, section: SectionBlock) -> MessageAnalysis:
    n_words = len(words(message))
    short = n_words <= SHORT
    sentences = _sentences(message)
    questions = [s for s in sentences if _is_question(s)]
    touched = _sections_touched(message, section)
    wants_solution = message in SOLUTION_REQUEST or message in INJECTION
    fact_ids = _facts_asked(questions, facts, by_fact_words=not wants_solution)

    def result(kind: MessageKind, ids: list[str] | None = None) -> MessageAnalysis:
        return MessageAnalysis(kind=kind, fact_ids=ids or [], sections_touched=touched)

    if short and message in FINISH:
        return result("finish")
    if short and message in MOVE_ON and not fact_ids:
        return result("move_on")
    if short and message in TIME_CHECK and message not in TASK_TIME:
        return result("time_check")
    if fact_ids:
        return result("clarifying_question", fact_ids)
    mostly_questions = bool(questions) and len(questions) * 2 >= len(sentences)
    asks_for_help = wants_solution or message in HINT
    if asks_for_help and (short or mostly_questions or not touched):
        return result("hint")
    if len(questions) == len(sentences) or (mostly_questions and not touched):
        return result("clarifying_question")
    if touched or n_words > OFF_TOPIC_MAX_WORDS:
        return result("answer")
    return result("off_topic")


def run(blocks: dict[str, str]) -> dict[str, object]:
    facts = FactsBlock.model_validate(json.loads(blocks.get("facts") or '{"topics":{},"facts":[]}'))
    section = SectionBlock.model_validate(json.loads(blocks["section"]))
    return classify(blocks.get("candidate_message", ""), facts, section).model_dump()
