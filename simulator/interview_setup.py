"""Assembling an interviewer from settings: knowledge, model, retriever and session store.

Shared by the CLI and the Streamlit UI so both run the same interview. The interviewer itself only
receives these parts; building a model happens here, through the one door (simulator/llm.py).
"""

import hashlib
import random

from simulator.errors import InputError
from simulator.interviewer import Interviewer
from simulator.knowledge import KnowledgeBase, load_knowledge
from simulator.llm import get_chat_model
from simulator.local_model import LocalModel
from simulator.retrieval import open_retriever
from simulator.settings import Settings
from simulator.store import SessionStore, open_store
from simulator.topic_corpus import warm_up


def open_interviewer(
    settings: Settings, model_spec: str | None = None, store: SessionStore | None = None
) -> Interviewer:
    """An interviewer on `model_spec` (default: settings.model) that saves to `store`."""
    kb = load_knowledge(settings.knowledge_dir)
    model = get_chat_model(model_spec or settings.model, settings)
    if isinstance(model, LocalModel):  # it classifies with the topic model; a remote one rarely
        warm_up()
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
        if requested not in ids:
            raise InputError(f"unknown scenario {requested!r}; known: {', '.join(ids)}")
        return requested
    rng = random.Random(hashlib.sha256(seed).hexdigest() if seed is not None else None)
    return rng.choice(ids)
