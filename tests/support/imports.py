"""The layer order of DESIGN.md as data, and a walk over every module's imports that checks it."""

import ast
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# Top to bottom: a package may import its own layer and the layers above it, never one below.
LAYERS: tuple[tuple[str, ...], ...] = (
    ("base",),
    ("kb",),
    ("retrieval",),
    ("llm",),
    ("grading",),
    ("storage",),  # the session database, engines and migrations; interview/store.py uses it
    ("interview",),
    ("report",),
    ("contracts",),
    ("services",),
    ("ui", "cli"),
    ("app",),
)
RANK = {name: rank for rank, names in enumerate(LAYERS) for name in names}
# The only packages outside llm/ that may build the local model themselves.
LOCAL_MODEL_USERS = {"llm", "services"}


@dataclass(frozen=True)
class Violation:
    path: Path
    imported: str
    why: str

    def __str__(self) -> str:
        return f"{self.path}: imports {self.imported}: {self.why}"


def _layer(module: str) -> str | None:
    """`simulator.kb.cues` -> `kb`; `app` -> `app`; anything else (stdlib, third party) -> None."""
    parts = module.split(".")
    if parts[0] == "app":
        return "app"
    if parts[0] != "simulator" or len(parts) < 2:
        return None
    return parts[1]


def _imports(source: str) -> list[str]:
    names: list[str] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module == "simulator":
                names += [f"simulator.{alias.name}" for alias in node.names]
            else:
                names.append(node.module)
    return names


def _check(own: str, imported: str) -> str | None:
    if imported.split(".")[0] == "langchain_openai" and own != "llm":
        return "only simulator/llm/ imports langchain_openai"
    other = _layer(imported)
    if other is None or other == own or other not in RANK or own not in RANK:
        return None
    if imported.startswith("simulator.llm.local") and own not in LOCAL_MODEL_USERS:
        return "only llm/ and services reach into the local model"
    if RANK[other] > RANK[own] or (RANK[other] == RANK[own] and other != own):
        return f"{own} may not import {other}"
    return None


def violations(root: Path) -> list[Violation]:
    """Every import under `root`'s simulator/ and app.py that runs against the layers."""
    files = sorted((root / "simulator").rglob("*.py"))
    if (root / "app.py").is_file():
        files.append(root / "app.py")
    found: list[Violation] = []
    for path in files:
        rel = path.relative_to(root)
        own = "app" if rel == Path("app.py") else _layer(".".join(rel.with_suffix("").parts))
        if own is None or own in ("__init__", "__main__"):
            continue
        for imported in _imports(path.read_text(encoding="utf-8")):
            why = _check(own, imported)
            if why:
                found.append(Violation(rel, imported, why))
    return found
