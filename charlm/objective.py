"""What training minimises and one step of it; shared by training, evaluate and bench.

The loss is the mean cross-entropy in nats per character. A split is scored as
stateful streams, as it is read in training, so the hidden state carries across windows.
"""

from __future__ import annotations

import time
from contextlib import nullcontext

import torch
import torch.nn.functional as F

from . import distributed
from .data import eval_streams
from .model import CharRNN, detach_state


@torch.no_grad()
def evaluate_loss(model: CharRNN, ids: torch.Tensor, n_streams: int, width: int, device: torch.device,
                  autocast=None, progress=None) -> float:
    """Mean nats per character over every target of ids, read as n_streams stateful streams."""
    return scored_loss(model, ids, n_streams, width, device, autocast, progress)[0]


@torch.no_grad()
def scored_loss(model: CharRNN, ids: torch.Tensor, n_streams: int, width: int, device: torch.device,
                autocast=None, progress=None, deadline: float | None = None,
                group: distributed.Group | None = None) -> tuple[float, float]:
    """(mean nats per character, share of the targets scored): all of them, or as many
    windows of every stream as fit before `deadline` (time.monotonic()), at least one.

    Stopping early keeps a prefix of every stream, so the share scored is spread over
    the whole split rather than its first postings."""
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
        with autocast if autocast is not None else nullcontext():
            logits, state = model(x[:, start:start + width], state)
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


def forward_loss(model: CharRNN, x: torch.Tensor, y: torch.Tensor, hidden, autocast) -> tuple[torch.Tensor, object]:
    """Mean cross-entropy (nats per character) of one batch, and the state after it."""
    with autocast:
        return model(x, hidden, targets=y)


def make_optimizer(model: torch.nn.Module, lr: float, device: torch.device, weight_decay: float = 0.0,
                   beta2: float = 0.999) -> torch.optim.Optimizer:
    """Adam, or with weight_decay AdamW decaying the matrices only (biases, norms' gains and other
    vectors keep their size); on CUDA the fused kernel (one launch for every parameter)."""
    fused = True if device.type == "cuda" else None
    if not weight_decay:
        return torch.optim.Adam(model.parameters(), lr=lr, betas=(0.9, beta2), fused=fused)
    params = list(model.parameters())
    groups = [{"params": [p for p in params if p.dim() >= 2], "weight_decay": weight_decay},
              {"params": [p for p in params if p.dim() < 2], "weight_decay": 0.0}]
    return torch.optim.AdamW(groups, lr=lr, betas=(0.9, beta2), fused=fused)


def optimize(model: torch.nn.Module, optimizer: torch.optim.Optimizer, loss: torch.Tensor, grad_clip: float) -> None:
    """Backward, clip the gradient norm (one foreach kernel per step on CUDA), one optimizer step."""
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), grad_clip)
    optimizer.step()


class TrainStep:
    """One optimizer step on a batch, as the trainer runs it and charlm.bench times it.

    `net` is `model`, or its DistributedDataParallel wrapper under torchrun. With
    compile=True the model's readout and loss go through torch.compile (see
    the model's compile_training); the first steps pay the compilation. A step never reads the
    loss back: it stays on the device for the caller to sum.
    """

    def __init__(self, net: torch.nn.Module, model: CharRNN, optimizer: torch.optim.Optimizer, grad_clip: float,
                 autocast, compile: bool = False):
        self.net, self.optimizer, self.grad_clip, self.autocast = net, optimizer, grad_clip, autocast
        if compile:
            model.compile_training()

    def __call__(self, x: torch.Tensor, y: torch.Tensor, hidden) -> tuple[torch.Tensor, object]:
        """(the batch's loss, still on the device; the state to carry into the next batch)."""
        loss, hidden = forward_loss(self.net, x, y, hidden, self.autocast())
        optimize(self.net, self.optimizer, loss, self.grad_clip)
        return loss.detach(), detach_state(hidden)
