"""The model widgets of the start and grade pages: which backend, which model, key, server."""

import streamlit as st

from simulator.ui.state import BACKENDS, ModelChoice, UIState, bound
from simulator.ui.text import t


def model_picker(ui: UIState) -> ModelChoice:
    """The model widgets, seeded from the state's choice; the choice they make now."""
    lang, ss, now = ui.lang, st.session_state, ui.model
    backend = st.radio(
        t("model", lang),
        BACKENDS,
        key=bound(ss, "model.backend", now.backend),
        format_func=lambda b: t(f"model.{b}", lang),
        horizontal=True,
    )
    if backend == "local":
        return ModelChoice(
            backend="local", name=now.name, api_key=now.api_key, base_url=now.base_url
        )
    name = st.text_input(t("model.name", lang), key=bound(ss, "model.name", now.name))
    url = now.base_url
    if backend == "compatible":
        url = st.text_input(t("model.url", lang), key=bound(ss, "model.url", now.base_url))
    key = st.text_input(
        t("model.key", lang), type="password", key=bound(ss, "model.key", now.api_key)
    )
    return ModelChoice(backend=backend, name=name.strip() or now.name, api_key=key, base_url=url)
