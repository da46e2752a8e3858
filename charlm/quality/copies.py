"""The longest verbatim stretch a text shares with a corpus: how much a posting copies."""

from __future__ import annotations

import numpy as np

from ..copies import code_points, distinct_sorted, window_hashes


class CopyFinder:
    """Finds the longest substring of a text that occurs verbatim in a large corpus.

    A sorted array of hashes of every q-character window of the corpus gives, for each
    window of the text, the corpus places where it may start. A copy of L >= q characters
    puts L - q + 1 consecutive text windows on one diagonal (corpus place minus text
    place), so the (text window, corpus place) pairs, sorted by diagonal, fall into
    segments, and each segment is measured exactly by comparing characters along its
    diagonal. Windows that start too many places to list (boilerplate) join no segment;
    a copy made of them alone is searched for by a scan of the corpus, and only when it
    could be the longest. Exact for every length: hash collisions only add candidates,
    and copies shorter than q are found directly.
    """

    # A window that starts more places than this is looked for by a scan of the corpus instead.
    MAX_PLACES = 256

    def __init__(self, corpus: str, q: int = 16):
        self.corpus = corpus
        self.q = q
        hashes = window_hashes(code_points(corpus), q)
        self.starts = np.argsort(hashes, kind="stable").astype(np.int32)  # window starts, by hash
        self.sorted = hashes[self.starts]

    def _places(self, h: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """[lo, hi) of each hash's run in self.sorted (empty where the corpus lacks it)."""
        return np.searchsorted(self.sorted, h, "left"), np.searchsorted(self.sorted, h, "right")

    def _occurs(self, s: str) -> bool:
        """Whether s occurs in the corpus: compared where its first window starts, when that is few places."""
        if len(s) < self.q:
            return s in self.corpus
        lo, hi = (int(v[0]) for v in self._places(window_hashes(code_points(s[:self.q]), self.q)))
        if hi - lo > self.MAX_PLACES:
            return s in self.corpus
        return any(self.corpus.startswith(s, int(p)) for p in self.starts[lo:hi])

    def _longest_within(self, s: str, at_least: int) -> int:
        """Longest substring of s in the corpus, given one of length at_least is known to exist."""
        best = at_least
        for i in range(len(s)):
            while i + best < len(s) and self._occurs(s[i:i + best + 1]):
                best += 1
            if i + best >= len(s):
                break
        return best

    def longest_copy(self, text: str) -> int:
        q = self.q
        lo, hi = self._places(window_hashes(code_points(text), q))
        count = hi - lo
        if not count.any():  # no window of q characters occurs: the longest copy is shorter
            return self._longest_within(text, 0)
        common = count > self.MAX_PLACES
        best = self._longest_on_diagonals(text, lo, count, common)
        for a, b in _runs(common):  # copies whose every window is common: only these need a scan
            if b - a + q - 1 > best:
                best = max(best, self._longest_within(text[a:b + q - 1], q))
        return best

    def _longest_on_diagonals(self, text: str, lo: np.ndarray, count: np.ndarray, common: np.ndarray) -> int:
        """Longest copy holding at least one window with few places."""
        q = self.q
        listed = np.where(common, 0, count)
        if not listed.any():
            return 0
        first = np.cumsum(listed) - listed  # where each window's places begin among the pairs
        pair_window = np.repeat(np.arange(len(listed)), listed)
        places = self.starts[np.repeat(lo - first, listed) + np.arange(int(listed.sum()))].astype(np.int64)
        diagonal = places - pair_window
        order = np.lexsort((pair_window, diagonal))
        w, d = pair_window[order], diagonal[order]
        # One segment per diagonal stretch; only common windows may lie between its pairs.
        listed_before = np.cumsum(~common)  # listed windows up to and including each one
        new = np.ones(len(w), dtype=bool)
        new[1:] = (d[1:] != d[:-1]) | (listed_before[w[1:] - 1] != listed_before[w[:-1]])
        heads = np.flatnonzero(new)
        tails = np.append(heads[1:], len(w)) - 1
        # A segment's copy can reach past its ends only through common windows (a listed
        # neighbour that matched would be in the segment), so those bound it too.
        ahead, behind = _run_lengths(common), _run_lengths(common[::-1])[::-1]
        w0, w1, seg_d = w[heads], w[tails], d[heads]
        reach_left = np.where(w0 > 0, ahead[np.maximum(w0 - 1, 0)], 0)
        reach_right = np.where(w1 + 1 < len(common), behind[np.minimum(w1 + 1, len(common) - 1)], 0)
        bound = w1 - w0 + q + reach_left + reach_right
        best = 0
        for k in np.argsort(-bound, kind="stable"):
            if bound[k] <= best:
                break
            a = max(int(w0[k] - reach_left[k]), -int(seg_d[k]))
            b = min(int(w1[k] + q + reach_right[k]), len(self.corpus) - int(seg_d[k]))
            best = max(best, _longest_equal_run(text[a:b], self.corpus[a + int(seg_d[k]):b + int(seg_d[k])]))
        return best


def _run_lengths(flags: np.ndarray) -> np.ndarray:
    """For each position, how many consecutive True values end there."""
    idx = np.arange(len(flags))
    last_false = np.maximum.accumulate(np.where(flags, -1, idx))
    return idx - last_false


def _runs(flags: np.ndarray) -> list[tuple[int, int]]:
    """[a, b) of each run of True values."""
    edges = np.flatnonzero(np.diff(np.concatenate(([0], flags.astype(np.int8), [0]))))
    return [(int(a), int(b)) for a, b in zip(edges[::2], edges[1::2])]


def _longest_equal_run(x: str, y: str) -> int:
    best = run = 0
    for u, v in zip(x, y):
        run = run + 1 if u == v else 0
        best = max(best, run)
    return best


COPY_WINDOW = 64  # a stretch this long found verbatim in the train split is a copy of it (copy_share)


class CopyShare:
    """The share of a text's characters that lie inside a COPY_WINDOW-character stretch found
    verbatim in a corpus: how much of a posting is stitched from the corpus's own fragments."""

    def __init__(self, corpus: str, q: int = COPY_WINDOW):
        self.q = q
        self.hashes = distinct_sorted(window_hashes(code_points(corpus), q))

    def __call__(self, text: str) -> float:
        if not text:
            return 0.0
        hashes = window_hashes(code_points(text), self.q)
        at = np.minimum(np.searchsorted(self.hashes, hashes), len(self.hashes) - 1)
        found = np.flatnonzero(self.hashes[at] == hashes)
        covered = np.zeros(len(text) + 1, dtype=np.int32)
        np.add.at(covered, found, 1)
        np.add.at(covered, found + self.q, -1)
        return float((np.cumsum(covered)[:len(text)] > 0).mean())
