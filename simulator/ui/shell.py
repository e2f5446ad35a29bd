"""What every page has around it: page settings, start-up, the sidebar and the navigation."""

import streamlit as st

from simulator.base.sections import LANGS, Lang
from simulator.ui.nav import pages
from simulator.ui.plain import inert
from simulator.ui.resources import base_settings, sign_in_configured, signed_in_claims, ui_state
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
    if sign_in_configured() and not _signed_in(ui.lang):
        return
    st.navigation(pages(ui.lang), position="top").run()


def _signed_in(lang: Lang) -> bool:
    """With sign-in configured: who is signed in (and a way out) in the sidebar, or the sign-in
    page instead of the app for someone who is not."""
    claims = signed_in_claims()
    if claims.get("is_logged_in") is True:
        who = claims.get("email") or claims.get("name") or ""
        with st.sidebar:
            st.caption(t("signin.as", lang, who=inert(str(who))))
            st.button(t("signin.out", lang), on_click=st.logout)
        return True
    st.title(t("signin.title", lang))
    st.write(t("signin.why", lang))
    st.button(t("signin.button", lang), type="primary", on_click=st.login)
    return False
