"""How the local grader reads an answer, before any rubric: its units and what each one says.

A unit is a sentence, a list item or a table row, kept verbatim. For each unit this module says
whether it has content (a heading, a fragment of a few words or a bare list of names only names
things), which section a heading or a label declares for it, how many reasons it gives, which of
its clauses are denied ("no A/B test", "monitoring: not needed"), which figures it states and
whether it holds a technical name. Formatting is read only as far as it carries meaning: the same
answer as prose, bullets, one paragraph or without headings yields the same units' words.
The cue words are data in `knowledge/lexicon/grading.yaml`; the words that speak to the grader
are in `steering.yaml`.
"""

import re
from dataclasses import dataclass
from functools import lru_cache

from simulator.base.sections import SectionId
from simulator.base.textnorm import STOP_WORDS, words
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
"""A lead-in ("Let me draw the architecture end to end:") is at most this many words; a Markdown
heading line longer than this is a paragraph written after a `#`, read as text."""
LABEL_WORDS = 3
"""A sentence's own run-in label ("Then the metrics: ...") is at most this many words besides
function words; a longer one is a clause that uses a section's word for something else
("дальше файнтюн метрик лернингом: ...", metric learning)."""
SUBJECT_WORDS = 2
"""A paragraph's subject names its section ("The architecture splits ...") in at most this many
words besides one or two function words, all of them section names: "The embedding model runs
on our servers" is about where something runs, not the model section."""
FRAGMENT_WORDS = 3
"""A sentence of at most this many words is a fragment: it names a point, it does not cover it,
unless it states a measured figure or a reason ("Latency 200 ms?", "100 million")."""
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
does not make it an argument, and reason words among the names ("pros and cons") are names too."""
CHAIN_ARROWS = 2
"""Two arrows chain three parts (a -> b -> c): a pipeline laid out, not one step."""
PROS_CONS_ROWS = 8
"""After a header naming pros and cons (a table's or a list's), this many rows each give a
reason: the column says what the cell argues."""
_TAG = re.compile(r"</?[a-z_]+[^>]*>", re.IGNORECASE)
_SENTENCE_END = re.compile(r"(?<=[.!?;])\s+")
_BOLD_LABEL = re.compile(r"^\*\*([^*]+)\*\*")
_LIST_ITEM = re.compile(r"\s*(?:[-*•+]|\d+[.)])\s")
"""A list item's label ("- Data: 40M users") is a sub-topic of the list's context, not a section."""
_ORDINAL = re.compile(r"^\d+(?:\.\d+)*[.)]\s+")
"""A numbered item's marker ("3.", "3.1.", "2)"): not a sentence of its own."""
_PRO = re.compile(r"\s*\+\s")
"""A "+ fast to train" line states an advantage; the "- ..." lines after it state drawbacks."""
# A Markdown thematic break ("---") ends what a heading declared: an interview's turns are joined
# with one, so a heading in one turn does not claim the answers of the next.
_THEMATIC_BREAK = re.compile(r"\s*(?:-{3,}|\*{3,}|_{3,})\s*$")
_TABLE_RULE = re.compile(r"\s*\|?\s*:?-{3,}:?\s*(?:\|\s*:?-{3,}:?\s*)*\|?\s*$")
_CONSEQUENCE = re.compile(r",\s+(?:so|так что)\s", re.IGNORECASE)
"""", so ..." states a consequence, unlike "so" in "and so on" or "so far"."""
_PUNCTUATION = re.compile(r"[.,;:!?]")
_DASH = re.compile(r"\s[—–-]\s")
"""A dash between spaces ends a run-in label as a colon does ("Минусы — дорого")."""
_ARROW = re.compile(r"->|→|=>|⇒")
_RELATION = re.compile(r"[≤≥<>=×]")
"""A comparison or a product between names ("train ≤ D", "user segment × ad category") relates
them: a list item that states one decides something, it is no name."""
_LIST_SEPARATOR = re.compile(r"[,;/+|]|->|→|=>|⇒|\s+and\s+|\s+и\s+")
_NUMBER = re.compile(
    r"(?<![\w.])(\d+(?:[.,]\d+)*)(?:\s*(%)|\s?([a-zа-яё]+)\b)?", re.IGNORECASE | re.UNICODE
)
_TOKEN = re.compile(r"[^\s,;:()\[\]{}\"'«»`*]+")
_TECHNICAL_JOIN = re.compile(r"[a-zа-яё][/@_][a-zа-яё0-9]", re.IGNORECASE)
_UPPER = re.compile(r"[A-Z]")
"""Technical names are written in Latin letters in both languages; Cyrillic capitals shout."""
_LETTER = re.compile(r"[a-zа-яё]", re.IGNORECASE)
_DIGIT = re.compile(r"\d")
_NAME_TOKEN = re.compile(r"[\w@/'-]+")


@dataclass(frozen=True)
class Sentence:
    text: str
    content: bool
    """False for headings, bare lists of names and fragments: they name, they do not cover."""
    reasons: int
    words: int
    block: int
    """Index of its block: a paragraph, or the stretch between a heading and the next blank line."""
    declared: SectionId | None = None
    """The section its heading or its block's lead-in names, if any."""
    led: bool = False
    """`declared` comes from its block's lead-in ("Metrics: ..."), not a heading: it holds only
    while the block's content stays there (`answer_units.lead_ins`)."""
    heading: bool = False
    """A heading names a section without saying anything about it: it earns nothing."""
    label: SectionId | None = None
    """The section its own run-in label names ("Metrics. Offline we ..." inside a paragraph)."""
    question: bool = False
    """It asks something ("Latency? A: 100 ms"): a clarifying question."""
    answers: bool = False
    """It follows a question on the same line ("Latency? A: 100 ms"): the answer to it."""
    fragment: bool = False
    """Short of content only by its length ("temporal split"): a named choice may still count."""
    argues: bool = False
    """It opens with a pros or cons label ("Cons: 200 pairs in 60 ms is hard"): it argues about
    the choice stated before it, in whatever section that one is."""


@dataclass(frozen=True)
class Figure:
    value: float
    """The number, scaled ("8M" is 8e6)."""
    measured: bool
    """It has a scale or a unit ("50 ms", "2 weeks", "40M"), so it measures something."""


def split_sentences(answer: str) -> list[Sentence]:
    """Sentences of the answer, verbatim, each marked as content or a mere naming.

    A heading that names a section declares it for what follows, up to the next heading as deep
    or shallower, or a thematic break (`---`); a heading that names none ("Hyperparameters:")
    leaves the one above it in force. A block (paragraph, not a list item) that opens with a
    lead-in naming a section ("Serving: ...") declares it for that block, over any heading naming
    another, until a later sentence of the block opens with a label naming another (an answer run
    into one paragraph). Both depend only on what comes before, so adding text never re-files
    earlier sentences.
    """
    to_the_grader = lexicon().steering.to_the_grader
    out: list[Sentence] = []
    open_headings: list[tuple[int, SectionId]] = []
    by_lead_in: SectionId | None = None
    block_start, block = True, 0
    pros_cons_left, pros_seen = 0, False
    for line in answer.splitlines():
        if _TABLE_RULE.match(line) and "|" in line:
            continue  # the rule under a table's header row
        if _THEMATIC_BREAK.match(line):
            open_headings = []
        stripped = line.strip().lstrip("-*•>+").strip().strip("|").strip()
        if stripped in to_the_grader:
            continue  # a line that speaks to the grader says nothing about the design
        if not stripped:
            block_start, by_lead_in, pros_cons_left, pros_seen = True, None, 0, False
            continue
        level = _heading_level(line, stripped, block_start)
        heading = level is not None
        if level is not None:
            open_headings = _open_heading(open_headings, level, _named_section(stripped))
            by_lead_in = None
        else:
            stripped = _ORDINAL.sub("", stripped.lstrip("#").strip())
        by_heading = open_headings[-1][1] if open_headings else None
        if not heading and block_start and not _LIST_ITEM.match(line):
            # A paragraph's own lead-in is nearer to its content than a heading above it: under
            # "Data", a paragraph opening "Model: ..." is about the model.
            opening = stripped.lstrip(">").strip()
            lead = _lead_in_section(opening) or _subject_section(opening)
            by_lead_in = lead if by_heading is None or lead != by_heading else None
        block += block_start or heading
        block_start = heading
        pros_seen = pros_seen or bool(_PRO.match(line))
        # "+ ..." and the "- ..." lines after it argue the choice above them, as "Pros:" does.
        pro_or_con = pros_seen and bool(_LIST_ITEM.match(line) or _PRO.match(line))
        argued_row = pros_cons_left > 0 or pro_or_con
        asked = False
        for part in _SENTENCE_END.split(stripped.replace(" | ", ", ")):
            part = part.strip()
            if not part or _TAG.search(part) or part in to_the_grader:
                continue
            answers, asked = asked and "?" not in part, "?" in part
            content = not heading and _has_content(part)
            fragment = not heading and not content and _is_fragment(part)
            reasons = _reasons(part) if content else 0
            if content and argued_row:
                reasons += 1
            pros_cons_left -= 1
            if _names_pros_and_cons(part):
                pros_cons_left = PROS_CONS_ROWS
            label = None if heading else _lead_in_section(part, LABEL_WORDS)
            if by_lead_in and label and label != by_lead_in and "?" not in part:
                by_lead_in = label  # a block run together: its next label takes over
            out.append(
                Sentence(
                    text=part,
                    content=content,
                    reasons=reasons,
                    words=len(words(part)) if content else 0,
                    block=block,
                    declared=by_lead_in or by_heading,
                    led=by_lead_in is not None,
                    heading=heading,
                    label=label,
                    question="?" in part,
                    answers=answers,
                    fragment=fragment,
                    argues=not heading and (pro_or_con or _opens_with_pros_or_cons(part)),
                )
            )
    return out


def _heading_level(line: str, stripped: str, opens_block: bool) -> int | None:
    """How deep a heading line is: `#` counts for Markdown, a short "Label:" line is deepest.

    A line that opens a block and holds nothing but a section's name ("Metrics", "Data and
    labels") is a heading written without Markdown, as deep as the deepest Markdown one. A `#`
    line longer than a lead-in is a paragraph behind a `#`, not a heading.
    """
    marks = len(line.lstrip()) - len(line.lstrip().lstrip("#"))
    if marks:
        return marks if len(words(stripped)) <= LEAD_IN_WORDS else None
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


def _lead_in_section(line: str, most: int = LEAD_IN_WORDS) -> SectionId | None:
    """The section named by the label a text opens with: "Serving: ...", "Data — ...",
    "**Data.** ...", or a first sentence of a few words ("Requirements. We ..."), the label at most
    `most` words besides function words.

    Only the first sentence can hold the label, so a colon further on is not mistaken for one.
    """
    first, *rest = _SENTENCE_END.split(line, maxsplit=1)
    bold = _BOLD_LABEL.match(first)
    head, colon, _ = first.partition(":")
    if not colon and _DASH.search(first):
        # "таргет — продажи, ...": a dash after a few words ends a label as a colon does.
        head, colon = _DASH.split(first, maxsplit=1)[0], ":"
    run_in = rest and first.endswith(".") and len(words(first)) <= RUN_IN_WORDS
    label = bold.group(1) if bold else head if colon else first if run_in else ""
    named = [w for w in words(label) if w not in STOP_WORDS]
    if not label or len(words(label)) > LEAD_IN_WORDS or len(named) > most:
        return None
    return _named_section(label)


def _subject_section(sentence: str) -> SectionId | None:
    """The section a paragraph's first sentence names as its subject before its first verb ("The
    architecture splits into ...", "For metrics I would ...", "Данные мы берём ..."): a topic
    sentence says the paragraph is about that section, as a lead-in does. Only a paragraph's
    first: inside one, "Models should be monitored" names no section to move to."""
    toks = words(sentence)[: SUBJECT_WORDS + 3]
    opens = lexicon().grading.subject_verbs
    for k, tok in enumerate(toks[1:], 1):
        if opens.find(tok):
            # `toks` is cut so that a subject has at most SUBJECT_WORDS + 2 words.
            subject = " ".join(toks[:k])
            return _named_section(subject) if _only_section_names(subject) else None
    return None


def _reasons(sentence: str) -> int:
    """Reason words in a sentence, a ", so" of consequence among them; none in a guess.

    One arrow between two clauses that move no data states a consequence in a note's shorthand
    ("most impressions ignored -> subsample negatives"); arrows that move data or chain parts lay
    out a pipeline instead.
    """
    cues = lexicon().grading
    if sentence in cues.hedges:
        return 0
    arrows = len(_ARROW.findall(sentence))
    therefore = arrows == 1 and not cues.flows.find(sentence) and not cues.components.find(sentence)
    return len(cues.reason_terms.find(sentence)) + len(_CONSEQUENCE.findall(sentence)) + therefore


def _names_pros_and_cons(sentence: str) -> bool:
    """A header that names both sides ("Framing | Pros | Cons", "плюсы и минусы")."""
    found = {t.rstrip("*") for t in lexicon().grading.reason_terms.find(sentence)}
    return len(words(sentence)) <= LEAD_IN_WORDS and len(found & _PROS_CONS) >= 2


def _opens_with_pros_or_cons(sentence: str) -> bool:
    """A run-in label of pros or cons ("Pros: ...", "Минусы — ..."): its label is nothing else."""
    head, colon, _ = sentence.partition(":")
    if not colon:
        head = _DASH.split(sentence, maxsplit=1)[0]
    found = {t.rstrip("*") for t in lexicon().grading.reason_terms.find(head)}
    return len(words(head)) <= NAME_WORDS and bool(found & _PROS_CONS)


_PROS_CONS = frozenset({"pros", "cons", "плюсы", "минус", "upside", "downside", "преимуществ"})


def _has_content(sentence: str) -> bool:
    """More than a fragment, and not a bare list of names.

    A label names what its body speaks about ("Latency: no online serving"), so a labelled
    body says something in fewer words, unless it is a list of names ("Offline: F1, AUC"). A
    fragment still says something when it states a measured figure or a reason.
    """
    if len(_ARROW.findall(sentence)) >= CHAIN_ARROWS:
        # A chain of parts lays the system out: it is no list of buzzwords.
        return len(words(sentence)) > FRAGMENT_WORDS
    body = sentence.partition(":")[2].strip()
    if not body:
        if _is_bare_list(sentence, BARE_LIST_ITEMS):
            return False
        return len(words(sentence)) > FRAGMENT_WORDS or _says_something_short(sentence)
    if _is_bare_list(body, LABELLED_LIST_ITEMS):
        return False
    long_enough = (
        len(words(body)) > LABELLED_FRAGMENT_WORDS and len(words(sentence)) > FRAGMENT_WORDS
    )
    return long_enough or _says_something_short(body)


def _is_fragment(sentence: str) -> bool:
    """A phrase of a few words, not a list: "temporal split", "Popularity baseline"."""
    body = sentence.partition(":")[2].strip() or sentence
    parts = [p for p in _LIST_SEPARATOR.split(body) if p.strip()]
    return len(parts) == 1 and len(words(body)) >= NAME_WORDS


def _says_something_short(text: str) -> bool:
    return any(f.measured for f in figures(text)) or bool(_reasons(text))


def _is_bare_list(sentence: str, least: int) -> bool:
    """A run of at least `least` short names (commas, arrows) with no reasoning, no measured
    figure and no relation between names: buzzwords. "split by day: train ≤ D, test D+1" and
    "txn count 1h / 24h per card" state a decision in a note's shorthand."""
    parts = [p for p in _LIST_SEPARATOR.split(sentence) if p.strip()]
    if len(parts) < least:
        return False
    if _RELATION.search(_ARROW.sub(" ", sentence)) or any(f.measured for f in figures(sentence)):
        return False
    short = [len(words(p)) <= NAME_WORDS for p in parts]
    argued = any(not s and _reasons(p) for p, s in zip(parts, short, strict=True))
    return sum(short) / len(parts) >= BARE_LIST_SHARE and not argued


# ----- what a unit says ---------------------------------------------------------------------


def live_text(sentence: str) -> str:
    """The sentence without the clauses it denies (`GradingLexicon.live_text`)."""
    return lexicon().grading.live_text(sentence)


def without_task_names(text: str) -> str:
    """The text without the word beside each task noun ("CTR prediction", "прогноз CTR"; function
    words skipped): a metric named there is what the model predicts, not how it is judged."""
    nouns = lexicon().grading.task_nouns.terms
    if not nouns.find(text):
        return text  # most units name no task: one match over the text, not one per word
    tokens = list(_NAME_TOKEN.finditer(text))
    dropped: set[int] = set()
    for i, token in enumerate(tokens):
        if not nouns.find(token.group()):
            continue
        for step in (-1, 1):
            j = i + step
            while 0 <= j < len(tokens) and tokens[j].group().lower() in STOP_WORDS:
                j += step
            if 0 <= j < len(tokens):
                dropped.add(j)
    if not dropped:
        return text
    out, last = [], 0
    for j in sorted(dropped):
        out.append(text[last : tokens[j].start()])
        last = tokens[j].end()
    return "".join([*out, text[last:]])


def figures(text: str) -> list[Figure]:
    """The numbers a text states, scaled by what follows them ("12k", "40 млн", "six weeks"). A
    number written as a word is a figure only with a scale or a unit: "one of the most important"
    states none."""
    spec = lexicon().grading.figures
    found: list[Figure] = []
    for m in _NUMBER.finditer(text):
        value = _number(m.group(1))
        after = (m.group(3) or "").lower()
        if after in spec.thousand:
            found.append(Figure(value * 1e3, True))
        elif after in spec.million:
            found.append(Figure(value * 1e6, True))
        elif after in spec.billion:
            found.append(Figure(value * 1e9, True))
        else:
            found.append(Figure(value, bool(m.group(2)) or after in spec.units))
    tokens = words(text)
    for i, token in enumerate(tokens):
        number = spec.numbers.value(token)
        if number is not None:
            value = float(number)
            after = tokens[i + 1] if i + 1 < len(tokens) else ""
            scale = 1e3 if after in spec.thousand else 1e6 if after in spec.million else 1.0
            scale = 1e9 if after in spec.billion else scale
            if scale > 1 or after in spec.units:
                found.append(Figure(value * scale, True))
    return found


def _number(raw: str) -> float:
    """ "5,000" and "3,000,000" group thousands; "1,5" and "0.1" have decimals."""
    groups = re.split(r"[.,]", raw)
    if len(groups) > 1 and "," in raw and all(len(g) == 3 for g in groups[1:]):
        return float("".join(groups))
    head, *tail = groups
    return float(f"{head}.{''.join(tail)}") if tail else float(head)


def technical_names(text: str) -> list[str]:
    """Tokens shaped like a technical name: capitals inside (XGBoost, PR-AUC, GBDT), letters and
    digits together (int8, NDCG@10) or letters joined by / @ _ (A/B, train/test). A plain acronym
    joined to a word names nothing more than the word: "ML-проектах", "AI-driven"."""
    plain = lexicon().grading.plain_acronyms
    found: list[str] = []
    for token in _TOKEN.findall(text):
        token = token.strip(".!?-–—~≈<>=+")
        named = "-".join(p for p in token.split("-") if p.lower() not in plain)
        if not _LETTER.search(named):
            continue
        mixed = bool(_DIGIT.search(named)) and not _figure_token(named)
        if len(_UPPER.findall(named)) >= 2 or mixed or _TECHNICAL_JOIN.search(named):
            found.append(token)
    return found


def _figure_token(token: str) -> bool:
    """ "8M", "12k", "150ms" are figures written short, not names."""
    m = _NUMBER.fullmatch(token)
    return bool(m and m.group(3))


@lru_cache(maxsize=8192)
def generic_term(term: str) -> bool:
    """A cue term all of whose words only name a broad topic ("monitor*", "offline and online")."""
    generic = lexicon().grading.generic_terms
    named = [w for w in words(term.replace("*", " ")) if w not in STOP_WORDS]
    return bool(named) and all(generic.find(w) for w in named)
