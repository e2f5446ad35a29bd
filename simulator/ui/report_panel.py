"""The feedback report on screen: the same reader's view the exports are made from
(simulator/report/view.py), with the candidate's words shown as plain text."""

from collections.abc import Sequence
from functools import partial

import streamlit as st

from simulator.base.sections import Lang
from simulator.grading.types import GradeReport
from simulator.kb.knowledge import KnowledgeBase
from simulator.report.chart import score_chart_svg
from simulator.report.render import render_report as export
from simulator.report.view import TranscriptTurn, build_view
from simulator.ui.plain import inert
from simulator.ui.text import t

DOWNLOADS = (("Markdown", "md", "text/markdown"), ("JSON", "json", "application/json"),
             ("HTML", "html", "text/html"))  # fmt: skip


def show_report(
    report: GradeReport,
    kb: KnowledgeBase,
    *,
    graded_by: str,
    ui_lang: Lang,
    turns: Sequence[TranscriptTurn] | None = None,
    ran_on: str | None = None,
) -> None:
    """The report in its own language; `graded_by` names the model that graded it, `ran_on` the
    model spec the interview ran on (the downloads name it, with its tokens on a real model)."""
    view = build_view(report, turns, kb)
    label = view.labels
    st.subheader(t("report", ui_lang))
    if view.scenario:
        st.caption(f"{label['scenario']}: {view.scenario}")
    st.caption(t("graded_by", ui_lang, model=graded_by))
    if view.fallback:
        st.warning(label["fallback"])
    for notice in view.notices:
        st.info(inert(notice))
    st.metric(t("overall", report.lang), f"{view.overall} / 4")
    if view.weighting:
        st.caption(view.weighting)
    chart = score_chart_svg([(s.id, s.score) for s in report.sections], report.lang)
    st.markdown(chart, unsafe_allow_html=True)  # our own SVG: no candidate text in it
    for section in view.sections:
        with st.expander(f"{section.title}: {section.score} / 4", expanded=section.score < 3):
            st.markdown(f"**{label['evidence']}**")
            for quote in section.evidence:
                st.text(f"“{quote}”", width="stretch")
            if not section.evidence:
                st.caption(label["none"])
            _bullets(label["asked"], section.asked)
            if section.mistakes:
                st.markdown(f"**{label['mistakes']}**")
            for mistake in section.mistakes:
                st.markdown(f"- {inert(mistake.wrong)} {inert(mistake.why)}")
                if mistake.quote:
                    st.text(f"{label['you_wrote']}: “{mistake.quote}”", width="stretch")
                if mistake.read:
                    st.caption(f"{label['read']}: {inert(mistake.read)}")
            if section.missed:
                st.markdown(f"**{label['missed']}**")
            for missed in section.missed:
                st.markdown(f"- {inert(missed.text)}")
                st.caption(inert(missed.passage_text))
            _bullets(label["advice"], section.advice)
    if view.read_next:
        st.markdown(f"**{label['read_next']}**")
        st.markdown("\n".join(f"1. {inert(title)}" for title in view.read_next))
    columns = st.columns(len(DOWNLOADS))
    for column, (name, ext, mime) in zip(columns, DOWNLOADS, strict=True):
        column.download_button(
            t("download", ui_lang, fmt=name),
            # Made when clicked, not on every run.
            partial(export, report, ext, turns, kb=kb, model=ran_on),
            file_name=f"feedback.{ext}",
            mime=mime,
            on_click="ignore",
        )


def _bullets(heading: str, items: Sequence[str]) -> None:
    """A bold heading over one bullet per item; nothing at all without items."""
    if items:
        st.markdown(f"**{heading}**")
        st.markdown("\n".join(f"- {inert(item)}" for item in items))
