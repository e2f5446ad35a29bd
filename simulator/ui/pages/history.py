"""History: every saved interview and graded written design in brief, to open or delete, and
the scores over interviews.

Drawn from the store's light summaries: no turn is read to draw this page.
"""

from collections.abc import Sequence

import pandas as pd
import streamlit as st

from simulator.base.numbers import format_number
from simulator.base.sections import SECTION_IDS, SECTION_TITLES, Lang
from simulator.interview.store import SessionSummary
from simulator.kb.knowledge import KnowledgeBase
from simulator.ui.confirm import two_step
from simulator.ui.nav import open_interview
from simulator.ui.plain import inert
from simulator.ui.resources import base_settings, knowledge, model_label, ui_state, user_store
from simulator.ui.state import Confirm, ModelChoice, UIState
from simulator.ui.text import t


def scenario_title(kb: KnowledgeBase, scenario_id: str, lang: Lang) -> str:
    if not scenario_id:  # a written design graded against no scenario
        return t("history.no_scenario", lang)
    scenario = kb.scenario(scenario_id)
    return scenario.title(lang) if scenario else scenario_id


def meta_line(summary: SessionSummary, lang: Lang) -> str:
    """Its language, date, duration (an interview's) and model, in one line."""
    known = summary.lang in ("en", "ru")
    fields = {
        "lang": t(f"language.{summary.lang}", lang) if known else summary.lang,
        "date": f"{summary.started_at:%Y-%m-%d %H:%M}",
        "model": model_label(ModelChoice.of_spec(summary.model, base_settings()), lang),
    }
    if summary.kind == "design":
        return t("history.design_meta", lang, **fields)
    ended = summary.finished_at or summary.updated_at
    minutes = max(0, round((ended - summary.started_at).total_seconds() / 60))
    return t("history.meta", lang, duration=minutes, **fields)


def row(ui: UIState, summary: SessionSummary, kb: KnowledgeBase) -> None:
    lang = ui.lang
    design = summary.kind == "design"
    with st.container(border=True):
        about, score, opening, deleting = st.columns([5, 2, 2, 2], vertical_alignment="center")
        about.markdown(f"**{scenario_title(kb, summary.scenario_id, lang)}**")
        about.caption(meta_line(summary, lang))
        if summary.overall is not None:
            score.markdown(f"{format_number(summary.overall, lang)} / 4")
        if design:
            score.badge(t("history.design", lang), icon=":material/description:", color="violet")
        elif summary.overall is not None:
            score.badge(t("finished", lang), icon=":material/check:", color="green")
        else:
            score.badge(t("active", lang), icon=":material/pending:", color="blue")
        if opening.button(t("resume", lang), key=f"open-{summary.id}", type="primary"):
            ui.session_id = summary.id
            open_interview(summary.id)
        delete = two_step(
            ui,
            Confirm("delete", summary.id),
            button=t("delete", lang),
            question=t("delete.design_confirm" if design else "delete.confirm", lang),
            yes=t("delete.yes", lang),
            no=t("cancel", lang),
            where=deleting,
        )
    if delete:
        user_store().delete(summary.id)
        if ui.session_id == summary.id:
            ui.session_id = None
        st.rerun()


def scores_over_interviews(
    sessions: Sequence[SessionSummary], kb: KnowledgeBase, lang: Lang
) -> None:
    """The overall score of each graded interview in the order taken (the axis counts interviews,
    not clock time), and each one's section scores in a table under it; written designs are
    listed, not charted."""
    graded = sorted(
        (s for s in sessions if s.kind == "interview" and s.overall is not None),
        key=lambda s: s.started_at,
    )
    if not graded:
        return
    number = t("history.number", lang)
    overall = t("overall", lang)
    frame = pd.DataFrame(
        {
            number: range(1, len(graded) + 1),
            overall: [s.overall for s in graded],
            t("scenario", lang): [scenario_title(kb, s.scenario_id, lang) for s in graded],
        }
        | {
            SECTION_TITLES[section][lang]: [s.scores.get(section) for s in graded]
            for section in SECTION_IDS
        }
    ).set_index(number)
    st.markdown(f"**{t('over_time', lang)}**")
    st.vega_lite_chart(
        frame.reset_index(),
        {
            "mark": {"type": "line", "point": True},
            "encoding": {
                "x": {"field": number, "type": "ordinal", "axis": {"labelAngle": 0}},
                "y": {"field": overall, "type": "quantitative", "scale": {"domain": [0, 4]}},
                "tooltip": [{"field": t("scenario", lang)}, {"field": overall}],
            },
        },
    )
    st.markdown(f"**{t('history.scores', lang)}**")
    st.dataframe(frame.drop(columns=[overall]))  # the overall is charted above


def render() -> None:
    ui = ui_state()
    lang, kb = ui.lang, knowledge()
    st.title(t("nav.history", lang))
    listing = user_store().summaries()
    for notice in listing.skipped:
        st.warning(inert(notice))
    if not listing.sessions:
        st.info(t("history_empty", lang))
        return
    for summary in listing.sessions:
        row(ui, summary, kb)
    scores_over_interviews(listing.sessions, kb, lang)


if __name__ == "__main__":
    render()
