"""Rows sampled together without the C kernel: batch.py's Batch, drawn in Python.

Where the kernel cannot be built (no C compiler, or one it cannot use), the sampler steps
the model through its own forward (steppers.TorchStepper) and draws here: the tag guard
and the wrap-up as their Python reference has them (reference_guard.py), the coherent
frame (frame.py), temperature, top-k, top-p and min-p, the stop string and the length
cap, each row from its own seeded torch generator. It is slower, and it has no
known-words guard, copy guard or length floor (those live in the kernel alone), so a
seed writes other text here than through the kernel. Generator says so when it falls
back (generator.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Hashable

import torch

from ..data import Vocab
from .batch import start_ids
from .company import CompanySlots
from .frame import FrameWriter
from .reference_guard import HtmlConstraint, TagGuard

MISSING_GUARDS = "the known-words guard and its word shares, the copy guard and the length floor"


@dataclass
class Row:
    key: Hashable
    settings: object
    random: torch.Generator
    temperature: float
    tags: TagGuard
    constraint: HtmlConstraint | None
    writer: FrameWriter | None
    body_temperature: float | None = None
    written: int = 0
    tail: str = ""


class PythonBatch:
    """Up to `capacity` rows of one generator's model, packed in slots [0, B), as Batch's."""

    def __init__(self, generator, capacity: int):
        self.vocab: Vocab = generator.vocab
        self.tables = generator.vocab_tables
        self.profile = generator.profile
        self.stepper = generator.engine.stepper(capacity)
        self.capacity = capacity
        self.rows: list[Row] = []
        self.ids = torch.zeros(capacity, dtype=torch.int32)
        self.companies = CompanySlots.of(self.vocab)  # where the model writes its company as a slot

    @property
    def keys(self) -> list[Hashable]:
        return [r.key for r in self.rows]

    def __len__(self) -> int:
        return len(self.rows)

    def add(self, key: Hashable, settings, seed: int) -> bool:
        """Start a row for checked settings; False when it is already complete (max_length 0)."""
        if len(self.rows) >= self.capacity:
            raise RuntimeError("batch is full")
        s = settings
        if s.max_length == 0:
            return False
        state, logits = self.stepper.start(start_ids(self.vocab, s.prime))
        self.stepper.put(len(self.rows), state, logits)
        wrap_up = s.ends(self.profile, seed)[1] if s.guard else -1
        writer = s.frame_writer(self.vocab)
        row = Row(key, s, torch.Generator().manual_seed(seed), s.temperature, TagGuard(s.prime),
                  HtmlConstraint(self.vocab.chars, wrap_up if wrap_up >= 0 else None) if s.guard else None, writer,
                  tail=s.prime)
        if writer is not None and s.frame_temperature is not None:
            row.temperature, row.body_temperature = s.frame_temperature, s.temperature
        self.rows.append(row)
        if self.companies is not None:
            self.companies.start(key, s.prime, s.max_length)
        return True

    def remove(self, key: Hashable) -> None:
        slot, last = self.keys.index(key), len(self.rows) - 1
        if slot != last:
            self.stepper.move(last, slot)
            self.rows[slot] = self.rows[last]
        self.rows.pop()
        if self.companies is not None:
            self.companies.drop(key)

    def _draw(self, row: Row, logits: torch.Tensor) -> int:
        s = row.settings
        if row.writer is not None:
            logits = logits.masked_fill(self.tables.banned(row.writer.want), float("-inf"))
        if row.constraint is not None:
            logits = row.constraint.apply(logits, row.tags, row.written)
        if s.argmax:
            return int(logits.argmax())
        probs = torch.softmax(logits / row.temperature, dim=-1)
        if s.top_k:
            probs[probs < torch.topk(probs, min(s.top_k, len(probs))).values[-1]] = 0
        if s.min_p:
            probs[probs < s.min_p * probs.max()] = 0
        if s.top_p is not None and s.top_p < 1:
            ordered, order = probs.sort(descending=True)
            outside = ordered.cumsum(0) - ordered >= s.top_p  # keep the likeliest that reach top_p
            probs[order[outside]] = 0
        return int(torch.multinomial(probs, 1, generator=row.random))

    def advance(self) -> list[tuple[Hashable, str, bool]]:
        """Draw one character for every row: [(key, character, finished)]. Finished rows leave."""
        out, drawn = [], {}
        if self.companies is not None:
            self.companies.rule_out(self.keys, self.stepper.logits)
        for slot, row in enumerate(self.rows):
            drawn[row.key] = i = self._draw(row, self.stepper.logits[slot].clone())
            ch = self.vocab.chars[i]
            row.written += 1
            row.tail = (row.tail + ch)[-64:]
            row.tags.feed(ch)
            if row.writer is not None:
                row.writer.feed(ch)
                if row.writer.want is None:
                    row.writer = None
                    if row.body_temperature is not None:
                        row.temperature = row.body_temperature
            s = row.settings
            done = bool(s.stop) and row.tail.endswith(s.stop) or row.written >= s.max_length
            shown = self.companies.write(row.key, ch) if self.companies is not None else ch
            row.written += len(shown) - 1  # a company written for the slot counts in full against the cap
            out.append((row.key, shown, done))
        for key, _, done in out:
            if done:
                self.remove(key)
        if self.rows:
            self.ids[:len(self.rows)] = torch.tensor([drawn[r.key] for r in self.rows], dtype=torch.int32)
            self.stepper.step(self.ids[:len(self.rows)])
        return out
