"""The sampling API: load a checkpoint once, then stream or batch-generate postings.

    from charlm import Generator
    gen = Generator.from_checkpoint("checkpoints/demo/best.pt")
    for piece in gen.stream(prime="<html>", temperature=0.8, seed=1):
        print(piece, end="")

A posting is the prime followed by generated characters, up to and including the
stop string (default "</html>", which ends every posting of the corpus) or until
max_length characters were generated. The same checkpoint, seed and settings give
the same text. With guard=True (the default) the sampler keeps the HTML well-formed
and wraps up postings that run past wrap_up_after characters (charlm/guard.py);
guard=False samples the model unconstrained.

Sampling starts from the state the model is in after the end of a posting, as every
posting but the first one is read in training, not from a blank state, which the
model saw only at the starts of its training streams, mid-posting.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import torch

from . import checkpoint as ckpt_io
from .data import DOC_END, Vocab
from .errors import SettingsError
from .fused import FusedRNN
from .guard import HtmlConstraint, TagGuard
from .model import CharRNN


@dataclass(frozen=True)
class SampleSettings:
    prime: str = "<html>"
    temperature: float = 0.8
    max_length: int = 3000
    seed: int | None = None
    top_k: int | None = None
    argmax: bool = False
    stop: str | None = DOC_END
    guard: bool = True  # tags always parse and close in order (charlm/guard.py)
    wrap_up_after: int = 4000  # about the median corpus posting; at most half of max_length

    def wrap_up(self) -> int:
        """Characters after which a guarded posting is steered towards its end."""
        return min(self.wrap_up_after, self.max_length // 2)

    def check(self, vocab: Vocab) -> None:
        if not self.prime:
            raise SettingsError("prime must hold at least one character")
        vocab.check(self.prime, "prime")
        if not self.argmax and not self.temperature > 0:
            raise SettingsError(f"temperature must be positive, got {self.temperature}")
        if self.max_length < 0:
            raise SettingsError(f"max_length must be >= 0, got {self.max_length}")
        if self.wrap_up_after < 0:
            raise SettingsError(f"wrap_up_after must be >= 0, got {self.wrap_up_after}")
        if self.top_k is not None and self.top_k < 1:
            raise SettingsError(f"top_k must be at least 1, got {self.top_k}")


def new_seed() -> int:
    return secrets.randbelow(2**31)


class Generator:
    """Sampling from one loaded model. Safe to share between threads: each call has its own state.

    On the CPU each step runs through FusedRNN (pre-packed weights, no per-step
    allocation), an order of magnitude faster than calling nn.LSTM per character;
    fused=False forces the plain nn path (kept on CUDA, where cuDNN is faster).
    """

    def __init__(self, model: CharRNN, vocab: Vocab, info: dict | None = None, device: str = "cpu",
                 fused: bool | None = None):
        self.device = torch.device(device)
        self.model = model.to(self.device).eval()
        self.vocab = vocab
        self.info = info or {}
        use_fused = self.device.type == "cpu" if fused is None else fused
        if use_fused and self.device.type != "cpu":
            raise SettingsError("the fused sampler runs on the CPU only")
        self.fused = FusedRNN(self.model) if use_fused else None

    @classmethod
    def from_checkpoint(cls, path: str | Path, device: str = "cpu", fused: bool | None = None) -> "Generator":
        model, vocab, ckpt = ckpt_io.load_model(path)
        info = {k: ckpt.get(k) for k in ("epoch", "step", "train_loss", "val_loss", "history", "config")}
        return cls(model, vocab, info, device, fused)

    def _next_ids(self, logits: torch.Tensor, s: SampleSettings, rng: torch.Generator) -> torch.Tensor:
        """logits (B, V) -> one id per row."""
        if s.argmax:
            return logits.argmax(dim=-1)
        logits = logits.float() / s.temperature
        if s.top_k is not None and s.top_k < logits.shape[-1]:
            kth = torch.topk(logits, s.top_k, dim=-1).values[:, -1:]
            logits = logits.masked_fill(logits < kth, float("-inf"))
        probs = torch.softmax(logits, dim=-1)
        return torch.multinomial(probs.cpu(), 1, generator=rng).squeeze(1)

    def _guards(self, s: SampleSettings, n: int) -> tuple[HtmlConstraint | None, list[TagGuard | None]]:
        """The constraint for these settings and one tag tracker per row (None without the guard)."""
        if not s.guard:
            return None, [None] * n
        return HtmlConstraint(self.vocab.chars, s.wrap_up()), [TagGuard(s.prime) for _ in range(n)]

    def _pick(self, logits: torch.Tensor, s: SampleSettings, rngs: list[torch.Generator],
              constraint: HtmlConstraint | None, guards: list[TagGuard | None],
              written: int) -> tuple[torch.Tensor, list[str]]:
        """logits (B, V) -> the next id and character of each row, within its guard's constraints."""
        idx, chars = [], []
        for i, guard in enumerate(guards):
            row = logits[i].float()
            if guard is not None:
                row = constraint.apply(row, guard, written)
            idx.append(self._next_ids(row.unsqueeze(0), s, rngs[i]))
            chars.append(self.vocab.chars[int(idx[-1])])
            if guard is not None:
                guard.feed(chars[-1])
        return torch.cat(idx), chars

    def _prime(self, prime: str, batch: int):
        """Run the prime through the model in one call; returns the next logits and a stepper."""
        lead = DOC_END + "\n"
        if all(c in self.vocab.index for c in lead):
            prime = lead + prime
        ids = self.vocab.encode(prime, "prime").to(self.device).unsqueeze(0).expand(batch, -1)
        logits, state = self.model(ids, None)
        if self.fused:
            return logits[:, -1], self.fused.session(state, batch).step
        holder = [state]

        def nn_step(idx: torch.Tensor) -> torch.Tensor:
            out, holder[0] = self.model(idx.view(-1, 1).to(self.device), holder[0])
            return out[:, -1]

        return logits[:, -1], nn_step

    @torch.inference_mode()
    def stream(self, settings: SampleSettings | None = None, **kw) -> Iterator[str]:
        """Yield the posting piece by piece: the prime first, then one character at a time."""
        s = settings or SampleSettings(**kw)
        s.check(self.vocab)
        seed = new_seed() if s.seed is None else s.seed
        rng = torch.Generator().manual_seed(seed)
        logits, step = self._prime(s.prime, 1)
        yield s.prime
        tail = s.prime
        keep = len(s.stop) if s.stop else 0
        constraint, guards = self._guards(s, 1)
        for written in range(s.max_length):
            idx, (ch,) = self._pick(logits, s, [rng], constraint, guards, written)
            yield ch
            if keep:
                tail = (tail + ch)[-keep:]
                if tail == s.stop:
                    return
            logits = step(idx)

    def sample(self, settings: SampleSettings | None = None, **kw) -> str:
        return "".join(self.stream(settings, **kw))

    @torch.inference_mode()
    def generate(self, n: int, settings: SampleSettings | None = None, **kw) -> list[str]:
        """n postings in one batch: higher total throughput than n calls to sample().

        Row i draws from its own generator seeded seed+i, so each posting depends only
        on its own seed.
        """
        s = settings or SampleSettings(**kw)
        s.check(self.vocab)
        if n < 1:
            raise SettingsError(f"n must be at least 1, got {n}")
        seed = new_seed() if s.seed is None else s.seed
        rngs = [torch.Generator().manual_seed(seed + i) for i in range(n)]
        logits, step = self._prime(s.prime, n)
        texts = [s.prime] * n
        done = [False] * n
        keep = len(s.stop) if s.stop else 0
        constraint, guards = self._guards(s, n)
        for written in range(s.max_length):
            idx, chars = self._pick(logits, s, rngs, constraint, guards, written)
            for i, ch in enumerate(chars):
                if not done[i]:
                    texts[i] += ch
                    done[i] = bool(keep) and texts[i].endswith(s.stop)
            if all(done):
                break
            logits = step(idx)
        return texts
