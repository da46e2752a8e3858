"""What counts as a copy of the corpus, and the window hashes that find one.

The sampler's copy guard (sampling/copy_guard.py) and the longest-copy measure
(quality/copies.py) hash a text's q-character windows the same way, here.
"""

from __future__ import annotations

import numpy as np

# A posting that repeats more of its corpus than this in one stretch is a copy, not a dream:
# the sampler's copy guard keeps postings under it; evaluate and the gallery's badges flag it.
COPY_LIMIT = 200
BASE = np.uint64(1_000_003)


def window_hashes(codes: np.ndarray, q: int, chunk: int = 1 << 20) -> np.ndarray:
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


def distinct_sorted(hashes: np.ndarray) -> np.ndarray:
    """The distinct values of `hashes`, sorted: np.unique's answer, by a sort and a compare, which
    takes a fifth of the time of numpy 2's hashing unique for a corpus's 10M window hashes."""
    ordered = np.sort(hashes)
    keep = np.ones(len(ordered), dtype=bool)
    np.not_equal(ordered[1:], ordered[:-1], out=keep[1:])
    return ordered[keep]
