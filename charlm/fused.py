"""A fused inference step for sampling on the CPU: the same function as CharRNN, far less overhead.

Calling nn.LSTM once per character spends most of its time in framework overhead
(argument checks, dispatch, allocating outputs), not arithmetic. Here the weights are
packed once, so that a step is one row lookup and a few in-place BLAS calls:

- Layer 0's input projection of every character is precomputed: a (V, G*H) table
  holding embed(c) @ W_ih0^T + biases, so the first layer's input costs a row lookup.
- Higher layers multiply [x, h] by one stacked matrix [W_ih; W_hh]^T (LSTM and RNN).
- Every intermediate lives in a buffer allocated once per batch size; activations are
  applied in place; nothing is tracked by autograd.

Logits equal the nn path's to float32 rounding (tests hold them within 1e-4 at every
step of long sequences, for lstm, gru and rnn).
"""

from __future__ import annotations

import torch

from .model import CharRNN


class FusedRNN:
    def __init__(self, model: CharRNN):
        cfg = model.config
        self.kind, self.H, self.L = cfg.model, cfg.rnn_size, cfg.num_layers
        self.G = {"lstm": 4, "gru": 3, "rnn": 1}[self.kind]
        with torch.no_grad():
            rnn = model.rnn
            w = lambda name, l: getattr(rnn, f"{name}_l{l}").detach().float()  # noqa: E731
            emb = model.embed.weight.detach().float()
            # GRU keeps the hidden bias apart: its candidate gate scales W_hn h + b_hn by r.
            self.joint_bias = self.kind != "gru"
            self.table = emb @ w("weight_ih", 0).T + w("bias_ih", 0) + (w("bias_hh", 0) if self.joint_bias else 0)
            self.w_hh0 = w("weight_hh", 0).T.contiguous()
            self.layers = []
            for l in range(1, self.L):
                if self.joint_bias:
                    stacked = torch.cat([w("weight_ih", l), w("weight_hh", l)], dim=1).T.contiguous()
                    self.layers.append((stacked, w("bias_ih", l) + w("bias_hh", l)))
                else:
                    self.layers.append((w("weight_ih", l).T.contiguous(), w("bias_ih", l),
                                        w("weight_hh", l).T.contiguous()))
            self.b_hh = [w("bias_hh", l) for l in range(self.L)] if not self.joint_bias else None
            self.w_out = model.head.weight.detach().float().T.contiguous()
            self.b_out = model.head.bias.detach().float().clone()


    def session(self, state, batch: int) -> "FusedSession":
        """Buffers for one generation, started from CharRNN's (L, B, H) state ((h, c) for LSTM).

        The packed weights are shared; each session has its own buffers, so several
        generations can run at once on one model.
        """
        return FusedSession(self, state, batch)


class FusedSession:
    def __init__(self, net: FusedRNN, state, batch: int):
        H, G, L = net.H, net.G, net.L
        self.net = net
        # xh[l] = [input from the layer below, this layer's h]; layer 0's input is the table row.
        self.xh = [torch.zeros(batch, 2 * H) for _ in range(L)]
        self.c = [torch.zeros(batch, H) for _ in range(L)] if net.kind == "lstm" else None
        self.gates = torch.empty(batch, G * H)
        self.hgates = torch.empty(batch, G * H)  # GRU's hidden projection
        self.tmp = torch.empty(batch, H)
        self.logits = torch.empty(batch, net.w_out.shape[1])
        h, c = state if isinstance(state, tuple) else (state, None)
        for l in range(L):
            self.h(l).copy_(h[l])
            if l + 1 < L:
                self.xh[l + 1][:, :H].copy_(h[l])
            if c is not None:
                self.c[l].copy_(c[l])

    def h(self, l: int) -> torch.Tensor:
        return self.xh[l][:, self.net.H:]

    @torch.inference_mode()
    def step(self, idx: torch.Tensor) -> torch.Tensor:
        """Feed one character id per row; returns the (B, V) logits for the next one (a reused buffer)."""
        net, H = self.net, self.net.H
        for l in range(net.L):
            h = self.h(l)
            g = self.gates
            if l == 0:
                torch.index_select(net.table, 0, idx, out=g)
                if net.joint_bias:
                    g.addmm_(h, net.w_hh0)
                else:
                    torch.addmm(net.b_hh[0], h, net.w_hh0, out=self.hgates)
            elif net.joint_bias:
                stacked, bias = net.layers[l - 1]
                torch.addmm(bias, self.xh[l], stacked, out=g)
            else:
                w_ih, b_ih, w_hh = net.layers[l - 1]
                torch.addmm(b_ih, self.xh[l][:, :H], w_ih, out=g)
                torch.addmm(net.b_hh[l], h, w_hh, out=self.hgates)
            if net.kind == "lstm":
                i, f, gg, o = g[:, :H], g[:, H:2 * H], g[:, 2 * H:3 * H], g[:, 3 * H:]
                g[:, :2 * H].sigmoid_()
                o.sigmoid_()
                gg.tanh_()
                c = self.c[l]
                c.mul_(f).addcmul_(i, gg)
                torch.tanh(c, out=self.tmp)
                torch.mul(o, self.tmp, out=h)
            elif net.kind == "gru":
                hg = self.hgates
                g[:, :2 * H].add_(hg[:, :2 * H]).sigmoid_()
                r, z, n = g[:, :H], g[:, H:2 * H], g[:, 2 * H:]
                n.addcmul_(r, hg[:, 2 * H:]).tanh_()
                # h' = n + z * (h - n)
                torch.sub(h, n, out=self.tmp)
                torch.addcmul(n, z, self.tmp, out=h)
            else:
                torch.tanh(g, out=h)
            if l + 1 < net.L:
                self.xh[l + 1][:, :H].copy_(h)
        return torch.addmm(net.b_out, self.h(net.L - 1), net.w_out, out=self.logits)
