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
"""

from __future__ import annotations

import time

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
# torch's own count when this module was first imported (every core, or OMP_NUM_THREADS): what
# "every core" means, though a pacer has set torch's count since.
TORCH_THREADS = torch.get_num_threads()


def threads_problem(threads: int | None, flag: str = "--threads") -> str | None:
    """What is wrong with a thread count a user gave (None: let the pacer choose), or None."""
    if threads is not None and not 1 <= threads <= MOST:
        return f"{flag} must be 1-{MOST}, got {threads}"
    return None


def rungs_up_to(most: int) -> list[int]:
    """1, 2, 4, ... below most, then most."""
    counts = [1]
    while counts[-1] * 2 < most:
        counts.append(counts[-1] * 2)
    return counts + [most] if most > 1 else counts


class ThreadPacer:
    """Call `threads()` before a step (it sets torch's count) and `done(seconds)` after it.

    most: the most threads to pace up to (default TORCH_THREADS); fixed: a count the user chose
    (--threads), set once and never changed; paced=False: `most`, set once.
    """

    def __init__(self, most: int | None = None, fixed: int | None = None, set_threads=torch.set_num_threads,
                 paced: bool = True):
        self.set_threads, self.asked = set_threads, fixed is not None
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
        return cls(fixed=threads, paced=paced), cls(fixed=threads, paced=paced)

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

    def timed(self, step):
        """step() run on the paced count; its result."""
        self.threads()
        t0 = time.perf_counter()
        out = step()
        self.done(time.perf_counter() - t0)
        return out
