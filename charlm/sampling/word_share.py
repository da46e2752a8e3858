"""Trial: steer a body's words towards the corpus's shares of them, by the model's own shares."""
from __future__ import annotations

import gzip
import json
import math
from collections import Counter

import numpy as np

from .known_words import word_nodes

SHRINK = 5.0  # pseudo-count on both sides: a word seldom seen keeps its odds
CLIP = math.log(4)


def log_ratios(corpus: Counter, model: Counter) -> dict[str, float]:
    n_c, n_m = sum(corpus.values()), sum(model.values())
    out = {}
    for w in set(corpus) | set(model):
        expected = corpus[w] * n_m / n_c
        out[w] = max(-CLIP, min(CLIP, math.log((expected + SHRINK) / (model[w] + SHRINK))))
    return out


def lean_tables(trie, corpus: Counter, model: Counter, weight: float) -> tuple[np.ndarray, np.ndarray]:
    letters, first, end = trie
    n = len(letters)
    kids = np.array([bin(int(m)).count("1") for m in letters])
    parent = np.repeat(np.arange(n), kids)  # of nodes 1..n-1, in order
    vocab = [w for w in set(corpus) | set(model)]
    nodes = word_nodes(trie, vocab)
    ratios = log_ratios(corpus, model)
    mass = np.zeros(n)  # the model's share of words under each node
    steered = np.zeros(n)  # the same, each word weighed by its ratio
    at_end = np.zeros(n)
    for w, node in zip(vocab, nodes):
        if node < 0:
            continue
        p = model[w] + 0.5
        mass[node] += p
        steered[node] += p * math.exp(ratios[w])
        at_end[node] = ratios[w]
    for i in range(n - 1, 0, -1):
        mass[parent[i - 1]] += mass[i]
        steered[parent[i - 1]] += steered[i]
    lean = np.where(mass > 0, np.log(np.maximum(steered, 1e-30) / np.maximum(mass, 1e-30)), 0.0)
    return (weight * lean).astype(np.float32), (weight * at_end).astype(np.float32)


def load(path: str) -> tuple[Counter, Counter]:
    data = json.loads(gzip.decompress(open(path, "rb").read()))
    return Counter(data["corpus"]), Counter(data["model"])
