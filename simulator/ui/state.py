"""The one typed object that owns `st.session_state`, and the services the pages use.

Pages render and collect input; everything they need comes from here. A key typed in the UI lives
in this object only (browser-session memory): it is never written to disk, logs or reports.
"""

from dataclasses import dataclass, field
from typing import Any, Literal

from simulator.base.sections import Lang
from simulator.base.settings import Settings
from simulator.grading.types import GradeReport
from simulator.interview.interviewer import Interviewer
from simulator.interview.session import Difficulty
from simulator.llm.tokens import count_tokens, estimate_cost
from simulator.services import open_interviewer

View = Literal["start", "interview", "grade", "history"]
Backend = Literal["local", "openai", "compatible"]


@dataclass
class ModelChoice:
    backend: Backend = "local"
    name: str = "gpt-4o-mini"
    api_key: str = field(default="", repr=False)
    base_url: str = ""

    @property
    def spec(self) -> str:
        return "local" if self.backend == "local" else f"openai:{self.name.strip()}"


@dataclass
class UIState:
    lang: Lang = "en"
    view: View = "start"
    session_id: str | None = None
    difficulty: Difficulty = "normal"
    """The level the next interview starts with; a started one keeps its own on the session."""
    model: ModelChoice = field(default_factory=ModelChoice)
    error: str | None = None
    """A model error of the last turn, shown with retry and switch-to-local buttons."""
    grade_report: GradeReport | None = None
    _interviewers: dict[tuple[Any, ...], Interviewer] = field(default_factory=dict, repr=False)

    @classmethod
    def of(cls, session_state: Any) -> "UIState":
        """The state of this browser session, created on first use."""
        if "ui" not in session_state:
            session_state["ui"] = cls()
        state: UIState = session_state["ui"]
        return state

    def settings(self, base: Settings) -> Settings:
        """Settings for this browser session: the chosen model and key, in memory only."""
        update: dict[str, Any] = {}
        if self.model.backend != "local":
            update["openai_api_key"] = self.model.api_key or None
            update["openai_base_url"] = (
                self.model.base_url or None if self.model.backend == "compatible" else None
            )
        return base.model_copy(update=update)

    def interviewer(self, base: Settings) -> Interviewer:
        """One interviewer per model choice, reused across reruns of this browser session."""
        key = (self.model.spec, self.model.api_key, self.model.base_url)
        if key not in self._interviewers:
            self._interviewers[key] = open_interviewer(self.settings(base), self.model.spec)
        return self._interviewers[key]


@dataclass(frozen=True)
class TokenView:
    tokens: int
    approximate: bool
    cost: float | None


def conversation_tokens(texts: list[str], model_spec: str) -> TokenView:
    """Tokens of the conversation so far and their estimated cost (a lower bound on what was
    sent: prompts add the rubric, facts and instructions around these words)."""
    counts = [count_tokens(text, model_spec.removeprefix("openai:")) for text in texts]
    total = sum(c.tokens for c in counts)
    return TokenView(
        tokens=total,
        approximate=any(c.approximate for c in counts),
        cost=estimate_cost(model_spec, total, 0),
    )
