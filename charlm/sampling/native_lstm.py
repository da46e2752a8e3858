"""The LSTM's step in the C kernel (native/lstm.c): packed once per model.

Layer 0's input projection is precomputed per character (a table of V rows), so a step
reads one row of it instead of multiplying. Its stepper is steppers.py's KernelStepper over
these Buffers.
"""

from __future__ import annotations

import torch
from torch import nn

from ..errors import SettingsError
from ..models import CharRNN
from . import native
from .steppers import PRECISIONS, KernelStepper, check_packing, fixed_order_matmul, pack, ptr, rounded, start_pacer


class NativeLSTM:
    """The C kernel's LSTM step, packed once per model. Needs an LSTM of a multiple of 16 units.

    fp32: the trained weights. fp16: every parameter rounded to float16 (exactly the model
    a float16 export holds), arithmetic in float32. int8: matrices in int8 with a scale
    per output row, activations quantized per row to 12 bits at each step, sums exact in
    int32; the fastest (what it costs in val loss: BENCHMARKS.md).
    """

    def __init__(self, model: CharRNN, precision: str, threads: int | None = None):
        cfg = model.config
        if not self.supports(model):
            raise SettingsError("the native sampler runs LSTMs with a multiple of 16 units")
        check_packing(cfg.num_layers, precision, threads, "layers")
        self.lib = native.lib()
        self.L, self.H, self.V = cfg.num_layers, cfg.rnn_size, cfg.vocab_size
        self.precision, self.threads = precision, threads
        rnn = model.rnn
        param = lambda t: rounded(t, precision)  # noqa: E731
        with torch.no_grad():
            w = lambda name, l: param(getattr(rnn, f"{name}_l{l}"))  # noqa: E731
            # Exactly what nn.LSTM computes for layer 0's input, looked up instead of multiplied.
            self.table = (fixed_order_matmul(param(model.embed.weight), w("weight_ih", 0).T)
                          + w("bias_ih", 0) + w("bias_hh", 0)).contiguous()
            mats = [w("weight_hh", 0)]
            mats += [torch.cat([w("weight_ih", l), w("weight_hh", l)], dim=1) for l in range(1, self.L)]
            mats.append(param(model.head.weight))
            biases = [torch.zeros(1)] + [w("bias_ih", l) + w("bias_hh", l) for l in range(1, self.L)]
            biases.append(param(model.head.bias))
        self.weights, self.scales = pack(mats, precision)
        self.biases = [b.contiguous() for b in biases]
        self.net = native.Net(self.L, self.H, self.V, PRECISIONS.index(precision), native.Pacer(), 0, ptr(self.table))
        for l in range(self.L + 1):
            self.net.w[l], self.net.bias[l] = ptr(self.weights[l]), ptr(self.biases[l])
            if self.scales:
                self.net.scale[l] = ptr(self.scales[l])

    def packed_bytes(self) -> int:
        """Bytes of the packed model: the kernel's own copy of the weights."""
        return sum(t.nbytes for t in [self.table, *self.weights, *self.biases, *self.scales])

    @staticmethod
    def supports(model: CharRNN) -> bool:
        return isinstance(model, CharRNN) and isinstance(model.rnn, nn.LSTM) and model.config.rnn_size % 16 == 0

    def stepper(self, capacity: int) -> KernelStepper:
        return KernelStepper(self, capacity, Buffers, self.lib.dj_lstm_step)


class Buffers:
    """One State's tensors, kept alive as long as the State points at them. A row's state is its
    slice of `rows`: what a row carries from step to step (the rest is scratch)."""

    def __init__(self, net: NativeLSTM, cap: int):
        L, H, V = net.L, net.H, net.V
        self.xh, self.c = torch.zeros(L, cap, 2 * H), torch.zeros(L, cap, H)
        self.gates, self.logits = torch.zeros(cap, 4 * H), torch.zeros(cap, V)
        self.xq, self.xs = torch.zeros(cap, 2 * H, dtype=torch.int16), torch.zeros(cap)
        self.ids = torch.zeros(cap, dtype=torch.int32)
        self.rows = (self.xh, self.c)  # (layers, rows, ...) each
        self.state = native.State(cap, *(ptr(t) for t in (self.xh, self.c, self.gates, self.logits, self.xq, self.xs)))
        start_pacer(net, self.state)

    def tensors(self) -> list[torch.Tensor]:
        return [self.xh, self.c, self.gates, self.logits, self.xq, self.xs]
