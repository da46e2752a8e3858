"""The model families, one record each: the one place that tells them apart by name.

A family is its network (a torch module built from a ModelConfig, answering
models.CharModel), a label, whether it attends over a window (the transformer's
block_size, n_head and header fields, and training windows as long as it), its training
recipe (the defaults where they differ from TrainConfig's, char-rnn's LSTM recipe) and its
sampling defaults (where they differ from SampleSettings'). The trainer, the sampler, the
checkpoint code and the gallery ask `family(config)`; none compares family names. The C
kernel's step for a network is sampling's (native_engine), chosen by the network's type.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from torch import nn

from .rnn import CharRNN
from .transformer import CharTransformer


@dataclass(frozen=True)
class Family:
    name: str  # ModelConfig.model
    label: str  # as a user reads it: "LSTM", "transformer"
    network: type[nn.Module]
    windowed: bool = False  # attends over a window of block_size characters, with n_head heads
    recipe: dict = field(default_factory=dict)
    sampling: dict = field(default_factory=dict)

    def describe(self, config) -> str:
        """The family and size in a few words: "LSTM 3x512", "transformer 4x384"."""
        return f"{self.label} {config.num_layers}x{config.rnn_size}"

    def details(self, config) -> str:
        """describe() and what else sets the network apart: "transformer 4x384, 6 heads, window 256"."""
        more = f", {config.n_head} heads, window {config.block_size}" if self.windowed else ""
        header = f", header in view ({config.header_slots} slots)" if config.header_slots else ""
        return self.describe(config) + more + header


# nanoGPT's shakespeare_char: 6 blocks of 384, 6 heads, window 256, dropout 0.2, batch 64,
# AdamW 1e-3 with beta2 0.99 and weight decay 0.1 on matrices, 100 warm-up steps, then a
# cosine to 1e-4 over the run.
TRANSFORMER_RECIPE = {"rnn_size": 384, "num_layers": 6, "n_head": 6, "block_size": 256, "dropout": 0.2,
                      "batch_size": 64, "max_epochs": 10, "learning_rate": 1e-3, "lr_schedule": "cosine",
                      "min_lr": 1e-4, "warmup_steps": 100, "weight_decay": 0.1, "beta2": 0.99, "grad_clip": 1.0}

FAMILIES = {f.name: f for f in (
    Family("lstm", "LSTM", CharRNN),
    Family("gru", "GRU", CharRNN),
    Family("rnn", "RNN", CharRNN),
    Family("transformer", "transformer", CharTransformer, windowed=True, recipe=TRANSFORMER_RECIPE),
)}


def family(config) -> Family:
    """The family of a ModelConfig (or of its name)."""
    return FAMILIES[config if isinstance(config, str) else config.model]
