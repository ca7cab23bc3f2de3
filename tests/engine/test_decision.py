"""A served block reports the decision it served, field for field."""

from __future__ import annotations

from persx.engine.deciding.decision import Decision, Reason, ServedBlock


def test_served_block_reads_through_to_its_decision() -> None:
    control = Decision(
        "generic",
        Reason.EXPERIMENT_CONTROL,
        arm="control",
        experiment="pli",
        would_be="industry:saas",
    )
    served = ServedBlock("hero", control)
    assert (served.block_type, served.variant_key, served.reason) == (
        "hero",
        "generic",
        Reason.EXPERIMENT_CONTROL,
    )
    assert (served.experiment, served.arm, served.would_be) == ("pli", "control", "industry:saas")
    plain = ServedBlock("cta", Decision("industry:saas", Reason.INDUSTRY_MATCH))
    assert (plain.experiment, plain.arm, plain.would_be) == (None, None, None)
