"""A scripted interview in its own process, for the crash tests to kill (`kill -9`).

    python tests/support/reliability_driver.py MODE MESSAGE...

Prints `session ID` once the session is saved, then `turn N` after each completed exchange.
MODE `stall-after-accept:N` saves message N (0-based) and then hangs before answering it, like a
process stuck in a model call; MODE `loop` replies to the messages over and over (new sessions
when one finishes), so a kill lands at an arbitrary moment, possibly inside a write.
"""

import sys
import time

from simulator.base.settings import load_settings
from simulator.services import open_interviewer

SCENARIO = "product_recs"


def main(mode: str, messages: list[str]) -> None:
    interviewer = open_interviewer(load_settings(model="local"))
    session = interviewer.start(SCENARIO, "en")
    print(f"session {session.id}", flush=True)
    stall_at = int(mode.split(":")[1]) if mode.startswith("stall-after-accept:") else None
    said, turn = 0, 0  # messages said in this session; exchanges completed in all
    while mode == "loop" or said < len(messages):
        if session.status == "finished":
            session = interviewer.start(SCENARIO, "en")
            print(f"session {session.id}", flush=True)
            said = 0
        interviewer.accept(session, messages[said % len(messages)])
        if said == stall_at:
            print("stalled", flush=True)
            time.sleep(600)
        list(interviewer.respond(session))
        said, turn = said + 1, turn + 1
        print(f"turn {turn}", flush=True)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2:])
