"""charlm's CPU training step against nanoGPT's for the same model shape, on one thread, interleaved:
`python benchmarks/nanogpt_step.py path/to/nanoGPT [--batches 12,48] [--rounds 3]`.

Prints characters a second of nanoGPT's README CPU recipe step (4x128, window 64, batch 12,
AdamW) and of charlm's transformer step of the same shape with Muon at each batch, float32
and bf16 autocast, and with AdamW at batch 12, each against nanoGPT's: where the CPU recipe's
speed goes (BENCHMARKS.md, "On a CPU, equal CPU time").
"""

from __future__ import annotations

import argparse
import sys
import time
from contextlib import nullcontext
from pathlib import Path

import torch

from charlm.models import ModelConfig, build
from charlm.training.objective import forward_loss, make_optimizer

VOCAB, WINDOW, WIDTH, BLOCKS, HEADS = 146, 64, 128, 4, 4


def batch(rows: int):
    return torch.randint(0, VOCAB, (rows, WINDOW)), torch.randint(0, VOCAB, (rows, WINDOW))


def charlm_step(optimizer: str, rows: int, bf16: bool):
    x, y = batch(rows)
    model = build(ModelConfig(vocab_size=VOCAB, model="transformer", rnn_size=WIDTH, num_layers=BLOCKS,
                              n_head=HEADS, block_size=WINDOW, dropout=0.0)).train()
    opt = make_optimizer(model, 6e-3, torch.device("cpu"), 0.1, 0.99, optimizer)
    autocast = (lambda: torch.autocast("cpu", dtype=torch.bfloat16)) if bf16 else nullcontext

    def step():
        loss, _ = forward_loss(model, x, y, None, autocast())
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
    return step, rows


def nanogpt_step(folder: str):
    sys.path.insert(0, folder)
    from model import GPT, GPTConfig  # nanoGPT's own

    x, y = batch(12)
    model = GPT(GPTConfig(n_layer=BLOCKS, n_head=HEADS, n_embd=WIDTH, block_size=WINDOW, vocab_size=VOCAB,
                          dropout=0.0, bias=True)).train()
    opt = model.configure_optimizers(0.1, 1e-3, (0.9, 0.99), "cpu")

    def step():
        _, loss = model(x, y)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        opt.zero_grad(set_to_none=True)
    return step, 12


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("nanogpt", help="a folder with nanoGPT's model.py")
    p.add_argument("--batches", default="12,48")
    p.add_argument("--rounds", type=int, default=3)
    args = p.parse_args()
    if not (Path(args.nanogpt) / "model.py").is_file():
        p.error(f"{args.nanogpt} holds no nanoGPT model.py")
    torch.set_num_threads(1)
    torch.manual_seed(0)
    steps = {"nanoGPT, batch 12, AdamW": nanogpt_step(args.nanogpt)}
    for rows in (int(b) for b in args.batches.split(",")):
        for bf16 in (False, True):
            steps[f"charlm, batch {rows}, Muon, {'bf16' if bf16 else 'float32'}"] = charlm_step("muon", rows, bf16)
    steps["charlm, batch 12, AdamW, float32"] = charlm_step("adam", 12, False)
    for step, _ in steps.values():
        for _ in range(5):
            step()
    seconds_per_char = dict.fromkeys(steps, 0.0)
    for _ in range(args.rounds):
        for name, (step, rows) in steps.items():
            n = max(4, 480 // rows)
            start = time.perf_counter()
            for _ in range(n):
                step()
            seconds_per_char[name] += (time.perf_counter() - start) / (n * rows * WINDOW)
    base = seconds_per_char["nanoGPT, batch 12, AdamW"]
    print("| step | chars/s | against nanoGPT |\n|---|---:|---:|")
    for name, cost in seconds_per_char.items():
        print(f"| {name} | {args.rounds / cost:,.0f} | {base / cost:.2f}x |")


if __name__ == "__main__":
    main()
