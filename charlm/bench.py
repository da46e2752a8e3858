"""Throughput of sampling and training, measured in one run: `python -m charlm.bench --help`.

Sampling (characters per second through the public Generator API):
  naive      nn.LSTM called once per character (what sampling costs without fusion)
  fused      FusedRNN, one posting at a time
  fused x16  Generator.generate(16): sixteen postings in one batch, total rate
Training (characters per second of batch x seq-length windows):
  project    charlm.train's step: embedding, LSTM, head, cross-entropy, backward, clip, Adam
  nn.LSTM    a bare cuDNN-style fused nn.LSTM forward+backward of the same shape
  LSTMCell   the same stack stepped one timestep at a time in Python

Every figure for one size is measured in the same process, one after the other, so the
ratios hold even on a noisy shared machine. Models have random weights: speed does not
depend on what a model has learned.
"""

from __future__ import annotations

import argparse
import platform
import sys
import time
from contextlib import nullcontext
from datetime import date

import torch
from torch import nn

from .data import Vocab
from .errors import CharLMError, run_cli
from .generate import Generator
from .model import CharRNN, ModelConfig
from .train import forward_loss, optimize

PRINTABLE = "".join(chr(c) for c in range(32, 127)) + "\n"


def parse_size(text: str) -> tuple[int, int]:
    try:
        layers, units = (int(x) for x in text.lower().split("x"))
    except ValueError:
        raise CharLMError(f"size {text!r} is not LAYERSxUNITS, e.g. 3x512") from None
    if layers < 1 or units < 1:
        raise CharLMError(f"size {text!r} needs positive numbers")
    return layers, units


def timed(run_once, seconds: float) -> tuple[float, int]:
    """Call run_once() (returning characters done) until `seconds` pass; (seconds, characters)."""
    run_once()  # warm-up: first-call allocations and lazy initialisation
    start, chars = time.perf_counter(), 0
    while True:
        chars += run_once()
        elapsed = time.perf_counter() - start
        if elapsed >= seconds:
            return elapsed, chars


def sampling_rates(model: CharRNN, vocab: Vocab, seconds: float) -> dict[str, float]:
    rates = {}
    for label, fused in (("naive", False), ("fused", True)):
        gen = Generator(model, vocab, fused=fused)
        # Calibrate a length that takes about a tenth of the budget, then repeat it.
        t0 = time.perf_counter()
        gen.sample(prime="<", max_length=20, stop=None, seed=0)
        n = max(20, int(20 * seconds / 10 / max(time.perf_counter() - t0, 1e-6)))
        el, chars = timed(lambda: len(gen.sample(prime="<", max_length=n, stop=None, seed=1)) - 1, seconds)
        rates[label] = chars / el
    gen = Generator(model, vocab, fused=True)
    n = max(20, int(rates["fused"] * seconds / 10 / 16 * 4))
    el, chars = timed(lambda: sum(len(t) - 1 for t in gen.generate(16, prime="<", max_length=n, stop=None, seed=2)),
                      seconds)
    rates["fused x16"] = chars / el
    return rates


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


def training_rates(layers: int, units: int, vocab_size: int, batch: int, seq: int, seconds: float) -> dict[str, float]:
    per_step = batch * seq
    model = CharRNN(ModelConfig(vocab_size, "lstm", units, layers, 0.5)).train()
    opt = torch.optim.Adam(model.parameters(), lr=2e-3)
    x = torch.randint(0, vocab_size, (batch, seq))
    y = torch.randint(0, vocab_size, (batch, seq))

    def project():
        loss, _ = forward_loss(model, x, y, None, nullcontext())
        optimize(model, opt, loss, 5.0)
        return per_step

    bare = nn.LSTM(units, units, layers, batch_first=True)
    cells = CellStack(units, layers)
    inputs = torch.randn(batch, seq, units)

    def fwd_bwd(net):
        def run():
            out = net(inputs)
            (out[0] if isinstance(out, tuple) else out).sum().backward()
            return per_step
        return run

    rates = {}
    for label, fn in (("project", project), ("nn.LSTM", fwd_bwd(bare)), ("LSTMCell", fwd_bwd(cells))):
        el, chars = timed(fn, seconds)
        rates[label] = chars / el
    return rates


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m charlm.bench", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--sizes", default="3x512,2x128", help="comma-separated LAYERSxUNITS LSTM sizes (default 3x512,2x128)")
    p.add_argument("--seconds", type=float, default=3.0, help="time per measurement (default 3)")
    p.add_argument("--batch-size", type=int, default=50, help="training batch (default 50)")
    p.add_argument("--seq-length", type=int, default=100, help="training window (default 100)")
    p.add_argument("--vocab", type=int, default=len(PRINTABLE), help="vocabulary size (default %(default)s)")
    p.add_argument("--skip-training", action="store_true", help="measure sampling only")
    args = p.parse_args(argv)
    if args.seconds <= 0 or args.batch_size < 1 or args.seq_length < 1 or not 2 <= args.vocab <= len(PRINTABLE):
        raise CharLMError(f"--seconds must be positive, batch and seq-length at least 1, --vocab 2..{len(PRINTABLE)}")
    sizes = [parse_size(s) for s in args.sizes.split(",") if s.strip()]
    torch.manual_seed(0)
    vocab = Vocab(PRINTABLE[: args.vocab - 1] + "\n" if args.vocab < len(PRINTABLE) else PRINTABLE)

    print(f"# charlm.bench, {date.today().isoformat()}")
    print(f"machine: {platform.machine()}, {torch.get_num_threads()} torch threads "
          f"({__import__('os').cpu_count()} cores), torch {torch.__version__}, Python {platform.python_version()}")
    print("command: python -m charlm.bench " + " ".join(argv if argv is not None else sys.argv[1:]))
    print()
    print("| model | measure | chars/s | ratio |")
    print("|---|---|---:|---:|")
    for layers, units in sizes:
        name = f"lstm {layers}x{units}"
        model = CharRNN(ModelConfig(len(vocab), "lstm", units, layers, 0.5)).eval()
        s = sampling_rates(model, vocab, args.seconds)
        print(f"| {name} | sample: naive nn.LSTM per step | {s['naive']:,.0f} | 1.0x |")
        print(f"| {name} | sample: fused, batch 1 | {s['fused']:,.0f} | {s['fused'] / s['naive']:.1f}x naive |")
        print(f"| {name} | sample: fused, batch 16 (total) | {s['fused x16']:,.0f} | "
              f"{s['fused x16'] / s['naive']:.1f}x naive |", flush=True)
        if args.skip_training:
            continue
        t = training_rates(layers, units, len(vocab), args.batch_size, args.seq_length, args.seconds)
        shape = f"b{args.batch_size} x t{args.seq_length}"
        print(f"| {name} | train ({shape}): project step | {t['project']:,.0f} | "
              f"{t['project'] / t['nn.LSTM']:.2f}x bare |")
        print(f"| {name} | train ({shape}): bare nn.LSTM fwd+bwd | {t['nn.LSTM']:,.0f} | 1.00x bare |")
        print(f"| {name} | train ({shape}): LSTMCell loop fwd+bwd | {t['LSTMCell']:,.0f} | "
              f"{t['LSTMCell'] / t['nn.LSTM']:.2f}x bare |", flush=True)
    return 0


if __name__ == "__main__":
    run_cli(main)
