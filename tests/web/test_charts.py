"""The chart kit (persx/charts): known values land on known pixels (worked out by hand from
the layout constants), every chart carries a title and a text description, the templates
escape every text, and one percent format serves code and templates."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from django.template import Context, Template
from django.template.loader import render_to_string
from django.utils import translation

from persx.analytics.report_model import SeriesPoint
from persx.charts.allocation import allocation_chart
from persx.charts.cumulative import cumulative_chart
from persx.charts.daily_rates import Line, daily_rates_chart
from persx.charts.interval import IntervalRow, interval_chart
from persx.charts.number_format import percent
from persx.charts.reliability import reliability_chart
from persx.charts.scale import Linear, label_indexes, lift_range, nice_ticks
from persx.charts.style import GREEN, GREY, INDIGO, TEAL
from persx.engine.learning.calibration import ReliabilityBin


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
    chart = cumulative_chart(points)
    # x: 64 px left margin, 812 px plot. y: lifts -0.08..1.08 (8% padding) over 240 px
    # below a 24 px margin, higher lifts higher up: 0.5 is the middle (24 + 120), 0 and 1
    # are 0.08 / 1.16 × 240 = 16.6 px inside the plot's bottom (264) and top (24).
    assert [(p.x, p.y) for p in chart.points] == [(64.0, 247.4), (470.0, 144.0), (876.0, 40.6)]
    assert chart.zero_y == 247.4
    assert chart.line == "64.0,247.4 470.0,144.0 876.0,40.6"
    assert chart.band == ""  # no interval yet
    assert [d.label for d in chart.day_labels] == ["Mar 02", "Mar 03", "Mar 04"]


def test_a_series_without_lifts_draws_an_empty_chart() -> None:
    chart = cumulative_chart(())
    assert chart.empty
    html = render_to_string("persx_charts/cumulative.html", {"chart": chart})
    assert "No days with conversions in both arms yet." in html


def test_ticks_are_round_numbers_covering_the_range() -> None:
    assert nice_ticks(-0.7, 2.2) == [-0.5, 0.0, 0.5, 1.0, 1.5, 2.0]
    assert nice_ticks(0.0, 1.0, 5) == [0.0, 0.2, 0.4, 0.6, 0.8, 1.0]


@pytest.mark.parametrize("language", ["en", "de"])
def test_the_template_escapes_labels_and_keeps_coordinates_unlocalized(language: str) -> None:
    chart = interval_chart([IntervalRow('<b>"A&B"</b>', lift=0.75, lower=-0.5, upper=2.0)])
    with translation.override(language):
        html = render_to_string("persx_charts/interval.html", {"chart": chart})
    assert html.startswith("<svg")
    assert "<b>" not in html
    assert "&lt;b&gt;&quot;A&amp;B&quot;&lt;/b&gt;" in html
    assert 'cx="470.0"' in html  # a decimal point, never "470,0", whatever the language


# --- the other chart kinds: expected pixels worked out by hand from the layout constants ---


@dataclass(frozen=True)
class Version:
    version: int
    weights: dict[str, float]


def test_allocation_bands_stack_the_shares_from_the_bottom_up() -> None:
    # Plot: x from 52 to 704 (720 - 16); y from 236 (0%) up to 16 (100%), 220 px tall.
    chart = allocation_chart(
        ["generic", "persona:x"],
        [
            Version(1, {"generic": 0.5, "persona:x": 0.5}),
            Version(2, {"generic": 0.25, "persona:x": 0.75}),
        ],
    )
    generic, persona = chart.bands
    # generic: 50% then 25% high, from the bottom (y 126 = 236 - 110, y 181 = 236 - 55)
    assert generic.points == "52.0,126.0 704.0,181.0 704.0,236.0 52.0,236.0"
    # persona: from the top of generic up to 100%
    assert persona.points == "52.0,16.0 704.0,16.0 704.0,181.0 52.0,126.0"
    assert (generic.colour, persona.colour) == (GREY, TEAL)  # the baseline arm is grey
    assert persona.title == "persona:x: 75.0% in the latest version"
    assert [(t.at, t.label) for t in chart.ticks] == [
        (236.0, "0%"),
        (181.0, "25%"),
        (126.0, "50%"),
        (71.0, "75%"),
        (16.0, "100%"),
    ]
    assert [(v.at, v.label) for v in chart.version_labels] == [(52.0, "v1"), (704.0, "v2")]
    assert [e.x for e in chart.legend] == [52, 131]  # 52 + 30 + 7 × len("generic")
    assert chart.description == "Version 2: generic 25.0%, persona:x 75.0%."


def test_one_allocation_version_is_a_bar_in_the_middle() -> None:
    chart = allocation_chart(["generic"], [Version(1, {"generic": 1.0})])
    # the middle of 52..704 is 378; the bar is 80 px wide
    assert chart.bands[0].points == "338.0,16.0 418.0,16.0 418.0,236.0 338.0,236.0"
    empty = allocation_chart(["generic"], [])
    assert empty.empty
    assert empty.legend == ()
    html = render_to_string("persx_charts/allocation.html", {"chart": empty})
    assert "No allocation yet" in html
    assert "<desc>No allocation yet.</desc>" in html


def test_a_reliability_bin_is_a_bar_as_high_as_its_share_right() -> None:
    # The 360 px square starts 56 px from the left and 28 px from the top: x(v) = 56 + 360v,
    # y(v) = 388 - 360v.
    chart = reliability_chart([ReliabilityBin(0.6, 0.8, 12, 0.7, 0.75)])
    (shape,) = chart.bins
    assert (shape.x, shape.width) == (274.0, 68.0)  # 56 + 216 + 2 to 56 + 288 - 2
    assert (shape.y, shape.height) == (118.0, 270.0)  # 388 - 270 down to the axis at 388
    assert shape.dot_x == 308.0  # 56 + 0.7 × 360
    assert (shape.count_x, shape.count_y) == (308.0, 112.0)  # over the bar's middle
    assert (chart.width, chart.height) == (436, 436)  # 56 + 360 + 20, 28 + 360 + 48
    assert [t.at for t in chart.y_ticks] == [388.0, 316.0, 244.0, 172.0, 100.0, 28.0]
    assert [t.at for t in chart.x_ticks] == [56.0, 128.0, 200.0, 272.0, 344.0, 416.0]


def test_daily_rates_break_the_line_on_a_day_without_data() -> None:
    # Plot: x from 52 to 610 (640 - 30), three days 279 px apart; y from 180 (0) to 28 (1).
    days = [date(2026, 3, 2) + timedelta(days=i) for i in range(3)]
    chart = daily_rates_chart(
        days,
        [Line("Rate", (0.5, 0.5, None)), Line("Other", (0.25, None, 0.25))],
        threshold=0.25,
        title="Rates",
    )
    rate, other = chart.lines
    assert rate.segments == ("52.0,104.0 331.0,104.0",)  # 180 - 76 = 104
    assert other.segments == ()  # no two days in a row
    assert [(d.x, d.y) for d in other.dots] == [(52.0, 142.0), (610.0, 142.0)]
    assert chart.threshold_y == 142.0
    assert (rate.colour, other.colour) == (TEAL, INDIGO)
    assert (rate.legend_x, other.legend_x) == (52, 222)
    assert chart.description == (
        "3 days to 2026-03-04; on the last day with data: Rate 50.0%, Other 25.0%; "
        "alert threshold 25.0%."
    )


def test_daily_rate_ticks_show_as_many_decimals_as_they_need() -> None:
    chart = daily_rates_chart([date(2026, 3, 2)], [Line("Errors", (None,))], ceiling=0.02)
    assert [t.label for t in chart.ticks] == ["0%", "0.5%", "1%", "1.5%", "2%"]
    assert chart.empty
    html = render_to_string("persx_charts/daily_rates.html", {"chart": chart})
    assert "No traffic in this period yet" in html


@pytest.mark.parametrize(
    ("value", "digits", "signed", "shown"),
    [
        (0.1534, 1, False, "15.3%"),
        (0.1534, 0, True, "+15%"),
        (-0.2, 1, True, "−20.0%"),
        (-0.0001, 1, True, "0.0%"),  # never "−0.0%"
        (12.5, 0, False, "1,250%"),
        (None, 1, False, "—"),
        (float("nan"), 1, False, "—"),
        (float("inf"), 1, True, "+∞"),
    ],
)
def test_the_percent_format(value: float | None, digits: int, signed: bool, shown: str) -> None:
    assert percent(value, digits, signed=signed) == shown


def test_templates_format_percentages_with_the_same_filter() -> None:
    html = Template("{% load persx_charts %}{{ a|pct }} {{ a|pct:0 }} {{ b|pli }}").render(
        Context({"a": 0.1534, "b": -0.2})
    )
    assert html == "15.3% 15% −20.0%"


def test_every_chart_has_a_title_and_a_text_description_and_escapes_them() -> None:
    days = [date(2026, 3, 2)]
    charts = {
        "interval": interval_chart([IntervalRow("<i>SaaS</i>", lift=0.2, lower=0.1, upper=0.3)]),
        "cumulative": cumulative_chart(()),
        "allocation": allocation_chart(["<i>arm</i>"], [Version(1, {"<i>arm</i>": 1.0})]),
        "reliability": reliability_chart([], "<i>Reliability</i>"),
        "daily_rates": daily_rates_chart(days, [Line("<i>Rate</i>", (0.5,))], title="<i>T</i>"),
    }
    for kind, chart in charts.items():
        html = render_to_string(f"persx_charts/{kind}.html", {"chart": chart})
        assert html.startswith("<svg"), kind
        assert "<title>" in html, kind
        assert "<desc>" in html, kind
        assert "<i>" not in html, kind
        if kind != "cumulative":  # its only texts are dates and numbers
            assert "&lt;i&gt;" in html, kind
    interval_html = render_to_string("persx_charts/interval.html", {"chart": charts["interval"]})
    assert (
        "<desc>&lt;i&gt;SaaS&lt;/i&gt;: PLI +20.0% (95% interval +10.0% to +30.0%)</desc>"
        in interval_html
    )


def test_a_linear_scale_maps_and_clips() -> None:
    y = Linear(0.0, 1.0, 100.0, 0.0)  # a y axis: 0 at the bottom (100 px), 1 at the top
    assert y(0.25) == 75.0
    assert y(1.5) == 0.0  # clipped to the top
    assert y(-1.0) == 100.0  # and to the bottom


def test_axis_labels_and_the_lift_range() -> None:
    assert label_indexes(10, 3) == [0, 3, 6, 9]
    assert label_indexes(8, 3) == [0, 3, 6, 7]  # the last one as well
    assert label_indexes(8, 3, with_last=False) == [0, 3, 6]
    # 0 and +15% are always in; 8% of the span pads each side
    assert lift_range([0.5]) == pytest.approx((-0.04, 0.54))
    # clipped to [-100%, +300%] before padding (8% of 4 = 0.32), never below -100%
    assert lift_range([-2.0, 5.0]) == pytest.approx((-1.0, 3.32))
