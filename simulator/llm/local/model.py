"""The deterministic local model: offline, the default, answers from the prompt's tagged blocks.

Every prompt the simulator sends carries `<task>NAME</task>`; the local model runs
`simulator.llm.local.tasks.NAME.run(blocks)` on the prompt's blocks. A dict it returns becomes the
structured reply (a tool call when `with_structured_output` bound a schema), a string the text
reply. A prompt it has no task for gets a short, polite refusal in the prompt's language.
"""

from __future__ import annotations

import importlib
import json
import re
from collections.abc import Callable, Mapping, Sequence
from functools import lru_cache
from types import ModuleType
from typing import Any

from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage

from simulator.base.errors import ModelError
from simulator.base.strings import text
from simulator.base.textnorm import detect_lang
from simulator.llm.prompting import parse_blocks
from simulator.llm.reply_model import Reply, ReplyChatModel

TASKS_PACKAGE = "simulator.llm.local.tasks"
_TASK_NAME = re.compile(r"[a-z_]+")


class LocalModel(ReplyChatModel):
    """A rule-based BaseChatModel: same prompt, same answer; no network, no weights."""

    @property
    def _llm_type(self) -> str:
        return "simulator-local"

    @property
    def _identifying_params(self) -> Mapping[str, Any]:
        return {"model_name": "local"}

    def _reply(self, prompt: str) -> Reply:
        return self._run(parse_blocks(prompt), prompt)

    def _reply_to(self, messages: Sequence[BaseMessage]) -> Reply:
        """A chat with system messages is read as a model would: the blocks come from the system
        messages only (a candidate's user message can never pose as one), and the conversation
        from the roles, as `blocks["conversation"]`."""
        if not any(isinstance(m, SystemMessage) for m in messages):
            return super()._reply_to(messages)
        system = "\n\n".join(m.text for m in messages if isinstance(m, SystemMessage))
        blocks = parse_blocks(system)
        turns = [
            {"role": "candidate" if isinstance(m, HumanMessage) else "interviewer", "text": m.text}
            for m in messages
            if isinstance(m, HumanMessage | AIMessage)
        ]
        blocks["conversation"] = json.dumps(turns, ensure_ascii=False)
        return self._run(blocks, system)

    def _run(self, blocks: dict[str, str], prompt: str) -> Reply:
        run = task_runner(blocks.get("task", "").strip())
        if run is None:
            return text("local_model.unsupported", detect_lang(prompt))
        return run(blocks)

    def _check_tool_args(self, tool: dict[str, Any], args: dict[str, Any]) -> None:
        """A task whose answer misses a required field is a bug; say which field, and where."""
        schema = tool["function"].get("parameters", {})
        missing = [key for key in schema.get("required", []) if key not in args]
        if missing:
            name = tool["function"]["name"]
            raise ModelError(
                f"the local model's answer for {name} lacks {', '.join(missing)}: "
                f"fix the local task that produced it"
            )


TaskRunner = Callable[[dict[str, str]], Reply]


@lru_cache(maxsize=32)
def task_runner(task: str) -> TaskRunner | None:
    """`run` of simulator.llm.local.tasks.<task>, or None when there is no such task."""
    if not _TASK_NAME.fullmatch(task):
        return None
    module_name = f"{TASKS_PACKAGE}.{task}"
    try:
        module: ModuleType = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name == module_name:
            return None
        raise  # the task exists but imports something missing: a bug to surface
    run = getattr(module, "run", None)
    return run if callable(run) else None
