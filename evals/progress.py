"""Progress of a run's cases on stderr: a bar redrawn in place on a terminal; in a log file
(stderr not a terminal) a line every `every` seconds, so a long run against a real model shows
it is alive without flooding the log. The last count is always written."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import TextIO

BAR_WIDTH = 30
LOG_EVERY_S = 30.0
"""Seconds between progress lines when stderr is not a terminal."""


class Progress:
    def __init__(
        self,
        label: str,
        total: int,
        stream: TextIO | None = None,
        every: float = LOG_EVERY_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.label = label
        self.total = total
        self.done = 0
        self.stream = stream or sys.stderr
        self.every = every
        self.clock = clock
        self.started = clock()
        self._last_line = self.started

    def advance(self) -> None:
        self.done += 1
        finished = self.done == self.total
        if self.stream.isatty():
            filled = BAR_WIDTH * self.done // max(self.total, 1)
            bar = "#" * filled + "." * (BAR_WIDTH - filled)
            self.stream.write(f"\r{self.label:<28} [{bar}] {self.done}/{self.total}")
            self.stream.write("\n" if finished else "")
        elif finished or self.clock() - self._last_line >= self.every:
            self._last_line = self.clock()
            seconds = self._last_line - self.started
            self.stream.write(f"{self.label}: {self.done}/{self.total} cases, {seconds:.0f} s\n")
        self.stream.flush()
