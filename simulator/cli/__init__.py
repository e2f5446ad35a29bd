"""Subcommands of `python -m simulator`, one module each."""
