"""Layer 2: the knowledge base (cheat sheet, rubric, scenarios, lexicons) loaded and validated,
and the cues compiled from it."""
