"""Typed errors in two families: configuration mistakes and runtime failures a user can read.

Every message is one line, written for the person at the keyboard; the CLI prints it and exits 2,
the UI shows it with `st.error`. No bare traceback reaches either.
"""


class SimulatorError(Exception):
    """Base of every error the simulator raises on purpose."""

    def __init__(self, message: str) -> None:
        super().__init__(" ".join(message.split()))

    @property
    def message(self) -> str:
        return str(self)


class ConfigError(SimulatorError):
    """A setting is missing or wrong (model spec, API key, URL, language, timeout)."""


class InputError(SimulatorError):
    """The user's input cannot be used as given (empty file, unknown scenario id, binary data)."""


class KnowledgeError(SimulatorError):
    """A knowledge, rubric, scenario or prompt file is missing or malformed."""


class ModelError(SimulatorError):
    """The model failed at run time (timeout, refused request, unusable reply)."""


class StorageError(SimulatorError):
    """The session database cannot be opened, read or written (disk full, locked, corrupt)."""
