"""What a button does beyond drawing: start an interview and open it."""

from simulator.interview.session import Difficulty
from simulator.services import pick_scenario
from simulator.ui.interviewers import interviewer
from simulator.ui.nav import open_interview
from simulator.ui.resources import knowledge
from simulator.ui.state import ModelChoice, UIState


def start_interview(
    ui: UIState, scenario_id: str | None, choice: ModelChoice, difficulty: Difficulty | None
) -> None:
    """Start an interview on `scenario_id` (None: a random one) and show it; it keeps `choice`
    as its model whatever is chosen later. Raises SimulatorError when it cannot start."""
    scenario = pick_scenario(knowledge(), scenario_id)
    session = interviewer(ui, choice).start(scenario, ui.lang, choice.spec, difficulty)
    ui.session_models[session.id] = choice
    ui.session_id = session.id
    open_interview(session.id)
