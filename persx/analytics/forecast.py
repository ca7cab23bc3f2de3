"""When will we know: per industry, the day the primary metric's comparison reaches 80%
power for +15% at current traffic, and the smallest lift detectable by the quarter's end.

Traffic is the experiment's new visitors per day over the last ``TRAFFIC_DAYS`` days (or
since its first visitor, when younger). The maths is
:func:`persx.engine.statistics.time_to_power`; with a regression adjustment the visitors
needed shrink by its variance reduction (docs/statistics.md).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import date, timedelta

from django.db.models import Min, Sum

from persx.analytics.models import DailyRollup
from persx.analytics.report_model import (
    ALL_INDUSTRIES,
    ALPHA,
    TARGET_PLI,
    AdjustedEstimate,
    Comparison,
    Design,
    WhenWeKnow,
)
from persx.charts.number_format import percent
from persx.engine.statistics import time_to_power

TRAFFIC_DAYS = 14
LONGEST_FORECAST_DAYS = 3 * 365  # beyond this, "not at current traffic"


def quarter_end(day: date) -> date:
    """The last day of ``day``'s calendar quarter."""
    first_month_next = 3 * ((day.month - 1) // 3) + 4
    year = day.year + (first_month_next > 12)
    month = (first_month_next - 1) % 12 + 1
    return date(year, month, 1) - timedelta(days=1)


def daily_visitors(design: Design, today: date) -> tuple[dict[str, float], int]:
    """New visitors per day by industry over the last ``TRAFFIC_DAYS`` days, and the
    number of days that average covers."""
    since = today - timedelta(days=TRAFFIC_DAYS - 1)
    rollups = DailyRollup.objects.filter(experiment=design.key, metric=design.primary_metric)
    first = rollups.aggregate(first=Min("day"))["first"]
    if first is None:
        return {}, TRAFFIC_DAYS
    days = max(1, min(TRAFFIC_DAYS, (today - max(first, since)).days + 1))
    rows = (
        rollups.filter(day__gte=since, day__lte=today)
        .values("industry")
        .annotate(v=Sum("visitors"))
        .order_by()
    )
    return {r["industry"]: int(r["v"] or 0) / days for r in rows}, days


def when_we_know(
    design: Design,
    comparisons: Sequence[Comparison],
    adjusted: Sequence[AdjustedEstimate],
    today: date,
) -> tuple[list[WhenWeKnow], int]:
    """One row per segment of the first treatment arm's primary metric (rates only)."""
    if not design.treatments:
        return [], TRAFFIC_DAYS
    arm = design.treatments[0].key
    rates, days = daily_visitors(design, today)
    horizon = quarter_end(today)
    rows = []
    for c in comparisons:
        if c.arm != arm or c.metric != design.primary_metric or c.kind != "rate":
            continue
        rate = sum(rates.values()) if c.segment == ALL_INDUSTRIES else rates.get(c.segment, 0.0)
        reduction = next(
            (a.variance_reduction for a in adjusted if a.arm == arm and a.segment == c.segment),
            None,
        )
        factor = min(1.0, max(0.05, 1 - reduction)) if reduction and reduction > 0 else 1.0
        baseline = c.control.rate
        common = {
            "segment": c.segment,
            "segment_label": c.segment_label,
            "daily_visitors": rate,
            "visitors": c.control.visitors + c.treatment.visitors,
            "baseline": baseline,
            "variance_factor": factor,
            "horizon": horizon,
        }
        if baseline is None or not 0 < baseline < 1 or baseline * (1 + TARGET_PLI) >= 1:
            rows.append(
                WhenWeKnow(
                    **common,  # type: ignore[arg-type]
                    visitors_needed=None,
                    visitors_missing=None,
                    ready_on=None,
                    already=False,
                    mde_at_horizon=None,
                    note="No control conversions yet: no baseline to plan from.",
                )
            )
            continue
        t = time_to_power(
            baseline,
            TARGET_PLI,
            c.control.visitors,
            c.treatment.visitors,
            rate,
            (horizon - today).days,
            variance_factor=factor,
            alpha=ALPHA,
        )
        ready = (
            today + timedelta(days=math.ceil(t.days)) if t.days <= LONGEST_FORECAST_DAYS else None
        )
        mde = t.mde_at_horizon if math.isfinite(t.mde_at_horizon) else None
        note = (
            "Enough visitors already."
            if t.visitors_missing == 0
            else f"At {rate:.0f} visitors a day."
            if ready is not None
            else "Not at current traffic."
        )
        if factor < 1:
            note += f" Adjusted: needs {percent(1 - factor, 0)} fewer visitors."
        rows.append(
            WhenWeKnow(
                **common,  # type: ignore[arg-type]
                visitors_needed=t.visitors_needed,
                visitors_missing=t.visitors_missing,
                ready_on=ready,
                already=t.visitors_missing == 0,
                mde_at_horizon=mde,
                note=note,
            )
        )
    return rows, days
