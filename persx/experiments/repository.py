"""The running experiments and bandits, as cached engine snapshots (no SQL on the request
path). Saving an experiment, a bandit or a new allocation version invalidates them in every
process (``signals``)."""

from __future__ import annotations

from persx.caching.snapshot import Snapshot
from persx.engine.deciding.bandit_arms import RunningBandit
from persx.engine.deciding.experiments import ExperimentDefinition
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
