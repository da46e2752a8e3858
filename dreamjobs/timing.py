"""Throughput measured the same way everywhere: call a piece of work until the time is up."""

from __future__ import annotations

import time
from typing import Callable


def timed(run_once: Callable[[], int], seconds: float, sync: Callable[[], None] = lambda: None) -> tuple[float, int]:
    """Call run_once() (returning units done) until `seconds` pass; (seconds, units).

    One warm-up call first (allocations, lazy initialisation, compilation). sync() waits for
    queued device work, so that a GPU's time is counted, not its launches."""
    run_once()
    sync()
    start, done = time.perf_counter(), 0
    while True:
        done += run_once()
        if time.perf_counter() - start >= seconds:
            sync()
            return time.perf_counter() - start, done
