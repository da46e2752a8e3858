"""How soon the trainer's thread pacer takes every core back once a busy neighbour leaves:
`python benchmarks/pacer_recovery.py [--recipe transformer-cpu] [--busy-seconds 60] [--seconds 180]`.

The recipe's training step (as benchmarks/train_threads.py runs it) through threads.ThreadPacer,
once by the steps' times alone and once told how long the cores sat idle (threads.idle_cores,
as charlm.train's pacer is on Linux): --busy-seconds beside one process spinning on a core,
then without it. Prints, for each, the seconds from the neighbour's leaving to the pacer's
return to every core (or "not within --seconds"), and the characters a second meanwhile.
"""

from __future__ import annotations

import argparse
import os
import time
from dataclasses import replace

import torch

from train_threads import step_of  # noqa: E402  (beside this file)
from charlm.threads import ThreadPacer, idle_cores
from charlm.training import recipes
from charlm.training.config import TrainConfig
from dreamjobs.busy import busy_processes
from dreamjobs.cli import run_cli


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--recipe", default="transformer-cpu")
    p.add_argument("--busy-seconds", type=float, default=60.0)
    p.add_argument("--seconds", type=float, default=180.0, help="the most to wait for every core, after it leaves")
    args = p.parse_args()
    _, options = recipes.read(args.recipe)
    options.pop("max_minutes", None)
    cfg = TrainConfig.from_options({**options, "device": "cpu"})
    step, _, _ = step_of(cfg.with_model(replace(cfg.model, vocab_size=146)))
    most, chars = len(os.sched_getaffinity(0)), cfg.batch_size * cfg.seq_length
    print(f"recipe {args.recipe}; {most} cores; {args.busy_seconds:g} s beside a busy process, then alone")
    print("| pacer | on the busy spell's end | back on every core after | chars/s after it left |\n|---|---|---:|---:|")
    for label, idle in (("the steps' times alone", None), ("told the idle cores (the default)", idle_cores())):
        pacer = ThreadPacer(most, idle=idle)
        with busy_processes(1):
            end = time.monotonic() + args.busy_seconds
            while time.monotonic() < end:
                pacer.timed(step)
        on = pacer.threads()
        left, steps, back = time.monotonic(), 0, None
        while time.monotonic() - left < args.seconds:
            pacer.timed(step)
            steps += 1
            if back is None and pacer.threads() == most:
                back = time.monotonic() - left
                break
        took = f"{back:.0f} s" if back is not None else f"not within {args.seconds:g} s"
        print(f"| {label} | {on} thread(s) | {took} | {chars * steps / (time.monotonic() - left):,.0f} |", flush=True)
    torch.set_num_threads(most)


if __name__ == "__main__":
    run_cli(main)
