"""Copy chosen checkpoints of a run into a small folder to ship: `python -m charlm.export --help`.

Weights are stored as float16 (half the size; loading restores float32) and the
optimizer-bearing latest.pt is left behind, so a shipped run can be sampled and
charted but not resumed. The run's metrics.jsonl comes along for the loss curve, and its
profile.json.gz for the sampler's known words and lengths without the corpus, and its
word_shares.json.gz (python -m charlm.calibrate).
With --prune-header-gates, a transformer's heads that take little of their pinned header
take none, and the sampler skips their header attention (models/header.py, prune_gates).
"""

from __future__ import annotations

import shutil
from pathlib import Path

from dreamjobs.cli import parser, run_cli

from . import checkpoint as ckpt_io
from . import runs
from .errors import CharLMError
from .models.header import prune_gates
from .profile import PROFILE
from .sampling.word_shares import WORD_SHARES


def export(run_dir: Path, out: Path, epochs: list[str], half: bool = True,
           prune_below: float | None = None) -> list[Path]:
    found = {str(e): p for e, _, p in runs.epoch_checkpoints(run_dir)}
    if not found:
        raise CharLMError(f"{run_dir} has no epoch checkpoints")
    best = runs.mark_best(run_dir)
    chosen = []
    for e in epochs:
        if e == "best":
            chosen.append(best)
        elif e in found:
            chosen.append(found[e])
        else:
            raise CharLMError(f"{run_dir} has no epoch {e}; it has {', '.join(found)}")
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for path in dict.fromkeys(chosen):
        ckpt = ckpt_io.load(path)
        if prune_below is not None:
            ckpt["model_state"], kept, heads = prune_gates(ckpt["model_state"], prune_below)
            if not heads:
                raise CharLMError(f"{path} keeps no header in view: it has no header gates to prune")
            ckpt["pruned_header_gates"] = prune_below
            print(f"{path.name}: {kept} of {heads} heads keep their header (gate at least {prune_below})")
        if half:
            ckpt["model_state"] = {k: v.half() if v.is_floating_point() else v for k, v in ckpt["model_state"].items()}
        ckpt_io.atomic_save(ckpt, out / path.name)
        written.append(out / path.name)
    for beside in (runs.METRICS, PROFILE, WORD_SHARES):  # the loss curve, and what sampling reads
        if (run_dir / beside).exists():
            shutil.copyfile(run_dir / beside, out / beside)
    runs.mark_best(out)
    return written


def main(argv: list[str] | None = None) -> int:
    p = parser("python -m charlm.export", __doc__)
    p.add_argument("run_dir", help="a run folder written by python -m charlm.train")
    p.add_argument("out", help="folder to write, e.g. checkpoints/demo")
    p.add_argument("--epochs", default="1,best", help="comma-separated epoch numbers and/or 'best' (default 1,best)")
    p.add_argument("--fp32", action="store_true", help="keep float32 weights")
    p.add_argument("--prune-header-gates", type=float, metavar="G",
                   help="a transformer with its header in view: set to 0 each head's header gate under G (the "
                        "heads the sampler then skips; what it costs in val loss is in BENCHMARKS.md)")
    args = p.parse_args(argv)
    if args.prune_header_gates is not None and not 0 < args.prune_header_gates < float("inf"):
        p.error(f"--prune-header-gates must be a positive number, got {args.prune_header_gates}")
    run_dir, out = Path(args.run_dir), Path(args.out)
    if run_dir.resolve() == out.resolve():
        raise CharLMError("the output folder must differ from the run folder")
    epochs = [e.strip() for e in args.epochs.split(",") if e.strip()]
    if not epochs:
        raise CharLMError("--epochs names no epoch: give epoch numbers and/or 'best', e.g. 1,19,best")
    for path in export(run_dir, out, epochs, not args.fp32, args.prune_header_gates):
        print(f"{path} ({path.stat().st_size / 1e6:.1f} MB)")
    return 0


if __name__ == "__main__":
    run_cli(main)
