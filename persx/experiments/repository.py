"""The running experiments and bandits, as cached engine snapshots (no SQL on the request
path). Saving an experiment, a bandit or a new allocation version invalidates them in every
process (``signals``).

Factorial experiments live in an app above the request path's layers (``persx.factorial``,
which also reads the rollups for its report); it hands its loader of running factorials to
:func:`load_factorials_with` when it starts, and the request path reads them here.
"""

from __future__ import annotations

from collections.abc import Callable

from persx.caching.snapshot import Snapshot
from persx.engine.deciding.bandit_arms import RunningBandit
from persx.engine.deciding.experiments import ExperimentDefinition
from persx.engine.deciding.factorial_cells import FactorialDefinition
from persx.experiments.bandit_mappers import load_running_bandits
from persx.experiments.mappers import load_running

_running: Snapshot[tuple[ExperimentDefinition, ...]] = Snapshot("experiments", load_running)
_bandits: Snapshot[tuple[RunningBandit, ...]] = Snapshot("bandits", load_running_bandits)


def running_experiments() -> tuple[ExperimentDefinition, ...]:
    return _running.get()


def invalidate_experiments() -> None:
    _running.invalidate()


def running_bandits() -> tuple[RunningBandit, ...]:
    return _bandits.get()


def invalidate_bandits() -> None:
    _bandits.invalidate()


_factorial_loader: list[Callable[[], tuple[FactorialDefinition, ...]]] = []
_factorials: Snapshot[tuple[FactorialDefinition, ...]] = Snapshot(
    "factorials", lambda: _factorial_loader[-1]() if _factorial_loader else ()
)


def load_factorials_with(loader: Callable[[], tuple[FactorialDefinition, ...]]) -> None:
    """Read running factorial experiments with ``loader`` (``persx.factorial`` at start,
    before any request reads the snapshot, which looks the loader up when it is built: no
    invalidation, so a process's start does not reach the shared cache)."""
    _factorial_loader.append(loader)


def running_factorials() -> tuple[FactorialDefinition, ...]:
    return _factorials.get()


def invalidate_factorials() -> None:
    _factorials.invalidate()
