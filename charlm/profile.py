"""A corpus's profile: what sampling needs to know of the postings a model learned from.

    words     every word its train split uses (dreamjobs.corpus_format.words): the known-words
              guard lets the model write no other
    lengths   the percentiles 0-100 of its postings' lengths in characters: each posting
              draws a length from them, and the sampler steers it there

A run keeps its profile beside its checkpoints (checkpoints/<run>/profile.json.gz, written
when training starts), so a model samples the same text whether or not its corpus is at
hand. A run from before profiles gets one the first time its corpus is at hand.
"""

from __future__ import annotations

import gzip
import json
import random
import statistics
from dataclasses import dataclass
from pathlib import Path

from dreamjobs.corpus_format import words
from dreamjobs.files import atomic_file

from .data import Split

PROFILE = "profile.json.gz"
FORMAT = 1
# A posting may not end before FLOOR_MARGIN characters short of its drawn length, and is steered
# to its end from WRAP_UP_MARGIN short of it: closing what is open takes a few hundred more.
FLOOR_MARGIN = 1500
WRAP_UP_MARGIN = 1200


@dataclass(frozen=True)
class CorpusProfile:
    words: tuple[str, ...]  # sorted
    lengths: tuple[float, ...]  # the 101 percentiles 0..100 of the postings' lengths

    @classmethod
    def of(cls, split: Split) -> "CorpusProfile":
        """The profile of a run's split: the train split's words, and all its postings' lengths."""
        vocabulary = set()
        for doc in split.train:
            vocabulary.update(words(doc))
        lengths = sorted(len(d) for d in split.train + split.val)
        cuts = statistics.quantiles(lengths, n=100, method="inclusive") if len(lengths) > 1 else lengths * 99
        return cls(tuple(sorted(vocabulary)), (float(lengths[0]), *map(float, cuts), float(lengths[-1])))

    def draw_length(self, seed: int) -> float:
        """A posting length drawn from the corpus's distribution by a row's seed (the same on any machine)."""
        u = random.Random(seed).random() * 100
        i = min(int(u), 99)
        return self.lengths[i] + (u - i) * (self.lengths[i + 1] - self.lengths[i])

    def save(self, run_dir: str | Path) -> Path:
        path = Path(run_dir) / PROFILE
        with atomic_file(path, "wb") as fh:
            fh.write(gzip.compress(json.dumps({"format": FORMAT, "words": self.words, "lengths": self.lengths})
                                   .encode(), mtime=0))
        return path


def profile_path(checkpoint: str | Path) -> Path:
    """Where a checkpoint's profile lives: beside it, in its run folder."""
    return Path(checkpoint).resolve().parent / PROFILE


def load_profile(checkpoint: str | Path) -> CorpusProfile | None:
    """The profile beside a checkpoint, or None where its run has none (or an unreadable one)."""
    path = profile_path(checkpoint)
    try:
        data = json.loads(gzip.decompress(path.read_bytes()))
        return CorpusProfile(tuple(data["words"]), tuple(data["lengths"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None
