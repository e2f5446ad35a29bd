"""Bench rows for `evals run --concurrency`: one suite against a model that takes 200 ms a
request, one case at a time and eight at a time.

The model is the tests' fake OpenAI-compatible server (tests/support/fake_openai_server.py) in a
child process, so its work does not compete with the run for this process's GIL; every reply is
a valid grade. The response cache is off (every request is sent), and an untimed run of the
held-out split first warms imports and caches so neither timed run pays for them.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from evals.runner import run
from simulator.base.sections import SECTION_IDS
from simulator.base.settings import PROJECT_ROOT, load_settings

SUITE = "graded"
"""One model call per case (a grade), 120 cases in the tuning split."""
DELAY_S = 0.2
CONCURRENCY = 8
MODEL = "openai:bench"

EMPTY_GRADE = {
    "sections": [
        {"id": section, "evidence": [], "reasoning": "Nothing in the answer speaks to it.",
         "covered": [], "mistakes": [], "score": 0, "advice": ["Cover this section."]}
        for section in SECTION_IDS
    ]
}  # fmt: skip


def serve(delay: float) -> None:
    """The child process: answer every request with an empty grade after `delay` seconds, print
    the base URL, and serve until stdin closes (the parent is done, or gone)."""
    from tests.support.fake_openai_server import FakeOpenAIServer, structured

    with FakeOpenAIServer(delay=delay, repeat=structured(EMPTY_GRADE)) as server:
        print(server.base_url, flush=True)
        sys.stdin.read()


@contextmanager
def slow_model_server(delay: float) -> Iterator[str]:
    """The base URL of a fake model server in a child process that answers after `delay`."""
    child = subprocess.Popen(
        [sys.executable, "-m", "evals.bench_concurrency", str(delay)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        cwd=PROJECT_ROOT,
    )
    assert child.stdin is not None and child.stdout is not None
    try:
        base_url = child.stdout.readline().strip()
        if not base_url:
            raise RuntimeError("the fake model server did not start")
        yield base_url
    finally:
        child.stdin.close()
        try:
            child.wait(timeout=10)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()


def measure_eval_concurrency() -> dict[str, float]:
    """Seconds of the suite at concurrency 1 and CONCURRENCY, and their ratio."""
    with slow_model_server(DELAY_S) as base_url, tempfile.TemporaryDirectory() as tmp:
        settings = load_settings(
            data_dir=Path(tmp), openai_base_url=base_url, openai_api_key="bench", model=MODEL
        )

        def timed(concurrency: int, split: str) -> float:
            started = time.perf_counter()
            out = Path(tmp) / f"{split}-{concurrency}"
            run(settings, MODEL, [SUITE], out, [split], concurrency=concurrency, cache=False)
            return round(time.perf_counter() - started, 2)

        timed(CONCURRENCY, "heldout")  # warm-up
        one = timed(1, "tune")
        many = timed(CONCURRENCY, "tune")
    return {"evals_c1_s": one, "evals_c8_s": many, "evals_speedup": round(one / many, 2)}


if __name__ == "__main__":
    serve(float(sys.argv[1]))
