"""A model's sizes, saved in every checkpoint so that the model can be rebuilt from it alone."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields

MODELS = ("lstm", "gru", "rnn", "transformer")  # the families' names (families.py holds what each is)


@dataclass(frozen=True)
class ModelConfig:
    vocab_size: int = 0  # 0 until the corpus is read: training sets it from the corpus's vocabulary
    model: str = "lstm"
    rnn_size: int = 512  # units per layer; the transformer's width
    num_layers: int = 3
    dropout: float = 0.5
    n_head: int = 8  # the transformer's attention heads (its recipe, families.py, sets 6 for its width of 384)
    block_size: int = 256  # the transformer's window: each character sees itself and block_size - 1 before it
    header_slots: int = 0  # the transformer: its posting's header kept in view, up to this many characters (header.py)
    header_open: tuple = ()  # HEAD and HEADER_END in the vocabulary's ids, set with it
    header_close: tuple = ()

    def __post_init__(self) -> None:
        if self.model not in MODELS:
            raise ValueError(f"unknown model {self.model!r}; choose one of {', '.join(MODELS)}")
        if self.windowed:
            if self.n_head < 1 or self.rnn_size % self.n_head or (self.rnn_size // self.n_head) % 2:
                raise ValueError(f"n_head must split the width (rnn_size) into heads of an even width, got {self.n_head} "
                                 f"heads for {self.rnn_size}")
            if self.block_size < 2:
                raise ValueError(f"block_size must be at least 2, got {self.block_size}")
            if self.header_slots < 0 or self.header_slots % 16 or self.header_slots > self.block_size:
                raise ValueError(f"header_slots must be a multiple of 16 from 0 to the block_size ({self.block_size}), "
                                 f"got {self.header_slots}")
        elif self.header_slots:
            raise ValueError(f"header_slots keeps a transformer's header in view; the {self.model} has none")
        if self.vocab_size < 0:
            raise ValueError(f"vocab_size must be positive, got {self.vocab_size}")
        for name in ("rnn_size", "num_layers"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1, got {getattr(self, name)}")
        # Written as "not (inside)" so that nan, which fails every comparison, is refused too.
        if not 0.0 <= self.dropout < 1.0:
            raise ValueError(f"dropout must be in [0, 1), got {self.dropout}")

    @property
    def windowed(self) -> bool:
        """Whether the family attends over a window (block_size, n_head and the header are its)."""
        from .families import family  # families.py imports the networks, which import this module

        return family(self).windowed

    def describe(self) -> str:
        """The family and size in a few words: "LSTM 3x512", "transformer 6x384"."""
        from .families import family

        return family(self).describe(self)

    def to_dict(self) -> dict:
        """What a checkpoint's config holds: a windowed family's fields for it only."""
        data = asdict(self)
        if not self.windowed:
            del data["n_head"], data["block_size"]
        if not self.header_slots:
            del data["header_slots"], data["header_open"], data["header_close"]
        else:
            data["header_open"], data["header_close"] = list(self.header_open), list(self.header_close)
        return data

    @classmethod
    def from_dict(cls, data: dict) -> "ModelConfig":
        names = {f.name for f in fields(cls)}
        return cls(**{k: tuple(v) if isinstance(v, list) else v for k, v in data.items() if k in names})
