"""The transformer's training step on a CPU in float32 and under bfloat16 autocast, one after the
other in one process, twice each: `python benchmarks/bf16_step.py [--threads 1] [--seconds 6]`.

Prints characters a second per shape and format; bf16 pays only where the CPU has bf16
instructions (charlm/training/precision.py chooses by this).
"""

from __future__ import annotations

import argparse
import time

import torch

from charlm.models import ModelConfig, build
from charlm.training.precision import cpu_has_bf16

SHAPES = [  # (width, blocks, heads, window, batch): a tiny one, the CPU recipe's, and the demo's
    (32, 2, 2, 32, 8),
    (128, 4, 4, 64, 12),
    (384, 4, 6, 256, 4),
]


def rate(model, x, y, bf16: bool, seconds: float) -> float:
    optimizer = torch.optim.AdamW(model.parameters(), 1e-3)
    steps, start = 0, time.monotonic()
    while time.monotonic() - start < seconds:
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
            loss, _ = model(x, targets=y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        steps += 1
    return steps * x.numel() / (time.monotonic() - start)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--seconds", type=float, default=6.0)
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    print(f"bf16 instructions: {cpu_has_bf16()}; {args.threads} thread(s)")
    for width, blocks, heads, window, batch in SHAPES:
        config = ModelConfig(vocab_size=146, model="transformer", rnn_size=width, num_layers=blocks, n_head=heads,
                             block_size=window, dropout=0.0)
        torch.manual_seed(0)
        model = build(config)
        x, y = (torch.randint(0, 146, (batch, window)) for _ in range(2))
        rates = {fmt: [] for fmt in ("fp32", "bf16")}
        for _ in range(2):
            for fmt in rates:
                rates[fmt].append(rate(model, x, y, fmt == "bf16", args.seconds))
        fp32, bf16 = (max(r) for r in rates.values())
        print(f"{blocks}x{width}, window {window}, batch {batch}: fp32 {fp32:,.0f} chars/s, bf16 {bf16:,.0f} "
              f"({bf16 / fp32:.2f}x)")


if __name__ == "__main__":
    main()
