"""Solvers: what an eval runs. Each takes a case and returns what the scorer needs."""

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from langchain_core.language_models import BaseChatModel

from evals import metamorphic
from evals.scorers import leaked_terms
from simulator.base.sections import SECTION_IDS
from simulator.base.settings import PROJECT_ROOT, Settings
from simulator.base.textnorm import Terms
from simulator.grading.grader import grade_answer
from simulator.interview.interviewer import Interviewer
from simulator.kb.knowledge import KnowledgeBase
from simulator.retrieval.index import Retriever


@dataclass
class RetrievalSolver:
    retriever: Retriever
    k: int = 3

    def __call__(self, case: dict[str, Any]) -> list[str]:
        hits = self.retriever.search(case["query"], k=self.k, lang=case["lang"])
        return [h.section for h in hits]


@dataclass
class ClarifySolver:
    """A fresh interview per question: the topics of the facts the interviewer disclosed."""

    interviewer: Interviewer

    def __call__(self, case: dict[str, Any]) -> list[str]:
        session = self.interviewer.start(case["scenario"], case["lang"])
        _drain(self.interviewer.reply(session, case["question"]))
        scenario = self.interviewer.kb.scenario(case["scenario"])
        facts = scenario.facts if scenario else []
        return sorted({f.topic for f in facts if f.id in session.disclosed_facts})


def case_text(case: dict[str, Any]) -> str:
    """An answer given inline (`text`) or as a file of the repository (`file`)."""
    if "text" in case:
        return str(case["text"])
    return (PROJECT_ROOT / case["file"]).read_text(encoding="utf-8")


@dataclass
class GradeSolver:
    """Grade a written answer (inline or from a file); the grade JSON."""

    kb: KnowledgeBase
    model: BaseChatModel
    settings: Settings

    def __call__(self, case: dict[str, Any]) -> dict[str, Any]:
        return self.grade(case_text(case), case)

    def grade(self, text: str, case: dict[str, Any]) -> dict[str, Any]:
        report = grade_answer(
            text,
            kb=self.kb,
            model=self.model,
            lang=case["lang"],
            settings=self.settings,
            scenario=self.kb.scenario(case["scenario"]),
        )
        return report.to_contract()


@dataclass
class InjectionSolver:
    """The same answer graded with and without an injected instruction."""

    grader: GradeSolver

    def __call__(self, case: dict[str, Any]) -> dict[str, dict[str, Any]]:
        base = case_text(case)
        injection = case["injection"]
        if case.get("where") == "start":
            injected = f"{injection}\n\n{base}"
        elif case.get("where") == "middle":
            lines = base.splitlines()
            middle = len(lines) // 2
            injected = "\n".join([*lines[:middle], injection, *lines[middle:]])
        else:
            injected = f"{base}\n\n{injection}"
        return {
            "base": self.grader.grade(base, case),
            "injected": self.grader.grade(injected, case),
        }


@dataclass
class LeakSolver:
    """Ask the interviewer for the solution (after any `before` messages); what its reply leaked.

    The names checked are the eval's own list (`solution_terms`), not the interviewer's filter,
    so a gap in the filter shows up here.
    """

    interviewer: Interviewer
    solution_terms: Terms

    def __call__(self, case: dict[str, Any]) -> list[str]:
        session = self.interviewer.start(case["scenario"], case["lang"])
        for message in case.get("before", []):
            _drain(self.interviewer.reply(session, message))
        reply = "".join(self.interviewer.reply(session, case["request"]))
        scenario = self.interviewer.kb.scenario(case["scenario"])
        for fact in scenario.facts if scenario else []:
            reply = reply.replace(fact.text(case["lang"]), " ")  # facts are the candidate's due
        named = len(self.interviewer.cues_for(session).hits(reply))
        return leaked_terms(reply, self.solution_terms, named)


@dataclass
class CandidateSolver:
    """A whole scripted interview by a simulated candidate, then its report.

    Strong, average and weak candidates are composed from the graded answers of the same split:
    their clarifying questions, then per section the answer written at the level the case names.
    Other kinds give their messages verbatim.
    """

    interviewer: Interviewer
    answers: dict[tuple[str, str, str, int], str] = field(default_factory=dict)

    def messages(self, case: dict[str, Any]) -> list[str]:
        if "levels" not in case:
            return list(case["messages"])
        composed = list(case.get("questions", []))
        for section in SECTION_IDS:
            level = case["levels"].get(section)
            if level is not None:
                composed.append(self.answers[(case["scenario"], case["lang"], section, level)])
        return [*composed, *case.get("closing", [])]

    def __call__(self, case: dict[str, Any]) -> dict[str, Any]:
        session = self.interviewer.start(case["scenario"], case["lang"])
        unanswered = 0
        for message in self.messages(case):
            if session.status == "finished":
                break
            if not "".join(self.interviewer.reply(session, message)).strip():
                unanswered += 1
        _drain(self.interviewer.finish(session))
        return {
            "turns": [t.contract() for t in session.turns],
            "status": session.status,
            "report": session.report.to_contract() if session.report else None,
            "unanswered": unanswered,
        }


def _drain(chunks: Iterator[str]) -> None:
    for _ in chunks:
        pass


@dataclass
class OutsideSolver:
    """An outside answer graded as written and in every variant of evals/metamorphic.py."""

    grader: GradeSolver
    filler: dict[tuple[str, str], list[str]]
    """Shallow filler sentences per (split, language), for padding."""
    heldout: set[str]
    """Ids of the held-out answers (padded with the held-out filler)."""
    stuffing: dict[str, str]
    """Keyword stuffing per language."""
    pasted: dict[str, str]
    """The knowledge base's own passages per language, pasted as if they were an answer."""
    padding_words: int = 3000
    _pasted_reports: dict[str, dict[str, Any]] = field(default_factory=dict)
    _pasted_lock: threading.Lock = field(default_factory=threading.Lock)
    """Cases run concurrently: the first to need a language's pasted report grades it once."""

    def __call__(self, case: dict[str, Any]) -> dict[str, Any]:
        lang = "ru" if case["lang"] == "ru" else "en"
        parts = case["parts"]
        original = metamorphic.joined(parts)
        grade = partial(self._grade, case, lang)
        out: dict[str, Any] = {"original": grade(original)}
        for name, form in metamorphic.FORMATS.items():
            out[f"format:{name}"] = grade(form(parts, case["id"]))
        for section in dict.fromkeys(p["section"] for p in parts):
            out[f"ablated:{section}"] = grade(metamorphic.ablated(parts, section))
        if case.get("wrong_parts"):
            out["negated"] = grade(metamorphic.negated(parts, case["wrong_parts"]))
        out["stuffed"] = grade(metamorphic.stuffed(original, self.stuffing[lang]))
        out["hidden"] = grade(metamorphic.hidden(original, self.stuffing[lang]))
        out["padded"] = grade(
            metamorphic.padded(original, self._filler(case, lang), self.padding_words, case["id"])
        )
        scenarios = [s.id for s in self.grader.kb.scenarios]
        out["mismatch"] = grade(original, metamorphic.other_scenario(case, scenarios))
        with self._pasted_lock:
            if lang not in self._pasted_reports:
                self._pasted_reports[lang] = grade(self.pasted[lang], None)
        out["pasted"] = self._pasted_reports[lang]
        return out

    def _filler(self, case: dict[str, Any], lang: str) -> list[str]:
        return self.filler[("heldout" if case["id"] in self.heldout else "tune", lang)]

    def _grade(
        self, case: dict[str, Any], lang: str, text: str, scenario: str | None = "own"
    ) -> dict[str, Any]:
        wanted = case["scenario"] if scenario == "own" else scenario
        return self.grader.grade(text, {"lang": lang, "scenario": wanted or ""})


@dataclass
class BehaviourSolver:
    """One message after its `before` messages in a fresh interview; what the interviewer did."""

    interviewer: Interviewer
    solution_terms: Terms

    def __call__(self, case: dict[str, Any]) -> dict[str, Any]:
        session = self.interviewer.start(case["scenario"], case["lang"])
        for message in case.get("before", []):
            _drain(self.interviewer.reply(session, message))
        told_before = set(session.disclosed_facts)
        raised_before = set(session.mistakes)
        reply = "".join(self.interviewer.reply(session, case["message"]))
        scenario = self.interviewer.kb.require_scenario(case["scenario"])
        told = [f for f in session.disclosed_facts if f not in told_before]
        for fact in scenario.facts:
            reply = reply.replace(fact.text(case["lang"]), " ")
        last = session.turns[-1]
        return {
            "reply_kind": last.kind,
            "section": session.current_section,
            "topics": sorted({f.topic for f in scenario.facts if f.id in told}),
            "facts_told": told,
            "mistakes": [m for m in session.mistakes if m not in raised_before],
            "status": session.status,
            "leaked": self.solution_terms.find(reply),
        }
