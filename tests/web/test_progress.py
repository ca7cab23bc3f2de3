"""The command-line progress bar says how far, how fast and how long is left."""

from __future__ import annotations

import re

from persx.analytics.progress import ProgressBar


def test_the_bar_shows_the_rate_and_the_time_left_then_the_time_taken() -> None:
    lines: list[str] = []
    bar = ProgressBar(lines.append, "Simulating", "visitors")
    for done in (0, 5, 10):
        bar.update(done, 10)
    assert len(lines) == 3  # one line per tenth of the way when not on a terminal
    assert re.fullmatch(
        r"Simulating \[\.{30}\]   0\.0%  0/10 visitors  0\.0 visitors/s\n", lines[0]
    )
    assert re.fullmatch(
        r"Simulating \[#{15}\.{15}\]  50\.0%  5/10 visitors  [\d,.]+ visitors/s  ~[\d,]+ s left\n",
        lines[1],
    )
    assert re.fullmatch(
        r"Simulating \[#{30}\] 100\.0%  10/10 visitors  [\d,.]+ visitors/s  [\d,]+ s\n", lines[2]
    )
