"""The recurrent family, char-rnn's network: Embedding -> LSTM/GRU/RNN stack -> Dropout -> Linear."""

from __future__ import annotations

import re

import torch
import torch.nn.functional as F
from torch import nn

from .config import ModelConfig

CELLS = {"lstm": nn.LSTM, "gru": nn.GRU, "rnn": nn.RNN}

# LSTM state is a (h, c) pair; GRU and RNN carry h alone.
State = torch.Tensor | tuple[torch.Tensor, torch.Tensor]


class CharRNN(nn.Module):
    LAYER_KEY = re.compile(r"(?<=_l)\d+$")  # rnn.weight_hh_l2: torch's stacked cell numbers its layers so

    def __init__(self, config: ModelConfig):
        super().__init__()
        if config.vocab_size < 1:
            raise ValueError("the model's vocab_size is not set")
        self.config = config
        # An embedding as wide as the hidden layer replaces char-rnn's one-hot input:
        # the same function for a small vocabulary, without building one-hot tensors.
        self.embed = nn.Embedding(config.vocab_size, config.rnn_size)
        self.rnn = CELLS[config.model](
            config.rnn_size,
            config.rnn_size,
            num_layers=config.num_layers,
            # char-rnn drops out between layers and before the classifier.
            dropout=config.dropout if config.num_layers > 1 else 0.0,
            batch_first=True,
        )
        self.drop = nn.Dropout(config.dropout)
        self.head = nn.Linear(config.rnn_size, config.vocab_size)
        self.readout_loss = readout_loss  # compile_training() swaps in a compiled one

    def init_state(self, batch_size: int, device: torch.device | str = "cpu") -> State:
        shape = (self.config.num_layers, batch_size, self.config.rnn_size)
        h = torch.zeros(shape, device=device)
        if isinstance(self.rnn, nn.LSTM):  # its state is (h, c)
            return (h, torch.zeros(shape, device=device))
        return h

    def forward(self, idx: torch.Tensor, state: State | None = None,
                targets: torch.Tensor | None = None) -> tuple[torch.Tensor, State]:
        """idx: (B, T) character ids -> logits (B, T, V) and the state after the last step.

        Given targets (B, T), the mean cross-entropy (nats per character) in place of the
        logits: training asks this way so that the loss is inside what DDP wraps and what
        compile_training() compiles."""
        out, state = self.rnn(self.embed(idx), state)
        if targets is None:
            return self.head(self.drop(out)), state
        return self.readout_loss(self.drop, self.head, out, targets), state

    def compile_training(self) -> None:
        """Run dropout, head and cross-entropy through torch.compile (a few generated kernels
        instead of an op each, forward and backward). The recurrent stack stays cuDNN's (ATen's
        on a CPU): Dynamo would unroll it one timestep at a time, minutes of compiling for a
        slower step."""
        self.readout_loss = torch.compile(readout_loss)


def readout_loss(drop: nn.Dropout, head: nn.Linear, out: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """Mean cross-entropy of the next character, from the top layer's outputs."""
    return F.cross_entropy(head(drop(out)).float().flatten(0, 1), targets.flatten())
