"""One parser for the stored arms JSON: the engine's, strict for writes, skipping for reads."""

from __future__ import annotations

import pytest

from persx.engine.deciding.experiments import Arm, ArmKind
from persx.experiments.mappers import arm_from_json, canonical_arms, stored_arms

CONTROL = {"key": "control", "kind": "generic", "weight": 0.5}
TREATED = {"key": "personalized", "kind": "personalized", "weight": "0.5"}


def test_reading_gives_engine_arms_in_order() -> None:
    assert stored_arms([CONTROL, TREATED]) == (
        Arm("control", ArmKind.GENERIC, 0.5),
        Arm("personalized", ArmKind.PERSONALIZED, 0.5),
    )


def test_reading_skips_what_does_not_parse_where_writing_refuses_it() -> None:
    broken = [
        CONTROL,
        {"key": "odd", "kind": "sideways", "weight": 0.5},
        {"kind": "generic", "weight": 0.5},
        "not an arm",
        TREATED,
    ]
    assert [a.key for a in stored_arms(broken)] == ["control", "personalized"]
    assert stored_arms({"not": "a list"}) == ()
    with pytest.raises(ValueError, match="sideways"):
        canonical_arms(broken)
    with pytest.raises(ValueError, match="malformed"):
        arm_from_json({"kind": "generic", "weight": 0.5})


def test_reading_treats_negative_weights_as_zero_and_all_zero_as_equal() -> None:
    negative = stored_arms([{**CONTROL, "weight": -1}, TREATED])
    assert [a.weight for a in negative] == [0.0, 0.5]
    zero = stored_arms([{**CONTROL, "weight": 0}, {**TREATED, "weight": 0}])
    assert [a.weight for a in zero] == [1.0, 1.0]
