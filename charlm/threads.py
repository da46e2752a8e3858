"""How many CPU threads a training or scoring step runs on: the sampler's pacer, for torch.

On a quiet machine every core is fastest. Beside a busy process it is not: each of a step's
hundreds of parallel regions waits for its slowest thread, and a thread that shares its core
with other work waits a time slice, so two threads can run 200 times slower than one. So,
as the C sampler's pacer does (native/pacer.c), the step count is measured in windows of
steps, and now and then a neighbouring thread count is tried against the one in use: trial
and own windows alternate, and the trial's count is kept when it was at least 10% faster
(at once when its first window was twice as fast; given up at once when half again as slow). A
count that lost waits twice as long before its next trial, up to LONGEST windows, so a
busy machine pays for a losing trial rarely, and a machine that goes quiet again is found.
Where the machine says how long its cores sat idle (Linux's /proc/stat), a count that lost is
tried again at once when the cores it would add sit idle where they did not when it lost: a
neighbour that left is found within a window or two rather than LONGEST.
"""

from __future__ import annotations

import os
import time
from typing import Callable

import torch

WINDOW_STEPS = 3  # a window times at least this many steps
WINDOW_SECONDS = 1.0  # and at least this long
FIRST = 1  # windows before a count's first trial
LONGEST = 128  # most windows between two trials of one count (a losing step can cost 50 good ones)
PAIRS = 2  # trial windows in a trial, each followed by one on the count in use
WIN = 0.9  # a trial wins at this share of the cost in use, or less
GIVE_UP = 1.5  # a trial slower than the count in use by this much is over at once
OUTRIGHT = 0.5  # and one whose first window costs this share of it or less wins at once
MOST = 1024  # the most threads a user may ask for
SPARE = 0.75  # of a core idle, for each thread a count would add, beyond what sat idle when it lost
# torch's own count when this module was first imported (every core, or OMP_NUM_THREADS): what
# "every core" means, though a pacer has set torch's count since.
TORCH_THREADS = torch.get_num_threads()


def threads_problem(threads: int | None, flag: str = "--threads") -> str | None:
    """What is wrong with a thread count a user gave (None: let the pacer choose), or None."""
    if threads is not None and not 1 <= threads <= MOST:
        return f"{flag} must be 1-{MOST}, got {threads}"
    return None


def idle_cores() -> Callable[[], float | None] | None:
    """A reader of how many of this process's cores sat idle, on average, since its last call
    (None on its first); None where the machine does not say (no /proc/stat)."""
    try:
        cpus = {f"cpu{i}" for i in os.sched_getaffinity(0)}
        open("/proc/stat").close()
    except (AttributeError, OSError):
        return None
    last: list[tuple[int, int]] = []

    def read() -> float | None:
        idle = total = 0
        try:
            with open("/proc/stat") as fh:
                for line in fh:
                    name, *ticks = line.split()
                    if name in cpus:
                        counts = [int(t) for t in ticks[:8]]  # user nice system idle iowait irq softirq steal
                        idle, total = idle + counts[3] + counts[4], total + sum(counts)
        except (OSError, ValueError):
            return None
        before, last[:] = (last[0] if last else None), [(idle, total)]
        if before is None or total <= before[1]:
            return None
        return len(cpus) * (idle - before[0]) / (total - before[1])

    return read


def rungs_up_to(most: int) -> list[int]:
    """1, 2, 4, ... below most, then most."""
    counts = [1]
    while counts[-1] * 2 < most:
        counts.append(counts[-1] * 2)
    return counts + [most] if most > 1 else counts


class ThreadPacer:
    """Call `threads()` before a step (it sets torch's count) and `done(seconds)` after it.

    most: the most threads to pace up to (default TORCH_THREADS); fixed: a count the user chose
    (--threads), set once and never changed; paced=False: `most`, set once; idle: a reader of the
    cores left idle since its last call (idle_cores()), or None to go by the steps' times alone.
    """

    def __init__(self, most: int | None = None, fixed: int | None = None, set_threads=torch.set_num_threads,
                 paced: bool = True, idle: Callable[[], float | None] | None = None):
        self.set_threads, self.asked, self.idle = set_threads, fixed is not None, idle
        self.spare: float | None = None  # cores idle in the last window on the count in use
        self.spare_at_loss: dict[int, float] = {}  # and when each rung last lost its trial
        most = max(1, most or TORCH_THREADS)
        self.rungs = [fixed] if fixed else rungs_up_to(most) if paced else [most]
        self.at = len(self.rungs) - 1  # a quiet machine's best: every core
        self.wait = [FIRST] * len(self.rungs)
        self.trying, self.phase, self.since, self.next_up = None, 0, 0, True
        self.steps, self.elapsed, self.base = 0, 0.0, None
        self.trial_sum = self.own_sum = 0.0
        self.current = None
        if not self.paced:
            self.threads()

    @classmethod
    def for_run(cls, threads: int | None, lone_cpu: bool, compiled: bool) -> tuple["ThreadPacer", "ThreadPacer"]:
        """A training run's pacers, its steps' and its val scoring's (their costs differ, so each
        learns its own): at `threads` if given, paced on a lone CPU process, else at torch's count
        (under DDP a step's time is the slowest rank's; on a GPU the host's threads do not matter;
        torch.compile compiles a step for one thread count, and again for each other it meets)."""
        paced = lone_cpu and not compiled
        return (cls(fixed=threads, paced=paced, idle=idle_cores() if paced else None),
                cls(fixed=threads, paced=paced, idle=idle_cores() if paced else None))

    @property
    def paced(self) -> bool:
        return len(self.rungs) > 1

    def describe(self) -> str:
        if not self.paced:
            return f"{self.rungs[0]} CPU thread(s)" + (", as asked" if self.asked else "")
        return (f"CPU threads paced between 1 and {self.rungs[-1]}: the faster count beside whatever else "
                "runs here (--threads N fixes it)")

    def threads(self) -> int:
        """The count for the next step, set in torch if it changed."""
        trial = self.trying is not None and self.phase % 2 == 0
        count = self.rungs[self.trying if trial else self.at]
        if count != self.current:
            self.set_threads(count)
            self.current = count
        return count

    def done(self, seconds: float) -> None:
        """One step took this long."""
        if not self.paced:
            return
        self.steps += 1
        self.elapsed += seconds
        if (self.trying is not None and self.phase == 0 and self.base is not None
                and self.elapsed > GIVE_UP * self.base * self.steps):
            self._end_window()
            self._trial_ends(won=False)
            return
        if self.steps < WINDOW_STEPS or self.elapsed < WINDOW_SECONDS:
            return
        cost = self.elapsed / self.steps
        self._end_window()
        self.since += 1
        if self.trying is not None:
            if self.phase == 0 and self.base is not None and cost <= OUTRIGHT * self.base:
                self.trial_sum = cost * PAIRS
                self._trial_ends(won=True)
                return
            if self.phase % 2 == 0:
                self.trial_sum += cost
            else:
                self.own_sum += cost
            self.phase += 1
            if self.phase == 2 * PAIRS:
                self._trial_ends(won=self.trial_sum < WIN * self.own_sum)
            return
        # The count in use's recent cost, averaged: one lucky window should not fail every trial.
        self.base = cost if self.base is None else 0.5 * (self.base + cost)
        up, down = self.at + 1 < len(self.rungs), self.at > 0
        r = self.at + 1 if up and (self.next_up or not down) else self.at - 1 if down else None
        self.spare = self.idle() if self.idle is not None else None
        if up and self.spare is not None and self.at + 1 in self.spare_at_loss:
            adds = self.rungs[self.at + 1] - self.rungs[self.at]
            if self.spare >= self.spare_at_loss[self.at + 1] + SPARE * adds:  # its cores sit idle now
                r = self.at + 1
                self.wait[r] = FIRST
                del self.spare_at_loss[r]
        if r is not None and self.since >= self.wait[r]:
            self.trying, self.phase, self.trial_sum, self.own_sum = r, 0, 0.0, 0.0
            self.next_up = not self.next_up

    def _end_window(self) -> None:
        self.steps, self.elapsed = 0, 0.0

    def _trial_ends(self, won: bool) -> None:
        r, self.trying, self.since = self.trying, None, 0
        if won:
            self.at, self.wait[r], self.base = r, FIRST, self.trial_sum / PAIRS
        else:
            self.wait[r] = min(2 * self.wait[r], LONGEST)
            if r > self.at and self.spare is not None:
                self.spare_at_loss[r] = self.spare

    def timed(self, step):
        """step() run on the paced count; its result."""
        self.threads()
        t0 = time.perf_counter()
        out = step()
        self.done(time.perf_counter() - t0)
        return out
