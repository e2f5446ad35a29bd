"""The first page view of a fresh server: what takes time is done here, with honest progress.

Streamlit imports nothing of the app until a browser connects, so the first view would otherwise
be a blank page while the model libraries load, the search index is checked (built on a fresh
clone) and the topic model is read (trained after a change). Each step runs in a worker thread
while the page shows its name and the seconds it has taken so far, never a guess of how long it
will take. Later views, and other browser sessions, find it done.
"""

import threading
import time
from collections.abc import Callable
from importlib import import_module
from pathlib import Path
from queue import SimpleQueue

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from simulator.base.errors import SimulatorError
from simulator.base.numbers import format_number
from simulator.base.sections import Lang
from simulator.base.settings import Settings
from simulator.ui.resources import knowledge
from simulator.ui.text import t

POLL_SECONDS = 0.25
"""How often the page refreshes the elapsed time of a running step."""

_ready: set[Path] = set()
"""Data folders this process has prepared."""
_preparing = threading.Lock()


def ensure_ready(settings: Settings, lang: Lang) -> None:
    """Prepare this process for `settings` once, showing each step; a failure is shown in one
    line and the page stops there."""
    folder = settings.data_dir.resolve()
    if folder in _ready:
        return
    box = st.empty()
    with box.status(t("startup.title", lang), expanded=True) as status:
        try:
            with _preparing:  # another browser session may be preparing: wait for it
                if folder not in _ready:
                    _prepare(settings, lang, status)
                    _ready.add(folder)
        except SimulatorError as exc:
            status.update(label=t("startup.failed", lang), state="error")
            st.error(str(exc))
            st.stop()
    box.empty()


Say = Callable[[str], None]


def _prepare(settings: Settings, lang: Lang, status: DeltaGenerator) -> None:
    def step(key: str, work: Callable[[Say], object]) -> None:
        _step(t(key, lang), work, status, lang)

    kb = knowledge()
    step("startup.libraries", lambda say: import_module("simulator.services"))
    from simulator.retrieval.index import build_index
    from simulator.services import load_topic_model

    step("startup.index", lambda say: build_index(settings, kb, progress=say))
    step("startup.topic_model", lambda say: load_topic_model())


def _step(label: str, work: Callable[[Say], object], status: DeltaGenerator, lang: Lang) -> None:
    """Run `work` in a thread, showing `label` and the seconds so far, and under it the lines
    `work` says as they come."""
    lines: SimpleQueue[str] = SimpleQueue()
    failure: list[BaseException] = []

    def run() -> None:
        try:
            work(lines.put)
        except BaseException as exc:  # re-raised in the page's thread below
            failure.append(exc)

    worker = threading.Thread(target=run, name="app-start", daemon=True)
    started = time.perf_counter()
    worker.start()
    shown = status.empty()
    while worker.is_alive():
        worker.join(POLL_SECONDS)
        seconds = format_number(time.perf_counter() - started, lang, 0)
        shown.markdown(f"{label} {t('seconds', lang, seconds=seconds)}")
        while not lines.empty():
            status.text(lines.get())
    seconds = format_number(time.perf_counter() - started, lang, 1)
    shown.markdown(f"{label} {t('seconds', lang, seconds=seconds)}")
    if failure:
        raise failure[0]
