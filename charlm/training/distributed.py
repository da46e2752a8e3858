"""Training on several processes with torchrun and DistributedDataParallel.

    torchrun --nproc_per_node 4 -m charlm.train ...                  # one node, 4 GPUs (or CPU processes)
    torchrun --nnodes 2 --node_rank 0 --nproc_per_node 4 \
             --rdzv_endpoint HOST:29500 -m charlm.train ...          # two nodes

torchrun sets RANK, WORLD_SIZE and LOCAL_RANK; without them (a plain `python -m
charlm.train`) there is no process group and training runs as one process. The
global batch stays --batch-size streams: rank r reads rows [r*B/W, (r+1)*B/W) of
every batch (char-rnn's B contiguous streams, so each rank keeps its own streams'
hidden state), DDP averages the gradients, and the validation split is scored in
the same way, its sums added across ranks. Rank 0 alone writes checkpoints, the
metrics log and the console; a stop (time budget, Ctrl-C) is agreed by all ranks
at the same step. Checkpoints hold the hidden state of all B streams, so they are
the single-process format and resume with any number of processes that divides B.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import torch
import torch.distributed as dist

from ..errors import CharLMError


@dataclass(frozen=True)
class Group:
    rank: int
    world: int
    local_rank: int

    @property
    def main(self) -> bool:
        return self.rank == 0

    def rows(self, batch_size: int) -> slice:
        """This rank's share of batch_size streams."""
        share = batch_size // self.world
        return slice(self.rank * share, (self.rank + 1) * share)

    def sum(self, values: list[float], device: torch.device) -> list[float]:
        t = torch.tensor(values, dtype=torch.float64, device=device)
        dist.all_reduce(t)
        return t.tolist()

    def gather_rows(self, t: torch.Tensor, dim: int) -> torch.Tensor:
        """Every rank's rows of a state tensor, in rank order (the full batch)."""
        parts = [torch.empty_like(t) for _ in range(self.world)]
        dist.all_gather(parts, t.contiguous())
        return torch.cat(parts, dim=dim)


def start(device: torch.device, batch_size: int) -> Group | None:
    """Join torchrun's process group (nccl on CUDA, gloo on CPU); None when not under torchrun."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world <= 1:
        return None
    if batch_size % world:
        raise CharLMError(f"--batch-size {batch_size} must be a multiple of the {world} processes")
    local_rank = int(os.environ.get("LOCAL_RANK", "0"))
    if device.type == "cuda":
        torch.cuda.set_device(local_rank)
    if not dist.is_initialized():
        dist.init_process_group("nccl" if device.type == "cuda" else "gloo")
    return Group(dist.get_rank(), dist.get_world_size(), local_rank)


def local_rows(group: Group | None, state, batch_size: int):
    """This rank's rows of a full-batch hidden state (all of it without torchrun)."""
    if state is None or group is None:
        return state
    rows = group.rows(batch_size)
    return tuple(s[:, rows] for s in state) if isinstance(state, tuple) else state[:, rows]


def all_rows(group: Group | None, state):
    """The hidden state of every stream, gathered from every rank (a collective call)."""
    if state is None or group is None:
        return state
    if isinstance(state, tuple):
        return tuple(group.gather_rows(s, dim=1) for s in state)
    return group.gather_rows(state, dim=1)


def main_process() -> bool:
    """Whether this process writes: rank 0 under torchrun, or the only one (known before the group starts)."""
    return int(os.environ.get("RANK", "0")) == 0


def finish() -> None:
    """After a run every rank finished: all arrive before any tears its connections down (a rank
    whose peer closed first can abort in gloo's teardown, "terminate called without an active
    exception"). Not after an error, where a rank may never arrive."""
    if dist.is_available() and dist.is_initialized():
        dist.barrier()
        dist.destroy_process_group()


def stop() -> None:
    if dist.is_available() and dist.is_initialized():
        dist.destroy_process_group()


def wrap(group: Group | None, model: torch.nn.Module, device: torch.device) -> torch.nn.Module:
    """What the trainer steps: under torchrun, the model in DDP, which averages the gradients across ranks."""
    if group is None:
        return model
    from torch.nn.parallel import DistributedDataParallel

    return DistributedDataParallel(model, device_ids=[group.local_rank] if device.type == "cuda" else None)
