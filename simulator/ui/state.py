"""The one typed object that owns `st.session_state` for the pages.

Pages render and collect input; what they remember between reruns lives here. A key typed in the
UI lives in this object only (browser-session memory): it is never written to disk, logs or
reports. Widgets keep their own values under their keys; `bound` seeds a widget from this object
so a widget's value is never forced on it again after it was created (the cause of radios that
ignore every other click).
"""

from dataclasses import dataclass, field
from typing import Any, Literal

from simulator.base.sections import Lang, SectionId
from simulator.base.settings import Settings
from simulator.grading.types import GradeReport
from simulator.interview.session import Difficulty

Backend = Literal["local", "openai", "compatible"]
BACKENDS: tuple[Backend, ...] = ("local", "openai", "compatible")


@dataclass(frozen=True)
class ModelChoice:
    backend: Backend = "local"
    name: str = "gpt-4o-mini"
    api_key: str = field(default="", repr=False)
    base_url: str = ""

    @property
    def spec(self) -> str:
        return "local" if self.backend == "local" else f"openai:{self.name.strip()}"

    @classmethod
    def of_spec(cls, spec: str, base: Settings) -> "ModelChoice":
        """The choice a model spec stands for with this app's own settings (environment, .env):
        what a session started elsewhere, or in another browser tab, runs on."""
        backend, _, name = spec.partition(":")
        if backend != "openai" or not name.strip():
            return cls()
        return cls(backend="compatible" if base.openai_base_url else "openai", name=name.strip())

    def settings(self, base: Settings) -> Settings:
        """Settings for this choice: a key or URL typed in the UI, else the app's own ones."""
        if self.backend == "local":
            return base
        if self.backend == "openai":
            update = {
                "openai_api_key": self.api_key or base.openai_api_key,
                "openai_base_url": None,
            }
        else:  # a server the person named: the environment's key goes only to the environment's URL
            update = {
                "openai_base_url": self.base_url or base.openai_base_url,
                "openai_api_key": self.api_key
                or (base.openai_api_key if not self.base_url else None),
            }
        return base.model_copy(update=update)

    def missing(self, base: Settings) -> str | None:
        """What this choice lacks before it can run: `key` or `url`; None when nothing."""
        settings = self.settings(base)
        if self.backend == "openai" and not settings.openai_api_key:
            return "key"
        if self.backend == "compatible" and not settings.openai_base_url:
            return "url"
        return None


@dataclass
class Confirm:
    """An action waiting for its second, explicit click."""

    action: Literal["finish", "delete"]
    session_id: str


@dataclass
class UIState:
    lang: Lang = "en"
    session_id: str | None = None
    """The interview the Interview page shows."""
    difficulty: Difficulty = "normal"
    """The level the next interview starts with; a started one keeps its own on the session."""
    model: ModelChoice = field(default_factory=ModelChoice)
    """The model the next interview (or grade) runs on."""
    session_models: dict[str, ModelChoice] = field(default_factory=dict, repr=False)
    """The model each interview started in this browser session runs on, key included: choosing
    another one on the start page changes none of them."""
    errors: dict[str, str] = field(default_factory=dict)
    """A model error of an interview's last turn, shown with retry and switch-to-local buttons."""
    confirm: Confirm | None = None
    grade_report: GradeReport | None = None
    grade_model: str = ""
    """The name of the model the written design on the Grade page was graded with."""
    marks: tuple[tuple[str, int], dict[SectionId, int]] | None = None
    """The section scores of the progress panel, for (session id, turn count): read once a turn."""
    cache: dict[Any, Any] = field(default_factory=dict, repr=False)
    """Interviewers built for this browser session, by model choice."""

    @classmethod
    def of(cls, session_state: Any, base: Settings | None = None) -> "UIState":
        """The state of this browser session, created on first use (its language and model
        from settings: SIM_LANG, SIM_MODEL)."""
        if "ui" not in session_state:
            state = cls()
            if base is not None:
                state.lang = base.lang
                state.model = ModelChoice.of_spec(base.model, base)
            session_state["ui"] = state
        found: UIState = session_state["ui"]
        return found

    def model_for(self, session_id: str, spec: str, base: Settings) -> ModelChoice:
        """The model an interview runs on: the one it started with here, else the one chosen on
        the start page when it is the same model (its key typed there), else its spec on the
        app's settings (another tab, a reload after the server restarted)."""
        if session_id in self.session_models:
            return self.session_models[session_id]
        return self.model if self.model.spec == spec else ModelChoice.of_spec(spec, base)

    def switch_to_local(self, session_id: str) -> None:
        self.session_models[session_id] = ModelChoice()


def bound(session_state: Any, key: str, value: object) -> str:
    """Seed the widget `key` with `value` the first time it is drawn (or after Streamlit dropped
    it with the page it was on), and return the key to pass to the widget."""
    if key not in session_state:
        session_state[key] = value
    return key
