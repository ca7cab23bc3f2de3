"""A page decides its blocks in one pass: all personalized, or (over budget) all generic."""

from __future__ import annotations

from persx.engine.deciding.decision import Decision, Reason
from persx.engine.deciding.decision_budget import DecisionBudget
from persx.engine.visitor.audience import GENERIC

MATCH = Decision("industry:saas", Reason.INDUSTRY_MATCH)


class SteppingClock:
    """Advances by ``step`` seconds each time a decision runs (the test decides when)."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_a_pass_within_budget_keeps_every_decision() -> None:
    budget = DecisionBudget(SteppingClock(), 0.010)
    outcomes = budget.run_all([lambda: MATCH] * 5)
    assert outcomes == [(MATCH, None)] * 5
    assert not budget.exhausted


def test_a_pass_over_budget_serves_the_whole_page_generic() -> None:
    clock = SteppingClock()

    def slow() -> Decision:
        clock.now += 0.004  # 5 blocks x 4 ms = 20 ms > 10 ms
        return MATCH

    budget = DecisionBudget(clock, 0.010)
    outcomes = budget.run_all([slow] * 5)
    assert [(d.variant_key, d.reason, e) for d, e in outcomes] == [
        (GENERIC, Reason.TIMEOUT, None)
    ] * 5
    assert budget.exhausted
    # A block decided later on the same page (not seen by the pass) is generic too.
    assert budget.run(lambda: MATCH)[0].reason is Reason.TIMEOUT
    assert budget.run_all([lambda: MATCH]) == [(budget.run(lambda: MATCH)[0], None)]


def test_a_failing_block_is_generic_with_error_and_the_others_stay_personalized() -> None:
    def broken() -> Decision:
        raise LookupError("variants")

    budget = DecisionBudget(SteppingClock(), 0.010)
    (first, e1), (second, e2), (third, e3) = budget.run_all([lambda: MATCH, broken, lambda: MATCH])
    assert (first, second.reason, third) == (MATCH, Reason.ERROR, MATCH)
    assert (e1, e3) == (None, None)
    assert isinstance(e2, LookupError)


def test_an_empty_page_spends_nothing() -> None:
    budget = DecisionBudget(SteppingClock(), 0.0)
    assert budget.run_all([]) == []
    assert not budget.exhausted
