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
FACT_WORDS_MIN = 2
"""The weakest rule needs this many of a fact's own words: one shared word ("app") is chance."""
NOT_DATA = Terms(
    ["team", "engineer*", "data scientist*", "employee*", "staff", "headcount", "trust",
     "old is the company", "команд*", "сотрудник*", "инженер*", "лет компани*", "доверя*"]
)  # fmt: skip
"""Counting the team, the company's age or trust is not about data: such a clause gets no
data-scale fact, neither from a cue nor from the quantity rule."""
MONEY = Terms(
    ["dollar*", "usd", "revenue", "cost", "costs", "price*", "money", "earn*", "доллар*",
     "выручк*", "стоит", "стоимост*", "деньг*", "денег", "рубл*", "зарабатыва*", "заработ*"]
)  # fmt: skip
"""Money: the facts never state it, so a question about it is answered with "assume"."""
PRECEDENCE = (
    (Terms(["per second", "per minute", "qps", "rps", "at peak", "в секунду", "в минуту",
            "в пик*"]),
     "traffic", "data_scale"),
    (Terms(["chang*", "show up", "shift*", "evolv*", "trend*", "drift*", "stale", "меня*",
            "измен*", "обновл*", "нов*", "протух*", "устарев*", "дрейф*", "сезон*"]),
     "retraining", "latency"),
)  # fmt: skip
"""Words that settle a two-way reading: a count per second is traffic, not data scale; "how fast
does it change" asks how fresh the model must be (retraining), not how fast it answers."""
# A question asking two things: "what's the peak QPS, and how much of the latency budget...".
_CLAUSE_BREAK = re.compile(
    r",\s*(?:and|or|и|а|или)\s+|\s+(?:and|и|а)\s+(?=(?:how|what|where|which|when|сколько|как|"
    r"какой|какая|какие|каков\w*|где|когда|за сколько)\b)",
    re.IGNORECASE,
)

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
    """Facts the questions ask about: per clause of each question, the best-scoring facts (see
    `_cue_scores`); a clause about money asks for none. When no clause names any cue, two weak
    rules read the questions as a whole: a question of quantity asks for the data scale, and
    otherwise the one fact that shares at least two of its own words with them is the answer.
    The last rule is off for a request for the solution: "which embedding network?" asks for no
    fact. Neither runs when some clause did name a cue: the rest then only elaborates on it."""
    asked: list[str] = []
    for clause in (c for q in questions for c in _CLAUSE_BREAK.split(q)):
        if clause not in MONEY:
            asked.extend(f for f in _best(_cue_scores(clause, block)) if f not in asked)
    text = " ".join(questions)
    if asked or not text or text in MONEY:
        return asked
    if text in QUANTITY and text not in NOT_DATA:
        return [f.id for f in block.facts if f.topic == QUANTITY_TOPIC]
    if by_fact_words:
        shared = {f.id: len(_terms(tuple(f.text_words)).find(text)) for f in block.facts}
        by_words = _best({k: v for k, v in shared.items() if v >= FACT_WORDS_MIN})
        return by_words if len(by_words) == 1 else []
    return []


def _cue_scores(clause: str, block: FactsBlock) -> dict[str, int]:
    """Each fact's score for one clause. A cue weighs as many words as it has ("requests per
    second" beats "second"); a fact's own cues count twice, so "how many items?" picks the
    catalogue fact over the users one; PRECEDENCE moves a topic's weight to the one it yields to."""
    topic_hits = {t: _weight(_terms(tuple(c)).find(clause)) for t, c in block.topics.items()}
    if clause in NOT_DATA:
        topic_hits[QUANTITY_TOPIC] = 0
    for settles, prefer, over in PRECEDENCE:
        if topic_hits.get(over) and prefer in topic_hits and clause in settles:
            topic_hits[prefer] += topic_hits[over]
            topic_hits[over] = 0
    return {
        f.id: topic_hits.get(f.topic, 0) + 2 * _weight(_terms(tuple(f.terms)).find(clause))
        for f in block.facts
    }


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
