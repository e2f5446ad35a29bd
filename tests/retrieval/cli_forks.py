"""CLI processes to kill, forked from one that has already imported the simulator.

`python -m simulator` spends about two seconds importing before it touches the index, so killing
it "at a random point" would mostly kill the imports. This server imports once, then forks a child
per request that runs `simulator.cli.main.main(argv)` exactly as `python -m simulator` does, with
its own SIM_DATA_DIR and its stdout and stderr in files. The test kills the child by pid.

The topic model that `index build` also trains (and `--force` retrains) is not under test here:
training takes tens of seconds, so the server reports it cached and skips the training.

Protocol, one JSON object a line: `{"spawn": [argv...], "data_dir", "out", "err"}` answers
`{"pid"}`; `{"wait": pid}` answers `{"code"}` (negative: killed by that signal).
"""

import json
import os
import subprocess
import sys
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.support.paths import ROOT


def serve() -> None:
    import chromadb.utils.embedding_functions as chroma_efs

    import simulator.services
    from simulator.base.settings import load_settings
    from simulator.cli.main import main
    from simulator.kb.knowledge import load_knowledge

    def refuse(self: object, input: object) -> None:
        raise AssertionError("chromadb's default (downloading) embedding function was used")

    chroma_efs.DefaultEmbeddingFunction.__call__ = refuse  # type: ignore[method-assign,assignment]
    chroma_efs.ONNXMiniLM_L6_V2.__call__ = refuse  # type: ignore[method-assign,assignment]
    simulator.services.model_is_cached = lambda: True
    simulator.services.trained_model = lambda *args, **kwargs: None  # type: ignore[assignment]
    load_knowledge(load_settings().knowledge_dir)  # cached: a child starts at the index
    print(json.dumps({"ready": True}), flush=True)
    for line in sys.stdin:
        request = json.loads(line)
        if "spawn" in request:
            pid = os.fork()
            if pid == 0:
                _child(main, request)
            reply: dict[str, Any] = {"pid": pid}
        else:
            _, status = os.waitpid(request["wait"], 0)
            reply = {"code": os.waitstatus_to_exitcode(status)}
        print(json.dumps(reply), flush=True)


def _child(main: Any, request: dict[str, Any]) -> None:
    code = 70
    try:
        os.environ["SIM_DATA_DIR"] = request["data_dir"]
        sys.stdin = open(os.devnull, encoding="utf-8")  # noqa: SIM115 (the server's stdin is the protocol)
        os.dup2(sys.stdin.fileno(), 0)
        for fd, path in ((1, request["out"]), (2, request["err"])):
            target = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
            os.dup2(target, fd)
            os.close(target)
        code = main(request["spawn"])
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 2
    except BaseException:
        traceback.print_exc()  # as `python -m simulator` would, so a test can see it
        code = 1
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


@dataclass(frozen=True)
class Child:
    pid: int
    out: Path
    err: Path


@dataclass(frozen=True)
class Result:
    code: int
    out: str
    err: str


class ForkServer:
    """The test's side: start children, wait for them, kill them."""

    def __init__(self, workdir: Path, env: dict[str, str]) -> None:
        self.workdir = workdir
        self._count = 0
        self._proc = subprocess.Popen(
            [sys.executable, "-m", "tests.retrieval.cli_forks"],
            cwd=ROOT,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self._ask(None) == {"ready": True}

    def _ask(self, request: dict[str, Any] | None) -> dict[str, Any]:
        assert self._proc.stdin is not None and self._proc.stdout is not None
        if request is not None:
            self._proc.stdin.write(json.dumps(request) + "\n")
            self._proc.stdin.flush()
        line = self._proc.stdout.readline()
        assert line, f"the fork server stopped (exit {self._proc.poll()})"
        answer: dict[str, Any] = json.loads(line)
        return answer

    def spawn(self, data_dir: Path, *argv: str) -> Child:
        self._count += 1
        out = self.workdir / f"child{self._count}.out"
        err = self.workdir / f"child{self._count}.err"
        request = {"spawn": list(argv), "data_dir": str(data_dir), "out": str(out), "err": str(err)}
        return Child(self._ask(request)["pid"], out, err)

    def wait(self, child: Child) -> Result:
        code = self._ask({"wait": child.pid})["code"]
        return Result(code, _text(child.out), _text(child.err))

    def run(self, data_dir: Path, *argv: str) -> Result:
        return self.wait(self.spawn(data_dir, *argv))

    def close(self) -> None:
        assert self._proc.stdin is not None
        self._proc.stdin.close()
        self._proc.wait(timeout=30)


def _text(path: Path) -> str:
    """What a child wrote there; nothing if it was killed before it opened the file."""
    return path.read_text("utf-8") if path.exists() else ""


if __name__ == "__main__":
    serve()
