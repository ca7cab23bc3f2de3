"""A time budget for all the decisions of one page, and the safety net around each one.

Python cannot pre-empt a running call, so "over the deadline" means: a decision that
finished after the page's budget ran out is discarded, and every later block on the page
serves generic straight away. An exception in a decision serves generic too. Both are
recorded with their reason code; neither ever breaks the page.
"""

from __future__ import annotations

from collections.abc import Callable

from persx.engine.decision import ERROR, TIMEOUT, Decision
from persx.engine.ports import MonotonicClock


class DecisionBudget:
    """Runs decisions for one page within ``budget_seconds`` of wall time in total."""

    __slots__ = ("_clock", "_deadline", "exhausted")

    def __init__(self, clock: MonotonicClock, budget_seconds: float) -> None:
        self._clock = clock
        self._deadline = clock() + budget_seconds
        self.exhausted = False

    def run(self, decide: Callable[[], Decision]) -> tuple[Decision, BaseException | None]:
        """Return the decision (or the generic fallback) and the exception that caused it."""
        if self.exhausted:
            return TIMEOUT, None
        try:
            decision = decide()
        except Exception as exc:  # any failure of personalization degrades to generic
            return ERROR, exc
        if self._clock() > self._deadline:
            self.exhausted = True
            return TIMEOUT, None
        return decision, None
