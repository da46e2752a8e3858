"""Val loss of a nanoGPT checkpoint and a charlm transformer, scored the same way:

    python benchmarks/score_windows.py VAL_BIN [--nanogpt CKPT_PT NANOGPT_DIR] [--charlm CKPT]

Windows of --window characters (256), half a window apart; each window's last half of targets
is scored (all of the first window's), so every character is scored once with 128 to 255
characters before it,
each window recomputed from scratch (nanoGPT's way of sampling). charlm's own val figure
(its checkpoints' names) scores each character with the rolling cache it samples with.
"""

import argparse
import sys

import numpy as np
import torch
import torch.nn.functional as F

ROWS = 64


@torch.no_grad()
def score(logits_of, ids: torch.Tensor, device, window: int) -> float:
    WINDOW, STRIDE = window, window // 2
    starts = list(range(0, len(ids) - WINDOW - 1, STRIDE))
    total, count = 0.0, 0
    for b in range(0, len(starts), ROWS):
        chunk = starts[b:b + ROWS]
        x = torch.stack([ids[s:s + WINDOW] for s in chunk]).to(device)
        y = torch.stack([ids[s + 1:s + WINDOW + 1] for s in chunk]).to(device)
        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=device.type == "cuda"):
            logits = logits_of(x)
        first = torch.full((len(chunk),), WINDOW - STRIDE, device=device)
        first[[i for i, s in enumerate(chunk) if s == 0]] = 0
        keep = torch.arange(WINDOW, device=device)[None, :] >= first[:, None]
        nll = F.cross_entropy(logits.float().flatten(0, 1), y.flatten(), reduction="none").view_as(y)
        total += float(nll[keep].double().sum())
        count += int(keep.sum())
    return total / count


def nanogpt_logits(path: str, code_dir: str, device):
    sys.path.insert(0, code_dir)
    from model import GPT, GPTConfig  # nanoGPT's model.py

    ckpt = torch.load(path, map_location=device)
    model = GPT(GPTConfig(**ckpt["model_args"]))
    model.load_state_dict({k.removeprefix("_orig_mod."): v for k, v in ckpt["model"].items()})
    model.to(device).eval()
    t = model.transformer

    def logits_of(x):
        h = t.drop(t.wte(x) + t.wpe(torch.arange(x.shape[1], device=x.device)))
        for block in t.h:
            h = block(h)
        return model.lm_head(t.ln_f(h))
    return logits_of, ckpt.get("iter_num")


def charlm_logits(path: str, device):
    from charlm.checkpoint import load_model

    model, _, ckpt = load_model(path)
    model.to(device).eval()
    return (lambda x: model(x, None)[0]), ckpt.get("val_loss")


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("val_bin")
    p.add_argument("--nanogpt", nargs=2, metavar=("CKPT", "CODE_DIR"))
    p.add_argument("--charlm")
    p.add_argument("--window", type=int, default=256)
    args = p.parse_args()
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    ids = torch.from_numpy(np.fromfile(args.val_bin, dtype=np.uint16).astype(np.int64))
    if args.nanogpt:
        fn, it = nanogpt_logits(*args.nanogpt, device)
        print(f"nanoGPT {args.nanogpt[0]} (iteration {it}): val {score(fn, ids, device, args.window):.4f} nats/char, windows of {args.window}")
    if args.charlm:
        fn, own = charlm_logits(args.charlm, device)
        print(f"charlm {args.charlm}: val {score(fn, ids, device, args.window):.4f} nats/char, windows of {args.window} "
              f"(its own, rolling cache: {'n/a' if own is None else f'{own:.4f}'})")


if __name__ == "__main__":
    main()
