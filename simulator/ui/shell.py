"""What every page has around it: page settings, start-up, the sidebar and the navigation."""

import streamlit as st

from simulator.base.sections import LANGS
from simulator.ui.nav import pages
from simulator.ui.resources import base_settings, ui_state
from simulator.ui.startup import ensure_ready
from simulator.ui.state import bound
from simulator.ui.text import t


def main() -> None:
    st.set_page_config(page_title="ML design interview", page_icon=":material/forum:")
    ui = ui_state()
    ensure_ready(base_settings(), ui.lang)
    with st.sidebar:
        # Keyed and seeded once: the widget keeps its own value, so every click counts.
        ui.lang = st.radio(
            t("language", ui.lang),
            LANGS,
            key=bound(st.session_state, "ui.lang", ui.lang),
            format_func=lambda lang: t(f"language.{lang}", ui.lang),
            horizontal=True,
        )
    st.navigation(pages(ui.lang), position="top").run()
