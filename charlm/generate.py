"""The sampling API: load a checkpoint once, then stream or batch-generate postings.

    from charlm import Generator
    gen = Generator.from_checkpoint("checkpoints/demo/best.pt")
    for piece in gen.stream(prime="<html>", temperature=0.8, seed=1):
        print(piece, end="")

A posting is the prime followed by generated characters, up to and including the
stop string (default "</html>", which ends every posting of the corpus) or until
max_length characters were generated. The same checkpoint, seed, settings and
precision give the same text, alone or in a batch. With guard=True (the default) the
sampler keeps the HTML well-formed and wraps up postings that run past wrap_up_after
characters (charlm/guard.py); guard=False samples the model unconstrained.

Sampling starts from the state the model is in after the end of a posting, as every
posting but the first one is read in training, not from a blank state, which the
model saw only at the starts of its training streams, mid-posting.

On the CPU an LSTM steps through the C kernel (charlm/native/sampler.c) with int8
weights by default (precision: "int8", "fp16", or "fp32" for the trained weights; see
charlm/steppers.py). Elsewhere, and for GRU/RNN and transformer models, the model's own
nn module steps (a transformer with a rolling key/value cache per row); the guarded draw
is the same C code on every path.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import torch

from common.corpus_format import DOC_END, DOC_START, FIELDS, field_text, frame

from . import checkpoint as ckpt_io
from . import native, novelty
from .batch import Batch, GuardTables
from .frame import MAX_FIELD, FrameWriter
from .data import Vocab
from .errors import SettingsError
from .metrics import COPY_LIMIT
from .model import CharRNN
from .steppers import NativeLSTM, TorchModel

# The gallery's and the sample CLI's most characters per posting: the longest corpus
# posting has 15k characters, the median 4k.
POSTING_LENGTH = 12000
# The temperatures the gallery and the sample CLI offer: below 0.1 sampling is argmax in all but
# name, above 2.0 it writes gibberish. The Python API takes any positive temperature.
TEMPERATURE_RANGE = (0.1, 2.0)
DEFAULT_PRECISION = "int8"  # val loss of the 3x512 demo within 0.0001 nats/char of fp32 (BENCHMARKS.md)


@dataclass(frozen=True)
class SampleSettings:
    prime: str = DOC_START
    temperature: float = 0.8
    max_length: int = 3000
    seed: int | None = None
    top_k: int | None = None
    argmax: bool = False
    stop: str | None = DOC_END
    guard: bool = True  # tags always parse and close in order (charlm/guard.py)
    # The demo ends a posting on its own less often than the corpus does (30% against 48% by
    # 4,000 characters, at 0.8), so the wrap-up starts short of the corpus median (4,228):
    # that brings the median sample within 9% of it (BENCHMARKS.md). At most half of max_length.
    wrap_up_after: int = 3500
    # Fields of the frame written for the model (charlm/frame.py); it writes the rest.
    title: str | None = None
    company: str | None = None
    city: str | None = None
    # Guarded postings copy no more than this many characters of the model's corpus in a row,
    # when the corpus is at hand (charlm/novelty.py).
    max_copy: int | None = COPY_LIMIT

    def fields(self) -> dict[str, str]:
        return {k: v for k in FIELDS if (v := getattr(self, k)) is not None}

    def frame_writer(self, vocab: Vocab) -> FrameWriter | None:
        """The writer that keeps this posting's frame coherent, with the prime fed; None when it has no part.

        Guarded postings get one; so does any posting given a field."""
        writer = self._primed_writer(vocab) if self.guard or self.fields() else None
        return writer if writer is not None and writer.want is not None else None

    def _primed_writer(self, vocab: Vocab) -> FrameWriter | None:
        """A FrameWriter for the fields, fed the prime; None when the vocabulary cannot spell the frame."""
        if vocab.missing(frame("a", "b", "c")):
            return None
        writer = FrameWriter(**self.fields())
        for ch in self.prime:
            writer.feed(ch)
        return writer

    def wrap_up(self) -> int:
        """Characters after which a guarded posting is steered towards its end."""
        return min(self.wrap_up_after, self.max_length // 2)

    def check(self, vocab: Vocab) -> None:
        if not self.prime:
            raise SettingsError("prime must hold at least one character")
        vocab.check(self.prime, "prime")
        if not self.argmax and not 0 < self.temperature < float("inf"):
            raise SettingsError(f"temperature must be a positive number, got {self.temperature}")
        if self.max_length < 0:
            raise SettingsError(f"max_length must be >= 0, got {self.max_length}")
        if self.wrap_up_after < 0:
            raise SettingsError(f"wrap_up_after must be >= 0, got {self.wrap_up_after}")
        if self.max_copy is not None and self.max_copy < 2 * novelty.Q:
            raise SettingsError(f"max_copy must be at least {2 * novelty.Q} characters, got {self.max_copy}")
        if self.top_k is not None and self.top_k < 1:
            raise SettingsError(f"top_k must be at least 1, got {self.top_k}")
        if self.stop and len(self.stop) > native.MAX_STOP:
            raise SettingsError(f"stop must be at most {native.MAX_STOP} characters, got {len(self.stop)}")
        fields = self.fields()
        for name, value in fields.items():
            if not isinstance(value, str) or not value.strip():
                raise SettingsError(f"{name} must be text with at least one visible character")
            if len(value) > MAX_FIELD:
                raise SettingsError(f"{name} must be at most {MAX_FIELD} characters, got {len(value)}")
            vocab.check(field_text(value), name)
        if fields:
            writer = self._primed_writer(vocab)
            if writer is None:
                raise SettingsError(f"this model's vocabulary cannot write the posting frame (it lacks "
                                    f"{vocab.missing(frame('a', 'b', 'c'))}), so it takes no {', '.join(fields)}")
            if not writer.followed:
                raise SettingsError(f"{', '.join(fields)} need a prime that begins the posting frame, such as "
                                    f"the default '<html>'; got prime {self.prime[:40]!r}")


def new_seed() -> int:
    return secrets.randbelow(2**31)


def copy_guard_of(ckpt: dict) -> tuple[novelty.CopyIndex | None, str | None]:
    """The copy index of the corpus a checkpoint learned from, and that corpus's path; None where it is not at hand."""
    corpus = (ckpt.get("train_config") or {}).get("data")
    return (novelty.corpus_index(corpus) if corpus else None), corpus


class Generator:
    """Sampling from one loaded model. Safe to share between threads: each call has its own batch.

    backend "native" (the default on the CPU for LSTMs) steps through the C kernel at
    `precision`, on `threads` threads (None: as many of the cores this process may use as
    are fastest at each moment); "torch" steps the nn module, the reference and the path on CUDA.
    """

    def __init__(self, model: CharRNN, vocab: Vocab, device: str = "cpu",
                 precision: str | None = None, backend: str | None = None,
                 copy_index: novelty.CopyIndex | None = None, corpus: str | None = None,
                 threads: int | None = None):
        self.device = torch.device(device)
        self.model = model.to(self.device).eval()
        self.vocab = vocab
        if backend is None:
            backend = "native" if self.device.type == "cpu" and NativeLSTM.supports(model) else "torch"
        if backend == "native":
            if self.device.type != "cpu":
                raise SettingsError("the native sampler runs on the CPU only")
            self.precision = precision or DEFAULT_PRECISION
            self.engine = NativeLSTM(self.model, self.precision, threads)
        elif backend == "torch":
            if precision not in (None, "fp32"):
                raise SettingsError(f"precision {precision} needs the native CPU sampler; the torch path is fp32")
            self.precision = "fp32"
            self.engine = TorchModel(self.model)
        else:
            raise SettingsError(f"backend must be native or torch, got {backend!r}")
        self.backend = backend
        self.guard_tables = GuardTables(vocab)
        self.copy_index = copy_index
        self.corpus = corpus  # the path of the corpus the model learned from, when it is known

    @classmethod
    def from_checkpoint(cls, path: str | Path, device: str = "cpu", precision: str | None = None,
                        backend: str | None = None, threads: int | None = None) -> "Generator":
        model, vocab, ckpt = ckpt_io.load_model(path)
        return cls(model, vocab, device, precision, backend, *copy_guard_of(ckpt), threads=threads)

    def batch(self, capacity: int) -> Batch:
        """An empty batch for up to `capacity` rows (see charlm/batch.py)."""
        return Batch(self, capacity)

    def stream(self, settings: SampleSettings | None = None, **kw) -> Iterator[str]:
        """Yield the posting piece by piece: the prime first, then one character at a time."""
        s = settings or SampleSettings(**kw)
        s.check(self.vocab)
        batch = self.batch(1)
        running = batch.add(0, s, new_seed() if s.seed is None else s.seed)
        yield s.prime
        while running:
            ((_, ch, done),) = batch.advance()
            yield ch
            running = not done

    def sample(self, settings: SampleSettings | None = None, **kw) -> str:
        return "".join(self.stream(settings, **kw))

    def generate(self, n: int, settings: SampleSettings | None = None, **kw) -> list[str]:
        """n postings in one batch: far higher total throughput than n calls to sample().

        Row i uses seed+i and gives the text sample() gives for that seed.
        """
        s = settings or SampleSettings(**kw)
        s.check(self.vocab)
        if n < 1:
            raise SettingsError(f"n must be at least 1, got {n}")
        seed = new_seed() if s.seed is None else s.seed
        batch = self.batch(n)
        parts = [[s.prime] for _ in range(n)]
        for i in range(n):
            batch.add(i, s, seed + i)
        while len(batch):
            for i, ch, _ in batch.advance():
                parts[i].append(ch)
        return ["".join(p) for p in parts]
