"""What training minimises and one step of it: the trainer runs it and charlm.bench times it.

The loss is the mean cross-entropy in nats per character (the model computes it given
targets); a split is scored by charlm/loss.py.
"""

from __future__ import annotations

import torch

from ..models import CharModel, detach_state


def forward_loss(model: CharModel, x: torch.Tensor, y: torch.Tensor, hidden, autocast) -> tuple[torch.Tensor, object]:
    """Mean cross-entropy (nats per character) of one batch, and the state after it."""
    with autocast:
        return model(x, hidden, targets=y)


OPTIMIZERS = ("adam", "muon")


def make_optimizer(model: torch.nn.Module, lr: float, device: torch.device, weight_decay: float = 0.0,
                   beta2: float = 0.999, kind: str = "adam"):
    """The optimizer of a run.

    "adam": Adam, or with weight_decay AdamW decaying the matrices only (biases, norms' gains
    and other vectors keep their size); on CUDA the fused kernel (one launch for every
    parameter). "muon": Muon (momentum, then the update orthogonalized by Newton-Schulz) on
    the hidden matrices, AdamW on the embedding, the output layer and the vectors. Muon's
    steps are scaled to the size of AdamW's (Moonshot's match_rms_adamw), so one learning
    rate and one weight decay serve both; on a small transformer it reaches a lower loss in
    the same time, although its orthogonalization costs about what the forward and backward
    of a batch of 12 windows of 64 do, so small models take larger batches with it (the CPU
    recipe's 48; BENCHMARKS.md, "On a CPU, equal CPU time").
    """
    if kind == "muon":
        outer = {id(model.embed.weight), id(model.head.weight)}
        hidden, rest = [], []
        for p in model.parameters():
            (hidden if p.dim() == 2 and id(p) not in outer else rest).append(p)
        muon = torch.optim.Muon(hidden, lr=lr, weight_decay=weight_decay, adjust_lr_fn="match_rms_adamw")
        return Optimizers(muon, _adam(rest, lr, device, weight_decay, beta2))
    return _adam(list(model.parameters()), lr, device, weight_decay, beta2)


def _adam(params: list, lr: float, device: torch.device, weight_decay: float, beta2: float) -> torch.optim.Optimizer:
    fused = True if device.type == "cuda" else None
    if not weight_decay:
        return torch.optim.Adam(params, lr=lr, betas=(0.9, beta2), fused=fused)
    groups = [{"params": [p for p in params if p.dim() >= 2], "weight_decay": weight_decay},
              {"params": [p for p in params if p.dim() < 2], "weight_decay": 0.0}]
    return torch.optim.AdamW(groups, lr=lr, betas=(0.9, beta2), fused=fused)


class Optimizers:
    """Two optimizers over disjoint parameters, stepped, scheduled and saved as one."""

    def __init__(self, *parts: torch.optim.Optimizer):
        self.parts = parts

    @property
    def param_groups(self) -> list[dict]:
        return [group for part in self.parts for group in part.param_groups]

    def zero_grad(self, set_to_none: bool = True) -> None:
        for part in self.parts:
            part.zero_grad(set_to_none=set_to_none)

    def step(self) -> None:
        for part in self.parts:
            part.step()

    def state_dict(self) -> dict:
        return {"parts": [part.state_dict() for part in self.parts]}

    def load_state_dict(self, state: dict) -> None:
        for part, saved in zip(self.parts, state["parts"], strict=True):
            part.load_state_dict(saved)


def optimize(model: torch.nn.Module, optimizer, loss: torch.Tensor, grad_clip: float) -> None:
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

    def __init__(self, net: torch.nn.Module, model: CharModel, optimizer, grad_clip: float,
                 autocast, compile: bool = False):
        self.net, self.optimizer, self.grad_clip, self.autocast = net, optimizer, grad_clip, autocast
        if compile:
            model.compile_training()

    def __call__(self, x: torch.Tensor, y: torch.Tensor, hidden) -> tuple[torch.Tensor, object]:
        """(the batch's loss, still on the device; the state to carry into the next batch)."""
        loss, hidden = forward_loss(self.net, x, y, hidden, self.autocast())
        optimize(self.net, self.optimizer, loss, self.grad_clip)
        return loss.detach(), detach_state(hidden)
