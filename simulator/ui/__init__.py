"""Streamlit pages over one typed state: render and collect input only."""
