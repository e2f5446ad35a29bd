"""The real app in a real browser: `streamlit run app.py`, driven by headless Chromium."""

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.browser import Browser, chromium_path, free_port, wait_for_http
from tests.support.paths import ROOT

ARTIFACTS = ROOT / "artifacts"

pytestmark = pytest.mark.browser

if chromium_path() is None:
    if os.environ.get("CI") == "true":
        raise RuntimeError("chromium is missing in CI: .ci/run should have installed it")
    pytest.skip("chromium is not installed (apt-get install chromium)", allow_module_level=True)


@pytest.fixture
def app_url(tmp_path: Path) -> Iterator[str]:
    port = free_port()
    env = dict(os.environ, SIM_DATA_DIR=str(tmp_path / "data"))
    server = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true",
         "--server.address", "127.0.0.1", "--server.port", str(port),
         "--browser.gatherUsageStats", "false"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        wait_for_http(f"http://127.0.0.1:{port}/_stcore/health", timeout=60)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.terminate()
        server.wait(timeout=15)


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[Browser]:
    b = Browser(tmp_path / "profile")
    try:
        yield b
    finally:
        b.close()


@pytest.mark.parametrize(
    ("lang", "start", "question", "finish", "overall", "sections"),
    [
        ("en", "Start the interview", "How much data do we have: how many users?",
         "Finish and get feedback", "Overall score",
         ["Requirements", "Metrics", "Architecture", "Data", "Model", "Serving"]),
        ("ru", "Начать интервью", "Сколько у нас данных и пользователей?",
         "Закончить и получить разбор", "Итоговая оценка",
         ["Требования", "Метрики", "Архитектура", "Данные", "Модель", "Обслуживание"]),
    ],
)  # fmt: skip
def test_an_interview_and_its_report_in_the_browser(
    app_url: str, browser: Browser, lang: str, start: str, question: str,
    finish: str, overall: str, sections: list[str],
) -> None:  # fmt: skip
    browser.goto(app_url)
    browser.wait_for_text("Start the interview", timeout=60)
    if lang == "ru":
        browser.js(
            "[...document.querySelectorAll('label')].find(l => l.innerText.trim() === 'ru').click()"
        )
        browser.wait_for_text(start)
    browser.click_button(start)
    browser.wait_for_messages(1)  # the vague opening prompt
    browser.type_chat(question)
    browser.wait_for_messages(3)
    # The reply streams in; the data-scale fact it quotes has numbers.
    after_question = f"document.body.innerText.split({json.dumps(question)}).pop()"
    browser.wait_for(f"/[0-9]/.test({after_question})")
    browser.type_chat(
        "Offline I would measure AUC and NDCG, online CTR and conversion, because the business "
        "earns on purchases."
        if lang == "en"
        else "Офлайн измеряю AUC и NDCG, онлайн — CTR и конверсию, потому что бизнес "
        "зарабатывает на покупках."
    )
    browser.wait_for_messages(5)
    browser.click_button(finish)
    page = browser.wait_for_text(overall, timeout=60)
    for title in sections:
        assert title in page
    browser.screenshot(ARTIFACTS / f"report_{lang}.png")
    assert (ARTIFACTS / f"report_{lang}.png").stat().st_size > 10_000
