"""Advance a batch of rows by one character: the C kernel on the CPU, the model's forward elsewhere.

A stepper owns the recurrent state and next logits of up to `capacity` rows, kept
packed in slots [0, B). Rows join with `put` after their prime was run alone
(`start`), and leave by having the last row `move`d into their slot, so a row's numbers
never depend on which other rows share the batch.

KernelStepper runs a family's packed step in the C kernel (native/): native_lstm.py's and
native_transformer.py's, weights packed once at the chosen precision (fp32, fp16 or
int8), one OpenMP parallel region per step on as many threads as its pacer finds fastest
now (`threads`: None for that, or a fixed count); this module holds what they share.
TorchStepper calls the model's own nn module (LSTM/GRU/RNN, or the transformer with its
rolling cache) one character at a time: the reference, the path for other models, and
the path on CUDA where cuDNN is fast.
"""

from __future__ import annotations

import ctypes

import torch

from . import native
from ..errors import SettingsError
from ..threads import threads_problem
from ..models import CharModel

PRECISIONS = native.PRECISIONS
STORED = {"fp32": torch.float32, "fp16": torch.float16, "int8": torch.int8}  # what each precision keeps numbers in


def ptr(t: torch.Tensor) -> int:
    return t.data_ptr()


def fixed_order_matmul(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """a @ b summed over k in order, one rounded multiply and add at a time.

    torch's matmul sums in whatever order the CPU's kernel picks (it differs between AVX2
    and AVX-512), which would make the packed model, and so the text, depend on the CPU."""
    out = torch.zeros(a.shape[0], b.shape[1])
    for k in range(a.shape[1]):
        out += a[:, k:k + 1] * b[k]
    return out


def check_packing(layers: int, precision: str, threads: int | None, what: str) -> None:
    """What every packed model checks: its depth, the precision asked for and a fixed thread count."""
    if layers > native.MAX_LAYERS:
        raise SettingsError(f"the native sampler runs at most {native.MAX_LAYERS} {what}")
    if precision not in PRECISIONS:
        raise SettingsError(f"precision must be one of {', '.join(PRECISIONS)}, got {precision!r}")
    if problem := threads_problem(threads, "threads"):
        raise SettingsError(problem)


def rounded(t: torch.Tensor, precision: str) -> torch.Tensor:
    """A parameter as a precision packs it: float32, rounded through float16 for fp16."""
    t = t.detach().float().cpu()
    return t.half().float() if precision == "fp16" else t


def pack(mats: list[torch.Tensor], precision: str) -> tuple[list[torch.Tensor], list[torch.Tensor]]:
    """The matrices as the kernel reads them: (weights, per-row scales), the scales for int8 only."""
    if precision == "int8":
        packed = [int8_rows(m) for m in mats]
        return [p[0] for p in packed], [p[1] for p in packed]
    return [m.to(STORED[precision]).contiguous() for m in mats], []


def int8_rows(w: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Symmetric int8 per output row: (weights, scales) with w ~= weights * scales[:, None]."""
    scale = w.abs().amax(dim=1).clamp_min(1e-12) / 127
    return (w / scale[:, None]).round().clamp(-127, 127).to(torch.int8).contiguous(), scale.contiguous()


def start_pacer(net, state) -> None:
    """A new batch's pacer: this machine's thread counts, from where the model's last batch left it."""
    net.lib.dj_pacer_init(ctypes.byref(state.pacer), native.threads(), net.threads or 0)
    net.lib.dj_pacer_resume(native.pacer_share(net.net), ctypes.byref(state.pacer))


class KernelStepper:
    """Up to `capacity` rows on one packed model of the C kernel (the packed weights are shared):
    the batch's buffers, and one row's for running primes. `buffers(net, rows)` makes a family's,
    each tensor of its `rows` with the rows' axis second; `kernel_step` is its C step."""

    PRIMES_KEPT = 32

    def __init__(self, net, capacity: int, buffers, kernel_step):
        self.net, self.capacity, self.kernel_step = net, capacity, kernel_step
        self.bufs, self.one = buffers(net, capacity), buffers(net, 1)
        self.logits = self.bufs.logits
        self._primed: dict[tuple[int, ...], tuple] = {}

    def _step(self, bufs, B: int) -> torch.Tensor:
        self.kernel_step(ctypes.byref(self.net.net), ctypes.byref(bufs.state), B, ptr(bufs.ids))
        return bufs.logits[:B]

    def start(self, ids: list[int]):
        """Run a prime alone from a blank state; returns (state, logits of the next character).

        The result depends on the prime alone, so it is kept for the next row with the same
        prime: a burst of requests would otherwise run it once each at batch 1 before any of
        them gets a character (16 gallery primes: 44 ms)."""
        key = tuple(ids)
        if key not in self._primed:
            one = self.one
            for t in one.rows:
                t.zero_()
            for i in ids:
                one.ids[0] = i
                logits = self._step(one, 1)
            if len(self._primed) >= self.PRIMES_KEPT:
                self._primed.pop(next(iter(self._primed)))
            self._primed[key] = tuple(t[:, 0].clone() for t in one.rows), logits[0].clone()
        return self._primed[key]

    def put(self, slot: int, state, logits: torch.Tensor) -> None:
        for t, value in zip(self.bufs.rows, state):
            t[:, slot] = value
        self.logits[slot] = logits

    def move(self, src: int, dst: int) -> None:
        for t in self.bufs.rows:
            t[:, dst] = t[:, src]
        self.logits[dst] = self.logits[src]

    def step(self, ids: torch.Tensor) -> torch.Tensor:
        """ids (B,) int32 -> (B, V) float32 logits, in self.logits."""
        B = ids.shape[0]
        self.bufs.ids[:B] = ids
        return self._step(self.bufs, B)

    def state_bytes(self) -> int:
        """Bytes of the rows' state and scratch: the batch's and the prime's buffers."""
        return sum(t.nbytes for b in (self.bufs, self.one) for t in b.tensors())

    @property
    def threads(self) -> int:
        """The thread count the batch's steps run on now (the pacer's choice, or the fixed count)."""
        pacer = self.bufs.state.pacer
        return pacer.rungs[pacer.at]


class TorchModel:
    """The model's own nn module stepped one character at a time, on any device."""

    def __init__(self, model: CharModel):
        self.model = model.eval()

    def packed_bytes(self) -> int:
        return 0  # it steps the model's own weights

    def stepper(self, capacity: int) -> "TorchStepper":
        return TorchStepper(self.model, capacity)


class TorchStepper:
    """State for up to `capacity` rows of a TorchModel."""

    def __init__(self, model: CharModel, capacity: int):
        self.model = model.eval()
        self.device = next(model.parameters()).device
        self.capacity = capacity
        self.state = model.init_state(capacity, self.device)
        self.logits = torch.zeros(capacity, model.config.vocab_size)

    @torch.no_grad()
    def start(self, ids: list[int]):
        logits, state = self.model(torch.tensor([ids], device=self.device), None)
        return state, logits[0, -1].float().cpu()

    def _parts(self):
        return self.state if isinstance(self.state, tuple) else (self.state,)

    def state_bytes(self) -> int:
        """Bytes of the rows' state (a transformer's: its key/value cache) and logits."""
        return sum(t.nbytes for t in self._parts()) + self.logits.nbytes

    def put(self, slot: int, state, logits: torch.Tensor) -> None:
        for mine, theirs in zip(self._parts(), state if isinstance(state, tuple) else (state,)):
            mine[:, slot] = theirs[:, 0]
        self.logits[slot] = logits

    def move(self, src: int, dst: int) -> None:
        for mine in self._parts():
            mine[:, dst] = mine[:, src]
        self.logits[dst] = self.logits[src]

    @torch.no_grad()
    def step(self, ids: torch.Tensor) -> torch.Tensor:
        B = ids.shape[0]
        parts = tuple(p[:, :B] for p in self._parts())
        out, new = self.model(ids.to(self.device, torch.long).view(B, 1), parts if len(parts) > 1 else parts[0])
        for mine, value in zip(self._parts(), new if isinstance(new, tuple) else (new,)):
            mine[:, :B] = value
        self.logits[:B] = out[:, -1].float()
        return self.logits[:B]
