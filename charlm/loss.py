"""A split's loss, in nats per character, as training's val checks and evaluate score it.

The split is read as stateful streams, as training reads it, so the state carries across
windows (a transformer's rolling cache: each character scored with the context it has
when sampled).
"""

from __future__ import annotations

import time
from contextlib import nullcontext

import torch
import torch.nn.functional as F

from .data import eval_streams
from .models import CharModel


@torch.no_grad()
def stream_loss(model: CharModel, ids: torch.Tensor, n_streams: int, width: int, device: torch.device,
                autocast=None, progress=None, deadline: float | None = None,
                group=None, pacer=None) -> tuple[float, float]:
    """(mean nats per character, share of the targets scored): all of them, or as many
    windows of every stream as fit before `deadline` (time.monotonic()), at least one.

    Stopping early keeps a prefix of every stream, so the share scored is spread over
    the whole split rather than its first postings. `group` (training/distributed.py's
    Group, under torchrun) scores this rank's share of the streams and adds up the ranks'.
    `pacer` (threads.py's ThreadPacer) picks the CPU threads of each chunk."""
    was_training = model.training
    model.eval()
    x, y = eval_streams(ids, n_streams)
    n_targets = int((y != -100).sum())
    if group is not None:  # this rank's streams; the sums are added across ranks below
        x, y = torch.tensor_split(x, group.world)[group.rank], torch.tensor_split(y, group.world)[group.rank]
    targets = y  # counted on the host, so the loop never waits for the device
    x, y = x.to(device), y.to(device)
    state, count = None, 0
    total = torch.zeros((), dtype=torch.float64, device=device)
    for start in range(0, x.shape[1], width):
        def forward():
            with autocast if autocast is not None else nullcontext():
                return model(x[:, start:start + width], state)
        logits, state = pacer.timed(forward) if pacer is not None else forward()
        total += F.cross_entropy(logits.float().flatten(0, 1), y[:, start:start + width].flatten(),
                                 ignore_index=-100, reduction="sum").double()
        count += int((targets[:, start:start + width] != -100).sum())
        if progress:
            progress(min(width, x.shape[1] - start) * x.shape[0])
        if deadline is not None and time.monotonic() >= deadline:
            break
    model.train(was_training)
    total = total.item()
    if group is not None:
        total, count = group.sum([total, count], device)
    return total / max(count, 1), count / max(n_targets, 1)
