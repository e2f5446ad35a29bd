"""Solvers: what an eval runs. Each takes a case and returns what the scorer needs."""

from dataclasses import dataclass
from typing import Any

from langchain_core.language_models import BaseChatModel

from simulator.grader import grade_answer
from simulator.interviewer import Interviewer
from simulator.knowledge import KnowledgeBase
from simulator.retrieval import Retriever
from simulator.settings import PROJECT_ROOT, Settings


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
        for _ in self.interviewer.reply(session, case["question"]):
            pass
        scenario = self.interviewer.kb.scenario(case["scenario"])
        facts = scenario.facts if scenario else []
        return sorted({f.topic for f in facts if f.id in session.disclosed_facts})


@dataclass
class GradeFileSolver:
    """Grade a whole written answer from a file; the grade JSON."""

    kb: KnowledgeBase
    model: BaseChatModel
    settings: Settings

    def __call__(self, case: dict[str, Any]) -> dict[str, Any]:
        report = grade_answer(
            (PROJECT_ROOT / case["file"]).read_text(encoding="utf-8"),
            kb=self.kb,
            model=self.model,
            lang=case["lang"],
            settings=self.settings,
            scenario=self.kb.scenario(case["scenario"]),
        )
        return report.to_contract()
