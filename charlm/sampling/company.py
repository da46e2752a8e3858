"""The company slot filled in: each row's COMPANY_SLOT written as the company its frame names.

A model trained with --company-slot (charlm/company_slot.py) writes its posting's own company
in the body as one character. Each row reads its frame as it is written (or primed) until its
<h2> closes; before then the slot is ruled out, since there is no name to put there yet, and
after it the slot is written as that name, escaped as the <h2> holds it. The model reads the
slot itself, as in training: only the text a reader sees holds the name, and the name counts
in full against the row's length cap.
"""

from __future__ import annotations

import re
from typing import Hashable

import torch

from ..company_slot import COMPANY_SLOT
from ..data import Vocab

COMPANY = re.compile(r"<h2>([^<\n]*\S[^<\n]*)</h2>")
FRAME_REACH = 4096  # characters a row's frame is looked for in; past them the slot stays ruled out


class CompanySlots:
    """The rows' companies, for a model whose vocabulary holds the slot (`of` gives None where it does not)."""

    def __init__(self, vocab: Vocab):
        self.id = vocab.index[COMPANY_SLOT]
        self.read: dict[Hashable, str] = {}  # a row's text so far, until its company is known
        self.company: dict[Hashable, str] = {}
        # Characters a row may still write. The batch's rows count the same, but reading a ctypes
        # row (batch.py) for every row at every step costs more than keeping the count here.
        self.left: dict[Hashable, int] = {}

    @classmethod
    def of(cls, vocab: Vocab) -> "CompanySlots | None":
        return cls(vocab) if COMPANY_SLOT in vocab.index else None

    def start(self, key: Hashable, prime: str, max_length: int) -> None:
        self.read[key], self.left[key] = "", max_length + len(prime)
        self.write(key, prime)

    def write(self, key: Hashable, ch: str) -> str:
        """What a row's next character reads as: the slot as the row's company. Also its cap's count."""
        if ch == COMPANY_SLOT:
            ch = self.company[key]  # drawn only once known (rule_out)
        self.left[key] -= len(ch)
        text = self.read.pop(key, None)
        if text is not None:
            text += ch
            m = COMPANY.search(text) if ">" in ch else None
            if m:
                self.company[key] = m.group(1).strip()
            elif len(text) <= FRAME_REACH:
                self.read[key] = text
        return ch

    def rule_out(self, keys: list[Hashable], logits: torch.Tensor) -> None:
        """No slot for a row whose company is not known yet, or does not fit in what its cap
        leaves, a character for its end kept."""
        for slot, key in enumerate(keys):
            if len(self.company.get(key, "")) not in range(1, self.left[key]):
                logits[slot, self.id] = float("-inf")

    def drop(self, key: Hashable) -> None:
        for held in (self.read, self.company, self.left):
            held.pop(key, None)
