"""When a run stops early: its time budget (--max-minutes) and Ctrl-C, agreed by every rank.

The budget counts from the trainer's creation (reading the corpus is part of it). The
closing val check counts against it too: training stops early enough to leave that a
tenth of the budget (at most a minute), and the check stops at the end.
"""

from __future__ import annotations

import signal
import threading
import time
from contextlib import contextmanager
from typing import Callable, Iterator

import torch

from . import distributed


class Budget:
    def __init__(self, created: float, max_minutes: float | None, group: distributed.Group | None,
                 device: torch.device, say: Callable[[str], None]):
        self.created, self.group, self.device, self.say = created, group, device, say
        seconds = max_minutes * 60 if max_minutes else None
        self.deadline = created + seconds if seconds else None
        self.train_until = created + seconds - min(60.0, seconds / 10) if seconds else None
        self.stop_requested = False

    def time_share(self) -> float:
        """The share of the training time budget spent (0 without one), the same on every rank."""
        if not self.train_until:
            return 0.0
        share = (time.monotonic() - self.created) / max(self.train_until - self.created, 1e-9)
        if self.group:  # ranks' clocks differ a little; their learning rates must not
            share = self.group.sum([share], self.device)[0] / self.group.world
        return share

    def stop_now(self) -> str | None:
        """"interrupted", "time budget", or None to go on; under DDP a collective, so call it at the same steps."""
        interrupted = self.stop_requested
        over_budget = bool(self.train_until and time.monotonic() > self.train_until)
        if self.group:  # stop together, at the same step, or the others would wait forever
            interrupted, over_budget = (v > 0 for v in self.group.sum([interrupted, over_budget], self.device))
        return "interrupted" if interrupted else "time budget" if over_budget else None

    def _on_sigint(self, signum, frame) -> None:
        if self.stop_requested:  # a second Ctrl-C means now
            raise KeyboardInterrupt
        self.stop_requested = True
        self.say("Ctrl-C: saving a resumable state after this step (press again to abort)")

    @contextmanager
    def ctrl_c(self) -> Iterator[None]:
        """Within the block the first Ctrl-C asks for a stop at the next step instead of raising."""
        old_handler = None
        if hasattr(signal, "SIGINT") and threading.current_thread() is threading.main_thread():
            old_handler = signal.signal(signal.SIGINT, self._on_sigint)
        try:
            yield
        finally:
            if old_handler is not None:
                signal.signal(signal.SIGINT, old_handler)
