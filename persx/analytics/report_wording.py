"""The sentences of a report, in English a marketer reads without a statistics course.

Numbers come in already computed (:mod:`persx.analytics.report_maths`); this module only
chooses words: the phrases (an interval, a split, a list of names) and the sentences built
from them. How a single number shows is :mod:`persx.charts.number_format`'s.
"""

from __future__ import annotations

from collections.abc import Sequence

from persx.analytics.report_model import (
    TARGET_PLI,
    UNDERPERFORMING_BELOW,
    ArmTraffic,
    Comparison,
    Design,
    SrmView,
    VerdictNumbers,
    VerdictView,
)
from persx.charts.number_format import count, finite, p_value, percent, probability
from persx.engine.statistics import SRMResult, VerdictStatus


def lift_interval(lower: float | None, upper: float | None, exists: bool = True) -> str:
    """``+3.0% to +28.1%``; "not yet bounded" while the data cannot bound it."""
    if not exists or not finite(lower) or not finite(upper):
        return "not yet bounded"
    return f"{percent(lower, signed=True)} to {percent(upper, signed=True)}"


def split(values: Sequence[float]) -> str:
    """Configured weights as a split: ``(0.5, 0.5)`` → ``50/50``."""
    total = sum(values) or 1.0
    return "/".join(f"{v / total * 100:.0f}" for v in values)


def joined(labels: Sequence[str]) -> str:
    """``a``, ``a and b``, ``a, b and c``."""
    if len(labels) <= 1:
        return "".join(labels)
    return f"{', '.join(labels[:-1])} and {labels[-1]}"


def verdict_view(arm: str, segment: tuple[str, str], numbers: VerdictNumbers | None) -> VerdictView:
    """The underperformance verdict of one arm in one segment, with its headline and message."""

    def view(status: str, headline: str, message: str) -> VerdictView:
        n = numbers or VerdictNumbers(status)
        return VerdictView(
            arm=arm,
            segment=segment[0],
            segment_label=segment[1],
            status=status,
            headline=headline,
            message=message,
            lift=n.lift,
            lower=n.lower,
            upper=n.upper,
            prob_below_target=n.prob_below_target,
            visitors_still_needed=n.visitors_still_needed,
        )

    target = percent(UNDERPERFORMING_BELOW, 0, signed=True)
    if numbers is None:
        return view(
            VerdictStatus.INSUFFICIENT_DATA.value,
            "Insufficient data",
            "No visitors in both arms yet.",
        )
    interval = lift_interval(numbers.lower, numbers.upper)
    lift = percent(numbers.lift, signed=True)
    if numbers.status == VerdictStatus.UNDERPERFORMING.value:
        return view(
            numbers.status,
            "Underperforming",
            f"PLI {lift} (90% interval {interval}): the evidence says "
            f"personalization here is below the {target} target "
            f"({probability(numbers.prob_below_target)} probability).",
        )
    if numbers.status == VerdictStatus.NOT_UNDERPERFORMING.value:
        return view(
            numbers.status,
            "On target",
            f"PLI {lift} (90% interval {interval}): at or above the {target} target.",
        )
    needed = numbers.visitors_still_needed
    if needed is None:
        message = "Insufficient data: no conversions in the control arm yet, so there is no "
        message += "baseline to measure the lift against."
    elif needed > 0:
        message = (
            f"Insufficient data — {count(needed)} more visitors needed "
            f"to tell whether PLI is below {target}."
        )
    else:
        return view(
            "undecided",
            "Undecided",
            f"PLI {lift} (90% interval {interval}) is close to the "
            f"{target} target; more data will change little.",
        )
    return view(numbers.status, "Insufficient data", message)


def srm_view(design: Design, traffic: tuple[ArmTraffic, ...], result: SRMResult | None) -> SrmView:
    """The traffic split check in words."""
    if design.is_holdout and design.status == "off":
        return SrmView(
            traffic,
            None,
            False,
            False,
            "The global holdout is switched off (PERSX_HOLDOUT_SHARE is 0): every profiled "
            "visitor gets personalized content, so there is nothing to compare with.",
        )
    if result is None:
        return SrmView(traffic, None, False, False, "No visitors counted yet.")
    counts_text = joined([f"{count(t.visitors)} in {t.arm}" for t in traffic])
    configured = split([a.weight for a in design.arms])
    if result.flagged:
        expected_text = joined([f"about {count(t.expected)} in {t.arm}" for t in traffic])
        message = (
            f"Traffic split problem: the arms got {counts_text}, but the configured "
            f"{configured} split expects {expected_text}. A gap this large happens by chance "
            f"less than once in 1,000 experiments (p = {p_value(result.p_value)}), so visitors "
            f"are probably being lost or mis-assigned in one arm. Don't trust the results "
            f"until the cause is found."
        )
    else:
        message = (
            f"Traffic split looks healthy: {counts_text}, in line with the configured "
            f"{configured} split (p = {p_value(result.p_value)})."
        )
    return SrmView(traffic, result.p_value, result.flagged, True, message)


def headline(design: Design, primary: Comparison | None) -> str:
    if primary is None or not design.treatments:
        return "This experiment has no treatment arm to compare."
    if primary.control.visitors == 0 or primary.treatment.visitors == 0:
        return "No visitors in both arms yet."
    arm = design.treatments[0]
    control = design.arm(design.control)
    text = (
        f"{primary.metric_label}: {percent(primary.treatment_value, 2)} with {arm.label} vs "
        f"{percent(primary.control_value, 2)} with {control.label if control else 'control'}"
    )
    if primary.lift is None:
        return text + " — no conversions yet to compare."
    text += f" — PLI {percent(primary.lift, signed=True)}"
    if primary.interval_exists:
        text += f" (95% interval {lift_interval(primary.lower, primary.upper)})"
    else:
        text += " (too few conversions to bound it yet)"
    if primary.chance_to_win is not None:
        text += f"; {probability(primary.chance_to_win)} chance {arm.key} is better"
    return text + "."


def sufficiency(design: Design, primary: Comparison | None) -> str:
    if primary is None or primary.control.visitors == 0 or primary.treatment.visitors == 0:
        return (
            "No visitors counted yet. Visitors appear after the next rollup "
            "(manage.py persx_rollup) once the experiment is running."
        )
    target = percent(TARGET_PLI, 0, signed=True)
    name = primary.metric_label
    if primary.kind != "rate":
        return f"{count(primary.control.visitors + primary.treatment.visitors)} visitors so far."
    if primary.control.conversions == 0:
        return (
            f"No {name.lower()} in the control arm yet, so there is no baseline to measure "
            f"the lift against."
        )
    mde = f"the smallest lift it can reliably detect is {percent(primary.mde, 0, signed=True)}"
    needed = primary.visitors_still_needed
    if needed is None:
        return f"With today's traffic {mde}."
    if needed > 0:
        return (
            f"Not enough data yet to detect a {target} lift in {name.lower()}: about "
            f"{count(needed)} more visitors are needed (80% power, current split). "
            f"With today's traffic {mde}."
        )
    return f"Enough visitors to detect a {target} lift in {name.lower()}; {mde}."
