"""What pruning a transformer's header heads costs in val loss and buys in speed (charlm.export
--prune-header-gates):

    python benchmarks/header_pruning.py BASELINE CKPT [--gates 0.03,0.05,0.08] [--val-chars 300000]

For CKPT as it is, pruned at each gate threshold (models/header.py, prune_gates) and with every
header gate at 0: the heads that keep their header, the val loss over the first --val-chars
characters of its val split (the stream loss training reports, on a prefix: a ranking), and
the C kernel's int8 step for 16 rows, each past its own header, against BASELINE's, timed in
turns in one process: the median over the turns of each turn's ratio, so that a neighbour's
load falls on both sides of it.
"""

import argparse
import copy
import statistics
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from charlm import Generator  # noqa: E402
from charlm import checkpoint as ckpt_io  # noqa: E402
from charlm.data import read_corpus  # noqa: E402
from charlm.evaluate import scored_text  # noqa: E402
from charlm.loss import stream_loss  # noqa: E402
from charlm.models.header import prune_gates  # noqa: E402
from charlm.sampling.batch import start_ids  # noqa: E402

ROWS, STEPS, TURNS = 16, 150, 9


def stepper(gen: Generator, postings: list[str]):
    """A batch of ROWS rows, each having read the opening of a real posting (its header pinned)."""
    s = gen.engine.stepper(ROWS)
    for b, posting in enumerate(postings[:ROWS]):
        s.put(b, *s.start(start_ids(gen.vocab, posting[:600])))
    return s


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("baseline")
    p.add_argument("checkpoint")
    p.add_argument("--gates", default="0.03,0.05,0.08")
    p.add_argument("--val-chars", type=int, default=300_000)
    args = p.parse_args()
    model, vocab, ckpt = ckpt_io.load_model(args.checkpoint)
    model.float()
    split = ckpt_io.training_split(ckpt, read_corpus((ckpt.get("train_config") or {}).get("data")))
    val_ids, per_char = scored_text(split.val, vocab)
    weights = {k: v.clone() for k, v in model.state_dict().items()}
    variants = [("as trained", None)] + [(f"gates under {g}", float(g)) for g in args.gates.split(",")]
    variants.append(("every gate at 0", float("inf")))
    base = Generator.from_checkpoint(args.baseline)
    steppers, rows = [stepper(base, split.val)], []
    for name, below in variants:
        pruned, kept, heads = prune_gates(weights, below) if below is not None else (weights, None, None)
        m = copy.deepcopy(model)
        m.load_state_dict(pruned)
        m.eval()
        val = stream_loss(m, val_ids[:args.val_chars], 16, 512, torch.device("cpu"))[0] * per_char
        steppers.append(stepper(Generator(m, vocab), split.val))
        rows.append((name, "all" if kept is None else f"{kept} of {heads}", val))
        print(f"{name}: val {val:.4f}", file=sys.stderr, flush=True)
    ids = torch.randint(0, len(vocab), (ROWS,), dtype=torch.int32)
    rates = [[] for _ in steppers]
    for _ in range(TURNS):
        for i, s in enumerate(steppers):
            t = time.perf_counter()
            for _ in range(STEPS):
                s.step(ids)
            rates[i].append(ROWS * STEPS / (time.perf_counter() - t))
    print(f"| {Path(args.checkpoint).name} | heads keeping their header | val, first {args.val_chars:,} "
          f"characters | int8 step, {ROWS} rows, against {Path(args.baseline).name} |")
    print("|---|---|---:|---:|")
    for (name, kept, val), r in zip(rows, rates[1:]):
        ratio = statistics.median(a / b for a, b in zip(r, rates[0]))
        print(f"| {name} | {kept} | {val:.4f} | {ratio:.2f}x |")


if __name__ == "__main__":
    main()
