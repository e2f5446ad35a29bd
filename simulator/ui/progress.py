"""How far an interview has got: the sections the candidate's answers cover, and the time.

The marks come from grading the candidate's own turns so far on the local grader (the one the
report uses offline), never from a counter or from what the interviewer's model labelled: a
section is marked when that grader credits it, and a hint request is never graded.
"""

from datetime import datetime

from simulator.base.sections import SECTION_IDS, SECTION_TITLES, Lang, SectionId
from simulator.interview.interviewer import IDLE_CAP_SECONDS
from simulator.interview.session import InterviewSession, now_utc
from simulator.services import grade_so_far
from simulator.ui.resources import base_settings, knowledge
from simulator.ui.state import UIState
from simulator.ui.text import t

ICONS = (":material/radio_button_unchecked:", ":material/contrast:", ":material/check_circle:")
"""Not credited (score 0), only named (1), key points covered (2 and up): text icons, not emoji."""


def section_scores(ui: UIState, session: InterviewSession) -> dict[SectionId, int]:
    """What the local grader gives each section for the candidate's turns so far; read once per
    turn and kept on the state."""
    key = (session.id, len(session.turns))
    if ui.marks is None or ui.marks[0] != key:
        if session.candidate_text().strip():
            report = grade_so_far(base_settings(), session, knowledge())
            scores = {s.id: s.score for s in report.sections}
        else:
            scores = dict.fromkeys(SECTION_IDS, 0)
        ui.marks = (key, scores)
    return ui.marks[1]


def marks_line(scores: dict[SectionId, int], current: SectionId, lang: Lang) -> str:
    """One line of Markdown: each section with its mark, the current one in bold."""
    parts = []
    for section in SECTION_IDS:
        title = SECTION_TITLES[section][lang]
        if section == current:
            title = f"**{title}** ({t('marks.current', lang)})"
        parts.append(f"{ICONS[min(scores[section], 2)]} {title}")
    return " · ".join(parts)


def active_minutes(session: InterviewSession, now: datetime | None = None) -> int:
    """Minutes spent in the interview, the time since its last message included (the session
    counts that only when the next message comes), a long pause not counted."""
    seconds = session.active_seconds
    if session.status == "active" and session.last_activity is not None:
        gap = ((now or now_utc()) - session.last_activity).total_seconds()
        seconds += min(max(gap, 0.0), IDLE_CAP_SECONDS)
    return int(seconds // 60)


def pause_minutes() -> int:
    return IDLE_CAP_SECONDS // 60
