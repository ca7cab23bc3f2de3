"""Failures and over-deadline decisions degrade to generic with a reason."""

from __future__ import annotations

from persx.engine.deciding.decision import Decision, Reason
from persx.engine.deciding.decision_budget import DecisionBudget
from persx.engine.visitor.audience import GENERIC


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


MATCH = Decision("industry:saas", Reason.INDUSTRY_MATCH)


def test_decision_within_budget_is_kept() -> None:
    budget = DecisionBudget(FakeClock(), 0.010)
    assert budget.run(lambda: MATCH) == (MATCH, None)


def test_exception_serves_generic_with_error_reason() -> None:
    budget = DecisionBudget(FakeClock(), 0.010)

    def broken() -> Decision:
        raise KeyError("variants")

    decision, error = budget.run(broken)
    assert (decision.variant_key, decision.reason) == (GENERIC, Reason.ERROR)
    assert isinstance(error, KeyError)
    # An error does not use up the page: the next block still personalizes.
    assert budget.run(lambda: MATCH)[0] == MATCH


def test_decision_finishing_after_deadline_is_discarded_and_later_blocks_skip() -> None:
    clock = FakeClock()
    budget = DecisionBudget(clock, 0.010)

    def slow() -> Decision:
        clock.now += 0.050
        return MATCH

    decision, _ = budget.run(slow)
    assert (decision.variant_key, decision.reason) == (GENERIC, Reason.TIMEOUT)
    calls: list[int] = []

    def counted() -> Decision:
        calls.append(1)
        return MATCH

    assert budget.run(counted)[0].reason is Reason.TIMEOUT
    assert calls == []  # the exhausted budget does not even call the decision
