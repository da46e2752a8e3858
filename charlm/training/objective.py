"""What training minimises and one step of it: the trainer runs it and charlm.bench times it.

The loss is the mean cross-entropy in nats per character (the model computes it given
targets); a split is scored by charlm/loss.py.
"""

from __future__ import annotations

import torch

from ..models import CharModel, detach_state
from .row_split import RowSplit, splits_rows


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
    recipe's 48; BENCHMARKS.md, "On a CPU, equal CPU time"). Each matrix has a Muon of its
    own, so that a CPU step may orthogonalize them side by side (row_split.py); Muon updates
    each matrix on its own, so the step is the same as one Muon's over them all.
    """
    if kind == "muon":
        outer = {id(model.embed.weight), id(model.head.weight)}
        hidden, rest = [], []
        for p in model.parameters():
            (hidden if p.dim() == 2 and id(p) not in outer else rest).append(p)
        muons = [torch.optim.Muon([p], lr=lr, weight_decay=weight_decay, adjust_lr_fn="match_rms_adamw")
                 for p in hidden]
        return Optimizers(*muons, _adam(rest, lr, device, weight_decay, beta2))
    return _adam(list(model.parameters()), lr, device, weight_decay, beta2)


def _adam(params: list, lr: float, device: torch.device, weight_decay: float, beta2: float) -> torch.optim.Optimizer:
    fused = True if device.type == "cuda" else None
    if not weight_decay:
        return torch.optim.Adam(params, lr=lr, betas=(0.9, beta2), fused=fused)
    groups = [{"params": [p for p in params if p.dim() >= 2], "weight_decay": weight_decay},
              {"params": [p for p in params if p.dim() < 2], "weight_decay": 0.0}]
    return torch.optim.AdamW(groups, lr=lr, betas=(0.9, beta2), fused=fused)


class Optimizers:
    """Optimizers over disjoint parameters (one Muon a matrix, then AdamW), stepped, scheduled and
    saved as one."""

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
        saved = state["parts"]
        if len(saved) == 2 < len(self.parts):  # saved before each matrix had its own Muon: one Muon, then AdamW
            saved = one_muon_a_matrix(saved[0]) + saved[1:]
        for part, part_state in zip(self.parts, saved, strict=True):
            part.load_state_dict(part_state)


def one_muon_a_matrix(muon_state: dict) -> list[dict]:
    """The state of one Muon over several matrices as the states of one Muon a matrix, in its order."""
    (group,) = muon_state["param_groups"]
    state = muon_state["state"]
    return [{"state": {0: state[i]} if i in state else {}, "param_groups": [{**group, "params": [0]}]}
            for i in group["params"]]


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
    the model's compile_training); the first steps pay the compilation. At two CPU threads or
    more, a model whose rows are independent has them split across the threads (row_split.py).
    A step never reads the loss back: it stays on the device for the caller to sum.
    """

    def __init__(self, net: torch.nn.Module, model: CharModel, optimizer, grad_clip: float,
                 autocast, compile: bool = False):
        self.net, self.model, self.optimizer, self.grad_clip, self.autocast = net, model, optimizer, grad_clip, autocast
        self.rows = RowSplit() if splits_rows(net, model, compile) else None
        if compile:
            model.compile_training()

    def __call__(self, x: torch.Tensor, y: torch.Tensor, hidden) -> tuple[torch.Tensor, object]:
        """(the batch's loss, still on the device; the state to carry into the next batch)."""
        if self.rows and (parts := min(torch.get_num_threads(), y.shape[0])) > 1:
            optimizers = getattr(self.optimizer, "parts", [self.optimizer])
            loss = self.rows.step(self.model, lambda xp, yp: forward_loss(self.model, xp, yp, None, self.autocast())[0],
                                  optimizers, x, y, self.grad_clip, parts)
            return loss, None
        loss, hidden = forward_loss(self.net, x, y, hidden, self.autocast())
        optimize(self.net, self.optimizer, loss, self.grad_clip)
        return loss.detach(), detach_state(hidden)
