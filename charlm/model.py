"""The networks: the recurrent family (Embedding -> LSTM/GRU/RNN stack -> Dropout -> Linear)
here, the transformer family in transformer.py; build() makes either from a ModelConfig.

Sizes come from ModelConfig, which is saved in every checkpoint so that a model
can be rebuilt from the checkpoint alone. Both families answer the same calls:
forward(idx, state, targets) -> (logits or loss, state), init_state(rows), and
compile_training(); the trainer, the val scoring and the sampler use nothing else.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields

import torch
import torch.nn.functional as F
from torch import nn

from .errors import CharLMError

CELLS = {"lstm": nn.LSTM, "gru": nn.GRU, "rnn": nn.RNN}
MODELS = (*CELLS, "transformer")

# LSTM state is a (h, c) pair; GRU and RNN carry h alone.
State = torch.Tensor | tuple[torch.Tensor, torch.Tensor]


@dataclass(frozen=True)
class ModelConfig:
    vocab_size: int = 0  # 0 until the corpus is read: training sets it from the corpus's vocabulary
    model: str = "lstm"
    rnn_size: int = 512  # units per layer; the transformer's width
    num_layers: int = 3
    dropout: float = 0.5
    n_head: int = 8  # the transformer's attention heads (its recipe, config.RECIPES, sets 6 for its width of 384)
    block_size: int = 256  # the transformer's window: each character sees itself and block_size - 1 before it

    def __post_init__(self) -> None:
        if self.model not in MODELS:
            raise ValueError(f"unknown model {self.model!r}; choose one of {', '.join(MODELS)}")
        if self.model == "transformer":
            if self.n_head < 1 or self.rnn_size % self.n_head or (self.rnn_size // self.n_head) % 2:
                raise ValueError(f"n_head must split the width (rnn_size) into heads of an even width, got {self.n_head} "
                                 f"heads for {self.rnn_size}")
            if self.block_size < 2:
                raise ValueError(f"block_size must be at least 2, got {self.block_size}")
        if self.vocab_size < 0:
            raise ValueError(f"vocab_size must be positive, got {self.vocab_size}")
        for name in ("rnn_size", "num_layers"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1, got {getattr(self, name)}")
        # Written as "not (inside)" so that nan, which fails every comparison, is refused too.
        if not 0.0 <= self.dropout < 1.0:
            raise ValueError(f"dropout must be in [0, 1), got {self.dropout}")

    def to_dict(self) -> dict:
        """What a checkpoint's config holds: the transformer's fields for a transformer only."""
        data = asdict(self)
        if self.model != "transformer":
            del data["n_head"], data["block_size"]
        return data

    @classmethod
    def from_dict(cls, data: dict) -> "ModelConfig":
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in names})


class CharRNN(nn.Module):
    def __init__(self, config: ModelConfig):
        super().__init__()
        if config.vocab_size < 1:
            raise ValueError("the model's vocab_size is not set")
        self.config = config
        # An embedding as wide as the hidden layer replaces char-rnn's one-hot input:
        # the same function for a small vocabulary, without building one-hot tensors.
        self.embed = nn.Embedding(config.vocab_size, config.rnn_size)
        rnn_kwargs = {"nonlinearity": "tanh"} if config.model == "rnn" else {}
        self.rnn = CELLS[config.model](
            config.rnn_size,
            config.rnn_size,
            num_layers=config.num_layers,
            # char-rnn drops out between layers and before the classifier.
            dropout=config.dropout if config.num_layers > 1 else 0.0,
            batch_first=True,
            **rnn_kwargs,
        )
        self.drop = nn.Dropout(config.dropout)
        self.head = nn.Linear(config.rnn_size, config.vocab_size)
        self.readout_loss = readout_loss  # compile_training() swaps in a compiled one

    def init_state(self, batch_size: int, device: torch.device | str = "cpu") -> State:
        shape = (self.config.num_layers, batch_size, self.config.rnn_size)
        h = torch.zeros(shape, device=device)
        if self.config.model == "lstm":
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


def build(config: ModelConfig) -> nn.Module:
    """The network a ModelConfig describes, of either family."""
    if config.model == "transformer":
        from .transformer import CharTransformer

        if config.vocab_size < 1:
            raise ValueError("the model's vocab_size is not set")
        return CharTransformer(config)
    return CharRNN(config)


def detach_state(state: State | None) -> State | None:
    """Cut the graph between BPTT windows while carrying the values on."""
    if state is None:  # the transformer carries none between training windows
        return None
    if isinstance(state, tuple):
        return tuple(s.detach() for s in state)
    return state.detach()


def resolve_device(name: str) -> torch.device:
    if name == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if getattr(torch.backends, "mps", None) and torch.backends.mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise CharLMError("--device cuda: no CUDA GPU is available to this torch build; use --device auto or cpu")
    if name == "mps" and not (getattr(torch.backends, "mps", None) and torch.backends.mps.is_available()):
        raise CharLMError("--device mps: Apple's Metal backend is not available here; use --device auto or cpu")
    if name not in ("cpu", "cuda", "mps"):
        raise CharLMError(f"unknown device {name!r}; choose auto, cpu, cuda or mps")
    return torch.device(name)
