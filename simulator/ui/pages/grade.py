"""Grade a written design: paste it or upload it, see what will be graded, get the report (kept
in History)."""

import streamlit as st

from simulator.base.errors import SimulatorError
from simulator.base.files import MAX_DESIGN_BYTES, decode_user_bytes
from simulator.base.textnorm import detect_lang
from simulator.services import grade_design, save_design
from simulator.ui.model_picker import model_picker
from simulator.ui.report_panel import show_report
from simulator.ui.resources import base_settings, knowledge, model_label, ui_state, user_store
from simulator.ui.state import bound
from simulator.ui.text import t

PREVIEW_CHARS = 3000
"""Enough of an uploaded file to see that it is the right one."""


def render() -> None:
    ui = ui_state()
    lang, kb, base = ui.lang, knowledge(), base_settings()
    st.title(t("nav.grade", lang))
    pasted = st.text_area(
        t("paste", lang), height=240, key=bound(st.session_state, "grade.text", "")
    )
    upload = st.file_uploader(t("upload", lang), type=["md", "txt"], key="grade.file")
    design = pasted
    if upload is not None:
        try:  # the same size limit and decoding as `grade FILE`
            design = decode_user_bytes(upload.getvalue(), upload.name, "design", MAX_DESIGN_BYTES)
        except SimulatorError as exc:
            st.error(str(exc))
            return
        if pasted.strip():
            st.info(t("both_given", lang))
        with st.expander(t("preview", lang, name=upload.name, chars=len(design)), expanded=True):
            cut = design[:PREVIEW_CHARS]
            st.text(cut + ("…" if len(design) > PREVIEW_CHARS else ""), width="stretch")
    ids = ["", *sorted(s.id for s in kb.scenarios)]
    titles = {s.id: s.title(lang) for s in kb.scenarios}
    scenario_id = st.selectbox(
        t("scenario_optional", lang),
        ids,
        key=bound(st.session_state, "grade.scenario", ""),
        format_func=lambda sid: titles[sid] if sid else t("no_scenario", lang),
    )
    choice = ui.model = model_picker(ui)
    st.caption(t("runs_on", lang, model=model_label(choice, lang)))
    st.caption(t("report_lang", lang))
    if design.strip() and detect_lang(design, lang) != lang:
        st.caption(t("design_lang_differs", lang))
    missing = choice.missing(base)
    if missing:
        st.info(t(f"model.needs_{missing}", lang))
    if st.button(t("grade", lang), type="primary", disabled=missing is not None):
        if not design.strip():
            st.warning(t("empty_design", lang))
            return
        with st.spinner(t("grading", lang)):
            try:
                report = grade_design(
                    choice.settings(base),
                    design,
                    scenario_id=scenario_id or None,
                    lang=lang,
                    model_spec=choice.spec,
                )
            except SimulatorError as exc:
                st.error(str(exc))
                return
        ui.grade_report, ui.grade_model = report, model_label(choice, lang)
        try:  # kept in History; the report is shown even when it cannot be kept
            save_design(
                user_store(),
                design,
                report,
                scenario_id=scenario_id or None,
                model_spec=choice.spec,
            )
            st.success(t("design_saved", lang))
        except SimulatorError as exc:
            st.error(t("design_not_saved", lang, error=str(exc)))
    if ui.grade_report is not None:
        show_report(ui.grade_report, kb, graded_by=ui.grade_model, ui_lang=lang)


if __name__ == "__main__":
    render()
