"""Vocabulary, encoding, the by-posting train/val split and char-rnn's batch layout."""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass
from pathlib import Path

import torch


from .errors import DataError, VocabError


class Vocab:
    """Characters <-> ids; ids follow sorted character order, as char-rnn's did."""

    def __init__(self, chars: str | list[str]):
        self.chars = "".join(chars)
        if len(set(self.chars)) != len(self.chars):
            raise ValueError("vocabulary characters must be unique")
        self.index = {c: i for i, c in enumerate(self.chars)}

    @classmethod
    def from_text(cls, text: str) -> "Vocab":
        return cls(sorted(set(text)))

    def __len__(self) -> int:
        return len(self.chars)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Vocab) and other.chars == self.chars

    def missing(self, text: str) -> list[str]:
        """The distinct characters of text that are not in the vocabulary, in order of first use."""
        return list(dict.fromkeys(c for c in text if c not in self.index))

    def check(self, text: str, what: str = "text") -> None:
        missing = self.missing(text)
        if missing:
            shown = ", ".join(f"{c!r} (U+{ord(c):04X})" for c in missing[:10])
            more = f" and {len(missing) - 10} more" if len(missing) > 10 else ""
            raise VocabError(f"{what} has characters the model's vocabulary lacks: {shown}{more}")

    def encode(self, text: str, what: str = "text") -> torch.Tensor:
        self.check(text, what)
        return torch.tensor([self.index[c] for c in text], dtype=torch.long)

    def decode(self, ids) -> str:
        return "".join(self.chars[int(i)] for i in ids)


def read_corpus(path: str | Path) -> str:
    path = Path(path)
    if not path.is_file():
        raise DataError(
            f"corpus {path} not found. Build one with the scraper "
            "(python -m scraper --help; `make corpus` replays the saved data) or pass --data FILE."
        )
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise DataError(f"corpus {path} is not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    if not text.strip():
        raise DataError(f"corpus {path} is empty")
    return text


def text_fingerprint(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass
class Split:
    train: list[str]
    val: list[str]

    def describe(self) -> str:
        t, v = sum(map(len, self.train)), sum(map(len, self.val))
        return (
            f"split by posting: train {len(self.train):,} postings ({t:,} chars), "
            f"val {len(self.val):,} postings ({v:,} chars)"
        )


def check_val_frac(val_frac: float) -> None:
    if not 0.0 < val_frac < 1.0:
        raise DataError(f"--val-frac must be between 0 and 1, got {val_frac}")


def split_by_document(docs: list[str], val_frac: float, seed: int) -> Split:
    """Hold out whole postings, chosen by a seeded shuffle, so no posting is in both splits."""
    check_val_frac(val_frac)
    if len(docs) < 2:
        raise DataError(
            f"the corpus holds {len(docs)} posting(s); a train/val split by posting needs at least 2 "
            "(postings end with </html>; plain text is split at blank lines)"
        )
    order = list(range(len(docs)))
    random.Random(seed).shuffle(order)
    n_val = min(len(docs) - 1, max(1, round(len(docs) * val_frac)))
    val_ids = sorted(order[:n_val])
    train_ids = sorted(order[n_val:])
    return Split(train=[docs[i] for i in train_ids], val=[docs[i] for i in val_ids])


def epoch_order(docs: list[str], seed: int, epoch: int) -> list[str]:
    """The training postings in this epoch's order: reshuffled each epoch, the same on resume."""
    order = list(range(len(docs)))
    random.Random(f"{seed}:{epoch}").shuffle(order)
    return [docs[i] for i in order]


class StreamBatches:
    """char-rnn's layout: the text cut into B contiguous streams, read T characters at a time.

    Row b of batch i continues row b of batch i-1, so the hidden state carried between
    batches is the state the stream really had (truncated backpropagation through time).
    """

    def __init__(self, ids: torch.Tensor, batch_size: int, seq_length: int):
        per_batch = batch_size * seq_length
        n_batches = (len(ids) - 1) // per_batch
        if n_batches < 1:
            raise DataError(
                f"the training split has {len(ids):,} characters, too few for one batch of "
                f"--batch-size {batch_size} x --seq-length {seq_length} (needs {per_batch + 1:,}); "
                "lower them or add data"
            )
        n = n_batches * per_batch
        self.x = ids[:n].view(batch_size, -1)
        self.y = ids[1 : n + 1].view(batch_size, -1)
        self.seq_length = seq_length
        self.n_batches = n_batches

    def __len__(self) -> int:
        return self.n_batches

    def rows(self, rows) -> None:
        """Keep these streams only (this rank's, under torchrun)."""
        self.x, self.y = self.x[rows], self.y[rows]

    def to(self, device: torch.device) -> None:
        """One pinned, asynchronous copy an epoch on a GPU; batches are then slices there."""
        if device.type == "cuda":
            self.x = self.x.pin_memory().to(device, non_blocking=True)
            self.y = self.y.pin_memory().to(device, non_blocking=True)

    def batch(self, i: int) -> tuple[torch.Tensor, torch.Tensor]:
        cols = slice(i * self.seq_length, (i + 1) * self.seq_length)
        return self.x[:, cols], self.y[:, cols]


def eval_streams(ids: torch.Tensor, n_streams: int, pad: int = -100) -> tuple[torch.Tensor, torch.Tensor]:
    """Lay a whole split out as n_streams rows so that every one of its len-1 targets is scored once.

    The last row is padded; padded targets carry `pad`, which cross_entropy ignores.
    """
    n_targets = len(ids) - 1
    n_streams = max(1, min(n_streams, n_targets))
    width = -(-n_targets // n_streams)
    x = torch.zeros(n_streams * width, dtype=torch.long)
    y = torch.full((n_streams * width,), pad, dtype=torch.long)
    x[:n_targets] = ids[:-1]
    y[:n_targets] = ids[1:]
    return x.view(n_streams, width), y.view(n_streams, width)
