"""Offline evals: JSONL datasets, solvers (what runs), pure scorers, and a runner that logs."""
