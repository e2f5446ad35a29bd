"""What the UI and the CLI call: open an interview, grade (and keep) a design, prepare the index.

Both front ends run the same code through here. The interviewer and the grader only receive their
parts; building a model happens here, through the one door (simulator/llm/backends.py).
"""

import hashlib
import random
import time
from collections.abc import Callable
from dataclasses import dataclass

from simulator.base.errors import InputError
from simulator.base.sections import Lang
from simulator.base.settings import Settings
from simulator.base.textnorm import detect_lang
from simulator.grading.grader import grade_answer
from simulator.grading.types import GradeReport
from simulator.interview.interviewer import Interviewer
from simulator.interview.session import InterviewSession, Turn, now_utc
from simulator.interview.store import SessionStore, open_store
from simulator.kb.knowledge import KnowledgeBase, load_knowledge
from simulator.llm.backends import get_chat_model
from simulator.llm.local.model import LocalModel
from simulator.llm.local.topic_corpus import model_is_cached, trained_model, warm_up


def open_interviewer(
    settings: Settings, model_spec: str | None = None, store: SessionStore | None = None
) -> Interviewer:
    """An interviewer on `model_spec` (default: settings.model) that saves to `store`."""
    kb = load_knowledge(settings.knowledge_dir)
    model = get_chat_model(model_spec or settings.model, settings)
    if isinstance(model, LocalModel):  # it classifies with the topic model; a remote one rarely
        warm_up()
    from simulator.retrieval.index import open_retriever  # chromadb: only when an index is used

    return Interviewer(
        kb=kb,
        model=model,
        settings=settings,
        retriever=open_retriever(settings, kb),
        store=store if store is not None else open_store(settings),
    )


def pick_scenario(kb: KnowledgeBase, requested: str | None, seed: bytes | None = None) -> str:
    """The requested scenario id (checked), else a random one, repeatable for a given `seed`."""
    ids = sorted(s.id for s in kb.scenarios)
    if not ids:
        raise InputError("the knowledge base has no scenarios")
    if requested is not None:
        return kb.require_scenario(requested).id
    rng = random.Random(hashlib.sha256(seed).hexdigest() if seed is not None else None)
    return rng.choice(ids)


@dataclass(frozen=True)
class IndexState:
    chunks: int
    rebuilt: bool
    seconds: float
    where: str
    topic_model_seconds: float | None
    """Seconds spent training the topic model; None when the cached one was current."""


def prepare_index(
    settings: Settings, *, force: bool = False, progress: Callable[[str], None] = print
) -> IndexState:
    """Build the retrieval index when out of date and make sure the topic model is trained and
    cached, so the first interview waits for neither; `progress` hears about the long steps."""
    from simulator.retrieval.index import build_index  # chromadb: only when an index is used

    kb = load_knowledge(settings.knowledge_dir)
    stats = build_index(settings, kb, force=force, progress=progress)
    trained: float | None = None
    if force or not model_is_cached():
        progress("training the interviewer's topic model (once per change)...")
        started = time.perf_counter()
        trained_model(force=force)
        trained = time.perf_counter() - started
    return IndexState(stats.chunks, stats.rebuilt, stats.seconds, stats.where, trained)


def grade_so_far(settings: Settings, session: InterviewSession, kb: KnowledgeBase) -> GradeReport:
    """The local grader's reading of an interview's candidate turns so far: the words the final
    report grades (hint requests and small talk left out) and the facts they asked about, on the
    offline model, so it is free and quick enough for every turn. The progress panel ticks what
    it credits, so its ticks agree with a locally graded report."""
    return grade_answer(
        session.candidate_text(),
        kb=kb,
        model=LocalModel(),
        lang=session.lang,
        settings=settings,
        scenario=kb.scenario(session.scenario_id),
        disclosed_facts=session.disclosed_facts,
    )


def load_topic_model() -> None:
    """Read the local interviewer's topic model into this process (training it first when the
    cache lacks it), so the app's first local reply does not wait for it."""
    trained_model()


def grade_design(
    settings: Settings,
    design: str,
    *,
    scenario_id: str | None = None,
    lang: Lang | None = None,
    model_spec: str | None = None,
) -> GradeReport:
    """Grade a written design on `model_spec` (default: settings.model), against a scenario when
    one is named; the report is in `lang`, or in the design's own language when None."""
    kb = load_knowledge(settings.knowledge_dir)
    scenario = kb.require_scenario(scenario_id) if scenario_id else None
    return grade_answer(
        design,
        kb=kb,
        model=get_chat_model(model_spec or settings.model, settings),
        lang=lang or detect_lang(design, settings.lang),
        settings=settings,
        scenario=scenario,
    )


def save_design(
    store: SessionStore,
    design: str,
    report: GradeReport,
    *,
    scenario_id: str | None,
    model_spec: str,
) -> InterviewSession:
    """Keep a graded written design in `store`, beside the interviews: a finished session of kind
    "design" whose one candidate turn is the design and whose report is `report`."""
    now = now_utc()
    # The turn is filed under the section the design covered best, as a candidate turn is.
    best = max(report.sections, key=lambda s: s.score)
    session = InterviewSession(
        kind="design",
        scenario_id=scenario_id or "",
        lang=report.lang,
        model=model_spec,
        started_at=now,
        finished_at=now,
        last_activity=now,
        turns=[Turn(role="candidate", text=design, section=best.id, kind="answer", at=now)],
        status="finished",
        report=report,
    )
    store.create(session)
    return session
