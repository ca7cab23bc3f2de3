"""Variant scheduling (``engine.schedule``): out-of-window variants are absent."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from persx.engine.deciding.decision import Reason
from persx.engine.deciding.experiments import Arm, ArmKind, ExperimentDefinition, assign_visitor
from persx.engine.deciding.schedule import (
    Window,
    WindowState,
    availability,
    decide_scheduled_block,
)
from persx.engine.visitor.audience import GENERIC
from persx.engine.visitor.profile import VisitorProfile

START = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
END = datetime(2026, 12, 8, 9, 0, tzinfo=UTC)
TICK = timedelta(microseconds=1)
PERSONA = "persona:saas-growth-lead"
INDUSTRY = "industry:saas"
VISITOR = assign_visitor(VisitorProfile("v" * 32, industry="saas", persona="saas-growth-lead"))


@pytest.mark.parametrize(
    ("now", "state"),
    [
        (START - TICK, WindowState.UPCOMING),
        (START, WindowState.LIVE),  # live_from is inclusive
        (END - TICK, WindowState.LIVE),
        (END, WindowState.EXPIRED),  # live_until is exclusive
    ],
)
def test_window_boundaries(now: datetime, state: WindowState) -> None:
    assert Window(START, END).state(now) is state
    assert Window(START, END).is_live(now) is (state is WindowState.LIVE)


def test_open_ended_windows() -> None:
    assert Window(live_from=START).state(START + timedelta(days=3650)) is WindowState.LIVE
    assert Window(live_from=START).state(START - TICK) is WindowState.UPCOMING
    assert Window(live_until=END).state(datetime(2000, 1, 1, tzinfo=UTC)) is WindowState.LIVE
    assert Window(live_until=END).state(END) is WindowState.EXPIRED


def test_empty_window_is_recognised() -> None:
    assert Window(START, START).is_empty
    assert Window(END, START).is_empty
    assert not Window(START, END).is_empty
    assert not Window(live_from=START).is_empty


def _decide(variants: set[str], windows: dict[str, Window], now: datetime) -> tuple[str, Reason]:
    decision = decide_scheduled_block(VISITOR, availability(variants, windows, now))
    return decision.variant_key, decision.reason


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (START - TICK, (GENERIC, Reason.VARIANT_SCHEDULED)),
        (START, (PERSONA, Reason.PERSONA_MATCH)),
        (END - TICK, (PERSONA, Reason.PERSONA_MATCH)),
        (END, (GENERIC, Reason.VARIANT_SCHEDULED)),
    ],
)
def test_only_variant_scheduled_out_serves_generic_with_its_reason(
    now: datetime, expected: tuple[str, Reason]
) -> None:
    assert _decide({PERSONA}, {PERSONA: Window(START, END)}, now) == expected


def test_scheduled_out_persona_falls_back_to_the_live_industry_variant() -> None:
    windows = {PERSONA: Window(START, END)}
    assert _decide({PERSONA, INDUSTRY}, windows, START - TICK) == (INDUSTRY, Reason.INDUSTRY_MATCH)
    assert _decide({PERSONA, INDUSTRY}, windows, START) == (PERSONA, Reason.PERSONA_MATCH)


def test_another_audiences_scheduled_variant_is_not_the_reason() -> None:
    windows = {"industry:travel": Window(START, END)}
    assert _decide({"industry:travel"}, windows, END) == (GENERIC, Reason.VARIANT_MISSING)


def test_no_windows_keeps_the_blocks_own_container() -> None:
    variants = {PERSONA, INDUSTRY}
    assert availability(variants, {}, START).live is variants
    live_now = availability(variants, {PERSONA: Window(START, END)}, START)
    assert live_now.live is variants
    assert not live_now.scheduled_out


def test_experiment_control_still_records_what_the_schedule_allows() -> None:
    experiment = ExperimentDefinition.build(
        "sched", [Arm("control", ArmKind.GENERIC, 1.0 - 1e-9), Arm("p", ArmKind.PERSONALIZED, 1e-9)]
    )
    visitor = assign_visitor(VISITOR.profile, [experiment])
    windows = {PERSONA: Window(START, END)}
    variants = {PERSONA, INDUSTRY}
    before = decide_scheduled_block(visitor, availability(variants, windows, START - TICK))
    during = decide_scheduled_block(visitor, availability(variants, windows, START))
    assert (before.reason, before.would_be) == (Reason.EXPERIMENT_CONTROL, INDUSTRY)
    assert (during.reason, during.would_be) == (Reason.EXPERIMENT_CONTROL, PERSONA)
