"""Editing YAML data files in a test's copy, and the one-line refusal their loaders must give."""

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from simulator.base.errors import KnowledgeError


def read_yaml(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def write_yaml(path: Path, data: Any) -> None:
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


def edit_yaml(path: Path, mutate: Callable[[Any], None]) -> None:
    """Read the file, let `mutate` change its data in place, write it back."""
    data = read_yaml(path)
    mutate(data)
    write_yaml(path, data)


def one_line_refusal(load: Callable[[Path], object], folder: Path) -> str:
    """The KnowledgeError `load(folder)` raises, checked to be one line."""
    with pytest.raises(KnowledgeError) as raised:
        load(folder)
    message = str(raised.value)
    assert "\n" not in message
    return message
