"""A CPU step with its batch's rows split across threads, as DDP splits them across ranks.

torch runs each operation of a step on all its threads, and a small model's operations are
too small to share well; its optimizer's least of all (Muon orthogonalizes one small matrix
at a time). So here each thread runs the forward and backward of its own rows whole, at one
operation thread, and then the optimizer's parts (objective.Optimizers: one Muon a matrix)
step side by side. Figures: BENCHMARKS.md, "Threads beside other work".

It applies where a step's rows are independent and draw no random numbers: a windowed
family (each training window read from its start, no state carried) without dropout, on a
CPU, outside DDP and torch.compile, at two threads or more (`splits_rows`). The threads'
gradients come back apart and are summed in the rows' order, so a run at a given thread
count is the same run each time.
"""

from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor, wait
from functools import reduce
from typing import Callable

import torch

from ..models import family


def splits_rows(net: torch.nn.Module, model: torch.nn.Module, compile: bool) -> bool:
    """Whether the trainer's step for this model may split its rows across threads."""
    config = model.config
    on_cpu = all(p.device.type == "cpu" for p in model.parameters())
    return on_cpu and net is model and not compile and family(config).windowed and config.dropout == 0


def row_parts(x, parts: int) -> list:
    """x (a batch, or a tuple of tensors with the batch's rows first) in `parts` runs of rows."""
    if isinstance(x, tuple):
        return list(zip(*(row_parts(t, parts) for t in x)))
    return list(torch.tensor_split(x, parts))


def numbers_updated(optimizer) -> int:
    """How many numbers an optimizer updates: the larger go first, so that the threads end together."""
    return sum(p.numel() for group in optimizer.param_groups for p in group["params"])


class RowSplit:
    """The threads of split steps, started at the first and kept for the next."""

    def __init__(self):
        self.pool: ThreadPoolExecutor | None = None
        self.threads = 0

    def step(self, model: torch.nn.Module, loss_of: Callable, optimizers: list, x, y: torch.Tensor,
             grad_clip: float, parts: int) -> torch.Tensor:
        """One optimizer step of the batch (x, y), its rows in `parts` threads; the batch's mean
        loss. loss_of(x, y): the mean loss of some rows; optimizers: parts stepped side by side."""
        params = [p for p in model.parameters() if p.requires_grad]
        rows = y.shape[0]

        def backward(x_part, y_part):
            def task():
                share = y_part.shape[0] / rows  # a part's loss is the mean of its own rows
                loss = loss_of(x_part, y_part) * share
                return loss.detach(), torch.autograd.grad(loss, params, allow_unused=True)
            return task

        operation_threads = torch.get_num_threads()
        torch.set_num_threads(1)  # torch's count is the process's: one operation thread in each part
        try:
            done = self._run([backward(xp, yp) for xp, yp in zip(row_parts(x, parts), row_parts(y, parts))], parts)
            for i, p in enumerate(params):
                grads = [g[i] for _, g in done if g[i] is not None]
                p.grad = reduce(torch.add, grads) if grads else None
            torch.nn.utils.clip_grad_norm_(params, grad_clip)
            self._run([optimizer.step for optimizer in sorted(optimizers, key=numbers_updated, reverse=True)], parts)
        finally:
            torch.set_num_threads(operation_threads)
        return reduce(torch.add, [loss for loss, _ in done])

    def _run(self, tasks: list[Callable[[], object]], threads: int) -> list:
        """Each task's result, the tasks taken in their order by `threads` threads. Every task has
        ended when this returns or raises, so no thread is still writing the weights after it."""
        if self.threads != threads:
            if self.pool:
                self.pool.shutdown()
            self.pool, self.threads = ThreadPoolExecutor(threads, thread_name_prefix="rows"), threads
        futures: list[Future] = [self.pool.submit(task) for task in tasks]
        try:
            wait(futures)
        finally:  # a Ctrl-C in the wait still lets each task finish before the caller goes on
            wait(futures)
        return [f.result() for f in futures]
