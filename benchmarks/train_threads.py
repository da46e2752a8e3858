"""A recipe's training step at 1 thread, every core and the trainer's default (the paced count),
on a quiet machine and beside busy processes, all in one run:
`python benchmarks/train_threads.py [--recipe transformer-cpu] [--busy 0,1] [--seconds 20] [--rounds 1]`.

Prints characters a second per setting and each against the better fixed count under the
same load; with --rounds N the settings take turns N times (a fresh pacer each turn, as a new
run starts) and each figure is the median over the turns, since a shared machine's speed
moves from minute to minute. The step is the trainer's own (charlm.training.objective.TrainStep, the recipe's
optimizer and number format; at two threads or more its rows split across the threads where
the trainer splits them, charlm/training/row_split.py) on random characters; "auto" runs it
through threads.ThreadPacer as charlm.train does when --threads is not given.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import time
from dataclasses import replace

import torch

from charlm.models import build
from charlm.threads import ThreadPacer, idle_cores
from charlm.training import recipes
from charlm.training.config import TrainConfig
from charlm.training.objective import TrainStep, make_optimizer
from charlm.training.precision import choose_bf16
from dreamjobs.busy import busy_processes
from dreamjobs.cli import run_cli


def step_of(cfg: TrainConfig):
    """One training step of the recipe's model on a fixed random batch, as the trainer runs it;
    the same step with each operation shared among the threads instead of the rows (torch's own
    way), or None where the trainer does not split the rows; and whether it runs in bf16."""
    torch.manual_seed(0)
    model = build(cfg.model).train()
    cpu = torch.device("cpu")
    bf16, _ = choose_bf16(cfg.bf16, cpu, cfg.model, cfg.batch_size * cfg.seq_length)
    optimizer = make_optimizer(model, cfg.learning_rate, cpu, cfg.weight_decay, cfg.beta2, cfg.optimizer)
    step, shared = (TrainStep(model, model, optimizer, cfg.grad_clip,
                              lambda: torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16)) for _ in range(2))
    shared.rows, split = None, step.rows is not None
    x, y = (torch.randint(0, cfg.model.vocab_size, (cfg.batch_size, cfg.seq_length)) for _ in range(2))
    return (lambda: step(x, y, None)), (lambda: shared(x, y, None)) if split else None, bf16


def rate(step, pacer: ThreadPacer, seconds: float) -> float:
    steps, start = 0, time.monotonic()
    while time.monotonic() - start < seconds:
        pacer.timed(step)
        steps += 1
    return steps / (time.monotonic() - start)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--recipe", default="transformer-cpu")
    p.add_argument("--busy", default="0,1", help="busy processes beside it, a list")
    p.add_argument("--seconds", type=float, default=20.0)
    p.add_argument("--rounds", type=int, default=1, help="turns of the settings; the medians are printed")
    args = p.parse_args()
    if args.rounds < 1 or args.seconds <= 0:
        p.error("--rounds must be at least 1 and --seconds above 0")
    if not re.fullmatch(r"\d+(,\d+)*", args.busy):
        p.error(f"--busy is a list of counts of busy processes, such as 0,1; got {args.busy!r}")
    _, options = recipes.read(args.recipe)
    options.pop("max_minutes", None)
    cfg = TrainConfig.from_options({**options, "device": "cpu"})
    cfg = cfg.with_model(replace(cfg.model, vocab_size=146))  # the corpus's
    step, shared, bf16 = step_of(cfg)
    most = len(os.sched_getaffinity(0))
    chars = cfg.batch_size * cfg.seq_length
    print(f"recipe {args.recipe}: {cfg.model.describe()}, batch {cfg.batch_size} x {cfg.seq_length}, "
          f"{'bf16' if bf16 else 'float32'}, {cfg.optimizer}; {most} cores; {args.seconds:g} s a setting, "
          f"{args.rounds} turn(s)")
    print("| beside it | threads | chars/s | against the better fixed count |\n|---|---|---:|---:|")
    settings = [("1", 1, step), (str(most), most, step), ("auto (default)", None, step)]
    if shared and most > 1:
        settings.insert(2, (f"{most}, each operation shared (torch's own way)", most, shared))
    for busy in (int(b) for b in args.busy.split(",")):
        turns = []
        with busy_processes(busy):
            rate(step, ThreadPacer(fixed=most), 2.0)  # warm up under this load
            for _ in range(args.rounds):
                turns.append({label: chars * rate(run, ThreadPacer(fixed=n) if n else
                                                  ThreadPacer(most, idle=idle_cores()), args.seconds)
                              for label, n, run in settings})
        against = [{label: r / max(t["1"], t[str(most)]) for label, r in t.items()} for t in turns]
        for label, _, _ in settings:
            print(f"| {busy} busy | {label} | {statistics.median(t[label] for t in turns):,.0f} | "
                  f"{statistics.median(a[label] for a in against):.2f}x |", flush=True)
    torch.set_num_threads(most)


if __name__ == "__main__":
    run_cli(main)
