"""Layer 4: the one door to a model, prompt rendering, structured calls, tokens.

`tasks/` holds each prompt's schemas; `local/` the deterministic local model."""
