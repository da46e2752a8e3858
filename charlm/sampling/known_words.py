"""The known-words guard's tables: the words a model may write, as a trie the C kernel walks
(native/guard.c), and a row's own words (the fields its caller gave) beside them."""

from __future__ import annotations

import string

import numpy as np

from dreamjobs.corpus_format import words

from . import native

LETTERS = string.ascii_lowercase


def word_trie(vocabulary) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(letters, first, end) per node of a trie of lower-case ASCII words, root first: the bit mask
    of the letters that continue a word, the node of the first child (children in letter order,
    side by side), and whether a word ends there."""
    root: dict = {}
    for word in vocabulary:
        node = root
        for ch in word:
            node = node.setdefault(ch, {})
        node[""] = True
    letters, first, end = [], [], []
    queue, following = [root], 1
    for node in queue:  # breadth first: each node's children are numbered one after another
        kids = sorted(k for k in node if k)
        letters.append(sum(1 << LETTERS.index(k) for k in kids))
        first.append(following)
        end.append("" in node)
        following += len(kids)
        queue.extend(node[k] for k in kids)
    return np.array(letters, np.uint32), np.array(first, np.int32), np.array(end, np.uint8)


def own_words(fields: dict[str, str]) -> list[list[int]]:
    """The words of a row's given fields as the kernel's Row.extra holds them: letters 0-25, at most
    MAX_EXTRA words of at most MAX_WORD letters (a longer one is left to the corpus's words)."""
    found: list[str] = []
    for value in fields.values():
        found += [w for w in words(value) if w not in found and len(w) <= native.MAX_WORD]
    return [[LETTERS.index(ch) for ch in w] for w in found[:native.MAX_EXTRA]]


def set_own_words(row, fields: dict[str, str]) -> None:
    extra = own_words(fields)
    row.n_extra = len(extra)
    for e, letters in enumerate(extra):
        row.extra[e][:] = letters + [-1] * (native.MAX_WORD - len(letters))
