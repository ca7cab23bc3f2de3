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
    """Runs the decisions of one page within ``budget_seconds`` of decision time in total.

    Only time spent inside decisions counts (rendering and other work between blocks do
    not), so the budget bounds what personalization itself adds to a page.
    """

    __slots__ = ("_budget", "_clock", "exhausted", "spent")

    def __init__(self, clock: MonotonicClock, budget_seconds: float) -> None:
        self._clock = clock
        self._budget = budget_seconds
        self.spent = 0.0
        self.exhausted = False

    def run(self, decide: Callable[[], Decision]) -> tuple[Decision, BaseException | None]:
        """Return the decision (or the generic fallback) and the exception that caused it."""
        if self.exhausted:
            return TIMEOUT, None
        started = self._clock()
        try:
            decision = decide()
        except Exception as exc:  # any failure of personalization degrades to generic
            self.spent += self._clock() - started
            return ERROR, exc
        self.spent += self._clock() - started
        if self.spent > self._budget:
            self.exhausted = True
            return TIMEOUT, None
        return decision, None
