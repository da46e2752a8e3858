"""The training CLI: train a character model on a corpus of postings. `python -m charlm.train --help`.

The command line only: options become a TrainConfig, the run folder is settled
(runs.py), and training/trainer.py's Trainer does the work. `--resume RUN` continues a run
exactly; only the options in config.RESUME_OVERRIDES may change on the way.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import torch

from dreamjobs.cli import run_cli

from . import checkpoint as ckpt_io
from . import runs
from .errors import CharLMError, CheckpointError
from .models import FAMILIES, MODELS, ModelConfig
from .training import distributed, recipes
from .training.config import RESUME_OVERRIDES, SCHEDULES, TrainConfig, option
from .training.objective import OPTIMIZERS
from .training.trainer import Trainer


def build_parser() -> argparse.ArgumentParser:
    d, dm, t = TrainConfig(), ModelConfig(), FAMILIES["transformer"].recipe

    def default(name: str, value) -> str:
        """The help's default: the LSTM's, and the transformer's where its recipe differs."""
        return f"default {value}" + (f"; transformer {t[name]}" if name in t else "")

    p = argparse.ArgumentParser(
        prog="python -m charlm.train",
        description="Train a character-level LSTM/GRU/RNN (char-rnn style) or transformer on a corpus of postings. "
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
    io.add_argument("--recipe", metavar="NAME",
                    help="start from a named recipe (charlm/recipes/NAME.toml); options given here win; "
                         "--recipe list lists them")
    io.add_argument("--swap-companies", type=float, metavar="SHARE",
                    help="each epoch, rename this share of the train postings' company, in the frame and the body "
                         "alike, to another of the corpus's: only the header then tells the model which company "
                         "its body names (default 0)")
    io.add_argument("--company-slot", action="store_true",
                    help="write each posting's own company in its body as one reserved character, which the sampler "
                         "fills in from the posting's frame: the body cannot name another company than its header's "
                         "(with --init-from, the checkpoint's vocabulary gains the character)")
    io.add_argument("--resume", metavar="RUN", help="continue a run exactly where it stopped: its folder or its latest.pt")
    io.add_argument("--init-from", metavar="CKPT",
                    help="start a new run from a checkpoint's weights, vocabulary and shape, which wins over the "
                         "sizes given here (--dropout, --seq-length and --header-slots may differ)")
    io.add_argument("--keep-layers", type=layer_list, metavar="I,J,...",
                    help="with --init-from: keep only these of its layers (numbered from 0), for a shallower, "
                         "faster model to fine-tune, e.g. 0,2,4,5 of 6")

    m = p.add_argument_group("model")
    m.add_argument("--model", choices=list(MODELS),
                   help=f"model family: a recurrent cell or a causal transformer (default {dm.model}); "
                        "each brings its own recipe, which options given here override")
    m.add_argument("--rnn-size", type=int, help=f"units per layer, the transformer's width ({default('rnn_size', dm.rnn_size)})")
    m.add_argument("--num-layers", type=int, help=f"stacked layers or blocks ({default('num_layers', dm.num_layers)})")
    m.add_argument("--dropout", type=float, help=f"dropout ({default('dropout', dm.dropout)})")
    m.add_argument("--n-head", type=int, help=f"transformer: attention heads (default {t['n_head']})")
    m.add_argument("--block-size", type=int,
                   help=f"transformer: characters each one attends over, itself included (default {t['block_size']})")
    m.add_argument("--header-slots", type=int,
                   help="transformer: keep each posting's header (its <title> line) in view to its last character, "
                        "up to this many characters, a multiple of 16 (default 0: off; the demo's 128)")

    optimization_options(p.add_argument_group("optimization"), d, default)
    running_options(p.add_argument_group("running"), d)
    return p


def running_options(r: argparse._ArgumentGroup, d: TrainConfig) -> None:
    r.add_argument("--device", choices=["auto", "cpu", "cuda", "mps"],
                   help=f"auto picks cuda, then mps, then cpu (default {d.device})")
    r.add_argument("--bf16", action=argparse.BooleanOptionalAction,
                   help="bfloat16 autocast, or with --no-bf16 float32 (default: bf16 on a CPU that has it, for a "
                        "transformer 256 wide or more; float32 elsewhere)")
    r.add_argument("--compile", action="store_true",
                   help="run the forward pass and loss through torch.compile (the first steps compile)")
    r.add_argument("--eval-every", type=int, help="also score the val split every N steps; 0: only after each epoch")
    r.add_argument("--log-every", type=int, help=f"steps per train-loss line in metrics.jsonl (default {d.log_every})")
    r.add_argument("--threads", type=int,
                   help="CPU threads (default: paced, every core or fewer where other processes hold cores and "
                        "fewer is faster)")
    r.add_argument("--max-minutes", type=float, help="stop after this much time, saving a resumable state")


def optimization_options(o: argparse._ArgumentGroup, d: TrainConfig, default) -> None:
    o.add_argument("--seq-length", type=int, help=f"characters per training window ({default('seq_length', d.seq_length)})")
    o.add_argument("--batch-size", type=int, help=f"parallel character streams ({default('batch_size', d.batch_size)})")
    o.add_argument("--max-epochs", type=int, help=f"passes over the training split ({default('max_epochs', d.max_epochs)})")
    o.add_argument("--learning-rate", type=float, help=f"peak learning rate ({default('learning_rate', d.learning_rate)})")
    o.add_argument("--lr-schedule", choices=list(SCHEDULES),
                   help=f"step: char-rnn's decay per epoch; cosine: down to --min-lr over the run or its "
                        f"--max-minutes ({default('lr_schedule', d.lr_schedule)})")
    o.add_argument("--min-lr", type=float, help=f"where the cosine schedule ends (default {d.min_lr})")
    o.add_argument("--optimizer", choices=list(OPTIMIZERS),
                   help="adam: Adam, AdamW given --weight-decay; muon: Muon on the hidden matrices, AdamW on the "
                        f"embedding, output layer and vectors, at the same rate (default {d.optimizer})")
    o.add_argument("--weight-decay", type=float,
                   help=f"decoupled decay of the weight matrices; 0 with adam is plain Adam ({default('weight_decay', d.weight_decay)})")
    o.add_argument("--beta2", type=float, help=f"Adam's second-moment decay ({default('beta2', d.beta2)})")
    o.add_argument("--lr-decay", type=float, help=f"learning-rate factor per epoch once decay starts (default {d.lr_decay})")
    o.add_argument("--lr-decay-after", type=int, help=f"epochs at the full learning rate (default {d.lr_decay_after})")
    o.add_argument("--warmup-steps", type=int,
                   help=f"ramp the learning rate up linearly over this many first steps ({default('warmup_steps', 0)})")
    o.add_argument("--grad-clip", type=float, help=f"clip the gradient norm to this ({default('grad_clip', d.grad_clip)})")
    o.add_argument("--seed", type=int, help=f"seed for the split, initialization and dropout (default {d.seed})")


def layer_list(text: str) -> list[int]:
    try:
        return [int(part) for part in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected layer numbers separated by commas, such as 0,2,4, got {text!r}")


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


def new_run_options(given: dict) -> dict:
    """A new run's options: its recipe's, then those typed; without --model, an --init-from
    checkpoint's own family (and so its family's recipe)."""
    options = dict(given)
    name = options.pop("recipe", None)
    if name is not None:
        options = {**recipes.read(name)[1], **options}
    if options.get("init_from") and "model" not in options:
        options["model"] = ckpt_io.model_config(options["init_from"]).model
    return options


def start_new(given: dict) -> Trainer:
    given = new_run_options(given)
    cfg = TrainConfig.from_options(given)
    if distributed.main_process():
        run_dir = runs.new_run_dir(cfg.checkpoint_dir, cfg.run_name, cfg.default_run_name())
        cfg.run_name = run_dir.name
    else:  # other ranks write nothing; the folder is named in messages only
        run_dir = Path(cfg.checkpoint_dir) / (cfg.run_name or "(rank 0's run)")
    if cfg.init_from:
        return Trainer.init_from(cfg, run_dir, given)
    return Trainer.new(cfg, run_dir)


def describe(trainer: Trainer, resumed: bool) -> None:
    cfg, m = trainer.cfg, trainer.cfg.model
    n_params = sum(p.numel() for p in trainer.model.parameters())
    ranks = f" x {trainer.group.world} processes (DDP)" if trainer.group else ""
    print(f"run {cfg.run_name}: {trainer.run_dir}")
    print(trainer.split.describe())
    print(f"vocab {len(trainer.vocab)} chars; {m.model} {m.num_layers}x{m.rnn_size}, "
          f"{n_params:,} parameters; device {trainer.device}{ranks}"
          + f"; {'bf16 autocast' if trainer.bf16 else 'float32'} ({trainer.bf16_why})"
          + (" (torch.compile)" if cfg.compile else ""))
    kind = ("Muon on the hidden matrices, AdamW on the rest" if cfg.optimizer == "muon"
            else type(trainer.optimizer).__name__)  # Adam, or AdamW given a weight decay
    print(f"optimizer {kind}; learning rate {cfg.learning_rate:g}, {cfg.lr_schedule} schedule"
          + (f", weight decay {cfg.weight_decay:g}" if cfg.weight_decay else ""))
    if trainer.device.type == "cpu":
        split = ("; each thread runs its own rows of a batch" if trainer.step_once.rows and max(trainer.pacer.rungs) > 1
                 else "")
        print(trainer.pacer.describe() + split)
    if resumed:
        pos = trainer.position
        print(f"resuming at epoch {pos['epoch']} batch {pos['batch']} (step {trainer.step})")


def main(argv: list[str] | None = None) -> int:
    given = vars(build_parser().parse_args(argv))
    if given.get("recipe") == "list":
        print(recipes.listing())
        return 0
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
        distributed.finish()
    finally:
        distributed.stop()
    best = runs.best_checkpoint(runs.epoch_checkpoints(trainer.run_dir)) if trainer.main else None
    if best:
        print(f"best checkpoint: {best}")
    return 130 if why == "interrupted" else 0


if __name__ == "__main__":
    run_cli(main)
