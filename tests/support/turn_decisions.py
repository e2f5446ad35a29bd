"""Scripted `TurnDecision` replies for tests that drive the interviewer with a ScriptedModel."""

from typing import Any


def decision(**fields: Any) -> dict[str, Any]:
    """A scripted `TurnDecision`: an answer probed, unless `fields` say otherwise."""
    base: dict[str, Any] = {
        "message_kind": "answer",
        "fact_ids": [],
        "section": "requirements",
        "points_covered": [],
        "mistakes": [],
        "points_asked": [],
        "reply_kind": "probe",
        "reply": "How much data will there be?",
    }
    return base | fields
