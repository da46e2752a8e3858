"""What training minimises and one step of it: the trainer runs it and charlm.bench times it.

The loss is the mean cross-entropy in nats per character (the model computes it given
targets); a split is scored by charlm/loss.py.
"""

from __future__ import annotations

import torch

from ..models import CharRNN, detach_state


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
