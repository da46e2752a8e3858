"""Dream jobs, not copies: steer sampling away from long verbatim stretches of the corpus.

A 3x512 model trained for 48 epochs knows its corpus's boilerplate by heart (benefits
paragraphs, equal-opportunity statements that recur across a company's postings), and
at temperature 0.8 many postings repeated more than 200 characters of it word for word
(the copy share with the guard on: BENCHMARKS.md, "Realism"). CopyGuard follows each row as it is written:

- every Q-character window of the corpus is hashed into a sorted array, so one binary
  search says whether the window just written occurs in the corpus;
- consecutive hits mean the row is copying: after k of them the last k+Q-1 characters
  very likely occur verbatim (hash collisions and windows that occur apart only make
  the guard stricter, never laxer);
- from SOFT characters of copy on, at the start of each word, the characters that
  would continue the copy are ruled out, so the model picks another word; from HARD on,
  at any character. The model keeps every other choice.

Only plain text is steered (the tag guard decides inside tags): the body, and the
title line of the frame (frame.py), whose headings repeat it.
"""

from __future__ import annotations

import ctypes
from pathlib import Path

import numpy as np

from dreamjobs.caching import built_once

from ..copies import BASE, code_points, distinct_sorted, window_hashes
from . import native

Q = 32  # window length: long enough that a hit means a copy, short enough to act early
SOFT_SHARE = 0.6  # of the copy limit: from here on, new words must leave the copy
HARD_MARGIN = 24  # characters short of the limit: room for a tag, where only the tag guard decides


class CorpusWindows:
    """The set of the corpus's q-character windows, as sorted hashes (8 bytes per distinct window)."""

    def __init__(self, corpus: str, q: int = Q):
        self.hashes = distinct_sorted(window_hashes(code_points(corpus), q))

    def contains(self, h: np.ndarray) -> np.ndarray:
        pos = np.minimum(np.searchsorted(self.hashes, h), len(self.hashes) - 1)
        return self.hashes[pos] == h if len(self.hashes) else np.zeros(h.shape, dtype=bool)


@built_once(maxsize=2)
def _cached_windows(path: str, mtime_ns: int, size: int) -> CorpusWindows:
    return CorpusWindows(Path(path).read_text(encoding="utf-8"))


def corpus_windows(path: str | Path) -> CorpusWindows | None:
    """The CorpusWindows of a corpus file, shared by every model trained on it; None when it is not there."""
    p = Path(path)
    try:
        st = p.stat()
    except OSError:
        return None
    return _cached_windows(str(p.resolve()), st.st_mtime_ns, st.st_size) if p.is_file() else None


class CopyGuard:
    """The copy state of up to `capacity` rows of one batch (slots as in batch.py).

    The state lives in numpy arrays; the per-step update and check run in the sampling
    kernel (native/copy_guard.c: dj_copy_feed, dj_copy_check), which reads and writes them in place.
    """

    def __init__(self, index: CorpusWindows, chars: str, capacity: int):
        self.index = index
        self.lib = native.lib()
        self.codes = np.array([ord(c) for c in chars], dtype=np.uint64)
        self.space = np.array([c.isspace() for c in chars])
        with np.errstate(over="ignore"):
            self.top = BASE ** np.uint64(Q - 1)  # weight of a window's first character
        self.ring = np.zeros((capacity, Q), dtype=np.uint64)
        self.h = np.zeros(capacity, dtype=np.uint64)
        self.seen = np.zeros(capacity, dtype=np.int64)  # characters fed
        self.run = np.zeros(capacity, dtype=np.int64)  # consecutive windows found in the corpus
        self.limit = np.zeros(capacity, dtype=np.int64)  # longest copy allowed; 0 = not guarded
        self.last_space = np.zeros(capacity, dtype=bool)
        self._slots = np.zeros(capacity, dtype=np.int32)
        self.state = native.CopyState(
            index.hashes.ctypes.data, len(index.hashes), self.codes.ctypes.data, self.space.ctypes.data,
            int(BASE), int(self.top), Q, HARD_MARGIN, SOFT_SHARE,
            *(a.ctypes.data for a in (self.ring, self.h, self.seen, self.run, self.limit, self.last_space)))
        self._ref = ctypes.byref(self.state)

    def start(self, slot: int, prime: list[int], limit: int | None) -> None:
        """A new row in `slot` that begins with the prime (vocabulary ids)."""
        self.ring[slot] = 0
        self.h[slot] = self.seen[slot] = self.run[slot] = 0
        self.limit[slot] = limit or 0
        self.last_space[slot] = False
        ids = np.array(prime, dtype=np.int32)
        for k in range(len(ids)):  # one row, one character at a time
            self.lib.dj_copy_feed(self._ref, slot, ids[k:].ctypes.data, 1)

    def move(self, src: int, dst: int) -> None:
        for a in (self.ring, self.h, self.seen, self.run, self.last_space, self.limit):
            a[dst] = a[src]

    def feed(self, ids: np.ndarray) -> None:
        """The characters rows [0, len(ids)) just wrote, as vocabulary ids (int32)."""
        self.lib.dj_copy_feed(self._ref, 0, ids.ctypes.data, len(ids))

    def copying(self, B: int) -> list[int]:
        """Slots whose next character must not continue their copy."""
        n = self.lib.dj_copy_check(self._ref, B, self._slots.ctypes.data)
        return self._slots[:n].tolist()

    def continuing(self, slot: int) -> np.ndarray:
        """Which next characters would extend the slot's copy (a mask over the vocabulary)."""
        with np.errstate(over="ignore"):
            head = (self.h[slot] - self.ring[slot, self.seen[slot] % Q] * self.top) * BASE
            return self.index.contains(head + self.codes)
