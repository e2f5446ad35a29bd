"""The app's pages, for `st.navigation` and for switching from one page to another."""

from pathlib import Path

import streamlit as st
from streamlit.navigation.page import StreamlitPage

from simulator.base.sections import Lang
from simulator.ui.text import t

PAGES = Path(__file__).parent / "pages"
START = PAGES / "start.py"
INTERVIEW = PAGES / "interview.py"
GRADE = PAGES / "grade.py"
HISTORY = PAGES / "history.py"


def pages(lang: Lang) -> list[StreamlitPage]:
    """Every page, titled in `lang`; the interview page's URL is `/interview?session=ID`."""
    return [
        st.Page(START, title=t("nav.start", lang), icon=":material/add_circle:", default=True),
        st.Page(INTERVIEW, title=t("nav.interview", lang), icon=":material/forum:"),
        st.Page(GRADE, title=t("nav.grade", lang), icon=":material/grading:"),
        st.Page(HISTORY, title=t("nav.history", lang), icon=":material/history:"),
    ]


def open_interview(session_id: str) -> None:
    """Show the interview `session_id` now (its URL, `/interview?session=ID`, reopens it)."""
    st.switch_page(INTERVIEW, query_params={"session": session_id})
