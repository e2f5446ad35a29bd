"""A transcript turn as the report renderers read one (role, text, kind), without a session."""

from dataclasses import dataclass


@dataclass
class PlainTurn:
    role: str
    text: str
    kind: str
