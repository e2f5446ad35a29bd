"""Solvers: what an eval runs. Each takes a case and returns what the scorer needs."""

from dataclasses import dataclass
from typing import Any

from simulator.interviewer import Interviewer
from simulator.retrieval import Retriever


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
