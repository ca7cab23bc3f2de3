"""A text progress bar for management commands (no dependency).

On a terminal the bar redraws in place; otherwise (logs, CI, tests) it prints a line at
every tenth of the way, so output stays short.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from django.core.management.base import OutputWrapper


class ProgressBar:
    def __init__(
        self,
        write: Callable[[str], object],
        label: str,
        unit: str,
        interactive: bool = False,
        width: int = 30,
    ) -> None:
        self.write = write
        self.label = label
        self.unit = unit
        self.width = width
        self.interactive = interactive
        self.started = time.perf_counter()
        self._last_tenth = -1
        self._last_draw = 0.0

    @classmethod
    def for_command(cls, stdout: OutputWrapper, label: str, unit: str) -> ProgressBar:
        """A bar writing to a management command's ``self.stdout``."""
        return cls(
            lambda text: stdout.write(text, ending=""), label, unit, interactive=stdout.isatty()
        )

    def update(self, done: int, total: int) -> None:
        share = 1.0 if total <= 0 else min(done / total, 1.0)
        now = time.perf_counter()
        if self.interactive:
            if share < 1.0 and now - self._last_draw < 0.1:
                return
            self._last_draw = now
            self.write("\r" + self._line(done, total, share, now) + ("\n" if share >= 1 else ""))
            return
        tenth = int(share * 10)
        if tenth != self._last_tenth:
            self._last_tenth = tenth
            self.write(self._line(done, total, share, now) + "\n")

    def _line(self, done: int, total: int, share: float, now: float) -> str:
        filled = int(share * self.width)
        bar = "#" * filled + "." * (self.width - filled)
        elapsed = now - self.started
        rate = done / elapsed if elapsed > 0 else 0.0
        if share >= 1.0:
            timing = f"{elapsed:,.0f} s"
        elif done > 0 and rate > 0:
            timing = f"~{(total - done) / rate:,.0f} s left"  # at the rate so far
        else:
            timing = ""
        return (
            f"{self.label} [{bar}] {share * 100:5.1f}%  {done:,}/{total:,} {self.unit}"
            f"  {rate:,.1f} {self.unit}/s  {timing}"
        ).rstrip()
