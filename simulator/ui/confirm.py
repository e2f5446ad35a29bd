"""Actions that cannot be undone take two explicit clicks: the button, then "Yes"."""

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from simulator.ui.state import Confirm, UIState


def two_step(
    ui: UIState,
    want: Confirm,
    *,
    button: str,
    question: str,
    yes: str,
    no: str,
    where: DeltaGenerator | None = None,
) -> bool:
    """Draw `button` (in `where`, else here); once clicked, `question` with `yes` and `no` here
    instead. True on the run where `yes` was clicked, so the caller acts then and only then."""
    key = f"{want.action}-{want.session_id}"
    if ui.confirm != want:
        if (where if where is not None else st).button(button, key=key):
            ui.confirm = want
            st.rerun()
        return False
    st.warning(question)
    yes_column, no_column = st.columns(2)
    if yes_column.button(yes, type="primary", key=f"{key}-yes"):
        ui.confirm = None
        return True
    if no_column.button(no, key=f"{key}-no"):
        ui.confirm = None
        st.rerun()
    return False
