"""The transformer's step in the C kernel (native/transformer.c): packed once per model.

Its stepper is steppers.py's KernelStepper over these Rings: each row keeps its own
rolling key/value cache of the model's window, so a row's numbers never depend on the
rows beside it. Precisions as for the LSTM: fp32 (the trained weights), fp16 (every
weight rounded to float16, arithmetic in float32) and int8 (matrices in int8 with a scale
per output row, activations quantized per row at each product). What each costs in val
loss: BENCHMARKS.md.
"""

from __future__ import annotations

import torch

from ..errors import SettingsError
from ..models import CharTransformer
from ..models.header import META_ROWS
from . import native
from .steppers import PRECISIONS, STORED, KernelStepper, ptr, check_packing, pack, rounded, start_pacer


class NativeTransformer:
    """The packed model; needs heads of a width that is a multiple of 16 (attention.c's registers)."""

    def __init__(self, model: CharTransformer, precision: str, threads: int | None = None):
        if not self.supports(model):
            raise SettingsError("the native sampler runs transformers whose heads are a multiple of 16 wide")
        cfg = model.config
        check_packing(cfg.num_layers, precision, threads, "blocks")
        self.lib, self.precision, self.threads = native.lib(), precision, threads
        self._own = {q.data_ptr() for q in model.parameters()}  # the model's tensors, not counted as packed
        self.L, self.C, self.H, self.R, self.V = (cfg.num_layers, cfg.rnn_size, cfg.n_head, cfg.block_size,
                                                  cfg.vocab_size)
        d = self.C // self.H
        with torch.no_grad():
            param = lambda t: rounded(t, precision)  # noqa: E731
            self.embed = param(model.embed.weight).contiguous()
            mats, self.norms = [], []
            for block in model.blocks:
                mats += [param(block.attn.qkv.weight), param(block.attn.proj.weight), param(block.mlp[0].weight),
                         param(block.mlp[2].weight)]
                self.norms += [param(block.norm1.weight).contiguous(), param(block.norm2.weight).contiguous()]
            mats.append(self.embed)
            self.norms.append(param(model.norm.weight).contiguous())
        # The model's own frequencies, in float64 as it computes them (models/transformer.py).
        self.inv_freq = (1.0 / (10000 ** (torch.arange(0, d, 2, dtype=torch.float64) / d))).contiguous()
        self.weights, self.scales = pack(mats, precision)
        self.net = native.TNet(self.L, self.C, self.H, self.R, self.V, PRECISIONS.index(precision), native.Pacer(), 0,
                               ptr(self.embed), ptr(self.inv_freq))
        self.P, self.gates = cfg.header_slots, []
        if self.P:  # the header in view (models/header.py): its markers and each block's gates
            if max(len(cfg.header_open), len(cfg.header_close)) > native.MAX_MARK:
                raise SettingsError(f"the native sampler's header markers are at most {native.MAX_MARK} characters")
            self.net.P, self.net.n_open, self.net.n_close = self.P, len(cfg.header_open), len(cfg.header_close)
            self.net.open[:len(cfg.header_open)] = cfg.header_open
            self.net.close[:len(cfg.header_close)] = cfg.header_close
            with torch.no_grad():
                self.gates = [param(block.attn.gate()).contiguous() for block in model.blocks]
            for i, g in enumerate(self.gates):
                self.net.gate[i] = ptr(g)
        for i, w in enumerate(self.weights):
            self.net.w[i] = ptr(w)
            if self.scales:
                self.net.scale[i] = ptr(self.scales[i])
        for i, g in enumerate(self.norms):
            self.net.norm[i] = ptr(g)

    @staticmethod
    def supports(model) -> bool:
        c = model.config
        return isinstance(model, CharTransformer) and (c.rnn_size // c.n_head) % 16 == 0

    def packed_bytes(self) -> int:
        """Bytes of the packed copy (tensors that are the model's own are not counted twice)."""
        packed = {t.data_ptr(): t for t in [self.embed, self.inv_freq, *self.weights, *self.scales, *self.norms,
                                            *self.gates]}
        return sum(t.nbytes for ptr, t in packed.items() if ptr not in self._own)

    def stepper(self, capacity: int) -> KernelStepper:
        # A transformer's primed state is its cache, L x H x R x d numbers a prime (1.2 MB for the
        # demo's at int8, 4.7 MB at fp32): two are kept, the gallery's prime and one more.
        stepper = KernelStepper(self, capacity, Rings, self.lib.dj_transformer_step)
        stepper.PRIMES_KEPT = 2
        return stepper


class Rings:
    """One TState's tensors, kept alive as long as the TState points at them. A row's state is
    its rolling cache and its count of characters read (`rows`); the rest is scratch."""

    def __init__(self, net: NativeTransformer, cap: int):
        L, C, H, R, V = net.L, net.C, net.H, net.R, net.V
        self.x, self.h, self.y = torch.zeros(cap, C), torch.zeros(cap, C), torch.zeros(cap, C)
        self.qkv, self.m = torch.zeros(cap, 3 * C), torch.zeros(cap, 4 * C)
        S = net.lib.dj_ring_slots(R)  # the window rounded up to whole tiles of 16 keys (attention.c)
        self.scores, self.logits = torch.zeros(cap, H, S), torch.zeros(cap, V)
        # The rings at the step's precision: float32, float16, or int8 with a scale per key and value.
        self.keys, self.values = (torch.zeros(L, cap, H, S, C // H, dtype=STORED[net.precision]) for _ in range(2))
        self.kscale, self.vscale = torch.zeros(L, cap, H, S), torch.zeros(L, cap, H, S)
        self.rot = torch.zeros(cap, C // H)
        self.count = torch.zeros(1, cap, dtype=torch.int64)  # (1, rows): the rows' axis second, as the caches
        self.xq, self.xs = torch.zeros(cap, 4 * C, dtype=torch.int16), torch.zeros(cap)
        self.ids = torch.zeros(cap, dtype=torch.int32)
        # The header's slots, laid out as the rings (a model without one has none: P = 0).
        P = net.P
        self.pkeys, self.pvalues = (torch.zeros(L, cap, H, P, C // H, dtype=STORED[net.precision]) for _ in range(2))
        self.pkscale, self.pvscale = torch.zeros(L, cap, H, P), torch.zeros(L, cap, H, P)
        self.meta, self.pslot = torch.zeros(META_ROWS, cap, dtype=torch.int64), torch.zeros(cap, dtype=torch.int32)
        self.rows = (self.keys, self.values, self.kscale, self.vscale, self.count)
        if P:
            self.rows += (self.pkeys, self.pvalues, self.pkscale, self.pvscale, self.meta)
        self.state = native.TState(cap, *(ptr(t) for t in (self.x, self.h, self.qkv, self.y, self.m, self.scores,
                                                             self.logits, self.keys, self.values, self.kscale,
                                                             self.vscale, self.rot, self.count, self.xq, self.xs)),
                                   native.Pacer(), *(ptr(t) for t in (self.pkeys, self.pvalues, self.pkscale,
                                                                      self.pvscale, self.meta, self.pslot)))
        start_pacer(net, self.state)

    def tensors(self) -> list[torch.Tensor]:
        return [self.x, self.h, self.y, self.qkv, self.m, self.scores, self.logits, self.keys, self.values,
                self.kscale, self.vscale, self.rot, self.count, self.xq, self.xs, self.pkeys, self.pvalues,
                self.pkscale, self.pvscale, self.meta, self.pslot]
