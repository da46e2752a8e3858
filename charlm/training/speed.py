"""Characters per second of training steps (charlm.bench prints them):

    project    charlm.train's step: embedding, LSTM, head, cross-entropy, backward, clip, Adam
    compiled   the same step under torch.compile
    nn.LSTM    a bare fused nn.LSTM forward+backward of the same shape
    LSTMCell   the same stack stepped one timestep at a time in Python
"""

from __future__ import annotations

from contextlib import nullcontext

import torch
from torch import nn

from dreamjobs.timing import timed

from ..models import CharRNN, ModelConfig
from .objective import TrainStep, make_optimizer


class CellStack(nn.Module):
    """The LSTM stack as LSTMCells stepped in Python: the slow baseline."""

    def __init__(self, units: int, layers: int):
        super().__init__()
        self.cells = nn.ModuleList(nn.LSTMCell(units, units) for _ in range(layers))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b = x.shape[0]
        states = [(x.new_zeros(b, c.hidden_size), x.new_zeros(b, c.hidden_size)) for c in self.cells]
        outs = []
        for t in range(x.shape[1]):
            h = x[:, t]
            for i, cell in enumerate(self.cells):
                states[i] = cell(h, states[i])
                h = states[i][0]
            outs.append(h)
        return torch.stack(outs, 1)


def training_rates(layers: int, units: int, vocab_size: int, batch: int, seq: int, seconds: float,
                   device: torch.device, compile: bool) -> dict[str, float]:
    per_step = batch * seq
    x = torch.randint(0, vocab_size, (batch, seq), device=device)
    y = torch.randint(0, vocab_size, (batch, seq), device=device)

    def project(compile: bool):
        # Each on a model of its own: compiling swaps the readout of the model it is given.
        model = CharRNN(ModelConfig(vocab_size, "lstm", units, layers, 0.5)).to(device).train()
        step, hidden = TrainStep(model, model, make_optimizer(model, 2e-3, device), 5.0, nullcontext, compile), None

        def run():
            nonlocal hidden
            _, hidden = step(x, y, hidden)
            return per_step
        return run

    inputs = torch.randn(batch, seq, units, device=device)

    def fwd_bwd(net):
        def run():
            out = net(inputs)
            (out[0] if isinstance(out, tuple) else out).sum().backward()
            return per_step
        return run

    runs = [("project", project(False)), ("nn.LSTM", fwd_bwd(nn.LSTM(units, units, layers, batch_first=True).to(device))),
            ("LSTMCell", fwd_bwd(CellStack(units, layers).to(device)))]
    if compile:
        runs.insert(1, ("compiled", project(True)))
    sync = torch.cuda.synchronize if device.type == "cuda" else lambda: None
    rates = {}
    for label, fn in runs:
        el, chars = timed(fn, seconds, sync)
        rates[label] = chars / el
    return rates
