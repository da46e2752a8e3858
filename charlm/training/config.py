"""A training run's settings: TrainConfig, with the model's shape as a ModelConfig inside.

Defaults are char-rnn's recipe for the design's model (3x512 LSTM, dropout 0.5, seq 100,
batch 50, Adam 2e-3 decayed by 0.97 an epoch after 10, no warm-up). `--model transformer`
brings its own recipe (models/families.py), nanoGPT's shakespeare_char: 6 blocks of 384 with 6 heads,
window 256, dropout 0.2, batch 64, AdamW 1e-3 with beta2 0.99 and weight decay 0.1 on
matrices, 100 warm-up steps then a cosine to 1e-4 over the run. Options given on the
command line win over either recipe. Checkpoints store to_dict();
from_dict also reads the flat form of checkpoints written before the model's shape
moved into ModelConfig (the shipped demo's among them).
"""

from __future__ import annotations

import math
import re
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path

from ..data import check_val_frac
from ..errors import CharLMError
from ..models import FAMILIES, ModelConfig
from ..threads import threads_problem
from .objective import OPTIMIZERS

SHAPE = ("model", "rnn_size", "num_layers", "dropout", "n_head", "block_size", "header_slots")  # ModelConfig's, flat on the command line
SCHEDULES = ("step", "cosine")


# What a resumed run may change; everything else is the run's identity.
RESUME_OVERRIDES = {"max_epochs", "max_minutes", "device", "eval_every", "log_every", "bf16", "compile", "threads"}


def option(name: str) -> str:
    """A setting's command-line name: rnn_size -> --rnn-size."""
    return "--" + name.replace("_", "-")


@dataclass
class TrainConfig:
    data: str = "corpus/input.txt"
    checkpoint_dir: str = "checkpoints"
    run_name: str | None = None
    model: ModelConfig = field(default_factory=ModelConfig)  # vocab_size is set from the corpus
    seq_length: int = 100
    batch_size: int = 50
    max_epochs: int = 50
    learning_rate: float = 2e-3
    lr_schedule: str = "step"  # "step": char-rnn's decay by epoch; "cosine": to min_lr over the run
    lr_decay: float = 0.97
    lr_decay_after: int = 10
    min_lr: float = 1e-4
    warmup_steps: int = 0
    weight_decay: float = 0.0  # decoupled, on matrices only (AdamW's and Muon's); 0 with adam is plain Adam
    optimizer: str = "adam"  # or "muon": Muon on the hidden matrices (objective.make_optimizer)
    beta2: float = 0.999
    grad_clip: float = 5.0
    val_frac: float = 0.1
    eval_every: int = 0
    log_every: int = 10
    seed: int = 123
    device: str = "auto"
    bf16: bool | None = None  # bfloat16 autocast; None: where it pays (training/precision.py)
    compile: bool = False
    threads: int | None = None  # torch's threads on a CPU; None: torch's own count (every core it may use)
    max_minutes: float | None = None
    init_from: str | None = None
    keep_layers: list[int] | None = None  # of the init_from checkpoint's layers; None: all
    swap_companies: float = 0.0  # share of train postings renamed to another company each epoch (company_swap.py)
    company_slot: bool = False  # the body's own company as one character the sampler fills in (company_slot.py)

    def lr_at(self, epoch: int, step: int, progress: float = 0.0) -> float:
        """The learning rate of optimizer step `step` (0-based) in `epoch` (1-based), `progress`
        (0 to 1) into the run by steps or by its time budget, whichever is further.

        "step" is char-rnn's schedule: the full rate for lr_decay_after epochs, then lr_decay
        times less each epoch. "cosine" falls from the full rate to min_lr along half a cosine
        over the run: a transformer trained to the end of a budget ends at its floor. Either
        is reached by a linear ramp over the first warmup_steps steps: a large batch or a
        transformer takes a rate that Adam's first updates, made before its moment estimates
        settle, would otherwise throw a fresh network off with."""
        if self.lr_schedule == "cosine":
            share = min(1.0, max(0.0, progress))
            rate = self.min_lr + (self.learning_rate - self.min_lr) * 0.5 * (1 + math.cos(math.pi * share))
        else:
            rate = self.learning_rate * self.lr_decay ** max(0, epoch - self.lr_decay_after)
        return rate * min(1.0, (step + 1) / self.warmup_steps) if self.warmup_steps else rate

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> "TrainConfig":
        data = dict(data)
        if not isinstance(data.get("model"), dict):  # the flat form: model was the cell's name
            data["model"] = {k: data.pop(k) for k in SHAPE if k in data}
        data["model"] = ModelConfig.from_dict(data["model"])
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})

    @classmethod
    def from_options(cls, options: dict) -> "TrainConfig":
        """From command-line options, where the model's shape comes flat (--rnn-size ...), over the
        model family's recipe; checked."""
        kind = FAMILIES.get(options.get("model", ModelConfig.model))  # None: ModelConfig says it is unknown
        options = {**(kind.recipe if kind else {}), **options}
        if kind and kind.windowed:  # it trains on windows as long as the one it attends over
            options.setdefault("seq_length", options["block_size"])
        shape = {k: options.pop(k) for k in SHAPE if k in options}
        try:
            model = ModelConfig(**shape)
        except ValueError as exc:  # the model's own checks, in the command line's words
            raise CharLMError(re.sub(r"^\w+", lambda m: option(m.group(0)), str(exc))) from None
        cfg = cls(model=model, **options)
        cfg.check()
        return cfg

    def with_model(self, model: ModelConfig) -> "TrainConfig":
        return replace(self, model=model)

    def for_checkpoint(self, shape: ModelConfig, given: dict) -> "TrainConfig":
        """This run's settings when it starts from a checkpoint of `shape` (--init-from): its shape
        wins over the sizes on the command line, save a --dropout or --header-slots `given` there, and a transformer
        trains on windows as long as its own unless --seq-length is given; checked."""
        try:
            shape = replace(shape, dropout=given.get("dropout", shape.dropout),
                            header_slots=given.get("header_slots", shape.header_slots))
        except ValueError as exc:
            raise CharLMError(re.sub(r"^\w+", lambda m: option(m.group(0)), str(exc))) from None
        seq_length = given.get("seq_length", shape.block_size) if shape.windowed else self.seq_length
        cfg = replace(self, model=shape, seq_length=seq_length)
        cfg.check()
        return cfg

    def check(self) -> None:
        positive = {"seq_length": self.seq_length, "batch_size": self.batch_size, "max_epochs": self.max_epochs,
                    "log_every": self.log_every}
        for name, value in positive.items():
            if value < 1:
                raise CharLMError(f"{option(name)} must be at least 1, got {value}")
        # Written as "not (inside)" so that nan, which fails every comparison, is refused too; each names its flag alone.
        ranges = (("learning_rate", 0 < self.learning_rate < math.inf, "a positive number"),
                  ("grad_clip", 0 < self.grad_clip < math.inf, "a positive number"),
                  ("lr_decay", 0 < self.lr_decay <= 1, "in (0, 1]"),
                  ("min_lr", 0 <= self.min_lr <= self.learning_rate, "in [0, --learning-rate]"),
                  ("weight_decay", 0 <= self.weight_decay < math.inf, "a number >= 0"),
                  ("beta2", 0 < self.beta2 < 1, "in (0, 1)"),
                  ("eval_every", self.eval_every >= 0, "a whole number >= 0"),
                  ("swap_companies", 0 <= self.swap_companies <= 1, "a share in [0, 1]"),
                  ("max_minutes", self.max_minutes is None or 0 < self.max_minutes < math.inf, "a positive number"))
        for name, inside, what in ranges:
            if not inside:
                raise CharLMError(f"{option(name)} must be {what}, got {getattr(self, name)}")
        for name, value, allowed in (("lr_schedule", self.lr_schedule, SCHEDULES),
                                     ("optimizer", self.optimizer, OPTIMIZERS)):
            if value not in allowed:
                raise CharLMError(f"{option(name)} must be one of {', '.join(allowed)}, got {value!r}")
        if self.model.windowed and self.seq_length > self.model.block_size:
            raise CharLMError(f"--seq-length {self.seq_length} is longer than the transformer's --block-size "
                              f"{self.model.block_size}: a training window must fit the window it attends over")
        check_val_frac(self.val_frac)
        if self.keep_layers is not None and not self.init_from:
            raise CharLMError("--keep-layers picks layers of the --init-from checkpoint; give that checkpoint too")
        if problem := threads_problem(self.threads):
            raise CharLMError(problem)
        if self.warmup_steps < 0:
            raise CharLMError(f"--warmup-steps must be >= 0, got {self.warmup_steps}")
        name = self.run_name
        if name is not None and (not name or Path(name).name != name or name in (".", "..") or "\\" in name):
            raise CharLMError(f"--run-name must be a plain folder name inside --checkpoint-dir, got {name!r}")

    def default_run_name(self) -> str:
        m = self.model
        return f"{Path(self.data).stem}-{m.model}{m.num_layers}x{m.rnn_size}"
