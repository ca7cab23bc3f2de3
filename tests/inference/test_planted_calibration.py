"""Calibration and precision of the served model on simulated visitors with known truth.

The model is trained by the real trainer (scikit-learn) and scored by the engine, exactly as
it is served. It is judged on visitors it never saw: the trainer's own held-out fifth and a
second, independently generated population.
"""

from __future__ import annotations

import pytest

from persx.engine.learning.inference import infer
from persx.inference.training import evaluate, train
from tests.inference.planted_visitors import PERSONA_INDUSTRIES, planted_visitors

TRAIN_VISITORS = 10_000
FRESH_VISITORS = 4_000


@pytest.fixture(scope="module")
def trained():  # type: ignore[no-untyped-def]
    return train(
        planted_visitors(TRAIN_VISITORS, seed=11),
        version="planted-1",
        persona_industries=PERSONA_INDUSTRIES,
        seed=3,
    )


def test_held_out_calibration_error_is_at_most_five_points(trained) -> None:  # type: ignore[no-untyped-def]
    fresh = evaluate(trained.model, planted_visitors(FRESH_VISITORS, seed=12))
    print(
        f"\nECE held-out {trained.evaluation.ece:.4f}, fresh {fresh.ece:.4f}; "
        f"temperature {trained.model.industry.temperature:.3f}"
    )
    assert trained.evaluation.visitors == TRAIN_VISITORS // 5
    assert trained.evaluation.ece <= 0.05
    assert fresh.ece <= 0.05


def test_precision_at_the_chosen_threshold_is_at_least_ninety_percent(trained) -> None:  # type: ignore[no-untyped-def]
    fresh = evaluate(trained.model, planted_visitors(FRESH_VISITORS, seed=13))
    print(
        f"\nthreshold {trained.model.industry.threshold:.3f}: precision held-out "
        f"{trained.evaluation.precision:.3f} / fresh {fresh.precision:.3f}, coverage "
        f"{trained.evaluation.coverage:.3f} / {fresh.coverage:.3f}"
    )
    assert trained.evaluation.precision >= 0.90
    assert fresh.precision >= 0.90
    # Abstaining on everyone would be "precise": the model must still speak for many.
    assert fresh.coverage >= 0.30
    # And it must abstain for some: plenty of planted visitors carry no usable evidence.
    assert fresh.coverage <= 0.95


def test_a_lower_threshold_would_break_the_precision_target(trained) -> None:  # type: ignore[no-untyped-def]
    """The threshold is not arbitrary: speaking for everyone is far less precise."""
    visitors = planted_visitors(FRESH_VISITORS, seed=14)
    right = [infer(trained.model, v.signals).candidate == v.industry for v in visitors]
    assert sum(right) / len(right) < 0.85


def test_personas_are_inferred_only_inside_the_inferred_industry(trained) -> None:  # type: ignore[no-untyped-def]
    visitors = planted_visitors(2_000, seed=15)
    outcomes = [infer(trained.model, v.signals) for v in visitors]
    with_persona = [(o, v) for o, v in zip(outcomes, visitors, strict=True) if o.persona]
    assert with_persona, "the planted persona tags should let the model name some personas"
    for outcome, _ in with_persona:
        assert PERSONA_INDUSTRIES[outcome.persona or ""] == outcome.industry
    right = sum(o.persona == v.persona for o, v in with_persona) / len(with_persona)
    print(f"\npersona named for {len(with_persona)} of 2000, right {right:.3f}")
    assert right >= 0.85
