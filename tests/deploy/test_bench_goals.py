"""`make bench` exits non-zero when a ratio goal fails (bench/goals.py); no bench runs here."""

from __future__ import annotations

import math

import pytest

from bench.goals import GoalTable


def _table(**figures: float) -> GoalTable:
    table = GoalTable()
    table.record("page: personalized / stock Wagtail", figures["page"], 1.3, "<=", "ratio")
    table.record("HTTP on / off", figures["http"], 0.9, ">=", "ratio")
    table.record("worker start", figures["start"], 2.0, "<=", "absolute", "s")
    return table


def test_every_goal_met_exits_zero() -> None:
    table = _table(page=1.29, http=0.91, start=0.5)
    assert table.exit_status(strict=True) == 0
    assert [g.met for g in table.goals] == [True, True, True]


@pytest.mark.parametrize(("page_ratio", "http"), [(1.31, 0.95), (1.0, 0.89)])
def test_a_failing_ratio_goal_exits_non_zero(page_ratio: float, http: float) -> None:
    table = _table(page=page_ratio, http=http, start=0.5)
    assert table.exit_status(strict=False) == 1
    assert len(table.failed()) == 1
    assert "FAILS" in table.render()


def test_an_absolute_goal_not_met_fails_the_run_only_when_strict(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    table = _table(page=1.0, http=1.0, start=3.0)
    assert table.exit_status(strict=False) == 0
    assert "not met" in table.render()
    monkeypatch.setenv("PERSX_BENCH_STRICT", "1")
    assert table.exit_status() == 1


def test_the_ratio_is_measured_over_goal_and_a_missing_figure_fails() -> None:
    table = _table(page=math.nan, http=1.8, start=1.0)
    page, http, start = table.goals
    assert (http.ratio, start.ratio) == (2.0, 0.5)
    assert not page.met
    assert table.exit_status(strict=False) == 1
    assert "n/a" in table.render()


def test_goals_printed_by_a_bench_process_are_read_into_the_run() -> None:
    process = GoalTable()
    line = process.emit(process.record("events per second", 4_000, 5_000, ">=", "ratio", "/s"))
    run = GoalTable()
    (read,) = run.read(f"some output\n{line}\nmore output\n")
    assert (read.name, read.measured, read.goal, read.unit) == ("events per second", 4e3, 5e3, "/s")
    assert run.exit_status(strict=False) == 1
