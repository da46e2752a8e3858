"""Word shares: a body's words steered towards the shares its corpus gives them.

A model sampled below temperature 1 writes its likeliest words more often than its corpus does,
and each a little differently: the transformer demo wrote "client" in 53% of its postings where
real ones have it in 17%. The sampler counts the words of a few hundred of the model's own
postings (python -m charlm.calibrate) and, as it samples, weighs each word of a body by the
ratio of its corpus's rate to the model's, as density-ratio fusion weighs a model by a target
language model over its source's (McDermott et al. 2019). Here the target is the corpus's word
counts and the source the model's own, both in the run's word_shares.json.gz.

A character model writes a word letter by letter, so the ratio is spread over its letters
through the known-words guard's trie (native/known_words.c): each node holds the log of the
ratio averaged over the words below it, weighed by how often the model writes each; a letter
moves the logits by the change from node to node, and a word's end by its own ratio less its
node's. Summed over a word's letters, that is the word's log ratio: no word is ruled out, and
each is as likely as the model's odds times the ratio make it.
"""

from __future__ import annotations

import gzip
import json
import math
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from dreamjobs.corpus_format import FRAME_ELEMENTS, words
from dreamjobs.files import atomic_file

from .known_words import word_nodes

WORD_SHARES = "word_shares.json.gz"
FORMAT = 1
# A word the model wrote a few times keeps its odds: SHRINK counts on both sides of the ratio.
SHRINK = 5.0
CLIP = math.log(4)  # no word's odds move more than 4-fold either way
# The tables are rounded to this step, so that a libm's or numpy's last bit, which may differ
# between CPUs (FMA or not, SIMD or not), never changes them: a seed writes the same text anywhere.
STEP = 2.0 ** -12


def body_word_counts(postings: list[str]) -> Counter:
    """How often each word appears in the postings' bodies (past their frames)."""
    counts: Counter = Counter()
    for doc in postings:
        frame = FRAME_ELEMENTS.search(doc)
        counts.update(words(doc[frame.end():] if frame else doc))
    return counts


@dataclass(frozen=True)
class WordShares:
    corpus: Counter  # the train split's bodies' words
    model: Counter  # the model's own postings' bodies' words, sampled without word shares
    postings: int  # how many of the model's postings were counted

    def log_ratios(self) -> dict[str, float]:
        """Per word, the log of the corpus's rate over the model's, shrunk towards 0 for a rare word."""
        n_corpus, n_model = sum(self.corpus.values()), sum(self.model.values())
        out = {}
        for w in self.corpus.keys() | self.model.keys():
            expected = self.corpus[w] * n_model / n_corpus  # the model's count, had it the corpus's rate
            out[w] = max(-CLIP, min(CLIP, math.log((expected + SHRINK) / (self.model[w] + SHRINK))))
        return out

    def node_odds(self, trie) -> tuple[np.ndarray, np.ndarray]:
        """(Guard.lean, Guard.lean_end) over a word_trie's nodes: the log ratio averaged over the
        words below each node, and each word's own at the node where it ends."""
        letters, first, end = trie
        n = len(letters)
        children = np.array([bin(int(m)).count("1") for m in letters])
        parent = np.repeat(np.arange(n), children)  # of nodes 1..n-1: children are numbered in order
        ratios = self.log_ratios()
        vocabulary = sorted(ratios)
        model = np.zeros(n)  # how often the model writes the words below each node
        steered = np.zeros(n)  # the same, each word weighed by its ratio
        at_end = np.zeros(n)
        for w, node in zip(vocabulary, word_nodes(trie, vocabulary)):
            if node >= 0:
                weight = self.model[w] + 0.5
                model[node] += weight
                steered[node] += weight * math.exp(ratios[w])
                at_end[node] = ratios[w]
        for i in range(n - 1, 0, -1):
            model[parent[i - 1]] += model[i]
            steered[parent[i - 1]] += steered[i]
        seen = model > 0
        below = np.zeros(n)
        below[seen] = np.log(steered[seen] / model[seen])
        return on_steps(below), on_steps(at_end)

    def save(self, run_dir: str | Path) -> Path:
        path = Path(run_dir) / WORD_SHARES
        with atomic_file(path, "wb") as fh:
            fh.write(gzip.compress(json.dumps({"format": FORMAT, "postings": self.postings,
                                               "corpus": dict(sorted(self.corpus.items())),
                                               "model": dict(sorted(self.model.items()))}).encode(), mtime=0))
        return path


def on_steps(x: np.ndarray) -> np.ndarray:
    """x rounded to multiples of STEP, as float32 (exact: they need few bits)."""
    return (np.round(x / STEP) * STEP).astype(np.float32)


def load_word_shares(checkpoint: str | Path) -> WordShares | None:
    """The word shares beside a checkpoint, or None where its run has none (or an unreadable file)."""
    path = Path(checkpoint).resolve().parent / WORD_SHARES
    try:
        data = json.loads(gzip.decompress(path.read_bytes()))
        if data.get("format") != FORMAT:
            return None
        return WordShares(Counter(data["corpus"]), Counter(data["model"]), int(data["postings"]))
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None
