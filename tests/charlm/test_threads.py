"""The thread pacer of training and scoring steps, driven by a machine whose step costs are known."""

import pytest

import torch

from charlm.threads import LONGEST, TORCH_THREADS, ThreadPacer, rungs_up_to, threads_problem


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
