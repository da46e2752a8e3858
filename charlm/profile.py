"""A corpus's profile: what sampling needs to know of the postings a model learned from.

    words     every word its train split uses (dreamjobs.corpus_format.words): the known-words
              guard lets the model write no other
    lengths   the percentiles 0-100 of its postings' lengths in characters: each posting
              draws a length from them, and the sampler steers it there
    company_words  the words of the companies' names that are chiefly those companies' own,
              used by the bodies of their own postings at least as often as by all others'
              ("Meta"; not "Capital" of Capital One): a frame may write them, a body may not,
              for a body that does names another company than its frame's
    company_names  the names of words a body may write that are chiefly their companies' own all
              the same ("Capital One"): a body may write each word, but not the name

A run keeps its profile beside its checkpoints (checkpoints/<run>/profile.json.gz, written
when training starts), so a model samples the same text whether or not its corpus is at
hand. A run from before profiles gets one the first time its corpus is at hand.
"""

from __future__ import annotations

import gzip
import json
import random
import statistics
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from dreamjobs.corpus_format import FRAME_ELEMENTS, words
from dreamjobs.files import atomic_file

from .data import Split

PROFILE = "profile.json.gz"
FORMAT = 2  # 2 added company_words and company_names; a profile of format 1 lets a body write every word
NAME_WORDS = 3  # of a name of several words, the last ones a body may not write in a row (kernel.h: Guard.names)
# A posting may not end before FLOOR_MARGIN characters short of its drawn length, and is steered
# to its end from WRAP_UP_MARGIN short of it: closing what is open takes a few hundred more.
FLOOR_MARGIN = 1500
WRAP_UP_MARGIN = 1200


@dataclass(frozen=True)
class CorpusProfile:
    words: tuple[str, ...]  # sorted
    lengths: tuple[float, ...]  # the 101 percentiles 0..100 of the postings' lengths
    company_words: tuple[str, ...] | None = None  # sorted; None: a body may write every word (a format 1 profile)
    company_names: tuple[tuple[str, ...], ...] = ()

    @classmethod
    def of(cls, split: Split) -> "CorpusProfile":
        """The profile of a run's split: the train split's words and companies' names, and all its postings' lengths."""
        vocabulary = set()
        for doc in split.train:
            vocabulary.update(words(doc))
        lengths = sorted(len(d) for d in split.train + split.val)
        cuts = statistics.quantiles(lengths, n=100, method="inclusive") if len(lengths) > 1 else lengths * 99
        return cls(tuple(sorted(vocabulary)), (float(lengths[0]), *map(float, cuts), float(lengths[-1])),
                   *company_names(split.train))

    def draw_length(self, seed: int) -> float:
        """A posting length drawn from the corpus's distribution by a row's seed (the same on any machine)."""
        u = random.Random(seed).random() * 100
        i = min(int(u), 99)
        return self.lengths[i] + (u - i) * (self.lengths[i + 1] - self.lengths[i])

    def save(self, run_dir: str | Path) -> Path:
        path = Path(run_dir) / PROFILE
        with atomic_file(path, "wb") as fh:
            fh.write(gzip.compress(json.dumps({"format": FORMAT, "words": self.words, "lengths": self.lengths,
                                               "company_words": self.company_words,
                                               "company_names": self.company_names})
                                   .encode(), mtime=0))
        return path


def company_names(postings: list[str]) -> tuple[tuple[str, ...], tuple[tuple[str, ...], ...]]:
    """(company_words, company_names) of a train split, sorted (see the module's note). A name is chiefly
    its company's own where its own postings' bodies use it at least as often as all others' do."""
    names: set[tuple[str, ...]] = set()
    bodies: list[tuple[tuple[str, ...], list[str]]] = []  # (the company's name, its body's words)
    for doc in postings:
        frame = FRAME_ELEMENTS.search(doc)
        if frame is not None:
            name = tuple(words(frame.group(2)))
            names.add(name)
            bodies.append((name, words(doc[frame.end():])))
    own: Counter = Counter()  # a word of a company's name, or its last words -> its own postings' bodies using it
    other: Counter = Counter()  # the same -> other companies' postings' bodies using it
    phrases = {n[-NAME_WORDS:] for n in names if len(n) > 1}
    for name, body in bodies:
        found = set(body) | {g for n in range(2, NAME_WORDS + 1)
                             for g in zip(*(body[i:] for i in range(n))) if g in phrases}
        for g in found:
            (own if g == name[-NAME_WORDS:] or g in name else other)[g] += 1
    chiefly_own = {g for n in names for g in (*n, n[-NAME_WORDS:]) if own[g] >= other[g]}
    out = {w for w in chiefly_own if isinstance(w, str)}
    return tuple(sorted(out)), tuple(sorted(n for n in phrases & chiefly_own if not out & set(n)))


def profile_path(checkpoint: str | Path) -> Path:
    """Where a checkpoint's profile lives: beside it, in its run folder."""
    return Path(checkpoint).resolve().parent / PROFILE


def load_profile(checkpoint: str | Path) -> CorpusProfile | None:
    """The profile beside a checkpoint, or None where its run has none (or an unreadable one)."""
    path = profile_path(checkpoint)
    try:
        data = json.loads(gzip.decompress(path.read_bytes()))
        company = data.get("company_words")
        return CorpusProfile(tuple(data["words"]), tuple(data["lengths"]), None if company is None else tuple(company),
                             tuple(map(tuple, data.get("company_names", ()))))
    except (OSError, ValueError, KeyError, TypeError):
        return None
