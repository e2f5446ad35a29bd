"""Eval datasets: JSONL files of cases under evals/data, each with a tuning and a held-out part."""

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from simulator.base.errors import InputError

DATA_DIR = Path(__file__).resolve().parent / "data"
SPLITS = ("tune", "heldout")


@dataclass(frozen=True)
class Dataset:
    name: str
    split: str
    """`tune` (used to tune the local model's cues) or `heldout` (never used for tuning)."""
    cases: list[dict[str, Any]]
    sha256: str


def load(name: str, split: str) -> Dataset:
    path = DATA_DIR / (f"{name}.jsonl" if split == "tune" else f"{name}_heldout.jsonl")
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise InputError(f"{path}: dataset is missing") from None
    cases = []
    for number, line in enumerate(raw.decode("utf-8").splitlines(), 1):
        if line.strip():
            try:
                cases.append(json.loads(line))
            except json.JSONDecodeError as exc:
                raise InputError(f"{path}:{number}: not JSON ({exc.msg})") from None
    return Dataset(name, split, cases, hashlib.sha256(raw).hexdigest()[:16])
