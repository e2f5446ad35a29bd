"""The interview: the conversation, its progress and the finish; then the report.

The page is `/interview?session=ID`: the URL alone reopens an interview (a reload, a new tab).
An interview runs on the model it was started with, whatever the start page shows now. A graded
written design opens here too, read only.
"""

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from simulator.base.errors import InputError, SimulatorError
from simulator.interview.session import InterviewSession
from simulator.kb.knowledge import KnowledgeBase
from simulator.ui.actions import start_interview
from simulator.ui.chat import show_cost, show_turn
from simulator.ui.confirm import two_step
from simulator.ui.interviewers import interviewer
from simulator.ui.nav import START
from simulator.ui.progress import active_minutes, marks_line, pause_minutes, section_scores
from simulator.ui.report_panel import show_report
from simulator.ui.resources import base_settings, knowledge, model_label, ui_state, user_store
from simulator.ui.state import Confirm, ModelChoice, UIState
from simulator.ui.text import t


def current_session_id(ui: UIState) -> str | None:
    """The interview in the URL, else the one last shown (then put in the URL for reloads)."""
    asked = st.query_params.get("session")
    if asked:
        ui.session_id = asked
    elif ui.session_id:
        st.query_params["session"] = ui.session_id
    return ui.session_id


def render() -> None:
    ui = ui_state()
    lang = ui.lang
    session_id = current_session_id(ui)
    if session_id is None:
        st.info(t("no_session", lang))
        st.page_link(START, label=t("go_start", lang), icon=":material/add_circle:")
        return
    try:
        session = user_store().load(session_id)
    except InputError:
        st.error(t("session_missing", lang, id=session_id))
        ui.session_id = None
        return
    except SimulatorError as exc:
        st.error(str(exc))
        ui.session_id = None
        return
    choice = ui.model_for(session.id, session.model, base_settings())
    kb = knowledge()
    if session.kind == "design":
        written_design(ui, session, choice, kb)
        return
    scenario = kb.scenario(session.scenario_id)
    difficulty = t(f"difficulty.{session.difficulty}", lang) if session.difficulty else ""
    title = scenario.title(session.lang) if scenario else session.scenario_id
    st.subheader(" · ".join(part for part in (title, difficulty) if part))
    with st.sidebar:
        st.caption(t("runs_on", lang, model=model_label(choice, lang)))
        if session.model == "local":
            st.caption(t("tokens.offline", lang))
        else:
            used = session.tokens()
            show_cost(session.model, used.input, used.output, lang)
    for turn in session.turns:
        show_turn(turn, lang, real_model=session.model != "local")
    if session.status == "finished" and session.report is not None:
        show_report(
            session.report,
            kb,
            graded_by=model_label(choice, lang),
            ui_lang=lang,
            turns=session.turns,
            ran_on=session.model,
        )
        after_report(ui, session, choice)
        return
    live = st.container()  # the next message and its reply appear here, above the panel
    progress_panel(ui, session, choice)
    blocked = choice.missing(base_settings())
    if blocked:
        unavailable(ui, session, choice, blocked)
    elif ui.errors.get(session.id):
        failed(ui, session, choice, live)
    elif session.awaiting_reply():
        st.info(t("no_reply", lang))
        if st.button(t("get_reply", lang)):
            reply(ui, session, choice, live, None)
    message = st.chat_input(t("input", lang), disabled=blocked is not None)
    if message:
        reply(ui, session, choice, live, message)


def written_design(
    ui: UIState, session: InterviewSession, choice: ModelChoice, kb: KnowledgeBase
) -> None:
    """A graded written design from History, read only: the design as typed, then its report."""
    lang = ui.lang
    scenario = kb.scenario(session.scenario_id)
    title = scenario.title(lang) if scenario else t("history.no_scenario", lang)
    st.subheader(t("design.title", lang, scenario=title))
    with st.expander(t("design.text", lang)):
        st.text(session.candidate_text(), width="stretch")
    if session.report is not None:
        show_report(session.report, kb, graded_by=model_label(choice, lang), ui_lang=lang)


def progress_panel(ui: UIState, session: InterviewSession, choice: ModelChoice) -> None:
    """Sections, time and the finish button, in the page itself (reachable on a phone too)."""
    lang = ui.lang
    with st.container(border=True):
        scores = section_scores(ui, session)
        st.markdown(marks_line(scores, session.current_section, session.lang))
        st.caption(t("marks.legend", lang))
        used, budget = active_minutes(session), session.time_budget_minutes
        st.progress(min(1.0, used / budget), text=t("time", lang, used=used, budget=budget))
        st.caption(t("time.help", lang, pause=pause_minutes()))
        finish = two_step(
            ui,
            Confirm("finish", session.id),
            button=t("finish", lang),
            question=t("finish.confirm", lang),
            yes=t("finish.yes", lang),
            no=t("keep_going", lang),
        )
    if finish:
        with st.status(t("grading", lang)) as status:
            try:
                for _ in interviewer(ui, choice).finish(session):
                    pass
            except SimulatorError as exc:  # shown where it happened; Finish stays to try again
                status.update(label=str(exc), state="error")
                return
            status.update(label=t("graded", lang), state="complete")
        st.rerun()


def reply(
    ui: UIState,
    session: InterviewSession,
    choice: ModelChoice,
    live: DeltaGenerator,
    message: str | None,
) -> None:
    """Save `message` (None: answer the one already saved), show it at once, stream the reply."""
    try:
        iv = interviewer(ui, choice)
        with live:
            if message is not None:
                notice = iv.accept(session, message)
                if not session.awaiting_reply() and notice:  # nothing saved (an empty message)
                    st.toast(notice)
                    return
                show_turn(session.turns[-1], ui.lang, real_model=False)
            with st.chat_message("assistant"):
                st.write_stream(iv.respond(session))
    except SimulatorError as exc:
        ui.errors[session.id] = str(exc)
    st.rerun()


def failed(
    ui: UIState, session: InterviewSession, choice: ModelChoice, live: DeltaGenerator
) -> None:
    lang = ui.lang
    st.error(t("model_error", lang, error=ui.errors[session.id]))
    retry, local = st.columns(2)
    if retry.button(t("retry", lang)):
        ui.errors.pop(session.id)
        reply(ui, session, choice, live, None)
    if local.button(t("use_local", lang)):
        ui.errors.pop(session.id)
        ui.switch_to_local(session.id)
        reply(ui, session, ModelChoice(), live, None)


def unavailable(ui: UIState, session: InterviewSession, choice: ModelChoice, missing: str) -> None:
    """The interview's own model cannot run here (no key in this tab): say so, offer local."""
    lang = ui.lang
    st.warning(t(f"unavailable.{missing}", lang, model=model_label(choice, lang)))
    if st.button(t("use_local", lang)):
        ui.switch_to_local(session.id)
        st.rerun()


def after_report(ui: UIState, session: InterviewSession, choice: ModelChoice) -> None:
    lang = ui.lang
    again, new = st.columns(2)
    if again.button(t("retry_scenario", lang), type="primary"):
        try:
            start_interview(ui, session.scenario_id, choice, session.difficulty)
        except SimulatorError as exc:
            st.error(str(exc))
    if new.button(t("new_interview", lang)):
        st.switch_page(START)


if __name__ == "__main__":
    render()
