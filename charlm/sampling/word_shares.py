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

A word's first use in a posting and its repeats are counted apart, each with its own ratio. A real
posting keeps to its topic: once it says "security" or "trading" it says it again, where a model
with a short memory drifts on to the corpus's commonest topics, writing more distinct words
(type/token ratio 0.59 against real val's 0.53 for the transformer demo) and each rarer topic
word once. So a word the row has not written yet is weighed by the ratio of the corpus's first
uses to the model's, and one it has by the ratio of their repeats: the kernel keeps, per row, how
the words it has written change each node's average (Row.repeats). A word seen too few times for
its own ratio is shrunk towards its band's (words of about as many corpus uses), not towards 1:
the model repeats its rare words too seldom as a class, though each alone is seldom counted.

A symbol (a bullet, a semicolon) is steered the same way, by its own two ratios: the corpus
writes "•" in 5% of its postings, many to a posting, where both demos wrote it in 27%, a few each.
"""

from __future__ import annotations

import gzip
import json
import math
import re
from collections import Counter
from dataclasses import dataclass, fields
from pathlib import Path

import numpy as np

from dreamjobs.corpus_format import FRAME_ELEMENTS, TAG, words
from dreamjobs.files import atomic_file

from .known_words import word_nodes

WORD_SHARES = "word_shares.json.gz"
FORMAT = 2  # 2 counts first uses apart from repeats; a file of format 1 is not read (calibrate again)
# A word the model wrote a few times gets its band's ratio: SHRINK counts on both sides of the ratio.
SHRINK = 5.0
CLIP = math.log(4)  # no word's odds move more than 4-fold either way
# The tables are rounded to this step, so that a libm's or numpy's last bit, which may differ
# between CPUs (FMA or not, SIMD or not), never changes them: a seed writes the same text anywhere.
STEP = 2.0 ** -12
# A symbol: a character of a body's text that is neither a word's letter, a number's digit, a space
# nor a tag's. The kernel steers each by its own ratios, as it does a word.
SYMBOL = re.compile(r"[^A-Za-z0-9\s<>]")


def body_counts(postings: list[str]) -> tuple[Counter, Counter]:
    """How often each word and each symbol appears in the postings' bodies (past their frames), and
    in how many bodies: its uses, and its first uses."""
    uses: Counter = Counter()
    firsts: Counter = Counter()
    for doc in postings:
        frame = FRAME_ELEMENTS.search(doc)
        body = doc[frame.end():] if frame else doc
        found = words(body) + SYMBOL.findall(TAG.sub(" ", body))
        uses.update(found)
        firsts.update(set(found))
    return uses, firsts


def band(count: int) -> int:
    """A word's band by its corpus count: 0, 1, 2-3, 4-7, ... (each twice the last)."""
    return count.bit_length()


@dataclass(frozen=True)
class ShareTables:
    """What the kernel steers by, per node of the body's trie, then per id of the vocabulary
    (kernel.h's Guard.shares...symbol_repeat)."""
    shares: np.ndarray  # the log ratio of a first use, averaged over the words below the node
    shares_end: np.ndarray  # at a word's end: its first use's log ratio
    steered: np.ndarray  # the model's weight of the words below, each times its first use's ratio
    repeat_end: np.ndarray  # at a word's end: its repeat's log ratio
    repeat_add: np.ndarray  # at a word's end: what it adds to `steered` of each node above once written
    parent: np.ndarray
    symbol_first: np.ndarray  # per id: a symbol's log ratio of a first use; 0 for any other character
    symbol_repeat: np.ndarray  # the same of a repeat


SHARE_TABLES = tuple(f.name for f in fields(ShareTables))  # kernel.h's Guard fields of the same names


@dataclass(frozen=True)
class WordShares:
    corpus: Counter  # the train split's bodies' words and symbols
    model: Counter  # the model's own postings' bodies' words and symbols, sampled without word shares
    postings: int  # how many of the model's postings were counted
    corpus_firsts: Counter  # bodies of the train split using each word
    model_firsts: Counter  # the same of the model's postings
    # Later rounds' counts of the model's postings (uses, first uses), each sampled with the rounds
    # before it steering, and each adding its ratio: one round falls short where a word saturates.
    rounds: tuple[tuple[Counter, Counter], ...] = ()

    def log_ratios(self) -> tuple[dict[str, float], dict[str, float]]:
        """Per word, the log of the corpus's rate over the model's of (first uses, repeats), each shrunk
        towards its band's for a word counted a few times; each round's clipped, their sum too."""
        firsts: Counter = Counter()
        repeats: Counter = Counter()
        corpus_repeats = self.corpus - self.corpus_firsts
        for model, model_firsts in ((self.model, self.model_firsts), *self.rounds):
            scale = sum(model.values()) / max(1, sum(self.corpus.values()))  # model words per corpus word
            vocabulary = self.corpus.keys() | model.keys()
            firsts.update(self._ratios(self.corpus_firsts, model_firsts, scale, vocabulary))
            repeats.update(self._ratios(corpus_repeats, model - model_firsts, scale, vocabulary))
        return clip(firsts), clip(repeats)

    def _ratios(self, corpus: Counter, model: Counter, scale: float, vocabulary) -> dict[str, float]:
        pooled: dict[int, list[float]] = {}
        for w in vocabulary:
            sums = pooled.setdefault(band(self.corpus[w]), [0.0, 0.0])
            sums[0] += corpus[w] * scale  # the model's count, had it the corpus's rate
            sums[1] += model[w]
        prior = {b: (c + SHRINK) / (m + SHRINK) for b, (c, m) in pooled.items()}
        return clip({w: math.log((corpus[w] * scale + SHRINK * prior[band(self.corpus[w])]) / (model[w] + SHRINK))
                     for w in vocabulary})

    def tables(self, trie, chars: list[str]) -> ShareTables:
        """The kernel's tables over a word_trie's nodes and a vocabulary's ids (ShareTables)."""
        letters, first, end = trie
        n = len(letters)
        children = np.array([bin(int(m)).count("1") for m in letters])
        parent = np.concatenate([[-1], np.repeat(np.arange(n), children)])  # children are numbered in order
        firsts, repeats = self.log_ratios()
        vocabulary = sorted(firsts)
        model = np.zeros(n)  # how often the model writes the words below each node
        steered = np.zeros(n)  # the same, each word weighed by its first use's ratio
        at_end, repeat_end, repeat_add = np.zeros(n), np.zeros(n), np.zeros(n)
        for w, node in zip(vocabulary, word_nodes(trie, vocabulary)):
            if node >= 0:
                weight = self.model[w] + 0.5
                model[node] += weight
                steered[node] += weight * math.exp(firsts[w])
                at_end[node], repeat_end[node] = firsts[w], repeats[w]
                repeat_add[node] = weight * (math.exp(repeats[w]) - math.exp(firsts[w]))
        for i in range(n - 1, 0, -1):
            model[parent[i]] += model[i]
            steered[parent[i]] += steered[i]
        seen = model > 0
        below = np.zeros(n)
        below[seen] = np.log(steered[seen] / model[seen])
        steered[~seen] = 1.0  # no word below: nothing is ever added to it
        return ShareTables(on_steps(below), on_steps(at_end), on_bits(steered), on_steps(repeat_end),
                           on_bits(repeat_add), parent.astype(np.int32), *symbol_odds(chars, firsts, repeats))

    def save(self, run_dir: str | Path) -> Path:
        path = Path(run_dir) / WORD_SHARES
        counts = {k: dict(sorted(getattr(self, k).items())) for k in ("corpus", "model", "corpus_firsts", "model_firsts")}
        rounds = [{"model": dict(sorted(uses.items())), "model_firsts": dict(sorted(firsts.items()))}
                  for uses, firsts in self.rounds]
        with atomic_file(path, "wb") as fh:
            fh.write(gzip.compress(json.dumps({"format": FORMAT, "postings": self.postings, **counts,
                                               "rounds": rounds}).encode(),
                                   mtime=0))
        return path


def symbol_odds(chars: list[str], firsts: dict[str, float], repeats: dict[str, float]) -> list[np.ndarray]:
    """Per id of a vocabulary, a symbol's log ratio of (first uses, repeats); 0 for any other character."""
    odds = np.zeros((2, len(chars)))
    for i, ch in enumerate(chars):
        if SYMBOL.fullmatch(ch) and ch in firsts:
            odds[:, i] = firsts[ch], repeats[ch]
    return [on_steps(odds[0]), on_steps(odds[1])]


def clip(odds: dict[str, float]) -> dict[str, float]:
    return {w: max(-CLIP, min(CLIP, x)) for w, x in odds.items()}


def on_steps(x: np.ndarray) -> np.ndarray:
    """x rounded to multiples of STEP, as float32 (exact: they need few bits)."""
    return (np.round(x / STEP) * STEP).astype(np.float32)


def on_bits(x: np.ndarray) -> np.ndarray:
    """x rounded to 12 significant bits, as float32 (exact), for the same reason as on_steps."""
    mantissa, exponent = np.frexp(x)
    return np.ldexp(np.round(mantissa * 4096) / 4096, exponent).astype(np.float32)


def load_word_shares(checkpoint: str | Path) -> WordShares | None:
    """The word shares beside a checkpoint, or None where its run has none (or an unreadable file)."""
    path = Path(checkpoint).resolve().parent / WORD_SHARES
    try:
        data = json.loads(gzip.decompress(path.read_bytes()))
        if data.get("format") != FORMAT:
            return None
        return WordShares(Counter(data["corpus"]), Counter(data["model"]), int(data["postings"]),
                          Counter(data["corpus_firsts"]), Counter(data["model_firsts"]),
                          tuple((Counter(r["model"]), Counter(r["model_firsts"])) for r in data.get("rounds", ())))
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None
