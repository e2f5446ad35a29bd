"""Each prompt's input blocks and output schema, shared by the callers and the local model."""
