"""The cue vocabularies as data: `knowledge/lexicon/*.yaml`, validated on load and compiled once.

- `classifier.yaml`: what a candidate message is (finish, move on, time, hint, solution request,
  request for information, question words), read by the local classifier, and navigation and
  disagreement (go back, go to, skip, challenge), read by the local interviewer;
- `grading.yaml`: reasons, hedges, section names, system parts and data flows, negations,
  generic topic words and how figures are written, read by the local grader (and which
  checkpoints only apply to models on devices, read by the grader's report);
- `steering.yaml`: words that try to instruct the interviewer or the grader: one shared list and
  each reader's own additions;
- `denylist.yaml`: names the interviewer must never say (model families, techniques, tools);
- `denial.yaml`: how a denial reads (negation words and where a clause ends), read by the
  catalogue of common mistakes, so that "we do not use accuracy" does not use accuracy.

Every list has non-empty `en` and `ru` parts (in `denial.yaml`, at least one of them), matched
together (answers mix the languages), and no term twice; unknown keys and unknown files are
refused. Any problem is a one-line `KnowledgeError` naming the file and the field.
"""

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, TypeVar

from pydantic import AfterValidator, ConfigDict, Field, PrivateAttr, model_validator

from simulator.base.errors import KnowledgeError
from simulator.base.sections import SECTION_IDS, SectionId
from simulator.base.settings import PROJECT_ROOT
from simulator.base.textnorm import Terms, words
from simulator.kb.knowledge import Strict, _validate, read_yaml

LEXICON_DIR = PROJECT_ROOT / "knowledge" / "lexicon"


def _term(value: str) -> str:
    if value != value.strip() or not words(value.replace("*", " ")):
        raise ValueError(f"{value!r} is not a term (words, `word*` for a prefix, no outer spaces)")
    return value


Term = Annotated[str, AfterValidator(_term)]
"""One cue term in `textnorm.Terms` syntax: one or more words, `word*` for a prefix."""
Word = Annotated[str, Field(pattern=r"^[a-zа-яё]+$")]
"""One lower-case word, matched whole."""


class _StrictLists(Strict):
    # No coercion: a YAML `yes` or `2024` in a list is refused, not turned into a string.
    model_config = ConfigDict(strict=True)


def _no_repeats(terms: list[str]) -> None:
    repeated = sorted({t for t in terms if terms.count(t) > 1})
    if repeated:
        raise ValueError(f"listed more than once: {', '.join(repeated)}")


class TermList(_StrictLists):
    """Cue terms in both languages, compiled once into one matcher over both."""

    en: list[Term] = Field(min_length=1)
    """English terms."""
    ru: list[Term] = Field(min_length=1)
    """Russian terms."""
    _terms: Terms = PrivateAttr()

    @model_validator(mode="after")
    def _unique(self) -> "TermList":
        _no_repeats(self.listed)
        return self

    def model_post_init(self, context: Any, /) -> None:
        self._terms = Terms(self.listed)

    @property
    def listed(self) -> list[str]:
        """Both languages' terms, English first."""
        return [*self.en, *self.ru]

    @property
    def terms(self) -> Terms:
        """Both languages' terms as one compiled matcher."""
        return self._terms

    def find(self, text: str) -> list[str]:
        """The terms that occur in `text`, in the order they are listed."""
        return self._terms.find(text)

    def __contains__(self, text: object) -> bool:
        return text in self._terms


class WordList(_StrictLists):
    """Whole words in both languages (a token is compared as is, never stemmed)."""

    en: list[Word] = Field(min_length=1)
    """English words."""
    ru: list[Word] = Field(min_length=1)
    """Russian words."""
    _words: frozenset[str] = PrivateAttr()

    @model_validator(mode="after")
    def _unique(self) -> "WordList":
        _no_repeats([*self.en, *self.ru])
        return self

    def model_post_init(self, context: Any, /) -> None:
        self._words = frozenset([*self.en, *self.ru])

    def __contains__(self, word: object) -> bool:
        return word in self._words


class ClassifierLexicon(Strict):
    """`classifier.yaml`: the local classifier's cues (simulator/llm/local/tasks/classify.py)."""

    finish: TermList
    """The candidate asks to end the interview."""
    move_on: TermList
    """The candidate asks for the next section."""
    time_check: TermList
    """The candidate asks how much interview time is left."""
    task_time: TermList
    """Words that make a time question about the problem's time budget, not the interview's."""
    hint: TermList
    """The candidate asks for help."""
    solution_request: TermList
    """The candidate asks for the answer: at most a hint request."""
    info_request: TermList
    """A request for information phrased as a statement ("Tell me about...")."""
    interrogatives: WordList
    """A sentence that opens with one of these asks something."""
    question_leads: WordList
    """Chat lead-ins read past before a question word ("а как часто...", "so how many...")."""
    wh_words: WordList
    """A question word opening the part after a lead-in ("quick one: how ...") makes a question."""
    lead_words: WordList
    """Words that may open a clause before what it is about: a section's name ("as for the
    model", "что касается данных") or a request to go somewhere ("actually, maybe we go back")."""
    go_back: TermList
    """The candidate asks to return to an earlier section (the one named, else the previous one)."""
    go_to: TermList
    """The candidate asks to take a section now; counts only with a section named."""
    skip: TermList
    """The candidate asks to leave a section out (the one named after it, else the current one)."""
    challenge: TermList
    """The candidate disagrees with the interviewer."""


class NumberWords(_StrictLists):
    """Numbers written as words, in both languages."""

    en: dict[Word, int] = Field(min_length=1)
    """English number words and their values."""
    ru: dict[Word, int] = Field(min_length=1)
    """Russian number words (each inflected form listed) and their values."""

    def value(self, word: str) -> int | None:
        return self.en.get(word, self.ru.get(word))


class FigureWords(Strict):
    """The words around a number that say what it measures (`grading.yaml`, `figures`)."""

    thousand: WordList
    """A number followed by one of these is in thousands ("12k", "20 тысяч")."""
    million: WordList
    """...in millions ("8M", "40 млн")."""
    billion: WordList
    """...in billions ("1.5B", "10 млрд")."""
    units: WordList
    """Units that make a number a measured figure ("50 ms", "2 weeks"), not a count of anything."""
    numbers: NumberWords
    """Numbers written as words ("six weeks", "три года")."""


class GradingLexicon(Strict):
    """`grading.yaml`: the local grader's cues (simulator/llm/local/tasks/grade.py)."""

    reason_terms: TermList
    """Words that give a reason."""
    hedges: TermList
    """A sentence with one of these guesses, so it gives no reason."""
    section_names: dict[SectionId, TermList]
    """Per section, the words that name it when they open a block; all six sections."""
    components: TermList
    """Named parts of a running system (stores, queues, jobs, services)."""
    flows: TermList
    """Words that move data from one part to another."""
    asking: TermList
    """A sentence with one of these says it asks something ("I'd ask", "уточню"): clarifying."""
    self_questions: TermList
    """A question that opens with one of these asks the candidate's own way forward ("How would we
    know it works?"), not the interviewer: it clarifies nothing."""
    subject_verbs: TermList
    """Words that end a sentence's subject ("The model *is* ...", "For metrics *I* ..."): a
    paragraph whose first sentence's subject names only a section is led by that section."""
    negations: TermList
    """A clause with one of these denies what it names ("no A/B test"): it earns nothing."""
    dismissals: TermList
    """These dismiss what the sentence named before them ("monitoring: not needed") as well."""
    task_nouns: TermList
    """Nouns that name a prediction task: a metric's name beside one names the task."""
    generic_terms: TermList
    """Words that only name a broad topic (data, model, monitoring): cue words that are all of
    these, with no figure or technical name, commit to nothing."""
    plain_acronyms: WordList
    """Capitalised words that are no technical name (ML, AI)."""
    figures: FigureWords
    """How numbers are written: scales, units and number words."""
    device_only: TermList
    """Words of a checkpoint's description that make it apply only to models run on devices."""
    on_device: TermList
    """Words of a scenario fact that say inference runs on users' devices."""

    @model_validator(mode="after")
    def _every_section(self) -> "GradingLexicon":
        missing = [s for s in SECTION_IDS if s not in self.section_names]
        if missing:
            raise ValueError(f"section_names missing: {', '.join(missing)}")
        return self

    def live_text(self, sentence: str) -> str:
        """The sentence without the clauses it denies: a clause with a negation ("no A/B test",
        "never random"), and the clause before a dismissal ("monitoring: not needed"). Clauses
        end at commas, colons, semicolons, brackets, dashes, bars and arrows."""
        clauses = _CLAUSE_SEPARATOR.split(sentence)
        dead = [bool(self.negations.find(c)) for c in clauses]
        for i, clause in enumerate(clauses):
            if i and self.dismissals.find(clause):
                dead[i - 1] = True
        return " , ".join(c for c, d in zip(clauses, dead, strict=True) if not d and c.strip())


_CLAUSE_SEPARATOR = re.compile(r"[,;:()\[\]{}|]|\s[-–—]\s|[–—]|->|→|=>|⇒")


class SteeringLexicon(Strict):
    """`steering.yaml`: words that try to instruct the interviewer or the grader."""

    shared: TermList
    """Addressed to the interviewer and the grader alike."""
    interviewer_only: TermList
    """Only the classifier reads these (on top of `shared`)."""
    grader_only: TermList
    """Only the grader reads these (on top of `shared`)."""
    _to_the_interviewer: Terms = PrivateAttr()
    _to_the_grader: Terms = PrivateAttr()

    @model_validator(mode="after")
    def _shared_once(self) -> "SteeringLexicon":
        shared = set(self.shared.listed)
        for name in ("interviewer_only", "grader_only"):
            own: TermList = getattr(self, name)
            twice = sorted(shared & set(own.listed))
            if twice:
                raise ValueError(f"{name} repeats terms of `shared`: {', '.join(twice)}")
        return self

    def model_post_init(self, context: Any, /) -> None:
        self._to_the_interviewer = Terms([*self.shared.listed, *self.interviewer_only.listed])
        self._to_the_grader = Terms([*self.shared.listed, *self.grader_only.listed])

    @property
    def to_the_interviewer(self) -> Terms:
        """`shared` and `interviewer_only`: an attempt to instruct the interviewer."""
        return self._to_the_interviewer

    @property
    def to_the_grader(self) -> Terms:
        """`shared` and `grader_only`: an attempt to steer the grade."""
        return self._to_the_grader


Phrase = Annotated[str, Field(pattern=r"^[a-zа-яё']+( [a-zа-яё']+)*\*?$")]
"""A word or a phrase as written, lower case (apostrophes kept); `word*` is a prefix."""


class PhraseList(_StrictLists):
    """Whole words or phrases in both languages, compared as written, never stemmed. One
    language may have none (Russian negative concord has no English form); both cannot."""

    en: list[Phrase]
    ru: list[Phrase]
    _exact: frozenset[str] = PrivateAttr()
    _prefixes: tuple[str, ...] = PrivateAttr()

    @model_validator(mode="after")
    def _some_unique(self) -> "PhraseList":
        if not self.listed:
            raise ValueError("no words in either language")
        _no_repeats(self.listed)
        # Asked of every word of every clause a mistake's cues are looked for in: a set lookup.
        self._exact = frozenset(p for p in self.listed if not p.endswith("*"))
        self._prefixes = tuple(p[:-1] for p in self.listed if p.endswith("*"))
        return self

    @property
    def listed(self) -> list[str]:
        return [*self.en, *self.ru]

    def has(self, word: str) -> bool:
        """`word` is one of the words, or starts with one of the prefixes."""
        return word in self._exact or word.startswith(self._prefixes)

    def pattern(self) -> str:
        """A regular-expression alternation of the phrases (prefixes open-ended)."""
        return "|".join(
            re.escape(p[:-1]) + r"\w*" if p.endswith("*") else re.escape(p)
            for p in sorted(self.listed, key=len, reverse=True)
        )


class DenialLexicon(Strict):
    """`denial.yaml`: how a denial reads, for the catalogue of common mistakes (`mistakes.said`)."""

    negations: PhraseList
    """Words that deny their clause."""
    scoped: PhraseList
    """Negations that deny only the few words after them ("without", "без")."""
    not_denying_next: PhraseList
    """A negation followed by one of these denies nothing ("not only")."""
    concord: PhraseList
    """Words that deny only in a clause with no plain negation (Russian "ничего не")."""
    concord_means: str
    """The plain negation a concord word stands for (one denial, however it is written)."""
    clause_starts: PhraseList
    """Words that start a new clause ("but", "поэтому")."""
    and_words: PhraseList
    """"and": a new clause when a subject or a negation follows it."""
    subjects: PhraseList
    """Subjects that, after "and", start a clause of their own."""
    list_joins: PhraseList
    """Words that join a list's last item ("and", "or")."""
    scope_words: int = Field(ge=1, le=10)
    """How many words after a scoped negation it reaches."""
    list_item_words: int = Field(ge=1, le=5)
    """A part before a comma of at most this many words is a list item, not a clause."""


@dataclass(frozen=True)
class Lexicon:
    """Every vocabulary of `knowledge/lexicon/`, validated and compiled."""

    classifier: ClassifierLexicon
    grading: GradingLexicon
    steering: SteeringLexicon
    denylist: TermList
    denial: DenialLexicon


L = TypeVar("L", bound=Strict)

FILES = ("classifier.yaml", "grading.yaml", "steering.yaml", "denylist.yaml", "denial.yaml")


def _load(folder: Path, name: str, model: type[L]) -> L:
    path = folder / name
    return _validate(model, read_yaml(path), path)


@lru_cache(maxsize=4)
def load_lexicon(folder: Path) -> Lexicon:
    """Load and validate every file of a lexicon folder; each file is read once per folder."""
    if not folder.is_dir():
        raise KnowledgeError(f"{folder}: folder is missing")
    unknown = sorted(p.name for p in folder.glob("*.yaml") if p.name not in FILES)
    if unknown:
        raise KnowledgeError(
            f"{folder / unknown[0]}: not a lexicon file (expected {', '.join(FILES)})"
        )
    return Lexicon(
        classifier=_load(folder, "classifier.yaml", ClassifierLexicon),
        grading=_load(folder, "grading.yaml", GradingLexicon),
        steering=_load(folder, "steering.yaml", SteeringLexicon),
        denylist=_load(folder, "denylist.yaml", TermList),
        denial=_load(folder, "denial.yaml", DenialLexicon),
    )


def lexicon() -> Lexicon:
    """The project's lexicon (`knowledge/lexicon/`), loaded and compiled on first use."""
    return load_lexicon(LEXICON_DIR)
