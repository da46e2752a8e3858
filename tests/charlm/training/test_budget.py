import time

import torch

from charlm.training.budget import Budget


def budget(minutes, created=None):
    return Budget(time.monotonic() if created is None else created, minutes, None, torch.device("cpu"), lambda m: None)


def test_without_a_budget_only_ctrl_c_stops_a_run():
    b = budget(None)
    assert b.deadline is None and b.time_share() == 0.0 and b.stop_now() is None
    b.stop_requested = True
    assert b.stop_now() == "interrupted"


def test_training_stops_a_tenth_short_of_the_budget_leaving_that_to_the_closing_val_check():
    now = time.monotonic()
    short, long = budget(5, now), budget(60, now)
    assert short.deadline - short.train_until == 30  # a tenth of 5 minutes
    assert long.deadline - long.train_until == 60  # at most a minute
    spent = budget(1, now - 120)  # created two minutes ago
    assert spent.stop_now() == "time budget" and spent.time_share() > 1
