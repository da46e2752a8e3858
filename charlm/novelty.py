"""Dream jobs, not copies: steer sampling away from long verbatim stretches of the corpus.

A 3x512 model trained for 48 epochs knows its corpus's boilerplate by heart (benefits
paragraphs, equal-opportunity statements that recur across a company's postings), and
at temperature 0.8 one posting in four repeated more than 200 characters of it word for
word (BENCHMARKS.md). CopyGuard follows each row as it is written:

- every Q-character window of the corpus is hashed into a sorted array, so one binary
  search says whether the window just written occurs in the corpus;
- consecutive hits mean the row is copying: after k of them the last k+Q-1 characters
  very likely occur verbatim (hash collisions and windows that occur apart only make
  the guard stricter, never laxer);
- from SOFT characters of copy on, at the start of each word, the characters that
  would continue the copy are ruled out, so the model picks another word; from HARD on,
  at any character. The model keeps every other choice.

Only plain text is steered (the tag guard of charlm/guard.py decides inside tags): the
body, and the title line of the frame (charlm/frame.py), whose headings repeat it.
"""

from __future__ import annotations

import functools
from pathlib import Path

import numpy as np

Q = 32  # window length: long enough that a hit means a copy, short enough to act early
BASE = np.uint64(1_000_003)
SOFT_SHARE = 0.6  # of the copy limit: from here on, new words must leave the copy
HARD_MARGIN = 24  # characters short of the limit: room for a tag, where only the tag guard decides


def window_hashes(codes: np.ndarray, q: int = Q, chunk: int = 1 << 20) -> np.ndarray:
    """Polynomial hash (mod 2**64) of every q-long window of a code point array.

    Computed a chunk of windows at a time, so a 10M-character corpus needs its hashes
    (8 bytes a window) and little more."""
    n = len(codes) - q + 1
    out = np.zeros(max(n, 0), dtype=np.uint64)
    with np.errstate(over="ignore"):  # wrapping arithmetic is the hash
        for a in range(0, max(n, 0), chunk):
            b = min(n, a + chunk)
            h = np.zeros(b - a, dtype=np.uint64)
            for j in range(q):
                h = h * BASE + codes[a + j:b + j]
            out[a:b] = h
    return out


def code_points(text: str) -> np.ndarray:
    return np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)


class CopyIndex:
    """The set of the corpus's q-character windows, as sorted hashes (8 bytes per distinct window)."""

    def __init__(self, corpus: str, q: int = Q):
        self.hashes = np.unique(window_hashes(code_points(corpus), q))

    def contains(self, h: np.ndarray) -> np.ndarray:
        pos = np.minimum(np.searchsorted(self.hashes, h), len(self.hashes) - 1)
        return self.hashes[pos] == h if len(self.hashes) else np.zeros(h.shape, dtype=bool)


@functools.lru_cache(maxsize=2)
def _cached_index(path: str, mtime_ns: int, size: int) -> CopyIndex:
    return CopyIndex(Path(path).read_text(encoding="utf-8"))


def corpus_index(path: str | Path) -> CopyIndex | None:
    """The CopyIndex of a corpus file, shared by every model trained on it; None when it is not there."""
    p = Path(path)
    try:
        st = p.stat()
    except OSError:
        return None
    return _cached_index(str(p.resolve()), st.st_mtime_ns, st.st_size) if p.is_file() else None


class CopyGuard:
    """The copy state of up to `capacity` rows of one batch (slots as in charlm/batch.py)."""

    def __init__(self, index: CopyIndex, chars: str, capacity: int):
        self.index = index
        self.codes = np.array([ord(c) for c in chars], dtype=np.uint64)
        self.space = np.array([c.isspace() for c in chars])
        self.top = BASE ** np.uint64(Q - 1)  # weight of a window's first character
        self.ring = np.zeros((capacity, Q), dtype=np.uint64)
        self.h = np.zeros(capacity, dtype=np.uint64)
        self.seen = np.zeros(capacity, dtype=np.int64)  # characters fed
        self.run = np.zeros(capacity, dtype=np.int64)  # consecutive windows found in the corpus
        self.last_space = np.zeros(capacity, dtype=bool)
        self.limit = np.zeros(capacity, dtype=np.int64)  # longest copy allowed; 0 = not guarded

    def start(self, slot: int, text: str, limit: int | None) -> None:
        self.ring[slot] = 0
        self.h[slot] = self.seen[slot] = self.run[slot] = 0
        self.limit[slot] = limit or 0
        self.last_space[slot] = False
        for ch in text:
            self._feed(slot, ord(ch), ch.isspace())

    def _feed(self, slot: int, code: int, space: bool) -> None:
        with np.errstate(over="ignore"):
            out = self.ring[slot, self.seen[slot] % Q]
            self.h[slot] = (self.h[slot] - out * self.top) * BASE + np.uint64(code)
        self.ring[slot, self.seen[slot] % Q] = code
        self.seen[slot] += 1
        hit = self.seen[slot] >= Q and bool(self.index.contains(self.h[slot:slot + 1])[0])
        self.run[slot] = self.run[slot] + 1 if hit else 0
        self.last_space[slot] = space

    def move(self, src: int, dst: int) -> None:
        for a in (self.ring, self.h, self.seen, self.run, self.last_space, self.limit):
            a[dst] = a[src]

    def feed(self, ids: np.ndarray) -> None:
        """The characters rows [0, B) just wrote, as vocabulary ids."""
        B = len(ids)
        codes = self.codes[ids]
        slots = np.arange(B)
        at = self.seen[:B] % Q
        with np.errstate(over="ignore"):
            self.h[:B] = (self.h[:B] - self.ring[slots, at] * self.top) * BASE + codes
        self.ring[slots, at] = codes
        self.seen[:B] += 1
        hit = (self.seen[:B] >= Q) & self.index.contains(self.h[:B])
        self.run[:B] = np.where(hit, self.run[:B] + 1, 0)
        self.last_space[:B] = self.space[ids]

    def copying(self, B: int) -> np.ndarray:
        """Slots whose next character must not continue their copy."""
        copy = np.where(self.run[:B] > 0, self.run[:B] + Q - 1, 0)
        guarded = self.limit[:B] > 0
        hard = copy >= self.limit[:B] - HARD_MARGIN
        soft = (copy >= (self.limit[:B] * SOFT_SHARE).astype(np.int64)) & self.last_space[:B]
        return np.flatnonzero(guarded & (hard | soft))

    def continuing(self, slot: int) -> np.ndarray:
        """Which next characters would extend the slot's copy (a mask over the vocabulary)."""
        with np.errstate(over="ignore"):
            head = (self.h[slot] - self.ring[slot, self.seen[slot] % Q] * self.top) * BASE
            return self.index.contains(head + self.codes)
