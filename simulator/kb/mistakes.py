"""The catalogue of common mistakes candidates make, and a pure detector over a candidate's words.

Files are `knowledge/mistakes/<section>.yaml`, each a list of entries. The interviewer questions a
mistake it notices (it never corrects it outright) and the grader gives no credit for it. The
offline detector matches an entry's cues with `textnorm.Terms`: the mistake is in a message when
the entry applies to the scenario, every `all` group has a term in the message and no `none` term
does (those name the right choice or negate the wrong one).

A term inside a denied clause does not count (`said`): "we do NOT use accuracy" does not use
accuracy, "no shadow mode, no ramp" names no shadow mode. A clause denies a term when it holds an
odd number of different negation words besides the term's own and those of the entry's other `all`
cues found there, so an absence written as a cue ("no class weights", "without a baseline",
"retraining isn't needed") still counts, and a second negation denies it again ("без class weights
не обойтись"). "Without" and "без" reach only the few words after them.

Every problem becomes a one-line `KnowledgeError` naming the file and the entry id.
"""

import re
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from simulator.base.errors import KnowledgeError
from simulator.base.sections import SECTION_IDS, Lang, SectionId
from simulator.base.textnorm import compiled_terms, words
from simulator.kb.knowledge import read_yaml
from simulator.kb.lexicon import lexicon

MISTAKES_DIR = "mistakes"
"""The folder of the catalogue inside `knowledge/`."""

_ID = re.compile(r"^[a-z]+\.[a-z0-9_]+$")

_PUNCTUATION = r"[;:!?()\[\]|\n]|(?<!\d)[.,]|[.,](?!\d)|\s[-–—]+\s|[–—]|->|→|=>"
"""Where a clause ends in writing: a comma or a full stop (not a decimal point or a thousands
separator), a spaced dash or an arrow. Words end one too (`denial.yaml`)."""

_UNEQUAL = re.compile(r"≠|!=|=/=")
"""A sign that denies an equality ("zero sales ≠ zero demand"), read as the word "not"."""


@lru_cache(maxsize=1)
def _clause_end() -> re.Pattern[str]:
    """Punctuation, a word that starts a new thought, or "and" before a subject or a denial
    ("..., and we don't need more", "runs on the phone and doesn't drain the battery")."""
    d = lexicon().denial
    after_and = f"{d.subjects.pattern()}|{d.negations.pattern()}"
    return re.compile(
        rf"{_PUNCTUATION}|\b(?:{d.clause_starts.pattern()})\b"
        rf"|\b(?:{d.and_words.pattern()})\s+(?=(?:{after_and})\b)",
        re.IGNORECASE,
    )


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


def _check_term(term: str) -> str:
    """A term must hold at least one word or number once its `*` marks are set aside."""
    if not words(term.replace("*", " ")):
        raise ValueError(f"empty cue term {term!r}")
    return term


class MistakeText(_Strict):
    en: str = Field(min_length=1, pattern=r"\S")
    """The English text."""
    ru: str = Field(min_length=1, pattern=r"\S")
    """The Russian text."""

    def __call__(self, lang: Lang) -> str:
        return self.en if lang == "en" else self.ru


class LangCues(_Strict):
    all: list[list[str]] = Field(min_length=1)
    """Groups of terms: every group must have at least one term in the message."""
    none: list[str] = Field(default_factory=list)
    """Terms whose presence means the candidate did not make the mistake: they named the right
    choice or negated the wrong one."""

    @field_validator("all")
    @classmethod
    def _groups(cls, groups: list[list[str]]) -> list[list[str]]:
        for group in groups:
            if not group:
                raise ValueError("empty cue group")
            for term in group:
                _check_term(term)
        return groups

    @field_validator("none")
    @classmethod
    def _terms(cls, terms: list[str]) -> list[str]:
        for term in terms:
            _check_term(term)
        return terms

    @property
    def own(self) -> tuple[str, ...]:
        """Every `all` term: the cues of one statement, whose negations belong to it."""
        return tuple(term for group in self.all for term in group)

    def matches(self, text: str) -> bool:
        """Every group occurs in `text` and no `none` term does, undenied (`said`)."""
        if not all(said(tuple(group), text, self.own) for group in self.all):
            return False
        return not (self.none and said(tuple(self.none), text))


class MistakeCues(_Strict):
    en: LangCues
    """Cues in English."""
    ru: LangCues
    """Cues in Russian (Latin terms such as `smote` are welcome: candidates mix the two)."""

    def __call__(self, lang: Lang) -> LangCues:
        return self.en if lang == "en" else self.ru


class LangExamples(_Strict):
    hit: list[str] = Field(min_length=1)
    """Sentences a candidate might say that make the mistake: the cues must detect each one."""
    miss: list[str] = Field(min_length=1)
    """Near misses (the right choice, or the mistake negated): the cues must not detect them."""


class MistakeExamples(_Strict):
    en: LangExamples
    """English examples."""
    ru: LangExamples
    """Russian examples."""

    def __call__(self, lang: Lang) -> LangExamples:
        return self.en if lang == "en" else self.ru


class Mistake(_Strict):
    id: str = Field(pattern=_ID.pattern)
    """Stable id, `<section>.<snake_case>`."""
    section: SectionId
    """The section of a design answer the mistake belongs to."""
    passage: str
    """Id of the knowledge passage that explains the right approach."""
    scenarios: list[str] | None = None
    """Scenario ids the mistake is specific to; unset means it applies to every scenario."""
    wrong: MistakeText
    """What is wrong, in one sentence, as the report would say it."""
    why: MistakeText
    """Why it is wrong, in one or two sentences."""
    question: MistakeText
    """The interviewer's challenge: it questions the choice without giving the answer away."""
    cues: MistakeCues
    """How the offline detector recognises the mistake in a candidate's message."""
    examples: MistakeExamples
    """Sentences that must and must not be detected, per language; the tests run every one."""

    def applies_to(self, scenario_id: str | None) -> bool:
        """A general mistake applies everywhere; a specific one only to its scenarios."""
        return self.scenarios is None or scenario_id in self.scenarios

    def found_in(self, text: str, lang: Lang) -> bool:
        """The cues of `lang` detect the mistake in `text` (the scenario is not checked)."""
        return self.cues(lang).matches(text)

    def made_in(self, text: str) -> bool:
        """`text` in either language or a mix makes the mistake: every `all` group of one
        language's cues occurs and no `none` term of either language does (a denial written in
        one language still denies). The scenario is not checked."""
        langs = (self.cues.en, self.cues.ru)
        text = _UNEQUAL.sub(" not ", text)
        if not any(all(said(tuple(g), text, c.own) for g in c.all) for c in langs):
            return False
        return not any(c.none and said(tuple(c.none), text) for c in langs)


def said(terms: tuple[str, ...], text: str, own: tuple[str, ...] = ()) -> bool:
    """One of `terms` occurs in a clause of `text` that does not deny it: besides the negation
    words of the term itself and of the `own` terms found in the clause (the other cues of one
    statement: "retraining" is said by "retraining isn't needed"), the clause holds an even
    number of different ones ("can't launch without an A/B test" says "A/B test"; "no shadow,
    no ramp" denies both)."""
    found = compiled_terms(terms)
    anywhere = found.find(text)
    if not anywhere:
        return False
    parts = clauses(text)
    if set(anywhere) - {t for c in parts for t in found.find(c)}:
        return True  # a term written across clauses is one statement that no clause can deny
    for clause in parts:
        hits = found.find(clause)
        if not hits:
            continue
        toks = words(clause)
        context = compiled_terms(own).find(clause) if own else []
        for term in hits:
            spoken = {w for cue in (term, *context) for w in _negation_words(words(cue))}
            if len(_denials(toks, term) - spoken) % 2 == 0:
                return True
    return False


def _denials(toks: list[str], term: str) -> set[str]:
    """The negation words of a clause that reach `term`: all of them, except that "without" and
    "без" reach only the few words after them ("without GPUs, training is slow" and "without GPUs
    training is slow" alike leave "slow" said)."""
    d = lexicon().denial
    reach = d.scope_words + len(words(term))
    reaching = {
        tok
        for i, tok in enumerate(toks)
        if d.scoped.has(tok) and compiled_terms((term,)).find(" ".join(toks[i + 1 : i + 1 + reach]))
    }
    return {w for w in _negation_words(toks) if not d.scoped.has(w)} | reaching


def clauses(text: str) -> list[str]:
    """The parts of `text` a negation can reach (`_clause_end`). A list item of a word or two
    before a comma belongs to the clause that follows it: "precision, recall and PR curves are
    not needed" denies all three."""
    text = text.replace("’", "'")
    parts = _clause_end().split(text)
    ends = [m.group() for m in _clause_end().finditer(text)]
    out: list[str] = []
    pending = ""
    for i, (part, end) in enumerate(zip(parts, [*ends, ""], strict=True)):
        part = f"{pending} {part}" if pending else part
        pending = part if end == "," and _listed(part, parts[i + 1]) else ""
        if not pending and part.strip():
            out.append(part)
    return out


def _listed(item: str, rest: str) -> bool:
    """`item, rest` reads as a list: a short item, and the rest a short item too or the list's
    last item joined by "and" / "or" ("precision, recall and PR curves...")."""
    d = lexicon().denial
    if len(words(item)) > d.list_item_words:
        return False
    toks = words(rest)
    return len(toks) <= d.list_item_words or any(d.list_joins.has(t) for t in toks)


def _negation_words(toks: list[str]) -> list[str]:
    """The words that deny; Russian concord ("ничего не") is one denial, and a concord word
    alone stands for the plain negation ("ничего" for "не")."""
    d = lexicon().denial
    plain = [
        tok
        for i, tok in enumerate(toks)
        if d.negations.has(tok) and not (i + 1 < len(toks) and d.not_denying_next.has(toks[i + 1]))
    ]
    return plain or [d.concord_means for tok in toks if d.concord.has(tok)][:1]


def detect(
    mistakes: Iterable[Mistake], text: str, lang: Lang, scenario_id: str | None
) -> list[Mistake]:
    """The mistakes that apply to `scenario_id` and whose cues of `lang` match `text`, in order."""
    return [m for m in mistakes if m.applies_to(scenario_id) and m.found_in(text, lang)]


def load_mistakes(
    knowledge_dir: Path, passage_ids: Iterable[str], scenario_ids: Iterable[str]
) -> list[Mistake]:
    """Every entry of `knowledge_dir/mistakes/*.yaml`, validated and cross-checked against the
    known passage and scenario ids, in file order."""
    folder = knowledge_dir / MISTAKES_DIR
    if not folder.is_dir():
        raise KnowledgeError(f"{folder}: folder is missing")
    passages = set(passage_ids)
    scenarios = set(scenario_ids)
    seen: dict[str, Path] = {}
    out: list[Mistake] = []
    for path in sorted(folder.glob("*.yaml")):
        data = read_yaml(path)
        if not isinstance(data, list):
            raise KnowledgeError(f"{path}: expected a list of mistakes at the top level")
        for index, item in enumerate(data):
            mistake = _entry(path, index, item)
            _cross_check(path, mistake, passages, scenarios)
            if mistake.id in seen:
                raise KnowledgeError(
                    f"{path}: mistake {mistake.id}: duplicate id (also in {seen[mistake.id]})"
                )
            seen[mistake.id] = path
            out.append(mistake)
    return out


def _entry(path: Path, index: int, item: Any) -> Mistake:
    label = f"#{index + 1}"
    if isinstance(item, dict) and isinstance(item.get("id"), str) and item["id"].strip():
        label = item["id"].strip()[:60]
    try:
        return Mistake.model_validate(item)
    except ValidationError as exc:
        err = exc.errors()[0]
        field = ".".join(str(p) for p in err["loc"]) or "(entry)"
        raise KnowledgeError(f"{path}: mistake {label}: field {field}: {err['msg']}") from None


def _cross_check(path: Path, m: Mistake, passages: set[str], scenarios: set[str]) -> None:
    where = f"{path}: mistake {m.id}"
    prefix = m.id.split(".", 1)[0]
    if prefix not in SECTION_IDS or prefix != m.section:
        raise KnowledgeError(f"{where}: id must start with its section {m.section!r}")
    if m.passage not in passages:
        raise KnowledgeError(f"{where}: unknown passage id {m.passage!r}")
    unknown = [s for s in m.scenarios or [] if s not in scenarios]
    if unknown:
        raise KnowledgeError(f"{where}: unknown scenario ids: {', '.join(unknown)}")
    if m.scenarios is not None and not m.scenarios:
        raise KnowledgeError(f"{where}: scenarios is empty (omit it to apply everywhere)")
