#!/bin/sh
# Ollama for the simulator: serve, pull the base model on first start, and (re)create the
# `interviewer` model from it with num_ctx = CONTEXT_TOKENS, the window the app fits its prompts
# to (SIM_CONTEXT_TOKENS). Ollama's default window is smaller and it silently drops the start of
# a longer prompt, which is where the interviewer's rules are.
set -eu
ollama serve &
server=$!
until ollama list >/dev/null 2>&1; do sleep 1; done
ollama show "$OLLAMA_BASE_MODEL" >/dev/null 2>&1 || ollama pull "$OLLAMA_BASE_MODEL"
printf 'FROM %s\nPARAMETER num_ctx %s\n' "$OLLAMA_BASE_MODEL" "$CONTEXT_TOKENS" >/tmp/Modelfile
ollama create "$INTERVIEWER_MODEL" -f /tmp/Modelfile
wait "$server"
