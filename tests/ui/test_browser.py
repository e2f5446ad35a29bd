"""The real app in a real browser: `streamlit run app.py`, driven by headless Chromium as a person
would drive it (issue 19: each flow a new user found broken, pinned here).

One server and one browser for the module; the tests run in order and share one interview.
Screenshots of the start page, a chat, a report and History go to $SIM_ARTIFACTS_DIR, or to
artifacts/ when that folder exists (CI creates it).
"""

import os
import re
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import pytest

from simulator.base.sanitize import MESSAGE_LIMIT
from tests.support.browser import Browser, chromium_path, free_port, wait_for_http
from tests.support.paths import ROOT

pytestmark = pytest.mark.browser

if chromium_path() is None:
    if os.environ.get("CI") == "true":
        raise RuntimeError("chromium is missing in CI: .ci/run should have installed it")
    pytest.skip("chromium is not installed (apt-get install chromium)", allow_module_level=True)

SECTIONS = ["Requirements", "Metrics", "Architecture", "Data", "Model", "Serving"]


# Read at import: tests/conftest.py clears SIM_* variables before the tests run.
ARTIFACTS = (
    Path(os.environ["SIM_ARTIFACTS_DIR"])
    if os.environ.get("SIM_ARTIFACTS_DIR")
    else ROOT / "artifacts"
    if (ROOT / "artifacts").is_dir()
    else None
)


def _screenshot(tab: Browser, name: str, scroll_to: str | None = None) -> None:
    folder = ARTIFACTS
    if folder is not None:
        tab.screenshot(folder / f"{name}.png", scroll_to)
        assert (folder / f"{name}.png").stat().st_size > 10_000


class _Counting(BaseHTTPRequestHandler):
    hits: ClassVar[list[str]] = []
    """The paths asked for, by anyone."""

    def do_GET(self) -> None:
        _Counting.hits.append(self.path)
        self.send_response(200)
        self.send_header("Content-Type", "image/png")
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def image_host() -> Iterator[tuple[str, list[str]]]:
    """A stand-in for a remote host serving an image: its URL and the paths it was asked for."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Counting)
    _Counting.hits = []
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", _Counting.hits
    finally:
        server.shutdown()


@pytest.fixture(scope="module")
def app_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    port = free_port()
    env = dict(os.environ, SIM_DATA_DIR=str(tmp_path_factory.mktemp("data")))
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
        server.kill()  # a throwaway server on a throwaway data folder: no need to wait for it
        server.wait(timeout=15)


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Browser]:
    b = Browser(tmp_path_factory.mktemp("profile"))
    try:
        yield b
    finally:
        b.close()


@pytest.fixture(scope="module")
def interview(app_url: str, browser: Browser) -> str:
    """A hard product-recommendation interview with one question answered: its URL."""
    browser.goto(app_url)
    browser.wait_for_text("Start the interview", timeout=120)
    browser.choose("Scenario", "Product recommendations for signed-in users")
    browser.click_label("Hard: 30 minutes")
    browser.click_button("Start the interview")
    browser.wait_for_messages(1)
    assert re.search(r"/interview\?session=\w+$", browser.url)
    browser.type_chat("How much data do we have: how many users?")
    browser.wait_for_text("40 million")
    return browser.url


def test_the_first_page_shows_progress_then_explains_the_interview(
    app_url: str, browser: Browser
) -> None:
    browser.goto(app_url)
    started = time.monotonic()
    seen: set[str] = set()
    while "Start the interview" not in (page := browser.text()):
        seen |= {
            step for step in ("Starting up", "model libraries", "search index") if step in page
        }
        assert time.monotonic() - started < 120, page[-500:]
        time.sleep(0.1)
    assert "How the interview works" in page and "Runs on: Local (offline)" in page
    if time.monotonic() - started > 2:  # a first view that took a while said what it was doing
        assert "Starting up" in seen, seen
    _screenshot(browser, "start")


def test_every_click_on_a_sidebar_radio_or_the_navigation_counts(
    app_url: str, browser: Browser
) -> None:
    browser.goto(app_url)
    browser.wait_for_text("Start the interview", timeout=120)
    for _ in range(3):
        browser.click_label("Русский")
        browser.wait_for_text("Начать интервью", timeout=10)
        browser.click_label("English")
        browser.wait_for_text("Start the interview", timeout=10)
    for _ in range(2):
        browser.click_nav("History")
        browser.wait_for(
            "document.querySelector('[data-testid=stMain] h1')?.innerText === 'History'", 10
        )
        browser.click_nav("New interview")
        browser.wait_for_text("Start the interview", timeout=10)


def test_candidate_text_is_shown_as_typed_and_fetches_nothing(
    interview: str, browser: Browser, image_host: tuple[str, list[str]]
) -> None:
    host, hits = image_host
    message = f"# Huge heading\n![chart]({host}/pixel.png) and $x^2$ inline"
    browser.type_chat(message)
    browser.wait_for_messages(5)
    chat = "[...document.querySelectorAll('[data-testid=stChatMessage]')]"
    assert browser.js(f"{chat}.some(m => m.innerText.includes('![chart]({host}/pixel.png)'))")
    assert not browser.js(f"{chat}.some(m => m.querySelector('h1, h2, img, .katex'))")
    _screenshot(browser, "chat")
    assert hits == []


def test_a_20k_message_is_cut_at_a_word_and_the_notice_shows(
    interview: str, browser: Browser
) -> None:
    browser.type_chat("latency " * 2500)  # 20,000 characters
    page = browser.wait_for_text(f"longer than {MESSAGE_LIMIT} characters")
    bubble = next(m for m in browser.messages() if "latency latency" in m)
    words = next(line for line in bubble.split("\n") if line.startswith("latency")).split(" ")
    assert set(words) == {"latency"} and len(" ".join(words)) <= MESSAGE_LIMIT
    assert "Active time" in page


def test_a_reload_keeps_the_interview_its_difficulty_and_time_limit(
    interview: str, browser: Browser
) -> None:
    browser.goto(interview)
    page = browser.wait_for_text(" of 30 min")
    assert "40 million" in page and "Hard: 30 minutes" in page
    assert re.search(r"Active time: \d+ of 30 min", page)


def test_finish_only_after_confirming_and_the_report_replaces_the_chat_input(
    interview: str, browser: Browser, image_host: tuple[str, list[str]], tmp_path: Path
) -> None:
    browser.click_button("Finish and get feedback")
    browser.wait_for_text("Finish this interview now?")
    browser.click_button("Keep going")
    browser.wait_for("!document.body.innerText.includes('Finish this interview now?')", 10)
    assert "Overall score" not in browser.text()
    browser.click_button("Finish and get feedback")
    browser.wait_for_text("Yes, finish")
    browser.click_button("Yes, finish")
    page = browser.wait_for_text("Retry this scenario", timeout=60)  # the report's last part
    for title in SECTIONS:
        assert title in page
    assert "Overall score" in page and "Graded by: Local (offline)" in page
    _screenshot(browser, "report", scroll_to="Feedback")
    assert image_host[1] == []  # the report shows the candidate's image link as text too
    saved = browser.download("Download Markdown", tmp_path)  # made when clicked
    assert saved.name == "feedback.md" and "Interview feedback" in saved.read_text("utf-8")


def test_history_replaces_the_report_and_opens_an_interview_in_one_click(
    interview: str, browser: Browser
) -> None:
    browser.click_nav("History")
    while "Open" not in (main := browser.main_text()):  # the report never lingers beside it
        assert "Download Markdown" not in main or "History" not in main
        time.sleep(0.02)
    assert "Download Markdown" not in browser.main_text()
    page = browser.wait_for_text("Product recommendations for signed-in users")
    assert "English ·" in page and "Local (offline)" in page and "product_recs" not in page
    browser.wait_for("!!document.querySelector('[data-testid=stVegaLiteChart] canvas, "
                     "[data-testid=stVegaLiteChart] svg')", 20)  # fmt: skip
    _screenshot(browser, "history")
    browser.click_button("Open")
    browser.wait_for_text("Graded by", timeout=30)
    browser.wait_for(f"location.href === {interview!r}", 10)


def test_choosing_openai_without_a_key_leaves_a_saved_local_interview_working(
    app_url: str, interview: str, browser: Browser
) -> None:
    browser.click_nav("New interview")
    browser.wait_for_text("Start the interview", timeout=60)
    browser.click_label("OpenAI")
    browser.wait_for_text("type it in the API key field above")
    browser.click_nav("History")
    browser.wait_for_text("Open")
    browser.click_button("Open")
    page = browser.wait_for_text("Retry this scenario", timeout=30)
    assert "40 million" in page and "OPENAI_API_KEY" not in page
    assert "Runs on: Local (offline)" in page


def test_an_interview_opens_from_its_url_in_a_fresh_tab(interview: str, browser: Browser) -> None:
    tab = browser.new_tab(interview)
    try:
        page = tab.wait_for_text("Retry this scenario", timeout=60)
        assert "40 million" in page and "How much data do we have" in page
    finally:
        tab.close()


def test_delete_only_after_confirming(interview: str, browser: Browser) -> None:
    browser.click_nav("History")
    browser.wait_for_text("Open", timeout=60)
    browser.click_button("Delete")
    browser.wait_for_text("Delete this interview for good?")
    browser.click_button("Cancel")
    browser.wait_for("!document.body.innerText.includes('for good?')", 10)
    assert "Product recommendations for signed-in users" in browser.text()
    browser.click_button("Delete")
    browser.wait_for_text("Yes, delete")
    browser.click_button("Yes, delete")
    browser.wait_for_text("No interviews yet.")
