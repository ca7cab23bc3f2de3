"""Alert judgement: the Wilson interval against published values and by simulation, the
judgement of a scope, and an incident's life (opens once, holds, resolves once)."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from persx.engine.alerting.judgement import (
    Action,
    Judgement,
    Observation,
    Threshold,
    judge,
    step,
    wilson_interval,
)

# Newcombe (1998), "Two-sided confidence intervals for the single proportion: comparison of
# seven methods", Statistics in Medicine 17, Table II, method 3 (score interval, no CC).
NEWCOMBE = [
    (81, 263, 0.2553, 0.3662),
    (15, 148, 0.0624, 0.1605),
    (0, 20, 0.0000, 0.1611),
    (1, 29, 0.0061, 0.1718),
]


@pytest.mark.parametrize(("x", "n", "lower", "upper"), NEWCOMBE)
def test_wilson_interval_matches_newcombe(x: int, n: int, lower: float, upper: float) -> None:
    interval = wilson_interval(x, n)
    assert interval.lower == pytest.approx(lower, abs=6e-5)
    assert interval.upper == pytest.approx(upper, abs=6e-5)


def test_wilson_interval_covers_the_true_rate_about_95_percent_of_the_time() -> None:
    rng = random.Random(7)
    truth, n, runs = 0.7, 200, 4000
    covered = 0
    for _ in range(runs):
        x = sum(rng.random() < truth for _ in range(n))
        interval = wilson_interval(x, n)
        covered += interval.lower <= truth <= interval.upper
    # Binomial sd of the coverage share at 4000 runs is ~0.0034; Wilson is close to nominal.
    assert 0.935 <= covered / runs <= 0.965


def test_wilson_interval_refuses_impossible_counts() -> None:
    with pytest.raises(ValueError, match="trials"):
        wilson_interval(0, 0)
    with pytest.raises(ValueError, match="successes"):
        wilson_interval(5, 3)


BELOW_70 = Threshold(below=True, level=0.70, clear_level=0.75, min_sample=200)
ABOVE_HALF_PERCENT = Threshold(below=False, level=0.005, clear_level=0.0025, min_sample=400)


def test_a_rate_fires_on_its_bound_not_its_estimate() -> None:
    # 66% of 300: the estimate is below 70% but the upper bound (71.2%) is not.
    assert judge(Observation.rate(198, 300), BELOW_70) is Judgement.HOLDING
    # 60% of 300: upper bound 65.3% < 70%.
    assert judge(Observation.rate(180, 300), BELOW_70) is Judgement.FIRING
    # 8 errors in 1000 decisions: 0.8%, lower bound 0.41% — not evidence of > 0.5%.
    assert judge(Observation.rate(8, 1000), ABOVE_HALF_PERCENT) is Judgement.HOLDING
    assert judge(Observation.rate(30, 1000), ABOVE_HALF_PERCENT) is Judgement.FIRING


def test_small_samples_are_never_judged() -> None:
    assert judge(Observation.rate(0, 3), BELOW_70) is Judgement.INSUFFICIENT
    assert judge(Observation.rate(0, 199), BELOW_70) is Judgement.INSUFFICIENT
    assert judge(Observation.rate(0, 0), BELOW_70) is Judgement.INSUFFICIENT


def test_clear_needs_the_estimate_past_the_clear_level() -> None:
    assert judge(Observation.rate(228, 300), BELOW_70) is Judgement.CLEAR  # 76%
    assert judge(Observation.rate(216, 300), BELOW_70) is Judgement.HOLDING  # 72%
    assert judge(Observation.rate(1, 1000), ABOVE_HALF_PERCENT) is Judgement.CLEAR


NOW = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)


def test_an_incident_opens_once_holds_and_resolves_once() -> None:
    hold = timedelta(minutes=0)
    opened = step(
        incident_open=False,
        condition_since=None,
        judgements={"": Judgement.FIRING},
        affected=frozenset(),
        now=NOW,
        hold_for=hold,
    )
    assert opened.action is Action.OPEN
    # While open, firing or in between keeps it open (no second OPEN).
    for judgement in (Judgement.FIRING, Judgement.HOLDING, Judgement.INSUFFICIENT):
        again = step(
            incident_open=True,
            condition_since=None,
            judgements={"": judgement},
            affected=frozenset({""}),
            now=NOW,
            hold_for=hold,
        )
        assert again.action is Action.UPDATE
    resolved = step(
        incident_open=True,
        condition_since=None,
        judgements={"": Judgement.CLEAR},
        affected=frozenset({""}),
        now=NOW,
        hold_for=hold,
    )
    assert resolved.action is Action.RESOLVE
    quiet = step(
        incident_open=False,
        condition_since=None,
        judgements={"": Judgement.CLEAR},
        affected=frozenset(),
        now=NOW,
        hold_for=hold,
    )
    assert quiet.action is Action.NOTHING


def test_an_incident_stays_open_while_any_affected_scope_is_not_clear() -> None:
    result = step(
        incident_open=True,
        condition_since=None,
        judgements={"": Judgement.CLEAR, "saas": Judgement.HOLDING},
        affected=frozenset({"", "saas"}),
        now=NOW,
        hold_for=timedelta(0),
    )
    assert result.action is Action.UPDATE


def test_the_for_duration_delays_opening() -> None:
    hold = timedelta(minutes=15)
    first = step(
        incident_open=False,
        condition_since=None,
        judgements={"saas": Judgement.FIRING},
        affected=frozenset(),
        now=NOW,
        hold_for=hold,
    )
    assert first == type(first)(Action.PENDING, NOW)
    later = NOW + timedelta(minutes=10)
    assert (
        step(
            incident_open=False,
            condition_since=first.condition_since,
            judgements={"saas": Judgement.FIRING},
            affected=frozenset(),
            now=later,
            hold_for=hold,
        ).action
        is Action.PENDING
    )
    # A pass where it stopped firing resets the clock.
    reset = step(
        incident_open=False,
        condition_since=first.condition_since,
        judgements={"saas": Judgement.HOLDING},
        affected=frozenset(),
        now=later,
        hold_for=hold,
    )
    assert reset.condition_since is None
    done = NOW + timedelta(minutes=15)
    assert (
        step(
            incident_open=False,
            condition_since=first.condition_since,
            judgements={"saas": Judgement.FIRING},
            affected=frozenset(),
            now=done,
            hold_for=hold,
        ).action
        is Action.OPEN
    )
