"""New interview: how it works, the scenario, the difficulty and the model, then start."""

import streamlit as st

from simulator.base.errors import SimulatorError
from simulator.interview.session import DIFFICULTY_MINUTES
from simulator.llm.backends import dotenv_key_note
from simulator.ui.actions import start_interview
from simulator.ui.model_picker import model_picker
from simulator.ui.resources import base_settings, knowledge, model_label, ui_state
from simulator.ui.state import bound
from simulator.ui.text import t

RANDOM = "random"


def render() -> None:
    ui = ui_state()
    lang, kb, base = ui.lang, knowledge(), base_settings()
    st.title(t("title", lang))
    with st.expander(t("how.title", lang), expanded=True, icon=":material/info:"):
        st.markdown(t("how.body", lang))
    titles = {s.id: s.title(lang) for s in kb.scenarios}
    choice = st.selectbox(
        t("scenario", lang),
        [RANDOM, *sorted(titles, key=titles.__getitem__)],
        key=bound(st.session_state, "start.scenario", RANDOM),
        format_func=lambda sid: t("random", lang) if sid == RANDOM else titles[sid],
    )
    ui.difficulty = st.radio(
        t("difficulty", lang),
        list(DIFFICULTY_MINUTES),
        key=bound(st.session_state, "start.difficulty", ui.difficulty),
        format_func=lambda d: t(f"difficulty.{d}", lang),
        horizontal=True,
    )
    ui.model = model_picker(ui)
    st.caption(t("runs_on", lang, model=model_label(ui.model, lang)))
    missing = ui.model.missing(base)
    if missing:
        st.info(t(f"model.needs_{missing}", lang))
    note = dotenv_key_note(ui.model.settings(base), [ui.model.spec, base.embeddings])
    if note:
        st.info(note)
    if st.button(t("start", lang), type="primary", disabled=missing is not None):
        try:
            start_interview(ui, None if choice == RANDOM else choice, ui.model, ui.difficulty)
        except SimulatorError as exc:
            st.error(str(exc))


if __name__ == "__main__":
    render()
