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
characters (the tag guard, native/guard.c); guard=False samples the model unconstrained.

Sampling starts from the state the model is in after the end of a posting, as every
posting but the first one is read in training, not from a blank state, which the
model saw only at the starts of its training streams, mid-posting.

On the CPU an LSTM steps through the C kernel (native/) with int8 weights by default
(precision: "int8", "fp16", or "fp32" for the trained weights; see steppers.py).
Elsewhere, and for GRU/RNN and transformer models, the model's own nn module steps (a
transformer with a rolling key/value cache per row); the guarded draw is the same C
code on every path.
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

import torch
import torch.nn.functional as F

from .. import checkpoint as ckpt_io
from ..data import Vocab, eval_streams, read_corpus, text_fingerprint
from ..errors import CharLMError, SettingsError
from ..models import CharModel
from ..profile import CorpusProfile, load_profile, profile_path
from .batch import Batch, VocabTables
from .copy_guard import CorpusWindows, corpus_windows
from .settings import DEFAULT_PRECISION, SampleSettings, new_seed, settings_for
from .native_transformer import NativeTransformer
from .native_lstm import NativeLSTM
from .python_batch import MISSING_GUARDS, PythonBatch
from .steppers import TorchModel
from .word_shares import WordShares, load_word_shares
from . import native as kernel

# Each family's C step, where there is one; any other model steps its own forward (TorchModel).
NATIVE_ENGINES = (NativeLSTM, NativeTransformer)


def native_engine(model):
    """The C kernel's engine for a model (NativeLSTM, NativeTransformer), or None when it has none."""
    return next((e for e in NATIVE_ENGINES if e.supports(model)), None)


def copy_guard_of(ckpt: dict) -> tuple[CorpusWindows | None, str | None]:
    """The copy index of the corpus a checkpoint learned from, and that corpus's path; None where it is not at hand."""
    corpus = (ckpt.get("train_config") or {}).get("data")
    return (corpus_windows(corpus) if corpus else None), corpus


def profile_of(path: str | Path, ckpt: dict) -> CorpusProfile | None:
    """The profile beside a checkpoint; for a run from before profiles, or before their companies'
    names, made from its corpus where that is at hand, and kept beside it when the folder is
    writable. None where neither is."""
    profile = load_profile(path)
    corpus = (ckpt.get("train_config") or {}).get("data")
    if (profile is not None and profile.company_words is not None) or not corpus or not Path(corpus).is_file():
        return profile
    text = read_corpus(corpus)
    if profile is not None and ckpt.get("data_sha256") != text_fingerprint(text):
        return profile  # the names must come from the corpus its words and lengths came from
    try:
        profile = CorpusProfile.of(ckpt_io.training_split(ckpt, text))
    except CharLMError:  # a checkpoint that does not say how its data was split
        return profile
    try:
        profile.save(profile_path(path).parent)
    except OSError:
        pass  # a read-only run folder: made again next time
    return profile


class Generator:
    """Sampling from one loaded model. Safe to share between threads: each call has its own batch.

    backend "native" (the default on the CPU for LSTMs and transformers) steps through the C kernel at
    `precision`, on `threads` threads (None: as many of the cores this process may use as
    are fastest at each moment); "torch" steps the nn module, the reference and the path on CUDA.
    """

    def __init__(self, model: CharModel, vocab: Vocab, device: str = "cpu",
                 precision: str | None = None, backend: str | None = None,
                 copy_index: CorpusWindows | None = None, corpus: str | None = None,
                 threads: int | None = None, profile: CorpusProfile | None = None,
                 word_shares: WordShares | None = None):
        self.device = torch.device(device)
        self.model = model.to(self.device).eval()
        self.vocab = vocab
        native = native_engine(model)
        # Without the kernel (no C compiler) the model steps its own forward and the draw runs in
        # Python (python_batch.py): slower, with fewer guards, and guards_off() says so.
        self.kernel_missing = kernel.unavailable()
        if backend is None:
            backend = "native" if self.device.type == "cpu" and native is not None and not self.kernel_missing else "torch"
        if backend == "native":
            if self.device.type != "cpu" or native is None:
                raise SettingsError("the native sampler runs LSTMs and transformers on the CPU only")
            self.precision = precision or DEFAULT_PRECISION
            self.engine = native(self.model, self.precision, threads)
        elif backend == "torch":
            if precision not in (None, "fp32"):
                raise SettingsError(f"precision {precision} needs the native CPU sampler; the torch path is fp32")
            self.precision = "fp32"
            self.engine = TorchModel(self.model)
        else:
            raise SettingsError(f"backend must be native or torch, got {backend!r}")
        self.backend = backend
        self.profile = profile  # the corpus's words and lengths (profile.py), where the run has them
        self.vocab_tables = VocabTables(vocab, *((profile.words, profile.company_words, profile.company_names)
                                                 if profile is not None else ()), word_shares=word_shares)
        self.copy_index = copy_index
        self.corpus = corpus  # the path of the corpus the model learned from, when it is known

    @classmethod
    def from_checkpoint(cls, path: str | Path, device: str = "cpu", precision: str | None = None,
                        backend: str | None = None, threads: int | None = None,
                        word_shares: WordShares | None = None) -> "Generator":
        """The model of a checkpoint (or run folder), with its run's word shares or the ones given."""
        path = ckpt_io.resolve(path)  # a run folder stands for its best.pt
        model, vocab, ckpt = ckpt_io.load_model(path)
        return cls(model, vocab, device, precision, backend, *copy_guard_of(ckpt), threads=threads,
                   profile=profile_of(path, ckpt), word_shares=word_shares or load_word_shares(path))

    def shares_on(self, settings: SampleSettings) -> bool:
        """Whether postings drawn with these settings steer their words to the corpus's shares."""
        return bool(settings.word_shares and settings.real_words and self.vocab_tables.word_shares
                    and not self.kernel_missing)

    def guards_off(self) -> list[str]:
        """The guards this model samples without, each with why, as a user reads it. Without the copy
        guard a seed's text also differs from the one it writes where the corpus is at hand."""
        notes = []
        if self.kernel_missing:
            notes.append(f"the C kernel is unavailable ({self.kernel_missing}): sampling runs in Python, slower, "
                         f"without {MISSING_GUARDS}, and a seed writes other text than with the kernel")
        if self.copy_index is None:
            notes.append("copy guard off: the corpus this model learned from is not at hand, so a posting may "
                         "repeat it at length, and a seed writes other text than where the corpus is")
        if not self.vocab_tables.known_words:
            notes.append("known-words guard off: its run has no word list (profile.json.gz) and its corpus is "
                         "not at hand")
        return notes

    def settings(self, **given) -> SampleSettings:
        """This model family's defaults with what is given (None: not given) in their place."""
        return settings_for(self.model.config, **given)

    def weight_bytes(self) -> int:
        """Bytes of the model's weights as loaded, and of the kernel's packed copy."""
        return sum(t.nbytes for t in self.model.state_dict().values()) + self.engine.packed_bytes()

    def batch(self, capacity: int) -> Batch | PythonBatch:
        """An empty batch for up to `capacity` rows (see batch.py; python_batch.py without the kernel)."""
        return PythonBatch(self, capacity) if self.kernel_missing else Batch(self, capacity)

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

    def val_loss(self, ids: torch.Tensor, n_streams: int, progress=None) -> float:
        """Mean nats per character of ids through this sampler's own step (at its precision), one
        character at a time, on the streams and targets charlm/loss.py scores the model on."""
        x, y = eval_streams(ids, n_streams)
        stepper = self.engine.stepper(x.shape[0])
        total = 0.0
        for t in range(x.shape[1]):
            logits = stepper.step(x[:, t].to(torch.int32))
            total += F.cross_entropy(logits, y[:, t], ignore_index=-100, reduction="sum").item()
            if progress:
                progress(x.shape[0])
        return total / int((y != -100).sum())
