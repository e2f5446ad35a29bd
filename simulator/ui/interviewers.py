"""The interviewers of one browser session, one per model choice, built on first use."""

from simulator.interview.interviewer import Interviewer
from simulator.services import open_interviewer
from simulator.ui.resources import base_settings, user_store
from simulator.ui.state import ModelChoice, UIState


def interviewer(ui: UIState, choice: ModelChoice) -> Interviewer:
    """The interviewer on `choice`, reused across reruns; building it raises ConfigError when the
    choice cannot run (no key, say)."""
    store = user_store()  # part of the key: signing in as someone else opens their sessions
    key = (
        (store.user_id, choice.spec)
        if choice.backend == "local"
        else (store.user_id, choice.spec, choice.api_key, choice.base_url)
    )
    if key not in ui.cache:
        settings = choice.settings(base_settings())
        ui.cache[key] = open_interviewer(settings, choice.spec, store=store)
    found: Interviewer = ui.cache[key]
    return found
