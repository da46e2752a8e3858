"""The thread pacer of training and scoring steps, driven by a machine whose step costs are known."""

import os
import time

import pytest
import torch

from charlm.threads import LONGEST, TORCH_THREADS, ThreadPacer, idle_cores, rungs_up_to, threads_problem


def drive(pacer: ThreadPacer, cost, steps: int) -> tuple[float, list[int]]:
    """Run steps whose seconds cost(threads) gives; (the seconds they took, the count of each)."""
    total, counts = 0.0, []
    for _ in range(steps):
        n = pacer.threads()
        pacer.done(cost(n))
        total += cost(n)
        counts.append(n)
    return total, counts


def test_rungs_double_up_to_every_core():
    assert rungs_up_to(1) == [1]
    assert rungs_up_to(2) == [1, 2]
    assert rungs_up_to(6) == [1, 2, 4, 6]
    assert rungs_up_to(8) == [1, 2, 4, 8]


def test_a_quiet_machine_keeps_every_core_and_pays_little_for_trials():
    set_to = []
    pacer = ThreadPacer(most=2, set_threads=set_to.append)
    total, counts = drive(pacer, {1: 0.10, 2: 0.06}.get, 5000)
    assert counts[-1] == 2 and set_to[0] == 2
    assert total <= 1.05 * 5000 * 0.06  # the 1-thread trials cost at most 5%


def test_beside_a_busy_process_one_thread_is_found_soon_and_kept():
    pacer = ThreadPacer(most=2, set_threads=lambda n: None)
    busy = {1: 0.05, 2: 2.5}.get  # the second thread shares its core: each step waits on it
    total, counts = drive(pacer, busy, 5000)
    assert counts[-1] == 1
    assert counts.index(1) <= 3  # one window of 2-thread steps, then the trial
    assert total <= 1.15 * 5000 * 0.05  # the 2-thread window and later trials cost at most 15% more


def test_a_machine_that_goes_quiet_again_gets_every_core_back():
    pacer = ThreadPacer(most=4, set_threads=lambda n: None)
    drive(pacer, {1: 0.05, 2: 1.0, 4: 2.0}.get, 3000)
    assert pacer.threads() == 1
    # Quiet now: 2 threads win their next trial, then 4 theirs; a trial waits at most LONGEST windows.
    _, counts = drive(pacer, {1: 0.05, 2: 0.03, 4: 0.02}.get, 40 * LONGEST)
    assert counts[-1] == 4


def test_a_count_the_user_gives_is_set_once_and_kept():
    set_to = []
    pacer = ThreadPacer(fixed=3, set_threads=set_to.append)
    _, counts = drive(pacer, {3: 5.0}.get, 100)
    assert set(counts) == {3} and set_to == [3]
    assert not pacer.paced and "3 CPU thread(s), as asked" in pacer.describe()


def test_every_core_means_torchs_own_count_not_what_an_earlier_pacer_left_set():
    before = torch.get_num_threads()
    try:
        torch.set_num_threads(1)  # as a run's pacer may leave it, in a process that trains twice
        assert ThreadPacer(set_threads=lambda n: None).rungs[-1] == TORCH_THREADS
    finally:
        torch.set_num_threads(before)
    unpaced = ThreadPacer(most=4, paced=False, set_threads=lambda n: None)
    assert unpaced.rungs == [4] and unpaced.describe() == "4 CPU thread(s)"


@pytest.mark.parametrize("threads, problem", [(None, None), (1, None), (1024, None),
                                              (0, "--threads must be 1-1024, got 0"),
                                              (1025, "--threads must be 1-1024, got 1025")])
def test_thread_counts_a_user_may_give(threads, problem):
    assert threads_problem(threads) == problem


class Machine:
    """Step costs and idle cores that change when a neighbour comes or goes."""

    def __init__(self, busy: bool):
        self.busy = busy

    def cost(self, n: int) -> float:
        return {1: 0.05, 2: 2.5}[n] if self.busy else {1: 0.05, 2: 0.03}[n]

    def idle(self) -> float:
        return 0.0 if self.busy else 1.0  # beside the neighbour no core sits idle; without it, one


def test_a_neighbour_that_leaves_is_found_within_windows_where_the_machine_says_its_cores_sit_idle():
    machine = Machine(busy=True)
    told = ThreadPacer(most=2, set_threads=lambda n: None, idle=machine.idle)
    untold = ThreadPacer(most=2, set_threads=lambda n: None)
    for pacer in (told, untold):
        drive(pacer, machine.cost, 5000)  # long enough that a trial of 2 waits LONGEST windows
        while pacer.since or pacer.trying is not None:  # until a trial of 2 has just lost
            drive(pacer, machine.cost, 1)
        assert pacer.threads() == 1 and pacer.wait[1] == LONGEST
    machine.busy = False
    _, counts = drive(told, machine.cost, 200)
    assert counts.index(2) < 40 and counts[-1] == 2  # a window of 20+ steps, then the trial
    _, counts = drive(untold, machine.cost, 200)
    assert set(counts) == {1}  # by the steps' times alone it waits up to LONGEST windows


def test_cores_that_always_look_idle_do_not_bring_back_a_losing_count():
    # In a container /proc/stat can count the host's cores: idle whatever the neighbour does here.
    machine = Machine(busy=True)
    pacer = ThreadPacer(most=2, set_threads=lambda n: None, idle=lambda: 8.0)
    total, counts = drive(pacer, machine.cost, 5000)
    assert counts[-1] == 1 and total <= 1.15 * 5000 * 0.05  # as without the reader


def test_the_idle_reader_reads_this_machines_cores():
    read = idle_cores()
    if read is None:
        pytest.skip("this machine has no /proc/stat")
    assert read() is None  # nothing to compare with yet
    deadline = time.perf_counter() + 0.2
    while time.perf_counter() < deadline:
        pass
    spare = read()
    assert spare is not None and 0.0 <= spare <= len(os.sched_getaffinity(0))  # 0.2 s is many clock ticks
