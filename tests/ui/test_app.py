"""The Streamlit app, driven headless with AppTest on the local model."""

import sqlite3
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from simulator.base.errors import ModelError
from simulator.base.sections import SECTION_IDS, SECTION_TITLES
from simulator.base.settings import load_settings
from simulator.interview.store import DB_NAME, open_store
from tests.support.paths import ROOT, TEST_DATA

APP = str(ROOT / "app.py")


@pytest.fixture
def app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AppTest:
    monkeypatch.setenv("SIM_DATA_DIR", str(tmp_path))
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    assert not at.exception
    return at


def _start(at: AppTest, scenario: str = "product_recs") -> None:
    at.selectbox[0].set_value(scenario).run()
    at.button[0].click().run()
    assert not at.exception


def _chat(at: AppTest, text: str) -> str:
    at.chat_input[0].set_value(text).run()
    assert not at.exception
    return at.chat_message[-1].markdown[0].value


def _finish(at: AppTest) -> None:
    finish = next(b for b in at.sidebar.button if "Finish" in b.label or "Закончить" in b.label)
    finish.click().run()
    assert not at.exception


def test_a_whole_interview_and_its_report(app: AppTest) -> None:
    _start(app)
    assert "recommends our products" in app.chat_message[0].markdown[0].value
    reply = _chat(app, "How much data do we have: how many users and products?")
    assert "40 million" in reply
    _chat(
        app,
        "Offline I would track NDCG@10 on a time-based holdout, because ranking quality is what "
        "users see; online I would run an A/B test on conversion, since revenue is what the "
        "business pays for.",
    )
    _finish(app)
    text = " ".join(m.value for m in app.markdown)
    labels = [e.label for e in app.expander]
    for section in SECTION_IDS:
        assert any(label.startswith(SECTION_TITLES[section]["en"]) for label in labels)
    assert all("/ 4" in label for label in labels)
    assert app.metric[0].value.endswith("/ 4")
    assert "> Offline I would track NDCG@10" in text  # the candidate's own words as evidence


def test_the_ui_follows_russian(app: AppTest) -> None:
    app.sidebar.radio[0].set_value("ru").run()
    assert app.title[0].value.startswith("Интервью")
    _start(app)
    assert "Спроектируйте" in app.chat_message[0].markdown[0].value
    assert "40 миллионов" in _chat(app, "Сколько у нас данных и пользователей?")


def test_grade_a_pasted_design(app: AppTest) -> None:
    app.sidebar.radio[1].set_value("grade").run()
    design = (TEST_DATA / "answers/partial_en.md").read_text("utf-8")
    app.text_area[0].set_value(design).run()
    app.button[0].click().run()
    assert not app.exception
    labels = [e.label for e in app.expander]
    assert len(labels) == 6 and labels[3].startswith("Data: ")


def test_history_lists_the_finished_interview(app: AppTest) -> None:
    _start(app)
    _chat(app, "What latency do we need?")
    _finish(app)
    app.sidebar.radio[1].set_value("history").run()
    assert not app.exception
    assert any("product_recs" in m.value for m in app.markdown)
    assert any("/ 4" in m.value for m in app.markdown)


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
    assert any("How much data" in m.markdown[0].value for m in app.chat_message)
    monkeypatch.undo()
    retry = next(b for b in app.button if b.label == "Retry")
    retry.click().run()
    assert not app.error
    assert "40 million" in app.chat_message[-1].markdown[0].value


def test_a_browser_refresh_reopens_the_interview(app: AppTest, tmp_path: Path) -> None:
    _start(app)
    _chat(app, "What latency do we need?")
    session_id = app.query_params["session"]
    session_id = session_id[0] if isinstance(session_id, list) else session_id
    fresh = AppTest.from_file(APP, default_timeout=60)  # a new browser session, same URL
    fresh.query_params["session"] = session_id
    fresh.run()
    assert not fresh.exception
    texts = [m.markdown[0].value for m in fresh.chat_message]
    assert "What latency do we need?" in texts and len(texts) >= 3


@pytest.fixture
def own_app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AppTest:
    """An app whose cached settings and store are this test's own (SIM_DATA_DIR = tmp_path)."""
    monkeypatch.setenv("SIM_DATA_DIR", str(tmp_path))
    st.cache_resource.clear()  # cached resources outlive an AppTest: drop another test's store
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    assert not at.exception
    return at


def test_a_hard_interview_keeps_its_30_minutes_after_a_refresh(
    own_app: AppTest, tmp_path: Path
) -> None:
    difficulty = next(r for r in own_app.radio if r.value == "normal")
    difficulty.set_value("hard").run()
    _start(own_app)
    _chat(own_app, "What latency do we need?")
    session_id = own_app.query_params["session"]
    session_id = session_id[0] if isinstance(session_id, list) else session_id
    saved = open_store(load_settings(data_dir=tmp_path)).load(session_id)
    assert (saved.difficulty, saved.time_budget_minutes) == ("hard", 30)
    fresh = AppTest.from_file(APP, default_timeout=60)  # a reload: the UI's choice is "normal"
    fresh.query_params["session"] = session_id
    fresh.run()
    assert not fresh.exception
    sidebar = " ".join(m.value for m in fresh.sidebar.markdown)
    assert "of 30 min" in sidebar and "of 45 min" not in sidebar


def test_history_reads_summaries_and_skips_an_unreadable_row(
    own_app: AppTest, tmp_path: Path
) -> None:
    _start(own_app)
    _chat(own_app, "Offline I would track AUC and NDCG, online CTR and conversion.")
    _finish(own_app)
    own_app.sidebar.radio[1].set_value("start").run()
    _start(own_app, "ad_ctr")
    db = tmp_path / DB_NAME
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE sessions SET started_at = 'soon' WHERE scenario_id = 'ad_ctr'")
        conn.execute("UPDATE turns SET body = 'not json'")  # History never needs a turn
    own_app.sidebar.radio[1].set_value("history").run()
    assert not own_app.exception and not own_app.error
    assert len(own_app.warning) == 1 and "started_at" in own_app.warning[0].value
    text = " ".join(m.value for m in own_app.markdown)
    assert "product_recs" in text and "/ 4" in text and "ad_ctr" not in text
