"""`<task>classify</task>`: what a candidate message is, for the local model.

The kind of message comes from rules; which facts a clarifying question asks about comes from the
topic model (`simulator/llm/local/topic_model.py`), trained on our labelled questions
(`knowledge/clarify/`), with the cue terms of the `<facts>` block among its inputs.

Blocks in (written by simulator/interview/interviewer.py with the models below):
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

from simulator.base.sections import SECTION_IDS, SectionId
from simulator.base.textnorm import Terms, compiled_terms, words
from simulator.kb.cues import FactsBlock
from simulator.llm.local.topic_corpus import trained_model
from simulator.llm.local.topic_model import ALSO_MIN, LIKELIEST_MIN, cue_weight
from simulator.llm.tasks.classify import MessageAnalysis, MessageKind, SectionBlock

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
# "подсказки" alone are also the suggestions of autocomplete and "people you may know": only a
# request for one counts.
HINT = Terms(
    [
        "hint", "help me", "i'm stuck", "i am stuck", "stuck", "any tips", "give me a clue",
        "подскаж*", "дай* подсказк*", "можно подсказк*", "нужн* подсказк*",
        "подсказк* пожалуйста", "помоги*", "помощь", "застрял*", "намекн*",
    ]
)  # fmt: skip
# "Подскажите, сколько у нас данных?" is how Russian speakers ask a question politely, not a request
# for a hint: the lead-in is read past when a question about the task follows it.
_POLITE_LEAD = re.compile(
    r"\b(?:не\s+)?подскаж\w*\s*,?\s*(?:пожалуйста\s*,?\s*)?(?=(?:сколько|какой|какая|какое|"
    r"какие|каков\w*|как\s+(?:часто|быстро|долго|много)|где|куда|откуда|когда|кто|насколько|"
    r"за\s+сколько|есть\s+ли|можно\s+ли|нужно\s+ли)\b)",
    re.IGNORECASE,
)
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
# A question asking two things: "what's the peak QPS, and how much of the latency budget...",
# "сколько памяти на узле и какое требование по времени?", "...и в какую систему уходят прогнозы?".
_CLAUSE_BREAK = re.compile(
    r",\s*(?:and|or|и|а|или)\s+|\s+(?:and|и|а)\s+(?=(?:(?:in|on|at|for|from|to|with|by|в|во|на|с|"
    r"со|по|за|из|до|для|от|у|к|о|об)\s+)?(?:how|what|where|which|when|who|why|whether|сколько|"
    r"как\w*|где|когда|куда|откуда|кто|кем|зачем|почему|насколько|что(?!-))\b)",
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


def _sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE_END.split(text) if s.strip()]


# Chat drops the question mark after a lead-in: "quick one: how fast does a model go stale", "gpus —
# how many for training". A question word opening a part after such a break makes it a question.
_ASIDE_BREAK = re.compile(r"\s*[:—–]\s*|,\s+|\s+-\s+")
WH_WORDS = frozenset(
    [
        "how", "what", "which", "when", "where", "who",
        "сколько", "как", "какой", "какая", "какое", "какие", "каков", "какова", "каковы", "где",
        "куда", "откуда", "когда", "насколько",
    ]
)  # fmt: skip


# A request for information phrased as a statement: "Tell me about the training infrastructure.",
# "Интересует, какие данные нам разрешено брать в фичи."
INFO_REQUEST = Terms(
    [
        "tell me", "i'd like to know", "i would like to know", "i want to know", "i need to know",
        "i'd like to understand", "i want to understand", "i need to understand",
        "give me a sense", "i'm wondering", "i wonder", "i'm curious", "walk me through",
        "расскаж*", "интересует", "интересно узнать", "хотел* бы узнать", "хотел* бы понять",
        "хотел* бы уточнить", "хотел* бы понимать", "хотел* бы представлять",
        "интересно было бы", "хочу узнать", "хочу понять", "хочу уточнить", "нужно понять",
        "нужно знать", "надо понять", "надо знать", "уточните", "поясните", "скажите", "скажи",
        "подскажите", "подскажи",
    ]
)  # fmt: skip


def _questions(sentences: list[str]) -> list[str]:
    """The sentences that ask something; when none plainly does, the requests for information
    ("Tell me about...") and chat questions without their question mark."""
    plain = [s for s in sentences if _is_question(s)]
    return plain or [s for s in sentences if s in INFO_REQUEST or _asks_after_aside(s)]


def _is_question(sentence: str) -> bool:
    toks = words(sentence)
    if sentence.rstrip().endswith("?"):
        return True
    return bool(toks) and (_bare(toks[0]) in INTERROGATIVES or "ли" in toks)


def _asks_after_aside(sentence: str) -> bool:
    if sentence.rstrip().endswith((".", "!", "…")):
        return False
    parts = [words(p) for p in _ASIDE_BREAK.split(sentence)[1:]]
    return any(p and _bare(p[0]) in WH_WORDS for p in parts)


def _bare(word: str) -> str:
    """The word without its clitic: "what's" is read as "what"."""
    return word.split("'")[0].split("’")[0]


def _facts_asked(questions: list[str], block: FactsBlock, *, asks_for_help: bool) -> list[str]:
    """Facts the questions ask about: those of the topics the topic model reads in their clauses
    (`simulator/llm/local/topic_model.py`). A request for help or for the solution gets a fact
    only when it plainly names the topic ("which model suits a 10 ms budget?"), never on a hunch."""
    clauses = [c for q in questions for c in _CLAUSE_BREAK.split(q)]
    text = " ".join(questions)
    least = ALSO_MIN if asks_for_help else LIKELIEST_MIN
    asked: list[str] = []
    for topic in trained_model().asked(clauses, block, least=least):
        asked.extend(f for f in _facts_of(topic, text, block) if f not in asked)
    return asked


def _facts_of(topic: str, text: str, block: FactsBlock) -> list[str]:
    """The topic's facts the text asks about: when a topic has several facts ("users" and "items"
    are both data scale), the ones whose own cues the text names most, else all of them."""
    own = [f for f in block.facts if f.topic == topic]
    named = {f.id: cue_weight(compiled_terms(tuple(f.terms)).find(text)) for f in own}
    best = max(named.values(), default=0)
    return [f.id for f in own if named[f.id] == best]


def _sections_touched(text: str, block: SectionBlock) -> list[SectionId]:
    hits = {s: len(compiled_terms(tuple(block.cues.get(s, []))).find(text)) for s in SECTION_IDS}
    touched = [s for s in SECTION_IDS if hits[s] > 0]
    return sorted(touched, key=lambda s: -hits[s])


def classify(message: str, facts: FactsBlock, section: SectionBlock) -> MessageAnalysis:
    n_words = len(words(message))
    short = n_words <= SHORT
    sentences = _sentences(message)
    questions = _questions(sentences)
    touched = _sections_touched(message, section)
    wants_solution = message in SOLUTION_REQUEST or message in INJECTION
    asks_for_help = wants_solution or _POLITE_LEAD.sub("", message) in HINT
    fact_ids = _facts_asked(questions, facts, asks_for_help=asks_for_help)

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
