"""Which layers of a trained transformer to keep before fine-tuning a shallower one (--keep-layers):

    python benchmarks/keep_layers.py CKPT [--keep 4] [--chars 200000] [--data corpus/input.txt]

Prints the val loss of every choice of --keep of the checkpoint's blocks (block 0 always
among them: without it the rest read raw embeddings and fall apart), taken out as
`--keep-layers` takes them and not trained further, best last. The val split is the one
the checkpoint's run made (its seed and --val-frac); its first --chars characters are scored in
windows of the model's block size, each from scratch, so the figures rank the choices
but read higher than the trainer's rolling-cache val loss.
"""

import argparse
import itertools
import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from charlm import checkpoint as ckpt_io  # noqa: E402
from charlm.data import Vocab, read_corpus  # noqa: E402
from charlm.models import ModelConfig, build, keep_layers  # noqa: E402


@torch.no_grad()
def window_loss(model: torch.nn.Module, ids: torch.Tensor, window: int) -> float:
    n = (len(ids) - 1) // window * window
    x, y = ids[:n].view(-1, window), ids[1:n + 1].view(-1, window)
    return sum(model(x[i:i + 32], targets=y[i:i + 32])[0].item() * len(x[i:i + 32])
               for i in range(0, len(x), 32)) / len(x)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("checkpoint")
    p.add_argument("--keep", type=int, default=4, help="how many blocks to keep")
    p.add_argument("--chars", type=int, default=200_000, help="val characters to score")
    p.add_argument("--data", default="corpus/input.txt")
    args = p.parse_args()
    ckpt = ckpt_io.load(args.checkpoint)
    config = ModelConfig.from_dict(ckpt["config"])
    text = read_corpus(args.data)
    val = Vocab(ckpt["vocab"]).encode("".join(ckpt_io.training_split(ckpt, text).val))[:args.chars]
    weights = {k: v.float() for k, v in ckpt["model_state"].items()}
    results = []
    for rest in itertools.combinations(range(1, config.num_layers), args.keep - 1):
        shape, kept = keep_layers(config, weights, [0, *rest])
        model = build(shape).eval()
        model.load_state_dict(kept)
        results.append((window_loss(model, val, config.block_size), [0, *rest]))
        print(f"blocks {','.join(map(str, results[-1][1]))}: {results[-1][0]:.4f}", flush=True)
    whole = build(config).eval()
    whole.load_state_dict(weights)
    print(f"all {config.num_layers} blocks: {window_loss(whole, val, config.block_size):.4f}")
    loss, best = min(results)
    print(f"best {args.keep} of {config.num_layers}: --keep-layers {','.join(map(str, best))} ({loss:.4f})")


if __name__ == "__main__":
    main()
