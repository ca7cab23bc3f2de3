"""The goals `make bench` checks: each figure beside its goal, and the run's exit status.

A benchmark records a figure with ``goals.record(...)`` as it prints it; ``bench/run.py``
prints the table at the end (goal, measured, measured / goal) and exits non-zero when a
*ratio* goal fails. A ratio goal compares PersX with a baseline measured in the same run on
the same machine (PersX vs stock Wagtail, personalization on vs off), so a busy machine
slows both sides alike and a failure means PersX got slower. An *absolute* goal (a
worker's start in seconds, events per second) depends on the machine as much as on the
code: it is printed and marked, and fails the run only with ``PERSX_BENCH_STRICT=1``.

A bench that runs in its own process (the scale benches, with their own database) prints
each goal as one ``make-bench-goal: {json}`` line (``print(goals.emit(goals.record(...)))``)
and ``bench/run.py`` reads them from its output (``goals.read(output)``).
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import asdict, dataclass
from typing import Literal

Kind = Literal["ratio", "absolute"]
GOAL_LINE = "make-bench-goal: "  # a goal printed by a bench that runs in its own process
Direction = Literal["<=", ">="]


@dataclass(frozen=True, slots=True)
class Goal:
    name: str
    measured: float
    goal: float
    direction: Direction  # "<=": at most the goal; ">=": at least the goal
    kind: Kind
    unit: str = ""

    @property
    def ratio(self) -> float:
        """measured / goal: at most 1 meets a "<=" goal, at least 1 meets a ">=" goal."""
        return self.measured / self.goal if self.goal else math.inf

    @property
    def met(self) -> bool:
        if math.isnan(self.measured):
            return False
        return self.measured <= self.goal if self.direction == "<=" else self.measured >= self.goal


class GoalTable:
    """The goals of one run, in the order they were measured."""

    def __init__(self) -> None:
        self.goals: list[Goal] = []

    def record(
        self,
        name: str,
        measured: float,
        goal: float,
        direction: Direction,
        kind: Kind,
        unit: str = "",
    ) -> Goal:
        recorded = Goal(name, float(measured), float(goal), direction, kind, unit)
        self.goals.append(recorded)
        return recorded

    def emit(self, goal: Goal) -> str:
        """The line a bench run as its own process prints so that make bench records it."""
        return GOAL_LINE + json.dumps(asdict(goal))

    def read(self, output: str) -> list[Goal]:
        """Record the goals a bench process printed (its ``emit`` lines); returns them."""
        read = []
        for line in output.splitlines():
            if line.startswith(GOAL_LINE):
                fields = json.loads(line[len(GOAL_LINE) :])
                read.append(self.record(**fields))
        return read

    def failed(self, strict: bool = False) -> list[Goal]:
        """The goals that fail the run: every ratio goal not met (and absolute ones if strict)."""
        return [g for g in self.goals if not g.met and (g.kind == "ratio" or strict)]

    def render(self) -> str:
        width = max([len(g.name) for g in self.goals] + [4])
        lines = [
            "\n== Goals: measured vs goal (ratio = measured / goal) ==",
            f"  {'goal':<{width}}  {'kind':<8}  {'goal':>14}  {'measured':>14}  {'ratio':>7}",
        ]
        for g in self.goals:
            state = "ok" if g.met else ("FAILS" if g.kind == "ratio" else "not met")
            lines.append(
                f"  {g.name:<{width}}  {g.kind:<8}  {g.direction} {_number(g.goal, g.unit):>11}"
                f"  {_number(g.measured, g.unit):>14}  {g.ratio:7.2f}  {state}"
            )
        return "\n".join(lines)

    def exit_status(self, strict: bool | None = None) -> int:
        if strict is None:
            strict = os.environ.get("PERSX_BENCH_STRICT", "") == "1"
        return 1 if self.failed(strict) else 0


def _number(value: float, unit: str) -> str:
    if math.isnan(value):
        return "n/a"
    text = f"{value:,.0f}" if abs(value) >= 100 else f"{value:#.3g}"  # 1.00, not 1
    return f"{text} {unit}".rstrip()


goals = GoalTable()  # the run's table: benchmarks record into it, bench/run.py reports it
