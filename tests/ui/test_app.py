"""The Streamlit app, driven headless with AppTest on the local model: every page and flow."""

import re
import sqlite3
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest
from streamlit.testing.v1.element_tree import Button

from simulator.base.errors import ModelError
from simulator.base.sanitize import MESSAGE_LIMIT
from simulator.base.sections import SECTION_IDS, SECTION_TITLES
from simulator.base.settings import load_settings
from simulator.interview.session import TurnTokens
from simulator.interview.store import DB_NAME, open_store
from simulator.ui.progress import ICONS
from tests.support.paths import ROOT, TEST_DATA

APP = str(ROOT / "app.py")
PAGES = "simulator/ui/pages"
REQUIREMENTS_ANSWER = (
    "Let me restate the task: we recommend products to signed-in users on the home page. Before"
    " designing I want to know how much data we have, what hardware we can use, what latency"
    " budget the page has and how often we may retrain?"
)
METRICS_ANSWER = (
    "Offline I would track NDCG@10 on a time-based holdout, because ranking quality is what "
    "users see; online I would run an A/B test on conversion, since revenue is what the "
    "business pays for."
)


def _fresh(data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> AppTest:
    """A new browser session on an app whose settings and store are in `data_dir`."""
    monkeypatch.setenv("SIM_DATA_DIR", str(data_dir))
    st.cache_resource.clear()  # cached resources outlive an AppTest: drop another test's store
    at = AppTest.from_file(APP, default_timeout=90)
    at.run()
    assert not at.exception
    return at


@pytest.fixture
def app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AppTest:
    return _fresh(tmp_path, monkeypatch)


def _go(at: AppTest, page: str, **query: str) -> AppTest:
    at.query_params.clear()
    at.query_params.update(query)
    at.switch_page(f"{PAGES}/{page}.py").run()
    # AppTest would keep requesting that page on every later run; a browser stays on whatever
    # page the app last showed (after an in-app st.switch_page too).
    at._page_hash = ""
    assert not at.exception
    return at


def _button(at: AppTest, label: str) -> Button:
    found = [b for b in at.button if b.label == label]
    assert found, f"no button {label!r} in {[b.label for b in at.button]}"
    return found[0]


def _start(at: AppTest, scenario: str = "product_recs") -> str:
    at.selectbox[0].set_value(scenario).run()
    _button(at, "Start the interview").click().run()
    assert not at.exception
    return _session_id(at)


def _session_id(at: AppTest) -> str:
    found = at.query_params["session"]
    return found[0] if isinstance(found, list) else found


def _bubbles(at: AppTest) -> list[tuple[str, str]]:
    """(role, text) of every chat bubble, its words as the plain text element shows them."""
    return [(m.name, m.text[0].value) for m in at.chat_message]


def _chat(at: AppTest, text: str) -> str:
    at.chat_input[0].set_value(text).run()
    assert not at.exception
    return _bubbles(at)[-1][1]


def _finish(at: AppTest) -> None:
    _button(at, "Finish and get feedback").click().run()
    _button(at, "Yes, finish").click().run()
    assert not at.exception


def _markdown(at: AppTest) -> str:
    return "\n".join(m.value for m in at.markdown)


def test_a_whole_interview_and_its_report(app: AppTest) -> None:
    _start(app)
    assert app.subheader[0].value.startswith("Product recommendations for signed-in users")
    opening = _bubbles(app)[0][1]
    assert "recommends our products" in opening and "Ask me anything" in opening
    assert "40 million" in _chat(app, "How much data do we have: how many users and products?")
    _chat(app, METRICS_ANSWER)
    _finish(app)
    labels = [e.label for e in app.expander]
    for section in SECTION_IDS:
        assert any(label.startswith(SECTION_TITLES[section]["en"]) for label in labels)
    assert app.metric[0].value.endswith("/ 4")
    assert "Graded by: Local (offline)" in " ".join(c.value for c in app.caption)
    evidence = [t.value for t in app.text]
    assert any("Offline I would track NDCG@10" in quote for quote in evidence)
    assert [b.label for b in app.button][-2:] == ["Retry this scenario", "New interview"]
    assert [d.label for d in app.get("download_button")] == [
        "Download Markdown", "Download JSON", "Download HTML"
    ]  # fmt: skip


def test_finish_asks_first_and_keep_going_changes_nothing(app: AppTest) -> None:
    _start(app)
    _chat(app, "What latency do we need?")
    _button(app, "Finish and get feedback").click().run()
    assert "Finish this interview now?" in app.warning[0].value
    assert not app.metric  # nothing graded yet
    _button(app, "Keep going").click().run()
    assert not app.warning and not app.metric
    assert [b.label for b in app.button] == ["Finish and get feedback"]
    _finish(app)
    assert app.metric


def test_retry_this_scenario_starts_a_new_interview_on_it(app: AppTest) -> None:
    first = _start(app, "ad_ctr")
    _finish(app)
    _button(app, "Retry this scenario").click().run()
    second = _session_id(app)
    assert second != first
    assert app.subheader[0].value.startswith("Ad click prediction")
    assert len(app.chat_message) == 1 and not app.metric


def test_the_ui_follows_russian(app: AppTest) -> None:
    language = app.sidebar.radio[0]
    assert language.options == ["English", "Русский"]
    language.set_value("ru").run()
    assert app.title[0].value.startswith("Интервью")
    _button(app, "Начать интервью")
    app.selectbox[0].set_value("product_recs").run()
    _button(app, "Начать интервью").click().run()
    assert "Спроектируйте" in _bubbles(app)[0][1]
    assert "40 миллионов" in _chat(app, "Сколько у нас данных и пользователей?")
    assert "Активное время" in app.get("progress")[0].proto.text


def test_russian_numbers_have_a_decimal_comma_and_the_weighting_is_explained(
    app: AppTest,
) -> None:
    app.sidebar.radio[0].set_value("ru").run()
    app.selectbox[0].set_value("product_recs").run()
    _button(app, "Начать интервью").click().run()
    _chat(
        app,
        "Офлайн измеряю NDCG@10 на отложенной по времени выборке, онлайн — конверсию в A/B-тесте.",
    )
    _button(app, "Закончить и получить разбор").click().run()
    _button(app, "Да, закончить").click().run()
    overall = app.metric[0].value
    assert re.fullmatch(r"\d,\d\d / 4", overall), overall
    assert any("взвешенное среднее" in c.value for c in app.caption)
    _go(app, "history")
    assert any(m.value == f"{overall}" for m in app.markdown)


def test_a_message_saved_just_before_a_reload_gets_its_reply(app: AppTest, tmp_path: Path) -> None:
    session_id = _start(app)
    from simulator.services import open_interviewer

    settings = load_settings(data_dir=tmp_path)
    session = open_store(settings).load(session_id)
    open_interviewer(settings, "local").accept(session, "What latency do we need?")  # no reply
    fresh = AppTest.from_file(APP, default_timeout=90)
    _go(fresh, "interview", session=session_id)
    assert _bubbles(fresh)[-1] == ("user", "What latency do we need?")
    assert "no reply yet" in fresh.info[0].value
    _button(fresh, "Get the reply").click().run()
    assert "150 ms" in _bubbles(fresh)[-1][1] and not fresh.info


def test_each_click_on_the_language_radio_counts(app: AppTest) -> None:
    """Alternate clicks, each one must switch (the radio once ignored every other click)."""
    for lang, title in [("ru", "Интервью"), ("en", "ML system"), ("ru", "Интервью"),
                        ("en", "ML system"), ("ru", "Интервью"), ("en", "ML system")]:  # fmt: skip
        app.sidebar.radio[0].set_value(lang).run()
        assert app.title[0].value.startswith(title), lang


def test_the_start_page_explains_the_interview_and_names_the_model(app: AppTest) -> None:
    how = app.expander[0]
    assert how.label == "How the interview works"
    text = _markdown(app)
    for point in ("clarifying questions", "six sections", "hint", "Finish"):
        assert point in text
    assert "Runs on: Local (offline)" in [c.value for c in app.caption]


def test_openai_without_a_key_leaves_saved_local_interviews_working(
    app: AppTest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    session_id = _start(app)
    _chat(app, "What latency do we need?")
    _go(app, "start")
    app.radio(key="model.backend").set_value("openai").run()
    assert "type it in the API key field above" in app.info[0].value
    assert _button(app, "Start the interview").disabled
    _go(app, "history")
    _button(app, "Open").click().run()
    assert _session_id(app) == session_id
    assert "Runs on: Local (offline)" in [c.value for c in app.sidebar.caption]
    assert not app.error
    assert "40 million" in _chat(app, "How many users do we have?")


def test_a_saved_openai_interview_without_a_key_here_offers_the_local_model(
    app: AppTest, tmp_path: Path
) -> None:
    session_id = _start(app)
    store = open_store(load_settings(data_dir=tmp_path))
    saved = store.load(session_id)
    saved.model = "openai:gpt-4o-mini"
    store.save(saved)
    fresh = AppTest.from_file(APP, default_timeout=90)  # another tab: no key typed there
    _go(fresh, "interview", session=session_id)
    warning = fresh.warning[0].value
    assert "runs on OpenAI: gpt-4o-mini" in warning and "no API key" in warning
    assert "environment variable" not in warning
    assert fresh.chat_input[0].disabled
    _button(fresh, "Continue on the local model").click().run()
    assert not fresh.warning and not fresh.chat_input[0].disabled
    assert "150 ms" in _chat(fresh, "What latency do we need?")


def test_grade_a_pasted_design_in_the_interface_language(app: AppTest) -> None:
    _go(app, "grade")
    design = (TEST_DATA / "answers/thorough_ru.md").read_text("utf-8")
    app.text_area[0].set_value(design).run()
    captions = [c.value for c in app.caption]
    assert "The report will be in English" in " ".join(captions)
    assert any("another language" in c for c in captions)
    _button(app, "Grade it").click().run()
    assert not app.exception
    labels = [e.label for e in app.expander]
    assert len(labels) == 6 and labels[3].startswith("Data: ")  # English titles


def test_an_uploaded_file_is_previewed_and_said_to_win_over_pasted_text(app: AppTest) -> None:
    _go(app, "grade")
    app.text_area[0].set_value("pasted words").run()
    design = (TEST_DATA / "answers/partial_en.md").read_bytes()
    uploader = app.get("file_uploader")[0]
    uploader.upload("my_design.md", design, "text/markdown").run()  # type: ignore[attr-defined]
    assert "the file will be graded" in app.info[0].value
    preview = next(e for e in app.expander if e.label.startswith("Preview of my_design.md"))
    assert design.decode()[:200] in preview.text[0].value


def test_history_opens_an_interview_in_one_click_and_shows_who_and_when(app: AppTest) -> None:
    session_id = _start(app)
    _chat(app, METRICS_ANSWER)
    _finish(app)
    _go(app, "history")
    text = _markdown(app)
    assert "Product recommendations for signed-in users" in text and "product_recs" not in text
    meta = " ".join(c.value for c in app.caption)
    assert "English ·" in meta and "min · Local (offline)" in meta
    assert any("/ 4" in m.value for m in app.markdown)
    table = app.dataframe[0].value
    assert list(table.index) == [1] and table.index.name == "Interview"
    _button(app, "Open").click().run()
    assert _session_id(app) == session_id and app.metric  # the report, at once


def test_delete_asks_first(app: AppTest) -> None:
    _start(app)
    _go(app, "history")
    _button(app, "Delete").click().run()
    assert "Delete this interview for good?" in app.warning[0].value
    _button(app, "Cancel").click().run()
    assert [b.label for b in app.button] == ["Open", "Delete"]
    _button(app, "Delete").click().run()
    _button(app, "Yes, delete").click().run()
    assert app.info[0].value == "No interviews yet."


def test_a_model_failure_keeps_the_transcript_and_offers_a_way_out(
    app: AppTest, monkeypatch: pytest.MonkeyPatch
) -> None:
    _start(app)
    from simulator.interview.interviewer import Interviewer

    def broken(self, session):  # the reply fails after the message was saved
        raise ModelError("the model server did not answer within 1 s (SIM_LLM_TIMEOUT)")
        yield ""

    monkeypatch.setattr(Interviewer, "respond", broken)
    app.chat_input[0].set_value("How much data do we have?").run()
    assert not app.exception
    assert "did not answer" in app.error[0].value
    assert ("user", "How much data do we have?") in _bubbles(app)
    monkeypatch.undo()
    _button(app, "Retry").click().run()
    assert not app.error
    assert "40 million" in _bubbles(app)[-1][1]


def test_a_browser_refresh_reopens_the_interview_with_its_difficulty(
    app: AppTest, tmp_path: Path
) -> None:
    app.radio(key="start.difficulty").set_value("hard").run()
    session_id = _start(app)
    _chat(app, "What latency do we need?")
    saved = open_store(load_settings(data_dir=tmp_path)).load(session_id)
    assert (saved.difficulty, saved.time_budget_minutes) == ("hard", 30)
    fresh = AppTest.from_file(APP, default_timeout=90)  # a reload: the start page says "normal"
    _go(fresh, "interview", session=session_id)
    assert ("user", "What latency do we need?") in _bubbles(fresh)
    assert fresh.subheader[0].value.endswith("Hard: 30 minutes")
    assert fresh.get("progress")[0].proto.text.startswith("Active time: 0 of 30 min")


def test_section_marks_follow_the_local_grade_and_agree_with_the_report(app: AppTest) -> None:
    _start(app)
    _chat(app, METRICS_ANSWER)
    assert _marked(app.markdown[0].value, "Metrics") == 2
    assert _marked(app.markdown[0].value, "Serving") == 0
    _chat(app, "Can you give me a hint about the model?")  # a hint request is never graded
    _chat(app, "For serving I would use a CPU cluster.")
    marks = app.markdown[0].value
    assert _marked(marks, "Model") == 0
    _finish(app)
    for expander in app.expander:  # "Metrics: 3 / 4"
        title, score = expander.label.split(": ")
        assert _marked(marks, title) == min(int(score[0]), 2), (title, marks)


def _marked(marks: str, title: str) -> int:
    """Which mark (an index into ICONS) the progress line gives the section `title`."""
    found = re.search(rf"(:material/\w+:) (\*\*)?{title}\b", marks)
    assert found, (title, marks)
    return ICONS.index(found.group(1))


def test_a_russian_hint_request_ticks_nothing(app: AppTest) -> None:
    app.sidebar.radio[0].set_value("ru").run()
    app.selectbox[0].set_value("product_recs").run()
    _button(app, "Начать интервью").click().run()
    _chat(app, "Подскажите, пожалуйста, какую модель тут лучше выбрать?")
    assert app.markdown[0].value.count(ICONS[0]) == 6


def test_a_long_message_is_cut_at_a_word_with_the_notice_on_screen(app: AppTest) -> None:
    _start(app)
    words = "throughput " * 2000  # 22,000 characters
    app.chat_input[0].set_value(words).run()
    candidate = app.chat_message[1]
    assert candidate.name == "user"
    kept = candidate.text[0].value
    assert len(kept) <= MESSAGE_LIMIT and kept.endswith("throughput")
    assert f"longer than {MESSAGE_LIMIT} characters" in candidate.warning[0].value


def test_candidate_text_is_shown_as_typed_never_as_markdown(app: AppTest) -> None:
    _start(app)
    message = "# Huge\n![x](http://127.0.0.1:9/pixel.png) $x^2$ <b>bold</b>"
    _chat(app, message)
    assert ("user", message) in _bubbles(app)
    assert not any("pixel.png" in m.value or "Huge" in m.value for m in app.markdown)
    _finish(app)
    assert not any("pixel.png" in m.value for m in app.markdown)


def test_real_model_usage_is_shown_per_turn_and_the_local_model_shows_none(
    app: AppTest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    session_id = _start(app)
    _chat(app, "What latency do we need?")
    assert "no tokens are billed" in " ".join(c.value for c in app.sidebar.caption)
    assert not any("Tokens" in c.value or "$" in c.value for c in app.caption)
    store = open_store(load_settings(data_dir=tmp_path))
    saved = store.load(session_id)
    saved.model = "openai:gpt-4o-mini"
    saved.turns[-1].tokens = TurnTokens(input=12345, output=67)
    store.create(saved.model_copy(update={"id": "withusage"}))
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-not-used")
    fresh = _fresh(tmp_path, monkeypatch)
    _go(fresh, "interview", session="withusage")
    assert "Tokens: 12,345 in, 67 out" in [c.value for c in fresh.caption]
    sidebar = " ".join(c.value for c in fresh.sidebar.caption)
    assert "Runs on: OpenAI: gpt-4o-mini" in sidebar
    assert "Tokens so far: 12,345 in, 67 out" in sidebar and "Estimated cost: $0.0019" in sidebar


def test_history_reads_summaries_and_skips_an_unreadable_row(app: AppTest, tmp_path: Path) -> None:
    _start(app)
    _chat(app, "Offline I would track AUC and NDCG, online CTR and conversion.")
    _finish(app)
    _go(app, "start")
    _start(app, "ad_ctr")
    with sqlite3.connect(tmp_path / DB_NAME) as conn:
        conn.execute("UPDATE sessions SET started_at = 'soon' WHERE scenario_id = 'ad_ctr'")
        conn.execute("UPDATE turns SET body = 'not json'")  # History never needs a turn
    _go(app, "history")
    assert not app.exception and not app.error
    assert len(app.warning) == 1 and "unreadable (started_at" in app.warning[0].value.replace(
        "\\", ""
    )
    text = _markdown(app)
    assert "Product recommendations" in text and "/ 4" in text and "Ad click" not in text
