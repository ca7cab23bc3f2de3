"""A definition the engine refuses, with the field it concerns (for forms and APIs)."""

from __future__ import annotations

from typing import Literal

SetupField = Literal[
    "key",
    "arms",
    "coverage",
    "hash_version",
    "namespace",
    "randomization_unit",
    # bandit allocation (engine.bandit)
    "weights",
    "holdback_share",
    "min_exploration",
    "draws",
    "prior",
    "counts",
    "block_type",
    "audience",
    "metric",
    "guardrail_metric",
    "guardrail_drop",
    "retire_below",
    # inference model (engine.inference)
    "classes",
    "intercepts",
    "coefficients",
    "threshold",
    "temperature",
]


class InvalidSetup(ValueError):
    """Raised for an invalid experiment setup; ``field`` names what to fix."""

    def __init__(self, field: SetupField, message: str) -> None:
        super().__init__(message)
        self.field: SetupField = field
