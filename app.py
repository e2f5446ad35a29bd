"""Streamlit UI: start an interview, chat, get the scored feedback, grade a design, see history.

Thin on purpose: the pages live in simulator/ui/pages/ and render and collect input only; the
logic lives in simulator/. Run with `make run` (or `streamlit run app.py`).
"""

from simulator.ui.shell import main

main()
