"""A training window's causal attention, forward and backward, by torch's fused kernel and by
the plain products (charlm.models.transformer.causal_products, which attend_window takes in
bfloat16 on a CPU for a short window), in float32 and bfloat16:
`python benchmarks/window_attention.py [--threads 1] [BxHEADSxWINDOWxWIDTH ...]`.

Prints milliseconds per call (the best of three timed runs) and the fused kernel's time over the
products'; EXPLICIT_MAX_WINDOW is read from this table.
"""

from __future__ import annotations

import argparse
import re
import time

import torch
import torch.nn.functional as F

from charlm.models.transformer import EXPLICIT_MAX_WINDOW, causal_products
from charlm.threads import threads_problem
from dreamjobs.cli import run_cli

SHAPES = ["48x4x64x32", "12x4x64x32", "48x6x64x64", "32x4x128x32", "32x6x128x64", "24x4x256x32",
          "16x6x256x64", "8x6x512x64"]


def fused(q, k, v):
    return F.scaled_dot_product_attention(q, k, v, is_causal=True)


def ms_per_call(fn, shape, dtype) -> float:
    q, k, v = (torch.randn(*shape, dtype=dtype, requires_grad=True) for _ in range(3))
    grad = torch.randn(*shape, dtype=dtype)
    B, H, T, d = shape
    reps = max(3, int(6e8 / (B * H * T * T * d)))
    for _ in range(3):
        fn(q, k, v).backward(grad)
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        for _ in range(reps):
            fn(q, k, v).backward(grad)
        best = min(best, (time.perf_counter() - start) / reps * 1e3)
    return best


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("shapes", nargs="*", default=SHAPES, help="batch x heads x window x head width")
    p.add_argument("--threads", type=int, default=1)
    args = p.parse_args()
    if problem := threads_problem(args.threads):
        p.error(problem)
    shapes = [tuple(int(n) for n in spec.split("x")) if re.fullmatch(r"[1-9]\d*(x[1-9]\d*){3}", spec) else None
              for spec in args.shapes]
    if None in shapes:
        p.error(f"a shape is four positive numbers joined by x, such as 48x4x64x32; got {args.shapes[shapes.index(None)]!r}")
    torch.set_num_threads(args.threads)
    print(f"{args.threads} thread(s); the trainer takes the products in bfloat16 on a CPU for windows "
          f"up to {EXPLICIT_MAX_WINDOW}")
    print("| batch x heads x window x width | float32 fused / products (ms) | bfloat16 fused / products (ms) "
          "| bfloat16 fused over products |\n|---|---:|---:|---:|")
    for spec, shape in zip(args.shapes, shapes):
        f32 = [ms_per_call(fn, shape, torch.float32) for fn in (fused, causal_products)]
        b16 = [ms_per_call(fn, shape, torch.bfloat16) for fn in (fused, causal_products)]
        print(f"| {spec} | {f32[0]:.1f} / {f32[1]:.1f} | {b16[0]:.1f} / {b16[1]:.1f} | {b16[0] / b16[1]:.2f}x |",
              flush=True)


if __name__ == "__main__":
    run_cli(main)
