"""Rule-based handlers the local model runs, one module per prompt `<task>`.

Each module exposes `run(blocks: dict[str, str]) -> str | dict`: the tagged blocks of the prompt in,
a text reply or the arguments of a structured reply out. They read only what the prompt carries.
"""
