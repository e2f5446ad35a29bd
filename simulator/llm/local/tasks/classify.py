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
request for the solution or an instruction to the interviewer is at most a hint request. The rules'
cue words are data: `knowledge/lexicon/classifier.yaml`, and `steering.yaml` for the instructions
(`simulator/kb/lexicon.py` loads and checks them).
"""

import json
import re

from simulator.base.sections import SECTION_IDS, SectionId
from simulator.base.textnorm import STOP_WORDS, compiled_terms, words
from simulator.kb.cues import FactsBlock
from simulator.kb.lexicon import TermList, lexicon
from simulator.llm.local.topic_corpus import trained_model
from simulator.llm.local.topic_model import ALSO_MIN, LIKELIEST_MIN, cue_weight
from simulator.llm.tasks.classify import MessageAnalysis, MessageKind, SectionBlock

# Short control messages: only counted as such when the message is this short (in words), so a
# long answer that happens to say "that's all for the data" stays an answer.
SHORT = 14
# A message that touches no section is still an answer when longer than this (in words): only a
# few stray words ("ok", "thanks, got it") are off topic.
OFF_TOPIC_MAX_WORDS = 5
# A message whose questions make up at least this share of its sentences is mostly asking: with
# no section touched it is a clarifying question, and with a request for help, a hint request.
MOSTLY_QUESTIONS = 0.5

# "Подскажите, сколько у нас данных?" is how Russian speakers ask a question politely, not a request
# for a hint: the lead-in is read past when a question about the task follows it.
_POLITE_LEAD = re.compile(
    r"\b(?:не\s+)?подскаж\w*\s*,?\s*(?:пожалуйста\s*,?\s*)?(?=(?:сколько|какой|какая|какое|"
    r"какие|каков\w*|как\s+(?:часто|быстро|долго|много)|где|куда|откуда|когда|кто|насколько|"
    r"за\s+сколько|есть\s+ли|можно\s+ли|нужно\s+ли)\b)",
    re.IGNORECASE,
)
# A question asking two things: "what's the peak QPS, and how much of the latency budget...",
# "сколько памяти на узле и какое требование по времени?", "...и в какую систему уходят прогнозы?",
# "qps at peak + how much time does the ranker get?" (chat writes "+" for "and").
_CLAUSE_BREAK = re.compile(
    r"\s+[+&]\s+|"
    r",\s*(?:and|or|и|а|или)\s+|\s+(?:and|и|а)\s+(?=(?:(?:in|on|at|for|from|to|with|by|в|во|на|с|"
    r"со|по|за|из|до|для|от|у|к|о|об)\s+)?(?:how|what|where|which|when|who|why|whether|сколько|"
    r"как\w*|где|когда|куда|откуда|кто|кем|зачем|почему|насколько|что(?!-))\b)",
    re.IGNORECASE,
)

NAV_GAP = 2
"""At most this many words between a navigation cue and the section it names ("go back to the
data", "start with the model"), function words not counted ("let me do the metrics", "I want to
speak about how we serve"): further on, a section name belongs to the rest of the sentence
("I'll start with logistic regression on hashed features")."""
CUE_MAX_WORDS = 6
"""No navigation cue is longer than this many words."""

_SENTENCE_END = re.compile(r"(?<=[.?!…])\s+|\n+")


def _sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE_END.split(text) if s.strip()]


# Chat drops the question mark after a lead-in: "quick one: how fast does a model go stale", "gpus —
# how many for training". A question word opening a part after such a break makes it a question.
_ASIDE_BREAK = re.compile(r"\s*[:—–]\s*|,\s+|\s+-\s+")


def _questions(sentences: list[str]) -> list[str]:
    """The sentences that ask something; when none plainly does, the requests for information
    ("Tell me about...") and chat questions without their question mark. A request to go to a
    section ("could we return to requirements?") asks nothing about the problem."""
    about = [s for s in sentences if not asks_to_navigate(s)]
    plain = [s for s in about if _is_question(s)]
    asking = lexicon().classifier.info_request
    return plain or [s for s in about if s in asking or _asks_after_aside(s)]


def _is_question(sentence: str) -> bool:
    """Ends with a question mark, or opens with a question word after any chat lead-ins ("а как
    часто...", "so how many...") or has "ли"."""
    if sentence.rstrip().endswith("?"):
        return True
    cues = lexicon().classifier
    toks = words(sentence)
    first = next((t for t in toks if t not in cues.question_leads), "")
    return _bare(first) in cues.interrogatives or "ли" in toks


def _asks_after_aside(sentence: str) -> bool:
    if sentence.rstrip().endswith((".", "!", "…")):
        return False
    parts = [words(p) for p in _ASIDE_BREAK.split(sentence)[1:]]
    wh_words = lexicon().classifier.wh_words
    return any(p and _bare(p[0]) in wh_words for p in parts)


def _closes_asking_help(sentences: list[str], questions: list[str]) -> bool:
    """A long message that ends by asking for help ("...I keep going in circles. Am I missing
    something obvious?") is a hint request: its last sentence is what the candidate wants."""
    last = sentences[-1] if sentences else ""
    return last in questions and _POLITE_LEAD.sub("", last) in lexicon().classifier.hint


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


def _names_a_section(message: str) -> bool:
    """ "That's all for data" closes a section, not the interview."""
    names = lexicon().grading.section_names
    return any(message in names[s] for s in SECTION_IDS)


def named_sections(toks: list[str]) -> list[tuple[int, SectionId]]:
    """The sections the words name (grading.yaml `section_names`), each with the position where
    its name first starts, in the order they are named."""
    names = lexicon().grading.section_names
    spans = {s: _first_span(toks, names[s]) for s in SECTION_IDS}
    return sorted((span[0], s) for s, span in spans.items() if span is not None)


def _first_span(toks: list[str], terms: TermList) -> tuple[int, int] | None:
    """Where the first of `terms` to occur in the words starts and ends, or None."""
    return next(iter(cue_spans(toks, terms)), None)


def named_after(
    toks: list[str], named: list[tuple[int, SectionId]], cues: list[tuple[int, int]]
) -> list[SectionId]:
    """The sections of `named` (`named_sections` of `toks`) named right after one of the `cues`
    (spans)."""

    def gap(end: int, start: int) -> int:
        return sum(w not in STOP_WORDS for w in toks[end:start])

    return [
        s
        for start, s in named
        if any(end <= start and gap(end, start) <= NAV_GAP for _, end in cues)
    ]


def asks_to_navigate(sentence: str) -> bool:
    """ "Could we return to requirements?" asks to go somewhere, not about the problem: a cue to go
    back, or to go to, skip or move on with a section named right after it, and no question word
    ("can we go back to the data: how many rows are there?" still asks about the data)."""
    cues = lexicon().classifier
    toks = words(sentence)
    if any(_bare(t) in cues.wh_words for t in toks):
        return False
    spans = [*cue_spans(toks, cues.go_to), *cue_spans(toks, cues.skip)]
    spans += cue_spans(toks, cues.move_on)
    named = named_sections(toks)
    return bool(cue_spans(toks, cues.go_back)) or bool(named_after(toks, named, spans))


def cue_spans(toks: list[str], terms: TermList) -> list[tuple[int, int]]:
    """Where each occurrence of one of `terms` starts and ends in the words (counts of words)."""
    if not terms.find(" ".join(toks)):
        return []
    spans = []
    for end in range(1, len(toks) + 1):
        window = range(max(0, end - CUE_MAX_WORDS), end)
        if any(
            " ".join(toks[start:end]) in terms and " ".join(toks[start : end - 1]) not in terms
            for start in window
        ):
            spans.append((max(i for i in window if " ".join(toks[i:end]) in terms), end))
    return spans


def classify(message: str, facts: FactsBlock, section: SectionBlock) -> MessageAnalysis:
    cues, steering = lexicon().classifier, lexicon().steering
    n_words = len(words(message))
    short = n_words <= SHORT
    sentences = _sentences(message)
    questions = _questions(sentences)
    touched = _sections_touched(message, section)
    wants_solution = message in cues.solution_request or message in steering.to_the_interviewer
    asks_for_help = wants_solution or _POLITE_LEAD.sub("", message) in cues.hint
    fact_ids = _facts_asked(questions, facts, asks_for_help=asks_for_help)

    def result(kind: MessageKind, ids: list[str] | None = None) -> MessageAnalysis:
        return MessageAnalysis(kind=kind, fact_ids=ids or [], sections_touched=touched)

    if short and message in cues.finish and not _names_a_section(message):
        return result("finish")
    if short and asks_for_help and not fact_ids:
        return result("hint")
    if short and message in cues.move_on and not fact_ids:
        return result("move_on")
    if short and message in cues.time_check and message not in cues.task_time:
        return result("time_check")
    if fact_ids:
        return result("clarifying_question", fact_ids)
    mostly_questions = bool(questions) and len(questions) >= MOSTLY_QUESTIONS * len(sentences)
    if asks_for_help and (
        short or mostly_questions or not touched or _closes_asking_help(sentences, questions)
    ):
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
