"""The app's pages, one script each, run by `st.navigation` (simulator/ui/nav.py)."""
