"""Chart geometry: known values land on known pixels; the templates escape every text."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.template.loader import render_to_string
from django.utils import translation

from persx.analytics.charts import (
    GREEN,
    TEAL,
    IntervalRow,
    cumulative_chart,
    interval_chart,
    nice_ticks,
)
from persx.analytics.report_model import Series, SeriesPoint


def test_an_interval_row_maps_its_lift_and_bounds_onto_the_axis() -> None:
    # Values from -0.5 to 2.0 are padded by 8% of 2.5 (0.2) on each side: the axis runs
    # from -0.7 to 2.2 over the 560 px plot, which starts after the 190 px label column.
    chart = interval_chart([IntervalRow("SaaS", lift=0.75, lower=-0.5, upper=2.0)])
    row = chart.rows[0]
    assert row.dot is not None
    assert row.dot.x == 470.0  # 0.75 is the middle of [-0.7, 2.2]: 190 + 560 / 2
    assert row.cy == 47.0  # 30 px above the first row + half a 34 px row
    assert row.bar is not None
    assert row.bar.x1 == 228.6  # 190 + 0.2 / 2.9 × 560
    assert row.bar.x2 == 711.4  # 190 + 2.7 / 2.9 × 560
    assert row.bar.color == TEAL  # the interval crosses 0: neither good nor bad
    assert row.bar.arrows == ()  # nothing clipped
    assert chart.zero_x == 325.2  # 190 + 0.7 / 2.9 × 560
    assert chart.target is not None
    assert chart.target.label == "+15%"
    assert chart.zero_x < chart.target.at < row.dot.x


def test_an_interval_above_zero_is_green_and_an_unbounded_one_spans_the_plot() -> None:
    chart = interval_chart(
        [
            IntervalRow("Clear win", lift=0.4, lower=0.1, upper=0.7),
            IntervalRow("Too early", lift=0.3, lower=None, upper=None),
            IntervalRow("Nothing", lift=None, lower=None, upper=None),
        ]
    )
    win, early, nothing = chart.rows
    assert win.bar is not None
    assert win.bar.color == GREEN
    assert early.bar is None
    assert early.unbounded is not None
    assert (early.unbounded.x1, early.unbounded.x2) == (190.0, 750.0)
    assert nothing.dot is None
    assert "too few conversions" in chart.caption
    assert [r.striped for r in chart.rows] == [True, False, True]


def test_cumulative_days_are_spread_over_the_width_and_lifts_over_the_height() -> None:
    start = date(2026, 3, 2)
    points = tuple(
        SeriesPoint(start + timedelta(days=i), 100, 10, 100, 10, lift, None, None, None, None)
        for i, lift in enumerate((0.0, 0.5, 1.0))
    )
    chart = cumulative_chart(Series("p", "form_submission", points))
    # x: 64 px left margin, 812 px plot. y: lifts -0.08..1.08 (8% padding) over 240 px
    # below a 24 px margin, higher lifts higher up: 0.5 is the middle (24 + 120), 0 and 1
    # are 0.08 / 1.16 × 240 = 16.6 px inside the plot's bottom (264) and top (24).
    assert [(p.x, p.y) for p in chart.points] == [(64.0, 247.4), (470.0, 144.0), (876.0, 40.6)]
    assert chart.zero_y == 247.4
    assert chart.line == "64.0,247.4 470.0,144.0 876.0,40.6"
    assert chart.band == ""  # no interval yet
    assert [d.label for d in chart.day_labels] == ["Mar 02", "Mar 03", "Mar 04"]


def test_a_series_without_lifts_draws_an_empty_chart() -> None:
    chart = cumulative_chart(Series("p", "form_submission", ()))
    assert chart.empty
    html = render_to_string("persx_analytics/charts/cumulative.html", {"chart": chart})
    assert "No days with conversions in both arms yet." in html


def test_ticks_are_round_numbers_covering_the_range() -> None:
    assert nice_ticks(-0.7, 2.2) == [-0.5, 0.0, 0.5, 1.0, 1.5, 2.0]
    assert nice_ticks(0.0, 1.0, 5) == [0.0, 0.2, 0.4, 0.6, 0.8, 1.0]


@pytest.mark.parametrize("language", ["en", "de"])
def test_the_template_escapes_labels_and_keeps_coordinates_unlocalized(language: str) -> None:
    chart = interval_chart([IntervalRow('<b>"A&B"</b>', lift=0.75, lower=-0.5, upper=2.0)])
    with translation.override(language):
        html = render_to_string("persx_analytics/charts/interval.html", {"chart": chart})
    assert html.startswith("<svg")
    assert "<b>" not in html
    assert "&lt;b&gt;&quot;A&amp;B&quot;&lt;/b&gt;" in html
    assert 'cx="470.0"' in html  # a decimal point, never "470,0", whatever the language
