"""Streamlit UI: start an interview, chat, get the scored feedback, grade a design, see history.

Thin on purpose: it renders and collects input; the logic lives in simulator/.
Run with `make run` (or `streamlit run app.py`).
"""

import random
from typing import Any

import pandas as pd
import streamlit as st

from simulator.base.errors import SimulatorError
from simulator.base.files import MAX_DESIGN_BYTES, decode_user_bytes
from simulator.base.sections import LANGS, SECTION_IDS, SECTION_TITLES, Lang
from simulator.base.settings import Settings, load_settings
from simulator.base.textnorm import detect_lang
from simulator.grading.types import GradeReport
from simulator.interview.session import DIFFICULTY_MINUTES, InterviewSession
from simulator.interview.store import SessionStore, open_store
from simulator.kb.knowledge import KnowledgeBase, load_knowledge
from simulator.llm.backends import dotenv_key_note
from simulator.report.chart import score_chart_svg
from simulator.report.render import to_html, to_json, to_markdown
from simulator.services import grade_design
from simulator.ui.state import UIState, conversation_tokens
from simulator.ui.text import t


@st.cache_resource
def base_settings() -> Settings:
    return load_settings()


@st.cache_resource
def knowledge() -> KnowledgeBase:
    return load_knowledge(base_settings().knowledge_dir)


@st.cache_resource
def store() -> SessionStore:
    return open_store(base_settings())


def render_report(report: GradeReport, session: InterviewSession | None, lang: Lang) -> None:
    st.subheader(t("report", lang))
    if report.fallback:
        st.warning(t("fallback", lang))
    for notice in report.notices:
        st.info(notice)
    st.metric(t("overall", lang), f"{report.overall:.2f} / 4")
    chart = score_chart_svg([(s.id, s.score) for s in report.sections], lang)
    st.markdown(chart, unsafe_allow_html=True)  # our own SVG: no candidate text in it
    for section in report.sections:
        title = f"{SECTION_TITLES[section.id][lang]}: {section.score} / 4"
        with st.expander(title, expanded=section.score < 3):
            st.markdown(f"**{t('evidence', lang)}**")
            for quote in section.evidence or [f"_{t('none', lang)}_"]:
                st.markdown(f"> {quote}")
            if section.missed:
                st.markdown(f"**{t('missed', lang)}**")
                for missed in section.missed:
                    st.markdown(f"- {missed.text}  \n  _{missed.passage_text}_")
            for advice in section.advice:
                st.markdown(f"**{t('advice', lang)}:** {advice}")
    if report.read_next:
        st.markdown(f"**{t('read_next', lang)}**")
        st.markdown("\n".join(f"1. {r.title}" for r in report.read_next))
    turns = session.turns if session else None
    downloads = [
        ("Markdown", "md", to_markdown(report, turns), "text/markdown"),
        ("JSON", "json", to_json(report), "application/json"),
        ("HTML", "html", to_html(report, turns), "text/html"),
    ]
    for col, (fmt, ext, data, mime) in zip(st.columns(3), downloads, strict=True):
        col.download_button(
            t("download", lang, fmt=fmt), data, file_name=f"feedback.{ext}", mime=mime
        )


def key_note(ui: UIState) -> None:
    """Name, once per view, a `.env` base URL that would receive the API key (not this machine)."""
    settings = base_settings()
    note = dotenv_key_note(ui.settings(settings), [ui.model.spec, settings.embeddings])
    if note:
        st.info(note)


def start_view(ui: UIState, kb: KnowledgeBase) -> None:
    lang = ui.lang
    titles = {s.id: s.title(lang) for s in kb.scenarios}
    choice = st.selectbox(
        t("scenario", lang),
        ["random", *titles],
        format_func=lambda sid: t("random", lang) if sid == "random" else titles[sid],
    )
    ui.difficulty = st.radio(
        t("difficulty", lang),
        list(DIFFICULTY_MINUTES),
        index=list(DIFFICULTY_MINUTES).index(ui.difficulty),
        format_func=lambda d: t(f"difficulty.{d}", lang),
        horizontal=True,
    )
    ui.model.backend = st.radio(
        t("model", lang),
        ["local", "openai", "compatible"],
        format_func=lambda b: t(f"model.{b}", lang),
        horizontal=True,
    )
    if ui.model.backend != "local":
        ui.model.name = st.text_input(t("model.name", lang), ui.model.name)
        if ui.model.backend == "compatible":
            ui.model.base_url = st.text_input(t("model.url", lang), ui.model.base_url)
        ui.model.api_key = st.text_input(t("model.key", lang), ui.model.api_key, type="password")
    key_note(ui)
    if st.button(t("start", lang), type="primary"):
        scenario_id = random.choice(sorted(titles)) if choice == "random" else choice
        try:
            interviewer = ui.interviewer(base_settings())
            session = interviewer.start(scenario_id, lang, ui.model.spec, ui.difficulty)
        except SimulatorError as exc:
            st.error(str(exc))
            return
        ui.session_id, ui.view, ui.error = session.id, "interview", None
        st.query_params["session"] = session.id
        st.rerun()


def sidebar_progress(session: InterviewSession) -> None:
    lang = session.lang
    with st.sidebar:
        st.markdown(f"**{t('sections', lang)}**")
        for section in SECTION_IDS:
            mark = "✅" if section in session.covered_sections else "▫️"
            current = " ←" if section == session.current_section else ""
            st.markdown(f"{mark} {SECTION_TITLES[section][lang]}{current}")
        budget = session.time_budget_minutes
        used = round(session.active_seconds / 60)
        st.markdown(f"**{t('time', lang)}:** {t('minutes', lang, used=used, budget=budget)}")
        st.progress(min(1.0, session.active_seconds / 60 / budget))
        usage = conversation_tokens([turn.text for turn in session.turns], session.model)
        approx = "≈" if usage.approximate else ""
        st.markdown(f"**{t('tokens', lang)}:** {approx}{usage.tokens}")
        if usage.cost is not None:
            st.markdown(f"**{t('cost', lang)}:** {approx}${usage.cost:.4f}")
        if usage.approximate:
            st.caption(t("approx", lang))


def stream_into_chat(stream: Any, ui: UIState) -> None:
    with st.chat_message("assistant"):
        try:
            st.write_stream(stream)
        except SimulatorError as exc:
            ui.error = str(exc)


def interview_view(ui: UIState) -> None:
    lang = ui.lang
    if ui.session_id is None:
        st.info(t("no_session", lang))
        return
    interviewer = ui.interviewer(base_settings())
    try:
        session = store().load(ui.session_id)
    except SimulatorError as exc:
        st.error(str(exc))
        ui.session_id = None
        return
    sidebar_progress(session)
    for turn in session.turns:
        with st.chat_message("user" if turn.role == "candidate" else "assistant"):
            st.markdown(turn.text)
    if session.status == "finished" and session.report:
        render_report(session.report, session, session.lang)
        return
    if ui.error:
        st.error(t("model_error", lang, error=ui.error))
        retry, local = st.columns(2)
        if retry.button(t("retry", lang)):
            ui.error = None
            stream_into_chat(interviewer.respond(session), ui)
            st.rerun()
        if local.button(t("use_local", lang)):
            ui.model.backend, ui.error = "local", None
            stream_into_chat(ui.interviewer(base_settings()).respond(session), ui)
            st.rerun()
    message = st.chat_input(t("input", lang))
    if message:
        with st.chat_message("user"):
            st.markdown(message)
        stream_into_chat(interviewer.reply(session, message), ui)
        st.rerun()
    if st.sidebar.button(t("finish", lang), type="primary"):
        with st.status(t("grading", lang)) as status:
            try:
                for _ in interviewer.finish(session):
                    pass
                status.update(label=t("graded", lang), state="complete")
            except SimulatorError as exc:
                ui.error = str(exc)
        st.rerun()


def grade_view(ui: UIState, kb: KnowledgeBase) -> None:
    lang = ui.lang
    key_note(ui)
    text = st.text_area(t("paste", lang), height=240)
    upload = st.file_uploader(t("upload", lang), type=["md", "txt"])
    ids = ["", *sorted(s.id for s in kb.scenarios)]
    scenario_id = st.selectbox(
        t("scenario_optional", lang),
        ids,
        format_func=lambda sid: t("no_scenario", lang) if not sid else kb.scenario(sid).title(lang),  # type: ignore[union-attr]
    )
    if st.button(t("grade", lang), type="primary"):
        try:  # the same size limit and decoding as `grade FILE`
            design = (
                decode_user_bytes(upload.getvalue(), upload.name, "design", MAX_DESIGN_BYTES)
                if upload
                else text
            )
        except SimulatorError as exc:
            st.error(str(exc))
            return
        if not design.strip():
            st.warning(t("empty_design", lang))
            return
        settings = ui.settings(base_settings())
        with st.spinner(t("grading", lang)):
            try:
                ui.grade_report = grade_design(
                    settings,
                    design,
                    scenario_id=scenario_id or None,
                    lang=detect_lang(design, lang),
                    model_spec=ui.model.spec,
                )
            except SimulatorError as exc:
                st.error(str(exc))
                return
    if ui.grade_report is not None:
        render_report(ui.grade_report, None, ui.grade_report.lang)


def history_view(ui: UIState) -> None:
    lang = ui.lang
    listing = store().summaries()  # light rows: no turn is read to draw this page
    for notice in listing.skipped:
        st.warning(notice)
    if not listing.sessions:
        st.info(t("history_empty", lang))
        return
    rows = []
    for summary in listing.sessions:
        if summary.scores:
            rows.append(
                {"when": summary.started_at}
                | {SECTION_TITLES[s][lang]: score for s, score in summary.scores.items()}
            )
        cols = st.columns([4, 2, 1, 1])
        overall = f"{summary.overall:.2f} / 4" if summary.overall is not None else t("active", lang)
        cols[0].markdown(f"**{summary.scenario_id}** · {summary.started_at:%Y-%m-%d %H:%M}")
        cols[1].markdown(overall)
        if cols[2].button(t("resume", lang), key=f"open-{summary.id}"):
            ui.session_id, ui.view = summary.id, "interview"
            st.query_params["session"] = summary.id
            st.rerun()
        if cols[3].button(t("delete", lang), key=f"delete-{summary.id}"):
            store().delete(summary.id)
            if ui.session_id == summary.id:
                ui.session_id = None
            st.rerun()
    if rows:
        st.markdown(f"**{t('over_time', lang)}**")
        st.line_chart(pd.DataFrame(rows).set_index("when").sort_index())


def main() -> None:
    st.set_page_config(page_title="ML design interview", page_icon="🧭", layout="centered")
    ui = UIState.of(st.session_state)
    if ui.session_id is None and "session" in st.query_params:
        ui.session_id, ui.view = st.query_params["session"], "interview"  # resume after refresh
    with st.sidebar:
        ui.lang = st.radio(
            t("language", ui.lang), LANGS, index=LANGS.index(ui.lang), horizontal=True
        )
        views = ["start", "interview", "grade", "history"]
        ui.view = st.radio(
            t("nav", ui.lang),
            views,
            index=views.index(ui.view),
            format_func=lambda v: t(f"nav.{v}", ui.lang),
        )
    st.title(t("title", ui.lang))
    try:
        kb = knowledge()
        if ui.view == "start":
            start_view(ui, kb)
        elif ui.view == "interview":
            interview_view(ui)
        elif ui.view == "grade":
            grade_view(ui, kb)
        else:
            history_view(ui)
    except SimulatorError as exc:
        st.error(str(exc))


main()
