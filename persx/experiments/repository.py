"""The running experiments, as a cached engine snapshot (no SQL on the request path)."""

from __future__ import annotations

from persx.caching.snapshot import Snapshot
from persx.engine.experiments import ExperimentDefinition
from persx.experiments.mappers import load_running

_running: Snapshot[tuple[ExperimentDefinition, ...]] = Snapshot("experiments", load_running)


def running_experiments() -> tuple[ExperimentDefinition, ...]:
    return _running.get()


def invalidate_experiments() -> None:
    _running.invalidate()
