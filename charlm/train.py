"""Train a character-level RNN on a corpus of postings: `python -m charlm.train --help`.

The command line only: options become a TrainConfig, the run folder is settled
(runs.py), and training.py's Trainer does the work. `--resume RUN` continues a run
exactly; only the options in config.RESUME_OVERRIDES may change on the way.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from common.cli import run_cli

from . import checkpoint as ckpt_io
from . import distributed, runs
from .config import RESUME_OVERRIDES, TrainConfig, option
from .errors import CharLMError, CheckpointError
from .model import CELLS, ModelConfig
from .training import Trainer


def build_parser() -> argparse.ArgumentParser:
    d, dm = TrainConfig(), ModelConfig()
    p = argparse.ArgumentParser(
        prog="python -m charlm.train",
        description="Train a character-level LSTM/GRU/RNN on a corpus of postings (char-rnn style). "
                    "Writes checkpoints/<run>/epochNNN_valX.XXXX.pt after every epoch, latest.pt to resume, "
                    "best.pt pointing at the lowest val loss, and metrics.jsonl.",
        # Only options the user typed land in the namespace, so --resume can tell them apart.
        argument_default=argparse.SUPPRESS,
    )
    io = p.add_argument_group("data and output")
    io.add_argument("--data", help=f"corpus file; postings end with </html> (default {d.data})")
    io.add_argument("--checkpoint-dir", help=f"folder that holds one sub-folder per run (default {d.checkpoint_dir})")
    io.add_argument("--run-name", help="name of the run folder (default: corpus-model-size-timestamp)")
    io.add_argument("--val-frac", type=float, help=f"share of postings held out for validation (default {d.val_frac})")
    io.add_argument("--resume", metavar="RUN", help="continue a run exactly where it stopped: its folder or its latest.pt")
    io.add_argument("--init-from", metavar="CKPT", help="start a new run from a checkpoint's weights (same vocabulary)")

    m = p.add_argument_group("model")
    m.add_argument("--model", choices=list(CELLS), help=f"recurrent cell (default {dm.model})")
    m.add_argument("--rnn-size", type=int, help=f"hidden units per layer (default {dm.rnn_size})")
    m.add_argument("--num-layers", type=int, help=f"stacked recurrent layers (default {dm.num_layers})")
    m.add_argument("--dropout", type=float, help=f"dropout between layers and before the output (default {dm.dropout})")

    o = p.add_argument_group("optimization")
    o.add_argument("--seq-length", type=int, help=f"characters per BPTT window (default {d.seq_length})")
    o.add_argument("--batch-size", type=int, help=f"parallel character streams (default {d.batch_size})")
    o.add_argument("--max-epochs", type=int, help=f"passes over the training split (default {d.max_epochs})")
    o.add_argument("--learning-rate", type=float, help=f"Adam learning rate (default {d.learning_rate})")
    o.add_argument("--lr-decay", type=float, help=f"learning-rate factor per epoch once decay starts (default {d.lr_decay})")
    o.add_argument("--lr-decay-after", type=int, help=f"epochs at the full learning rate (default {d.lr_decay_after})")
    o.add_argument("--warmup-steps", type=int,
                   help="ramp the learning rate up linearly over this many first steps (default 0: none)")
    o.add_argument("--grad-clip", type=float, help=f"clip the gradient norm to this (default {d.grad_clip})")
    o.add_argument("--seed", type=int, help=f"seed for the split, initialization and dropout (default {d.seed})")

    r = p.add_argument_group("running")
    r.add_argument("--device", choices=["auto", "cpu", "cuda", "mps"],
                   help=f"auto picks cuda, then mps, then cpu (default {d.device})")
    r.add_argument("--bf16", action="store_true", help="bfloat16 autocast on CUDA (ignored elsewhere)")
    r.add_argument("--compile", action="store_true",
                   help="run the forward pass and loss through torch.compile (the first steps compile)")
    r.add_argument("--eval-every", type=int, help="also score the val split every N steps; 0: only after each epoch")
    r.add_argument("--log-every", type=int, help=f"steps per train-loss line in metrics.jsonl (default {d.log_every})")
    r.add_argument("--max-minutes", type=float, help="stop after this much time, saving a resumable state")
    return p


def load_resume(path: str) -> tuple[dict, Path]:
    p = Path(path)
    file = p / runs.LATEST if p.is_dir() else p
    if p.is_dir() and not file.exists():
        raise CheckpointError(f"{p} holds no {runs.LATEST} to resume from"
                              + ("; it was stopped before its first save: start it again with the same command "
                                 f"and --run-name {p.name}" if not runs.has_saved_state(p) else ""))
    state = ckpt_io.load(file)
    if "resume" not in state:
        raise CheckpointError(f"{file} is a per-epoch checkpoint without optimizer state; "
                              f"resume from the run's {runs.LATEST}, or use --init-from to start anew")
    return state, file.parent


def resume_config(state: dict, given: dict) -> TrainConfig:
    fixed = sorted(set(given) - RESUME_OVERRIDES)
    if fixed:
        raise CharLMError(f"{', '.join(option(k) for k in fixed)} cannot change when resuming; only "
                          + ", ".join(option(k) for k in sorted(RESUME_OVERRIDES)) + " can")
    cfg = TrainConfig.from_dict(state["train_config"])
    for k, v in given.items():
        setattr(cfg, k, v)
    cfg.check()
    return cfg


def start_new(given: dict) -> Trainer:
    cfg = TrainConfig.from_options(given)
    if distributed.main_process():
        run_dir = runs.new_run_dir(cfg.checkpoint_dir, cfg.run_name, cfg.default_run_name())
        cfg.run_name = run_dir.name
    else:  # other ranks write nothing; the folder is named in messages only
        run_dir = Path(cfg.checkpoint_dir) / (cfg.run_name or "(rank 0's run)")
    return Trainer.init_from(cfg, run_dir) if cfg.init_from else Trainer.new(cfg, run_dir)


def describe(trainer: Trainer, resumed: bool) -> None:
    cfg, m = trainer.cfg, trainer.cfg.model
    n_params = sum(p.numel() for p in trainer.model.parameters())
    ranks = f" x {trainer.group.world} processes (DDP)" if trainer.group else ""
    print(f"run {cfg.run_name}: {trainer.run_dir}")
    print(trainer.split.describe())
    print(f"vocab {len(trainer.vocab)} chars; {m.model} {m.num_layers}x{m.rnn_size}, "
          f"{n_params:,} parameters; device {trainer.device}{ranks}"
          + (" (bf16 autocast)" if cfg.bf16 and trainer.device.type == "cuda" else "")
          + (" (torch.compile)" if cfg.compile else ""))
    if resumed:
        pos = trainer.position
        print(f"resuming at epoch {pos['epoch']} batch {pos['batch']} (step {trainer.step})")


def main(argv: list[str] | None = None) -> int:
    given = vars(build_parser().parse_args(argv))
    resume_path = given.pop("resume", None)
    if resume_path:
        state, run_dir = load_resume(resume_path)
        cfg = resume_config(state, given)
        if state["resume"]["position"]["epoch"] > cfg.max_epochs:
            print(f"{run_dir} already finished {cfg.max_epochs} epochs; pass a larger --max-epochs to train on")
            return 0
        trainer = Trainer.resumed(cfg, state, run_dir)
    else:
        trainer = start_new(given)
    try:
        if trainer.main:
            describe(trainer, bool(resume_path))
        why = trainer.run()
    finally:
        distributed.stop()
    best = runs.best_checkpoint(runs.epoch_checkpoints(trainer.run_dir)) if trainer.main else None
    if best:
        print(f"best checkpoint: {best}")
    return 130 if why == "interrupted" else 0


if __name__ == "__main__":
    run_cli(main)
