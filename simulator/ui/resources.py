"""What every page shares: settings, the knowledge base, the store and this browser's state.

Light on purpose (no model library is imported here): the start-up screen uses it before the
heavy imports. All store access of the UI goes through `user_store`, the one place that decides
whose sessions a browser sees.
"""

from collections.abc import Mapping

import streamlit as st

from simulator.base.sections import Lang
from simulator.base.settings import Settings, load_settings
from simulator.interview.identity import user_id_from
from simulator.interview.store import SessionStore, open_store
from simulator.kb.knowledge import KnowledgeBase, load_knowledge
from simulator.ui.state import ModelChoice, UIState
from simulator.ui.text import t


@st.cache_resource(show_spinner=False)
def base_settings() -> Settings:
    return load_settings()


@st.cache_resource(show_spinner=False)
def knowledge() -> KnowledgeBase:
    return load_knowledge(base_settings().knowledge_dir)


@st.cache_resource(show_spinner=False)
def _store() -> SessionStore:
    return open_store(base_settings())


def signed_in_claims() -> Mapping[str, object]:
    """What Streamlit knows of the person: the identity provider's claims once signed in,
    `is_logged_in: False` while sign-in is configured but not done, else nothing that counts."""
    return st.user.to_dict()


def sign_in_configured() -> bool:
    """OIDC sign-in is set up (an `[auth]` section in .streamlit/secrets.toml): Streamlit then
    always says whether the person is logged in."""
    return "is_logged_in" in signed_in_claims()


def user_store() -> SessionStore:
    """The sessions of the person using this browser session: theirs only when signed in, the
    one local user's without sign-in."""
    return _store().for_user(user_id_from(signed_in_claims()))


def ui_state() -> UIState:
    return UIState.of(st.session_state, base_settings())


def model_label(choice: ModelChoice, lang: Lang) -> str:
    """The model a person reads about: "Local (offline)", "OpenAI: gpt-4o-mini", ..."""
    if choice.backend == "local":
        return t("model.local", lang)
    if choice.backend == "compatible":
        url = choice.settings(base_settings()).openai_base_url or "?"
        return t("model.running_at", lang, name=choice.name, url=url)
    return t("model.running_openai", lang, name=choice.name)
