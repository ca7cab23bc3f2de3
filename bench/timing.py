"""The benchmarks' one timer: milliseconds per call over rounds of calls."""

from __future__ import annotations

import time
from collections.abc import Callable


def per_call_ms(
    fn: Callable[[], object],
    rounds: int,
    per_round: int,
    clock: Callable[[], float] = time.perf_counter,
) -> list[float]:
    """Milliseconds per call; pass ``clock=time.thread_time`` to count only this thread's
    CPU (robust when other processes load the machine)."""
    samples = []
    for _ in range(rounds):
        start = clock()
        for _ in range(per_round):
            fn()
        samples.append((clock() - start) * 1000 / per_round)
    return samples
