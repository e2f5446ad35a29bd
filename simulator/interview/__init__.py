"""Layer 6: the turn engine, its guards, the session and its store."""
