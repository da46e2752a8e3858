"""The known-words guard's tables: the words a model may write, as a trie the C kernel walks
(native/guard.c), and a row's own words (the fields its caller gave) beside them."""

from __future__ import annotations

import string

import numpy as np

from dreamjobs.corpus_format import words

from ..profile import NAME_WORDS
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


def word_nodes(trie: tuple[np.ndarray, np.ndarray, np.ndarray], vocabulary) -> list[int]:
    """The node where each word ends in a word_trie, or -1 where the trie lacks it."""
    letters, first, end = trie
    found = []
    for word in vocabulary:
        node = 0
        for ch in word:
            bit = LETTERS.find(ch)
            if bit < 0 or not letters[node] >> bit & 1:
                node = -1
                break
            node = int(first[node]) + bin(int(letters[node]) & ((1 << bit) - 1)).count("1")
        found.append(node if node >= 0 and end[node] else -1)
    return found


def name_table(trie, names) -> tuple[np.ndarray, np.ndarray, int]:
    """Guard.names, Guard.name_last and Guard.n_names for names of two to NAME_WORDS words (those
    whose words the trie has): a row of NAME_WORDS nodes each, -1 before a shorter name's."""
    rows = []
    for name in names:
        nodes = word_nodes(trie, name[-NAME_WORDS:])
        if len(nodes) >= 2 and min(nodes) >= 0:
            rows.append([-1] * (NAME_WORDS - len(nodes)) + nodes)
    last = np.zeros(len(trie[0]), np.uint8)
    for row in rows:
        last[row[-1]] = 1
    return np.array(rows or [[-1] * NAME_WORDS], np.int32), last, len(rows)


def own_words(fields: dict[str, str]) -> list[list[int]]:
    """The words of a row's given fields as the kernel's Row.extra holds them: letters 0-25, at most
    MAX_EXTRA words of at most MAX_WORD letters (a longer one is left to the corpus's words)."""
    found: list[str] = []
    for value in fields.values():
        found += [w for w in words(value) if w not in found and len(w) <= native.MAX_WORD]
    return [[LETTERS.index(ch) for ch in w] for w in found[:native.MAX_EXTRA]]


def set_own_words(row, fields: dict[str, str]) -> None:
    row.n_extra = 0
    add_own_words(row, own_words(fields))


def add_own_words(row, extra: list[list[int]]) -> None:
    """Add words (as own_words gives them) to a row's own, as many as Row.extra has room for."""
    held = [list(row.extra[e]) for e in range(row.n_extra)]
    for letters in extra:
        padded = letters + [-1] * (native.MAX_WORD - len(letters))
        if padded not in held and row.n_extra < native.MAX_EXTRA:
            row.extra[row.n_extra][:] = padded
            row.n_extra += 1
            held.append(padded)


def add_frame_names(row, fields: dict[str, str], names: frozenset[str], known: frozenset[str]) -> None:
    """Make the words of `names` that a row's own frame holds (its fields as written) its own, and
    those of its company that `known` lacks (a name the model coined), so that its body may name
    its own company."""
    coined = [w for w in words(fields.get("company", "")) if w not in known]
    named = [w for w in words(" ".join(fields.values())) if w in names]
    add_own_words(row, own_words({"frame": " ".join(coined + named)}))
