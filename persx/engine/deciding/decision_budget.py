"""A time budget for all the decisions of one page, and the safety net around each one.

Python cannot pre-empt a running call, so "over the deadline" means: decisions that
finished after the page's budget ran out are discarded. A page decides its blocks in one
pass (:meth:`DecisionBudget.run_all`), so running over serves the whole page generic, never
half of it. An exception in a decision serves that block generic. Both are recorded with
their reason code; neither ever breaks the page.

The clock is a port: the web layer passes the thread's CPU time, so waiting for a core
on a busy machine does not count as time spent deciding.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from persx.engine.deciding.decision import ERROR, TIMEOUT, Decision
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

    def run_all(
        self, decisions: Sequence[Callable[[], Decision]]
    ) -> list[tuple[Decision, BaseException | None]]:
        """Run a page's decisions in one pass: all of them count, or (over budget) none.

        Each failing decision serves generic with ``error``; when the pass as a whole
        finishes over the budget every block serves generic with ``timeout``.
        """
        if self.exhausted:
            return [(TIMEOUT, None)] * len(decisions)
        started = self._clock()
        outcomes: list[tuple[Decision, BaseException | None]] = []
        for decide in decisions:
            try:
                outcomes.append((decide(), None))
            except Exception as exc:  # any failure of personalization degrades to generic
                outcomes.append((ERROR, exc))
        self.spent += self._clock() - started
        if self.spent > self._budget:
            self.exhausted = True
            return [(TIMEOUT, None)] * len(decisions)
        return outcomes
